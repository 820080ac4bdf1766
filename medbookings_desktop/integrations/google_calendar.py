"""Google Calendar v3 events for the reconciler: the real googleapiclient client, built from its
packaged discovery document and pointed at the configured endpoint, with a timeout.

`CalendarApi(config, credentials)` wraps the five event calls the sync uses (insert, get,
patch, delete, list) and turns Google's answers into a few exceptions the planner can act on:

- `NeedsReconnect` (google_auth): 401 after a refresh, `invalid_grant` on refresh: sign in again;
- `RateLimited`: 429 or 403 rateLimitExceeded / userRateLimitExceeded, retried here with
  exponential backoff first (`sleep` is injectable), raised when that was not enough;
- `Gone` (410): the sync token is no longer valid (list) or the event is gone (delete);
- `PreconditionFailed` (412): the event changed since our etag: re-read and re-plan;
- `Duplicate` (409): an event with that id exists already (an earlier try did get through);
- `NotFound` (404);
- `CalendarError`: anything else (5xx after retries, the network), retried on a later pass.

Endpoints (DESIGN invariant 8) come from `GoogleConfig` (MEDBOOKINGS_GOOGLE_API_URL,
MEDBOOKINGS_GOOGLE_OAUTH_TOKEN_URL or the desk's settings).
No event contents are logged.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

from medbookings_desktop.integrations.google_auth import GoogleConfig, NeedsReconnect
from medbookings_desktop.integrations.google_call_log import CALENDAR as CALENDAR_SERVICE
from medbookings_desktop.integrations.google_call_log import DEFAULT as DEFAULT_CALLS
from medbookings_desktop.integrations.google_call_log import GoogleCallLog

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 20.0
RETRY_DELAYS_S = (1.0, 2.0, 4.0, 8.0)
PAGE_SIZE = 250
RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded"})


class CalendarError(Exception):
    """A calendar call failed; `message` is meant for a person (no event contents)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


class RateLimited(CalendarError):
    pass


class Gone(CalendarError):
    pass


class PreconditionFailed(CalendarError):
    pass


class Duplicate(CalendarError):
    pass


class NotFound(CalendarError):
    pass


@dataclass(frozen=True, slots=True)
class Page:
    items: list[dict[str, Any]]
    next_sync_token: str | None


def authorized_http(credentials: Any, timeout: float, calls: GoogleCallLog | None = None) -> Any:
    """google_auth_httplib2's AuthorizedHttp over an httplib2.Http with a timeout, every
    request it sends (the calls and the token refreshes) recorded in `calls`."""
    import google_auth_httplib2  # type: ignore[import-untyped]
    import httplib2  # type: ignore[import-untyped]

    log = calls if calls is not None else DEFAULT_CALLS
    inner = log.http(httplib2.Http(timeout=timeout))
    return google_auth_httplib2.AuthorizedHttp(credentials, http=inner)


def build_service(
    config: GoogleConfig,
    credentials: Any,
    timeout: float,
    *,
    calls: GoogleCallLog | None = None,
    http: Any = None,
) -> Any:
    """googleapiclient's Calendar v3 service from the packaged document, at the configured
    endpoint (client_options' api_endpoint replaces rootUrl + servicePath), with a timeout;
    its calls recorded in `calls` (the shared log when None)."""
    from googleapiclient.discovery import build  # type: ignore[import-untyped]

    if http is None:
        http = authorized_http(credentials, timeout, calls)
    return build(
        "calendar",
        "v3",
        http=http,
        static_discovery=True,
        cache_discovery=False,
        client_options={"api_endpoint": config.calendar_endpoint},
    )


def _is_invalid_grant(exc: BaseException) -> bool:
    args: tuple[Any, ...] = exc.args
    if len(args) > 1 and isinstance(args[1], dict):
        return args[1].get("error") == "invalid_grant"
    return "invalid_grant" in str(exc)


def _reason(exc: Any) -> str:
    try:
        details = exc.error_details
        if isinstance(details, list) and details and isinstance(details[0], dict):
            return str(details[0].get("reason") or "")
    except Exception:
        pass
    return ""


