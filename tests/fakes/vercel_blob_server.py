"""A local Vercel Blob store for tests: the API `@vercel/blob` speaks (`PUT /?pathname=`,
`POST /delete`) and the public side that serves what was stored (`GET /public/<pathname>`).

Each API request is checked as the real service would: the read-write token
(`authorization: Bearer`), an `x-api-version`, the store id, and on a put the content type,
public access and a body. A request that breaks these is recorded in `violations` and
answered 400. Failure switches (`fail_next(401)`, `fail_next(429, retry_after=7)`,
`fail_next(500)`, `hang_next()`) apply to API requests only; reading a public file always
works, so a test can check what WhatsApp would fetch.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from tests.fakes.server import FakeVendor, Request, Response, _Failure

STORE_ID = "Fk0Store1Id2"
TOKEN = f"vercel_blob_rw_{STORE_ID}_0123456789abcdefFAKE"
PUBLIC_PREFIX = "/public/"
_SUFFIX_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass
class StoredFile:
    pathname: str
    content_type: str
    data: bytes


class FakeVercelBlob(FakeVendor):
    name = "Vercel Blob"

    def __init__(self, token: str = TOKEN) -> None:
        super().__init__()
        self.token = token
        self.files: dict[str, StoredFile] = {}  # pathname -> file
        self.deleted: list[str] = []  # pathnames, in the order they were deleted
        self._n = itertools.count(1)

    # -- what tests look at ---------------------------------------------------------------

    def public_url(self, pathname: str) -> str:
        return f"{self.url}{PUBLIC_PREFIX}{pathname}"

    def puts(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == "PUT"]

    def delete_requests(self) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.method == "POST" and r.path == "/delete"]

    # -- the checks the real service makes ----------------------------------------------------

    def _spec_problems(self, request: Request) -> list[str]:
        if request.method == "GET" and request.path.startswith(PUBLIC_PREFIX):
            return []
        problems = []
        headers = {k.lower(): v for k, v in request.headers.items()}
        if not headers.get("authorization", "").startswith("Bearer "):
            problems.append("no Bearer authorization")
        version = headers.get("x-api-version", "")
        if not version.isdigit() or int(version) < 7:
            problems.append(f"x-api-version {version!r} is not a supported API version")
        if headers.get("x-vercel-blob-store-id", STORE_ID) != STORE_ID:
            problems.append("x-vercel-blob-store-id does not name this store")
        if request.method == "PUT" and request.path == "/":
            pathname = parse_qs(request.query).get("pathname", [""])[0]
            if not pathname or len(pathname) > 950 or pathname.endswith("/"):
                problems.append(f"pathname {pathname!r} is not a file name")
            if not request.body:
                problems.append("body is required")
            if not headers.get("x-content-type"):
                problems.append("no x-content-type")
            if headers.get("x-vercel-blob-access") != "public":
                problems.append('access must be "public"')
            if headers.get("x-add-random-suffix", "1") not in ("0", "1"):
                problems.append("x-add-random-suffix is 0 or 1")
        elif request.method == "POST" and request.path == "/delete":
            if "application/json" not in headers.get("content-type", ""):
                problems.append("the delete body is JSON")
            try:
                urls = json.loads(request.body or b"null").get("urls")
            except (ValueError, AttributeError):
                urls = None
            if not isinstance(urls, list) or not all(isinstance(u, str) for u in urls):
                problems.append('the delete body is {"urls": [...]}')
        else:
            problems.append(f"{request.method} {request.path}: no such operation")
        return problems

    def error_body(self, status: int, message: str) -> Any:
        code = {
            400: "bad_request",
            401: "forbidden",
            403: "forbidden",
            404: "not_found",
            429: "rate_limited",
            503: "service_unavailable",
        }.get(status, "unknown_error")
        return {"error": {"code": code, "message": message}}

    def handle(self, request: Request) -> Response | _Failure:
        if request.method == "GET" and request.path.startswith(PUBLIC_PREFIX):
            with self.lock:
                self.requests.append(request)
                found = self.files.get(request.path[len(PUBLIC_PREFIX) :])
            if found is None:
                return Response(404, b"The requested blob does not exist")
            return Response(200, found.data, {"Content-Type": found.content_type})
        return super().handle(request)

    # -- the API ------------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        headers = {k.lower(): v for k, v in request.headers.items()}
        if headers.get("authorization") != f"Bearer {self.token}":
            return Response(403, self.error_body(403, "Access denied"))
        if request.method == "PUT":
            return self._put(request, headers)
        urls = json.loads(request.body)["urls"]
        for url in urls:
            pathname = url.removeprefix(self.url + PUBLIC_PREFIX)
            if self.files.pop(pathname, None) is not None:
                self.deleted.append(pathname)
        return Response(200, {})

    def _put(self, request: Request, headers: dict[str, str]) -> Response:
        pathname = parse_qs(request.query)["pathname"][0]
        if headers.get("x-add-random-suffix") == "1":
            stem, dot, ext = pathname.rpartition(".")
            suffix = _suffix(next(self._n))
            pathname = (
                f"{stem}-{suffix}.{ext}"
                if dot and re.match(r"^\w+$", ext)
                else (f"{pathname}-{suffix}")
            )
        elif pathname in self.files and headers.get("x-allow-overwrite") != "1":
            return Response(400, self.error_body(400, "This blob already exists"))
        content_type = headers["x-content-type"]
        self.files[pathname] = StoredFile(pathname, content_type, request.body)
        url = self.public_url(pathname)
        return Response(
            200,
            {
                "url": url,
                "downloadUrl": url + "?download=1",
                "pathname": pathname,
                "contentType": content_type,
                "contentDisposition": f'inline; filename="{pathname.rsplit("/", 1)[-1]}"',
                "etag": '"' + hashlib.sha1(request.body).hexdigest() + '"',
            },
        )


def _suffix(n: int) -> str:
    digest = hashlib.sha256(str(n).encode()).digest()
    return "".join(_SUFFIX_CHARS[b % len(_SUFFIX_CHARS)] for b in digest[:30])
