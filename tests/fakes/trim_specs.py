"""Copy the vendor descriptions the fakes check against into tests/fakes/specs/.

Run by hand when ../shared/vendor-specs/ changes: `python tests/fakes/trim_specs.py`.
The Twilio 2010 description is cut down to the Messages paths and every component they refer
to (the whole file is 1.8 MB); the others are copied as they are. The vendors' MIT licences are
copied beside them.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
OUT = HERE / "specs"

WHOLE = ("tsg_mail_v3.json", "twilio_content_v1.json")
TRIMMED = {
    "twilio_api_v2010.json": (
        "/2010-04-01/Accounts/{AccountSid}/Messages.json",
        "/2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json",
    ),
}
LICENCES = ("LICENSE-sendgrid-oai", "LICENSE-twilio-oai")


def _refs(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            found.add(ref)
        for value in node.values():
            _refs(value, found)
    elif isinstance(node, list):
        for value in node:
            _refs(value, found)


def _get(doc: Any, pointer: str) -> Any:
    node = doc
    for part in pointer[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _put(doc: dict[str, Any], pointer: str, value: Any) -> None:
    parts = [p.replace("~1", "/").replace("~0", "~") for p in pointer[2:].split("/")]
    node = doc
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def trim(doc: dict[str, Any], paths: tuple[str, ...]) -> dict[str, Any]:
    out: dict[str, Any] = {k: v for k, v in doc.items() if k not in ("paths", "components")}
    out["paths"] = {p: doc["paths"][p] for p in paths}
    if "securitySchemes" in doc.get("components", {}):
        out["components"] = {"securitySchemes": doc["components"]["securitySchemes"]}
    seen: set[str] = set()
    todo: set[str] = set()
    _refs(out["paths"], todo)
    while todo:
        ref = todo.pop()
        if ref in seen:
            continue
        seen.add(ref)
        value = _get(doc, ref)
        _put(out, ref, value)
        _refs(value, todo)
    return out


def main(source: Path) -> None:
    OUT.mkdir(exist_ok=True)
    for name in WHOLE:
        shutil.copyfile(source / name, OUT / name)
    for name, paths in TRIMMED.items():
        doc = json.loads((source / name).read_text(encoding="utf-8"))
        (OUT / name).write_text(json.dumps(trim(doc, paths), indent=1) + "\n", encoding="utf-8")
    for name in LICENCES:
        shutil.copyfile(source / name, OUT / name)


if __name__ == "__main__":
    default = HERE.parents[2] / "shared" / "vendor-specs"
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else default)
