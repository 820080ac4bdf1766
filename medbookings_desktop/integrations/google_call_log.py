"""The integration log for Google: every HTTP call to Google (Calendar, its token endpoint,
Places) becomes one CallRecord (service, operation, duration, outcome, error), as the
SendGrid, Twilio and Vercel Blob calls are.

Calls are recorded where they pass: `GoogleCallLog.http(inner)` wraps the httplib2.Http under
google_auth_httplib2's AuthorizedHttp (so each googleapiclient request, each batch POST and
each token refresh it makes is one record), `GoogleCallLog.session(s)` wraps a requests
session (Places, token refresh and revoke outside the client), `record_exception` covers a
call made by a library we cannot wrap (the sign-in's code exchange).

Records wait in the log's buffer (no database work on the caller's path, and none while a
sync holds a transaction) until `flush(db)` writes them in one short transaction: the
calendar sync flushes its own buffer and the shared `DEFAULT` one (calls made from the
desk's screens: the address picker, sign-in, disconnect) at the end of each pass.

No patient data: the operation is built from a fixed vocabulary (method + path shape:
"events.list", "events.insert", "batch", "calendarList.list", "token.refresh",
"places.autocomplete", ...), never from the URL's ids (a calendar id is an e-mail address),
query or body; the error is "HTTP <status>" with at most a reason code Google defines
(rateLimitExceeded, invalid_grant), or an exception's type name.

Outcomes are the integration log's: ok; retry (no answer, time-out, 5xx, 429, 403 rate
limit: worth trying again later, what the "down" alert counts); rejected (401, 403, an
OAuth invalid_grant / invalid_client: the credentials); failed (any other 4xx).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from medbookings_desktop.storage.repositories.integration_log import CallRecord

log = logging.getLogger(__name__)

CALENDAR = "google_calendar"  # health.SERVICES: Calendar calls and the sign-in's token calls
PLACES = "google_places"

OK = "ok"
RETRY = "retry"
REJECTED = "rejected"
FAILED = "failed"

BUFFER_LIMIT = 5000  # unflushed records kept at most (the oldest go first)

# the reason codes an error may name: Google's own words, never free text
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})
OAUTH_REJECTED = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})
OAUTH_ERRORS = OAUTH_REJECTED | {"invalid_request", "invalid_scope", "unsupported_grant_type"}

# Calendar v3 path words (collections, then actions); anything else in a path is an id
_COLLECTIONS = frozenset({"calendars", "events", "calendarList", "acl", "settings", "colors"})
_ACTIONS = frozenset({"import", "quickAdd", "watch", "instances", "move", "clear"})
_BY_ID = {"GET": "get", "PATCH": "patch", "PUT": "update", "DELETE": "delete"}
_NO_ID = {"GET": "list", "POST": "insert"}


def _utc_now() -> datetime:
    return datetime.now(UTC)


# -- what a call was ---------------------------------------------------------------------------


def classify(method: str, uri: str) -> tuple[str, str]:
    """(service, operation) of a request to Google, from its method and path shape only."""
    method = method.upper()
    segments = [s for s in urlsplit(uri).path.split("/") if s]
    if not segments:
        return CALENDAR, f"other.{method.lower()}"
    last = segments[-1]
    if "batch" in segments:
        return CALENDAR, "batch"
    if last == "token":
        return CALENDAR, "token.refresh"
    if last == "revoke":
        return CALENDAR, "token.revoke"
    if "v1" in segments and any(s.startswith("places") for s in segments):
        return PLACES, _places_operation(method, segments[segments.index("v1") + 1 :])
    if "v3" in segments:
        return CALENDAR, _calendar_operation(method, segments[segments.index("v3") + 1 :])
    return CALENDAR, f"other.{method.lower()}"


def _calendar_operation(method: str, rest: list[str]) -> str:
    if rest[:1] == ["freeBusy"]:
        return "freebusy.query"
    resource = ""
    has_id = False
    action = ""
    skip = False
    for segment in rest:
        if skip:  # users/{me}
            skip = False
        elif segment == "users":
            skip = True
        elif segment in _COLLECTIONS:
            resource, has_id, action = segment, False, ""
        elif resource and segment in _ACTIONS:
            action = segment
        else:
            has_id = True
    if not resource:
        return f"other.{method.lower()}"
    if action:
        return f"{resource}.{action}"
    verb = (_BY_ID if has_id else _NO_ID).get(method, method.lower())
    return f"{resource}.{verb}"


def _places_operation(method: str, rest: list[str]) -> str:
    head = rest[0] if rest else ""
    if ":" in head:  # places:autocomplete, places:searchText
        action = head.partition(":")[2]
        if action in ("autocomplete", "searchText", "searchNearby"):
            return f"places.{action}"
        return "places.other"
    if head == "places":
        if len(rest) > 2 and rest[-1] == "media":
            return "places.photo"
        return "places.get" if len(rest) > 1 else f"places.{method.lower()}"
    return "places.other"


def _json_field(content: Any, *path: str) -> str:
    """A field of a JSON error body, or ""; only read for error answers."""
    try:
        data: Any = json.loads(content) if isinstance(content, bytes | str) else content
        for key in path:
            if isinstance(data, list):
                data = data[0] if data else None
            data = data.get(key) if isinstance(data, dict) else None
        return data if isinstance(data, str) else ""
    except (ValueError, TypeError, IndexError):
        return ""


def judge(status: int, content: Any = b"", operation: str = "") -> tuple[str, str | None]:
    """(outcome, error) of an answer with HTTP `status`."""
    if status < 400:
        return OK, None
    error = f"HTTP {status}"
    if operation.startswith("token."):
        # an OAuth error code (RFC 6749 5.2), e.g. invalid_grant: the sign-in is gone
        code = _json_field(content, "error")
        if code in OAUTH_ERRORS:
            error = f"{error} {code}"
            if code in OAUTH_REJECTED:
                return REJECTED, error
    if status == 403:
        reason = _json_field(content, "error", "errors", "reason")
        if reason in RATE_REASONS:
            return RETRY, f"{error} {reason}"
        return REJECTED, error
    if status == 401:
        return REJECTED, error
    if status in (408, 429) or status >= 500:
        return RETRY, error
    return FAILED, error


def judge_exception(exc: BaseException) -> tuple[str, str]:
    """(outcome, error) of a call that got no HTTP answer (or whose library raised)."""
    name = type(exc).__name__
    code = getattr(exc, "error", None)  # oauthlib's OAuth2Error
    if isinstance(code, str) and code in OAUTH_ERRORS:
        return (REJECTED if code in OAUTH_REJECTED else FAILED), f"{name} {code}"
    args: tuple[Any, ...] = getattr(exc, "args", ())
    if name == "RefreshError":  # google.auth: the token endpoint said no
        detail = args[1] if len(args) > 1 and isinstance(args[1], dict) else {}
        code = detail.get("error") if isinstance(detail, dict) else None
        if code in OAUTH_ERRORS:
            return (REJECTED if code in OAUTH_REJECTED else FAILED), f"{name} {code}"
        return (RETRY if getattr(exc, "retryable", False) else FAILED), name
    return RETRY, name


# -- the log -----------------------------------------------------------------------------------


class GoogleCallLog:
    """A thread-safe buffer of Google call records until `flush(db)` writes them.

    `clock` stamps each call's start (the calendar sync passes its pass's time, so the log
    agrees with the clock the health panel and the alerts read)."""

    def __init__(
        self, clock: Callable[[], datetime] | None = None, limit: int = BUFFER_LIMIT
    ) -> None:
        self.clock = clock or _utc_now
        self._records: deque[CallRecord] = deque(maxlen=limit)
        self._lock = threading.Lock()

    def add(
        self,
        service: str,
        operation: str,
        duration_ms: int,
        outcome: str,
        error: str | None = None,
        started_at: datetime | None = None,
    ) -> None:
        record = CallRecord(
            service, operation, started_at or self.clock(), duration_ms, outcome, error
        )
        with self._lock:
            self._records.append(record)

    def pending(self) -> int:
        """How many records wait to be written (not __len__: an empty log stays truthy)."""
        with self._lock:
            return len(self._records)

    def take(self) -> list[CallRecord]:
        with self._lock:
            records = list(self._records)
            self._records.clear()
        return records

    def flush(self, db: Any) -> int:
        """Write the buffered records in one transaction of their own (call it with none
        open on this thread); how many were written. A write that fails puts them back.
        `db`: an SQLAlchemy engine, or a services Context (its `write()` is used)."""
        records = self.take()
        if not records:
            return 0
        from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork

        write = getattr(db, "write", None)
        try:
            with write() if callable(write) else SqlUnitOfWork(db, write=True) as uow:
                uow.integration_log.record(records)
                uow.commit()
        except Exception as exc:
            log.warning("Google calls could not be logged yet (%s)", type(exc).__name__)
            with self._lock:
                self._records.extendleft(reversed(records))
            return 0
        return len(records)

    # -- recording ---------------------------------------------------------------------------

    def http(self, inner: Any) -> RecordingHttp:
        return RecordingHttp(inner, self)

    def session(self, inner: Any) -> RecordingSession:
        return RecordingSession(inner, self)

    def record_answer(
        self, service: str, operation: str, started: float, status: int, content: Any
    ) -> None:
        outcome, error = judge(status, content, operation)
        self.add(service, operation, _ms(started), outcome, error)

    def record_exception(
        self, service: str, operation: str, started: float, exc: BaseException
    ) -> None:
        outcome, error = judge_exception(exc)
        self.add(service, operation, _ms(started), outcome, error)

    @contextmanager
    def timed(self, service: str, operation: str) -> Iterator[None]:
        """One call a library makes out of our reach: ok when the block returns."""
        started = time.perf_counter()
        try:
            yield
        except BaseException as exc:
            self.record_exception(service, operation, started, exc)
            raise
        self.add(service, operation, _ms(started), OK)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


class RecordingHttp:
    """An httplib2.Http stand-in that records each request; everything else is the inner
    one's (AuthorizedHttp reads and sets its timeout, connections, redirect codes)."""

    def __init__(self, inner: Any, calls: GoogleCallLog) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_calls", calls)

    def request(
        self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
        *args: Any, **kwargs: Any,
    ) -> Any:  # fmt: skip
        service, operation = classify(method, uri)
        started = time.perf_counter()
        try:
            resp, content = self._inner.request(uri, method, body, headers, *args, **kwargs)
        except Exception as exc:
            self._calls.record_exception(service, operation, started, exc)
            raise
        self._calls.record_answer(service, operation, started, int(resp.status), content)
        return resp, content

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)


class RecordingSession:
    """A requests.Session stand-in whose `request` records each call."""

    def __init__(self, inner: Any, calls: GoogleCallLog) -> None:
        object.__setattr__(self, "_inner", inner)
        object.__setattr__(self, "_calls", calls)

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        service, operation = classify(method, url)
        started = time.perf_counter()
        try:
            resp = self._inner.request(method, url, *args, **kwargs)
        except Exception as exc:
            self._calls.record_exception(service, operation, started, exc)
            raise
        status = int(resp.status_code)
        self._calls.record_answer(
            service, operation, started, status, resp.content if status >= 400 else b""
        )
        return resp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._inner, name, value)

    def __enter__(self) -> RecordingSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.close()


# calls made where no sync is at hand (the address picker, sign-in, disconnect): the calendar
# sync writes them with its own at the end of each pass
DEFAULT = GoogleCallLog()


def flush_pending(db: Any) -> int:
    """Write the shared buffer's records (e.g. after a sign-in, or from the engine's pass)."""
    return DEFAULT.flush(db)