def batch_url(config: GoogleConfig) -> str:
    """Where batches go: the client takes its batch address from the document's rootUrl, not
    from api_endpoint, so the configured base is joined here."""
    return urljoin(config.api_url.rstrip("/") + "/", "batch/calendar/v3")


BATCH_LIMIT = 50


def list_changes(
    polls: list[tuple[int, CalendarApi, str, str]], url: str
) -> dict[int, dict[str, Any] | None]:
    """The first page of an incremental list for many calendars, in batched requests (50 a
    request), each part with its own provider's credentials. By key: the answer, or None when
    that part failed (the caller then syncs that calendar on its own, which maps the error)."""
    from googleapiclient.http import BatchHttpRequest  # type: ignore[import-untyped]

    out: dict[int, dict[str, Any] | None] = {}
    logs = {key: api.call_log for key, api, _, _ in polls}

    def store(request_id: str, response: Any, exception: Any) -> None:
        out[int(request_id)] = None if exception is not None else dict(response)
        resp = getattr(exception, "resp", None)
        if resp is not None:  # a part Google answered with an error: logged on its own
            logs[int(request_id)].record_answer(
                CALENDAR_SERVICE,
                "batch.events.list",
                time.perf_counter(),
                int(resp.status),
                getattr(exception, "content", b""),
            )

    for first in range(0, len(polls), BATCH_LIMIT):
        chunk = polls[first : first + BATCH_LIMIT]
        batch = BatchHttpRequest(callback=store, batch_uri=url)
        for key, api, calendar_id, token in chunk:
            # a batch refreshes stale tokens over an Http of its own (unlogged, no timeout):
            # refresh them here first, through the api's own
            api.refresh_if_needed()
            request = api.service.events().list(
                calendarId=calendar_id,
                syncToken=token,
                singleEvents=True,
                showDeleted=True,
                maxResults=PAGE_SIZE,
            )
            batch.add(request, request_id=str(key))
        chunk[0][1]._execute(batch)
    return out


