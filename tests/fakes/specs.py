"""Check a request against the vendor's own OpenAPI description (tests/fakes/specs/).

`Spec.check(method, path, query, headers, body)` returns what is wrong with a request: no
matching path and method, a path or query parameter outside its schema, a missing required
field, a JSON or form body outside the request body's schema, or no credentials where the
description asks for them. The fakes answer such a request with 400 and record the reason, so
a test can assert that the real client libraries sent nothing the vendor would refuse.

Where the descriptions and the vendors disagree (../shared/vendor-specs/README.md), the
description is patched at load time in `ALLOWANCES`, each with its reason.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import jsonschema

SPEC_DIR = Path(__file__).resolve().parent / "specs"

# file -> [(JSON pointer, replacement, why)]
ALLOWANCES: dict[str, list[tuple[str, Any, str]]] = {
    "tsg_mail_v3.json": [
        (
            "/components/requestBodies/PostMailSend/content/application~1json/schema"
            "/properties/custom_args",
            {"type": "object", "additionalProperties": {"type": "string"}},
            "typed as a string; the library and the live API send an object of strings",
        ),
        (
            "/paths/~1v3~1mail~1send/post/responses/200",
            {"description": "sandbox mode: checked and not sent"},
            "sandbox mode answers 200 with no body; the description lists only 202",
        ),
    ],
}


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    regex: re.Pattern[str]
    param_names: tuple[str, ...]
    op: dict[str, Any]
    path_item: dict[str, Any]


@dataclass
class Violation:
    method: str
    path: str
    reason: str


@dataclass
class Spec:
    name: str
    doc: dict[str, Any]
    operations: list[Operation] = field(default_factory=list)

    # -- loading -------------------------------------------------------------------------------

    @classmethod
    def load(cls, name: str) -> Spec:
        return _load(name)

    def resolve(self, node: Any) -> Any:
        while isinstance(node, dict) and "$ref" in node and len(node) == 1:
            node = _pointer(self.doc, node["$ref"])
        return node

    def find(self, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
        for op in self.operations:
            if op.method != method.lower():
                continue
            m = op.regex.fullmatch(path)
            if m:
                return op, dict(zip(op.param_names, m.groups(), strict=True))
        return None

    # -- checking ------------------------------------------------------------------------------

    def check(
        self,
        method: str,
        path: str,
        query: str,
        headers: Mapping[str, str],
        body: bytes,
    ) -> list[str]:
        found = self.find(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in {self.name}"]
        op, path_params = found
        problems: list[str] = []
        params = [self.resolve(p) for p in op.path_item.get("parameters", [])]
        params += [self.resolve(p) for p in op.op.get("parameters", [])]
        by_place: dict[str, dict[str, dict[str, Any]]] = {}
        for p in params:
            by_place.setdefault(p["in"], {})[p["name"]] = p

        for name, value in path_params.items():
            p = by_place.get("path", {}).get(name)
            if p is not None:
                problems += self._value(f"path parameter {name}", value, p.get("schema", {}))

        q = parse_qs(query, keep_blank_values=True)
        known_query = by_place.get("query", {})
        for name, values in q.items():
            p = known_query.get(name)
            if p is None:
                if name in PAGING_PARAMS.get(self.name, ()):
                    continue
                problems.append(f"unknown query parameter {name!r}")
                continue
            for value in values:
                problems += self._value(f"query parameter {name}", value, p.get("schema", {}))
        for name, p in known_query.items():
            if p.get("required") and name not in q:
                problems.append(f"missing required query parameter {name!r}")

        problems += self._security(op, headers)
        problems += self._body(op, headers, body)
        return problems

    def check_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """What is wrong with an answer (for checking the fakes' own answers): an undescribed
        status, or a JSON body outside the response's schema."""
        found = self.find(method, path)
        if found is None:
            return [f"{method} {path}: no such operation in {self.name}"]
        op, _ = found
        responses = op.op.get("responses", {})
        described = responses.get(str(status)) or responses.get("default")
        if described is None:
            return [f"{method} {path}: status {status} is not described"]
        described = self.resolve(described)
        content = described.get("content", {}).get("application/json")
        if content is None or "schema" not in content:
            return []
        return self._validate("answer", body, self.resolve(content["schema"]))

    def _security(self, op: Operation, headers: Mapping[str, str]) -> list[str]:
        requirements = op.op.get("security", self.doc.get("security")) or []
        if not requirements:
            return []
        schemes = self.doc.get("components", {}).get("securitySchemes", {})
        auth = _header(headers, "Authorization") or ""
        for req in requirements:
            for scheme_name in req:
                scheme = schemes.get(scheme_name, {})
                wanted = str(scheme.get("scheme", "")).lower()
                if wanted and auth.lower().startswith(wanted + " "):
                    return []
                if not wanted and auth:
                    return []
        return ["no credentials in the Authorization header the description asks for"]

    def _body(self, op: Operation, headers: Mapping[str, str], body: bytes) -> list[str]:
        rb = self.resolve(op.op.get("requestBody")) if op.op.get("requestBody") else None
        if rb is None:
            return []
        if not body:
            return ["missing request body"] if rb.get("required") else []
        ctype = (_header(headers, "Content-Type") or "").split(";")[0].strip().lower()
        content = rb.get("content", {})
        if ctype not in content:
            return [f"content type {ctype!r} is not one of {sorted(content)}"]
        schema = self.resolve(content[ctype].get("schema", {}))
        if ctype == "application/json":
            try:
                data = json.loads(body)
            except ValueError as exc:
                return [f"body is not JSON: {exc}"]
        elif ctype == "application/x-www-form-urlencoded":
            data, problems = self._form(body.decode("utf-8"), schema)
            if problems:
                return problems
        else:
            return []
        return self._validate("body", data, schema)

    def _form(self, text: str, schema: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
        """Form fields as the object the schema describes: arrays repeat, scalars coerced."""
        fields = parse_qs(text, keep_blank_values=True)
        props = schema.get("properties", {})
        out: dict[str, Any] = {}
        problems: list[str] = []
        for name, values in fields.items():
            prop = self.resolve(props.get(name, {}))
            if prop.get("type") == "array":
                item = self.resolve(prop.get("items", {}))
                out[name] = [_coerce(v, item) for v in values]
            elif len(values) > 1:
                problems.append(f"form field {name!r} given {len(values)} times")
            else:
                out[name] = _coerce(values[0], prop)
        return out, problems

    def _value(self, what: str, value: str, schema: dict[str, Any]) -> list[str]:
        schema = self.resolve(schema)
        return self._validate(what, _coerce(value, schema), schema)

    def _validate(self, what: str, data: Any, schema: dict[str, Any]) -> list[str]:
        validator = _validator(self.name, json.dumps(schema, sort_keys=True))
        return [
            f"{what}{_where(e.absolute_path)}: {e.message[:300]}"
            for e in sorted(validator.iter_errors(data), key=lambda e: list(e.absolute_path))
        ]


# query parameters the vendors' paging adds that the descriptions leave out
PAGING_PARAMS: dict[str, tuple[str, ...]] = {
    "twilio_api_v2010.json": ("Page", "PageToken"),
    "twilio_content_v1.json": ("Page", "PageToken"),
}


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None


def _where(path: Any) -> str:
    parts = list(path)
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def _coerce(value: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(value)
        if kind == "number":
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _pointer(doc: Any, ref: str) -> Any:
    if not ref.startswith("#/"):
        raise ValueError(f"only local references are supported: {ref}")
    node = doc
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _openapi30_to_jsonschema(node: Any) -> Any:
    """`nullable: true` (OpenAPI 3.0) as a JSON Schema type that admits null."""
    if isinstance(node, dict):
        out = {k: _openapi30_to_jsonschema(v) for k, v in node.items()}
        if out.pop("nullable", False) is True:
            t = out.get("type")
            if isinstance(t, str):
                out["type"] = [t, "null"]
            elif "enum" in out:
                out["enum"] = [*out["enum"], None]
        return out
    if isinstance(node, list):
        return [_openapi30_to_jsonschema(v) for v in node]
    return node


_DOCS: dict[str, dict[str, Any]] = {}


@cache
def _load(name: str) -> Spec:
    doc = json.loads((SPEC_DIR / name).read_text(encoding="utf-8"))
    for pointer, replacement, _why in ALLOWANCES.get(name, []):
        parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]
        node = doc
        for part in parts[:-1]:
            node = node[part]
        node[parts[-1]] = copy.deepcopy(replacement)
    if str(doc.get("openapi", "")).startswith("3.0"):
        doc = _openapi30_to_jsonschema(doc)
    _DOCS[name] = doc
    spec = Spec(name, doc)
    for template, item in doc.get("paths", {}).items():
        names = tuple(re.findall(r"{([^}]+)}", template))
        pattern = re.escape(template)
        for n in names:
            pattern = pattern.replace(re.escape("{" + n + "}"), "([^/]+)")
        regex = re.compile(pattern)
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                spec.operations.append(Operation(method, template, regex, names, op, item))
    return spec


@cache
def _validator(name: str, schema_json: str) -> Any:
    doc = _DOCS[name]
    schema = json.loads(schema_json)
    # local references ("#/components/...") resolve against the whole description
    root = {**schema, "components": doc.get("components", {})}
    cls: Callable[..., Any] = jsonschema.Draft202012Validator
    return cls(root, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
