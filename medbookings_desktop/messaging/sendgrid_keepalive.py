"""One kept-open connection under the sendgrid package's own client.

The package's HTTP layer (python_http_client) builds every request itself (URL, API key and
JSON headers, the body) and then opens it with a new urllib opener, which closes the
connection after each call: every e-mail paid a TCP and TLS handshake with SendGrid. Here the
same `Client` hands its request to one HTTP/1.1 connection that stays open between calls, and
answers as urllib would, so the package's responses and errors are what they always were.
"""

from __future__ import annotations

import http.client
import io
import select
import ssl
import threading
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from python_http_client import Client  # type: ignore[import-untyped]
from python_http_client.exceptions import handle_error  # type: ignore[import-untyped]

# a connection idle longer than this is opened again rather than reused: servers close idle
# connections, and a request sent as the server closes one fails (to be retried by the engine)
IDLE_REUSE_S = 30.0


class KeptConnection:
    """An HTTP(S) connection to one host, reused while the server keeps it open."""

    def __init__(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        self.https = parts.scheme == "https"
        self.host = parts.hostname or ""
        self.port = parts.port
        self._conn: http.client.HTTPConnection | None = None
        self._used_at = 0.0
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._drop()

    def __del__(self) -> None:
        # a channel dropped without close() (a rebuilt engine's) still lets go of its socket
        conn = getattr(self, "_conn", None)
        if conn is not None:
            conn.close()

    def _drop(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _open(self, timeout: float | None) -> http.client.HTTPConnection:
        if self.https:
            return http.client.HTTPSConnection(
                self.host, self.port, timeout=timeout, context=ssl.create_default_context()
            )
        return http.client.HTTPConnection(self.host, self.port, timeout=timeout)

    def send(self, request: urllib.request.Request, timeout: float | None) -> _Answer:
        """The response to `request`; an error status raises urllib's HTTPError, as urlopen."""
        with self._lock:
            conn = self._conn
            if conn is not None and not (
                time.monotonic() - self._used_at < IDLE_REUSE_S and _still_open(conn)
            ):
                self._drop()
                conn = None
            if conn is None:
                conn = self._conn = self._open(timeout)
            elif conn.sock is not None:
                conn.sock.settimeout(timeout)
            try:
                conn.request(
                    request.get_method(),
                    request.selector,
                    request.data,
                    dict(request.header_items()),
                )
                response = conn.getresponse()
                body = response.read()
            except BaseException:
                # a failed or half-answered request: the connection is of no further use (the
                # caller's error says what happened; the engine's retry opens a new one)
                self._drop()
                raise
            if response.will_close:
                self._drop()
            self._used_at = time.monotonic()
        answer = _Answer(response.status, response.headers, body)
        if response.status >= 400:
            raise urllib.error.HTTPError(
                request.full_url, response.status, response.reason, response.headers, answer
            )
        return answer


def _still_open(conn: http.client.HTTPConnection) -> bool:
    """An idle kept connection has nothing to read: readable means the server closed it."""
    sock = conn.sock
    if sock is None:
        return False
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return False
    return not readable


class _Answer(io.BytesIO):
    """What python_http_client reads from urlopen's result: getcode(), read(), info()."""

    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        super().__init__(body)
        self.status = status
        self.headers = headers

    def getcode(self) -> int:
        return self.status

    def info(self) -> Any:
        return self.headers


class KeepAliveClient(Client):  # type: ignore[misc]
    """python_http_client's Client whose requests (and those of the clients it builds down
    the URL path, `client.mail.send`) go through one KeptConnection."""

    def __init__(self, *args: Any, connection: KeptConnection, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connection = connection

    def _build_client(self, name: str | None = None) -> KeepAliveClient:
        url_path = [*self._url_path, name] if name else self._url_path
        return KeepAliveClient(
            host=self.host,
            version=self._version,
            request_headers=self.request_headers,
            url_path=url_path,
            append_slash=self.append_slash,
            timeout=self.timeout,
            connection=self.connection,
        )

    def _make_request(
        self, opener: Any, request: urllib.request.Request, timeout: float | None = None
    ) -> _Answer:
        try:
            return self.connection.send(request, timeout or self.timeout)
        except urllib.error.HTTPError as err:
            # as the package's own _make_request: its exception for the status
            exc = handle_error(err)
            exc.__cause__ = None
            raise exc from None


def keep_alive(client: Any, base_url: str) -> KeptConnection | None:
    """Give a SendGridAPIClient's `client` a KeepAliveClient with the same host, headers,
    version and timeout; the connection it uses, to close with the channel. None where a proxy
    is set for the host (HTTPS_PROXY ...): the package's urllib goes through it as before."""
    host = urlsplit(base_url).hostname or ""
    if urllib.request.getproxies() and not urllib.request.proxy_bypass(host):
        return None
    plain = client.client
    connection = KeptConnection(base_url)
    client.client = KeepAliveClient(
        host=plain.host,
        request_headers=dict(plain.request_headers),
        version=plain._version,
        url_path=list(plain._url_path),
        append_slash=plain.append_slash,
        timeout=plain.timeout,
        connection=connection,
    )
    return connection