class CalendarApi:
    def __init__(
        self,
        config: GoogleConfig,
        credentials: Any,
        *,
        timeout: float = DEFAULT_TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
        retry_delays: tuple[float, ...] = RETRY_DELAYS_S,
        service: Any = None,
        calls: GoogleCallLog | None = None,
    ) -> None:
        self.config = config
        self.sleep = sleep
        self.retry_delays = retry_delays
        self.credentials = credentials
        self.call_log = calls if calls is not None else DEFAULT_CALLS
        self._http: Any = None
        if service is None:
            self._http = authorized_http(credentials, timeout, self.call_log)
            service = build_service(config, credentials, timeout, http=self._http)
        self.service = service
        self.calls = 0

    def refresh_if_needed(self) -> None:
        """Get a fresh access token now when the one held has expired (or there is none),
        through this api's recorded Http; errors as `_execute` maps them."""
        creds = self.credentials
        if self._http is None or creds is None or getattr(creds, "valid", True):
            return
        import google.auth.exceptions
        import google_auth_httplib2

        try:
            creds.refresh(google_auth_httplib2.Request(self._http.http))
        except google.auth.exceptions.RefreshError as exc:
            if _is_invalid_grant(exc):
                raise NeedsReconnect(
                    "Google no longer accepts this provider's sign-in (expired or "
                    "revoked). Reconnect the account."
                ) from None
            raise CalendarError("Google refused to refresh the sign-in.") from None
        except (google.auth.exceptions.TransportError, OSError):
            raise CalendarError("Could not reach Google.") from None

    def close(self) -> None:
        self.service.close()

    # -- the call, its retries and error mapping -----------------------------------------------

    def _execute(self, request: Any, *, if_match: str | None = None) -> Any:
        import google.auth.exceptions
        import httplib2
        from googleapiclient.errors import HttpError  # type: ignore[import-untyped]

        if if_match:
            request.headers["If-Match"] = if_match
        attempt = 0
        while True:
            self.calls += 1
            try:
                return request.execute()
            except google.auth.exceptions.RefreshError as exc:
                if _is_invalid_grant(exc):
                    raise NeedsReconnect(
                        "Google no longer accepts this provider's sign-in (expired or "
                        "revoked). Reconnect the account."
                    ) from None
                raise CalendarError("Google refused to refresh the sign-in.") from None
            except google.auth.exceptions.TransportError:
                error: CalendarError = CalendarError("Could not reach Google.")
            except (OSError, httplib2.HttpLib2Error) as exc:
                error = CalendarError(f"Could not reach Google ({type(exc).__name__}).")
            except HttpError as exc:
                status = int(exc.resp.status)
                reason = _reason(exc)
                if status == 401:
                    raise NeedsReconnect(
                        "Google no longer accepts this provider's sign-in. Reconnect the account."
                    ) from None
                if status == 429 or (status == 403 and reason in RATE_REASONS):
                    error = RateLimited(f"Google asked to slow down (HTTP {status}).", status)
                elif status == 410:
                    raise Gone("Google says this is gone (HTTP 410).", status) from None
                elif status == 412:
                    raise PreconditionFailed(
                        "The event changed in Google since it was last read (HTTP 412).", status
                    ) from None
                elif status == 409:
                    raise Duplicate(
                        "The event exists in Google already (HTTP 409).", status
                    ) from None
                elif status == 404:
                    raise NotFound("Google has no such event (HTTP 404).", status) from None
                elif status >= 500:
                    error = CalendarError(f"Google had a problem (HTTP {status}).", status)
                else:
                    raise CalendarError(
                        f"Google refused the calendar call (HTTP {status}"
                        f"{', ' + reason if reason else ''}).",
                        status,
                    ) from None
            if attempt >= len(self.retry_delays):
                raise error
            self.sleep(self.retry_delays[attempt])
            attempt += 1

    # -- events --------------------------------------------------------------------------------

    def insert(self, calendar_id: str, body: dict[str, Any], *, conference: bool) -> Any:
        kwargs: dict[str, Any] = {"calendarId": calendar_id, "body": body, "sendUpdates": "none"}
        if conference:
            kwargs["conferenceDataVersion"] = 1
        return self._execute(self.service.events().insert(**kwargs))

    def get(self, calendar_id: str, event_id: str) -> Any:
        return self._execute(self.service.events().get(calendarId=calendar_id, eventId=event_id))

    def patch(
        self,
        calendar_id: str,
        event_id: str,
        body: dict[str, Any],
        *,
        etag: str | None,
        conference: bool,
    ) -> Any:
        kwargs: dict[str, Any] = {
            "calendarId": calendar_id,
            "eventId": event_id,
            "body": body,
            "sendUpdates": "none",
        }
        if conference:
            kwargs["conferenceDataVersion"] = 1
        return self._execute(self.service.events().patch(**kwargs), if_match=etag)

    def delete(self, calendar_id: str, event_id: str, *, etag: str | None) -> None:
        request = self.service.events().delete(
            calendarId=calendar_id, eventId=event_id, sendUpdates="none"
        )
        self._execute(request, if_match=etag)

    def pages(self, calendar_id: str, sync_token: str | None) -> Iterator[Page]:
        """Every page of a list: incremental with `sync_token`, else in full (deleted events
        included either way, single events always). Gone when the token is stale."""
        page_token: str | None = None
        while True:
            kwargs: dict[str, Any] = {
                "calendarId": calendar_id,
                "singleEvents": True,
                "showDeleted": True,
                "maxResults": PAGE_SIZE,
            }
            if sync_token:
                kwargs["syncToken"] = sync_token
            if page_token:
                kwargs["pageToken"] = page_token
            resp = self._execute(self.service.events().list(**kwargs))
            page_token = resp.get("nextPageToken")
            yield Page(
                list(resp.get("items", [])), None if page_token else resp.get("nextSyncToken")
            )
            if not page_token:
                return
