"""The part every local vendor fake shares: a threaded HTTP server on a free loopback port that
records each request, checks it against the vendor's description, and can be told to fail.

Failure switches apply to the next requests that pass the description check, in order:
`fail_next(429, retry_after=7)`, `fail_next(500, times=3)`, `hang_next()` (the server reads the
request and says nothing until the client gives up or the fake stops).
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.fakes.specs import Spec, Violation


@dataclass
class Request:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8"), keep_blank_values=True)

    @property
    def params(self) -> dict[str, list[str]]:
        return parse_qs(self.query, keep_blank_values=True)


@dataclass
class Response:
    status: int
    body: Any = None  # dict/list -> JSON, bytes as they are, None -> empty
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class _Failure:
    status: int | None  # None: hang
    retry_after: str | None = None
    body: Any = None
    hang_seconds: float = 30.0


class FakeVendor:
    """Subclasses set `specs` and implement `route(request) -> Response`."""

    specs: tuple[str, ...] = ()
    name = "vendor"

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.requests: list[Request] = []
        self.violations: list[Violation] = []
        # the fake's own answers that broke the description (a fault in the fake)
        self.answer_problems: list[Violation] = []
        self._failures: deque[_Failure] = deque()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.check_specs = True

    # -- life ----------------------------------------------------------------------------------

    def start(self) -> FakeVendor:
        fake = self

        class Handler(_Handler):
            vendor = fake

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeVendor:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- switches ------------------------------------------------------------------------------

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | str | None = None,
        body: Any = None,
    ) -> None:
        with self.lock:
            for _ in range(times):
                self._failures.append(
                    _Failure(status, None if retry_after is None else str(retry_after), body)
                )

    def hang_next(self, *, times: int = 1, seconds: float = 30.0) -> None:
        with self.lock:
            for _ in range(times):
                self._failures.append(_Failure(None, hang_seconds=seconds))

    def clear_failures(self) -> None:
        with self.lock:
            self._failures.clear()

    # -- for subclasses ------------------------------------------------------------------------

    def route(self, request: Request) -> Response:
        raise NotImplementedError

    def error_body(self, status: int, message: str) -> Any:
        return {"errors": [{"message": message, "field": None}]}

    def _spec_problems(self, request: Request) -> list[str]:
        if not self.check_specs or not self.specs:
            return []
        results = []
        for name in self.specs:
            spec = Spec.load(name)
            if spec.find(request.method, request.path) is not None:
                return spec.check(
                    request.method, request.path, request.query, request.headers, request.body
                )
            results.append(name)
        return [f"{request.method} {request.path}: no such operation in {', '.join(results)}"]

    def _take_failure(self) -> _Failure | None:
        with self.lock:
            return self._failures.popleft() if self._failures else None

    def handle(self, request: Request) -> Response | _Failure:
        with self.lock:
            self.requests.append(request)
        problems = self._spec_problems(request)
        if problems:
            reason = "; ".join(problems)
            with self.lock:
                self.violations.append(Violation(request.method, request.path, reason))
            return Response(
                400, self.error_body(400, f"request violates the description: {reason}")
            )
        failure = self._take_failure()
        if failure is not None:
            if failure.status is None:
                return failure
            headers = {"Retry-After": failure.retry_after} if failure.retry_after else {}
            body = (
                failure.body
                if failure.body is not None
                else self.error_body(failure.status, f"injected HTTP {failure.status}")
            )
            return Response(failure.status, body, headers)
        with self.lock:
            response = self.route(request)
        if (
            self.check_specs
            and 200 <= response.status < 300
            and not isinstance(response.body, bytes)
        ):
            self._check_answer(request, response)
        return response

    def _check_answer(self, request: Request, response: Response) -> None:
        """The fake's own success answers keep to the vendor's description too."""
        for name in self.specs:
            spec = Spec.load(name)
            if spec.find(request.method, request.path) is not None:
                problems = spec.check_response(
                    request.method, request.path, response.status, response.body
                )
                if problems:
                    with self.lock:
                        self.answer_problems.append(
                            Violation(request.method, request.path, "; ".join(problems))
                        )
                return


class _Handler(BaseHTTPRequestHandler):
    vendor: FakeVendor
    protocol_version = "HTTP/1.1"  # keep-alive, as the vendors do

    def setup(self) -> None:
        super().setup()
        # headers and body go out in separate writes: without this, Nagle's algorithm and the
        # client's delayed ACK hold every keep-alive answer back by ~40 ms
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # quiet in tests
        pass

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        request = Request(
            self.command, parts.path, parts.query, {k: v for k, v in self.headers.items()}, body
        )
        result = self.vendor.handle(request)
        if isinstance(result, _Failure):
            # say nothing until the client gives up (or the fake stops), then drop the line
            self.vendor._stopping.wait(result.hang_seconds)
            self.close_connection = True
            return
        self._write(result)

    def _write(self, response: Response) -> None:
        if response.body is None:
            payload = b""
            ctype = None
        elif isinstance(response.body, bytes):
            payload = response.body
            ctype = "application/octet-stream"
        else:
            payload = json.dumps(response.body).encode("utf-8")
            ctype = "application/json"
        self.send_response(response.status)
        headers: Mapping[str, str] = response.headers
        if ctype and not any(k.lower() == "content-type" for k in headers):
            self.send_header("Content-Type", ctype)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload:
            self.wfile.write(payload)

    do_GET = _serve
    do_POST = _serve
    do_PUT = _serve
    do_PATCH = _serve
    do_DELETE = _serve
