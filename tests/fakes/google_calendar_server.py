"""A stateful local Google Calendar v3 server (events and freeBusy), on top of the local OAuth
server (token endpoint, calendar list), for the real google-api-python-client.

Events per calendar: insert / get / patch / update / delete / list. Every change takes the
next number of a global sequence, which is also the event's etag; `syncToken`s name the
sequence a list ended at, so an incremental list returns the events changed since (deleted
ones as `status: cancelled`). `expire_sync_tokens()` makes every token given so far answer
410. `If-Match` with another etag answers 412; an id in use (even by a deleted event) 409;
`conferenceData.createRequest` with `conferenceDataVersion=1` makes a Meet conference that is
`pending` until the event has been read `meet_after_gets` times, then `success`.

Each request is checked against the packaged discovery document of the client (method,
path, query parameters known to the method, required ones present, enum values, the body's
fields known to the schema, start and end on insert); a request that breaks it answers 400 and
is kept in `violations`. Access tokens must be ones the token endpoint issued (401 otherwise).
Faults: `fail_next(status, ...)` from FakeVendor, `rate_limit_next()` for 403
rateLimitExceeded, `expire_refresh_tokens()` for invalid_grant.
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesParser
from functools import cache
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import googleapiclient

from tests.fakes.google_oauth_server import FakeGoogleOAuth, _header
from tests.fakes.server import Request, Response
from tests.fakes.specs import Violation

BASE = "/calendar/v3/"


@cache
def discovery() -> dict[str, Any]:
    path = Path(googleapiclient.__file__).parent / "discovery_cache/documents/calendar.v3.json"
    return dict(json.loads(path.read_text("utf-8")))


@dataclass(frozen=True)
class _Method:
    name: str
    http: str
    pattern: re.Pattern[str]
    spec: dict[str, Any]


@cache
def _methods() -> tuple[_Method, ...]:
    doc = discovery()
    out = []
    for resource in ("events", "freebusy", "calendarList"):
        for name, spec in doc["resources"][resource]["methods"].items():
            regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(spec["path"]))
            out.append(
                _Method(f"{resource}.{name}", spec["httpMethod"], re.compile(regex + "$"), spec)
            )
    return tuple(out)


def _ts(seq: int) -> str:
    return datetime.fromtimestamp(1_780_000_000 + seq, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _instant(part: dict[str, Any]) -> datetime | None:
    if part.get("dateTime"):
        return datetime.fromisoformat(str(part["dateTime"]).replace("Z", "+00:00"))
    if part.get("date"):
        return datetime.fromisoformat(str(part["date"]) + "T00:00:00+00:00")
    return None


class FakeGoogleCalendar(FakeGoogleOAuth):
    name = "Google Calendar"

    def __init__(self) -> None:
        super().__init__()
        self.events: dict[str, dict[str, dict[str, Any]]] = {}
        self.seq = 0
        self.min_sync_seq = 0
        self.meet_after_gets = 2
        self._gets: dict[tuple[str, str], int] = {}
        self.default_page_size = 250
        self.page_limit = 2500  # the most a page holds, whatever maxResults says
        self.calls: dict[str, int] = {}
        # (method name, function) run once before the next such request, outside the lock
        self.hooks: list[tuple[str, Any]] = []

    # -- for tests -----------------------------------------------------------------------------

    def refresh_token(self) -> str:
        """A refresh token the token endpoint accepts, as if a provider had signed in."""
        with self.lock:
            token = self._new("refresh")
            self.state.refresh_tokens.add(token)
            return token

    def _next(self) -> int:
        self.seq += 1
        return self.seq

    def _stamp(self, event: dict[str, Any]) -> None:
        seq = self._next()
        event["etag"] = f'"{seq}"'
        event["updated"] = _ts(seq)
        event["_seq"] = seq

    def calendar(self, calendar_id: str) -> dict[str, dict[str, Any]]:
        return self.events.setdefault(calendar_id, {})

    def live(self, calendar_id: str) -> list[dict[str, Any]]:
        with self.lock:
            return [
                self._public(e)
                for e in self.calendar(calendar_id).values()
                if e.get("status") != "cancelled"
            ]

    def outside_insert(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Someone adds an event in Google (not through the desk)."""
        with self.lock:
            event = copy.deepcopy(event)
            event.setdefault("id", f"outside{self.seq + 1:05d}x")
            event.setdefault("status", "confirmed")
            event.setdefault("kind", "calendar#event")
            event["_cal"] = calendar_id
            self._stamp(event)
            self.calendar(calendar_id)[event["id"]] = event
            return self._public(event)

    def outside_patch(self, calendar_id: str, event_id: str, changes: dict[str, Any]) -> None:
        with self.lock:
            event = self.calendar(calendar_id)[event_id]
            event.update(copy.deepcopy(changes))
            self._stamp(event)

    def outside_delete(self, calendar_id: str, event_id: str) -> None:
        with self.lock:
            event = self.calendar(calendar_id)[event_id]
            event["status"] = "cancelled"
            self._stamp(event)

    def wipe(self, calendar_id: str) -> None:
        """The calendar loses every event for good (another calendar, a clean-up gone wrong);
        sync tokens expire so the next list is in full."""
        with self.lock:
            self.calendar(calendar_id).clear()
            self.expire_sync_tokens()

    def expire_sync_tokens(self) -> None:
        with self.lock:
            self.min_sync_seq = self.seq + 1

    def rate_limit_next(self, times: int = 1) -> None:
        self.fail_next(
            403,
            times=times,
            body={
                "error": {
                    "code": 403,
                    "message": "Rate Limit Exceeded",
                    "errors": [
                        {
                            "domain": "usageLimits",
                            "reason": "rateLimitExceeded",
                            "message": "Rate Limit Exceeded",
                        }
                    ],
                }
            },
        )

    def count(self, name: str) -> int:
        with self.lock:
            return self.calls.get(name, 0)

    def before_next(self, method_name: str, fn: Any) -> None:
        """Run `fn(fake)` just before the next `method_name` request (e.g. "events.patch") is
        answered: what someone else did in Google meanwhile."""
        with self.lock:
            self.hooks.append((method_name, fn))

    def handle(self, request: Request) -> Any:
        found = self._find(request)
        if found is not None:
            fn = None
            with self.lock:
                for i, (name, hook) in enumerate(self.hooks):
                    if name == found[0].name:
                        fn = hook
                        del self.hooks[i]
                        break
            if fn is not None:
                fn(self)
        return super().handle(request)

    # -- checks against the discovery document -------------------------------------------------

    def _find(self, request: Request) -> tuple[_Method, dict[str, str]] | None:
        if not request.path.startswith(BASE):
            return None
        rest = request.path[len(BASE) :]
        for m in _methods():
            if m.http != request.method:
                continue
            found = m.pattern.match(rest)
            if found:
                return m, {k: unquote(v) for k, v in found.groupdict().items()}
        return None

    def _spec_problems(self, request: Request) -> list[str]:
        if not request.path.startswith(BASE):
            return []  # the OAuth endpoints
        found = self._find(request)
        if found is None:
            return [f"{request.method} {request.path}: no such method in calendar v3"]
        method, _ = found
        doc = discovery()
        known = {**doc["parameters"], **method.spec.get("parameters", {})}
        problems = []
        for name, values in request.params.items():
            param = known.get(name)
            if param is None:
                problems.append(f"unknown parameter {name}")
                continue
            if param.get("location") == "path":
                problems.append(f"path parameter {name} in the query")
            for value in values:
                if "enum" in param and value not in param["enum"]:
                    problems.append(f"{name}={value} is not one of {param['enum']}")
                if param.get("type") == "integer" and not value.lstrip("-").isdigit():
                    problems.append(f"{name} must be an integer")
                if param.get("type") == "boolean" and value not in ("true", "false"):
                    problems.append(f"{name} must be true or false")
        for name, param in method.spec.get("parameters", {}).items():
            required = param.get("required") and param.get("location") == "query"
            if required and name not in request.params:
                problems.append(f"required parameter {name} missing")
        ref = (method.spec.get("request") or {}).get("$ref")
        if ref:
            try:
                body = json.loads(request.body or b"null")
            except ValueError:
                return [*problems, "the body is not JSON"]
            if not isinstance(body, dict):
                return [*problems, "the body must be an object"]
            props = doc["schemas"][ref]["properties"]
            problems += [f"unknown field {k} in {ref}" for k in body if k not in props]
            if method.name == "events.insert":
                problems += [f"{k} is required" for k in ("start", "end") if k not in body]
            if "conferenceData" in body and "createRequest" in body["conferenceData"]:
                req = body["conferenceData"]["createRequest"]
                if not req.get("requestId"):
                    problems.append("conferenceData.createRequest.requestId is required")
        else:
            if request.body:
                problems.append("this method takes no body")
        if "syncToken" in request.params:
            clash = {"timeMin", "timeMax", "orderBy", "q", "updatedMin", "iCalUID"}
            clash &= set(request.params)
            problems += [f"{p} cannot be used with syncToken" for p in sorted(clash)]
        return problems

    # -- routes --------------------------------------------------------------------------------

    def error_body(self, status: int, message: str) -> Any:
        return {"error": {"code": status, "message": message, "errors": [{"message": message}]}}

    def _error(self, status: int, message: str, reason: str = "") -> Response:
        body = {"error": {"code": status, "message": message, "errors": []}}
        if reason:
            body["error"]["errors"] = [{"domain": "global", "reason": reason, "message": message}]
        return Response(status, body)

    def _batch(self, request: Request) -> Response:
        """multipart/mixed: each part an HTTP request, answered through the same checks and
        routes as on its own; the answer's parts name the parts asked (Content-ID)."""
        ctype = _header(request, "Content-Type")
        if not ctype.startswith("multipart/mixed"):
            return self._error(400, "a batch is multipart/mixed")
        message = BytesParser().parsebytes(
            b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + request.body
        )
        parts = message.get_payload()
        if not isinstance(parts, list) or not 0 < len(parts) <= 50:
            return self._error(400, "a batch holds 1 to 50 requests")
        self.calls["batch"] = self.calls.get("batch", 0) + 1
        boundary = "batch_fake_answer"
        out: list[bytes] = []
        for part in parts:
            raw = part.get_payload(decode=False)
            head, _, body = raw.replace("\r\n", "\n").partition("\n\n")
            line, *header_lines = head.split("\n")
            method, target, _version = line.split(" ", 2)
            headers = dict(h.split(": ", 1) for h in header_lines if h)
            path, _, query = target.partition("?")
            sub = Request(method, path, query, headers, body.encode())
            answer = self.handle(sub)
            assert isinstance(answer, Response), "no hanging inside a batch"
            payload = b"" if answer.body is None else json.dumps(answer.body).encode()
            reason = HTTPStatus(answer.status).phrase
            out.append(
                f"--{boundary}\r\nContent-Type: application/http\r\n"
                f"Content-ID: <response-{part['Content-ID'][1:-1]}>\r\n\r\n"
                f"HTTP/1.1 {answer.status} {reason}\r\n"
                f"Content-Type: application/json; charset=UTF-8\r\n"
                f"Content-Length: {len(payload)}\r\n\r\n".encode()
                + payload
                + b"\r\n"
            )
        out.append(f"--{boundary}--\r\n".encode())
        return Response(
            200, b"".join(out), {"Content-Type": f"multipart/mixed; boundary={boundary}"}
        )

    def route(self, request: Request) -> Response:
        if request.method == "POST" and request.path == "/batch/calendar/v3":
            return self._batch(request)
        if not request.path.startswith(BASE) or request.path.endswith("/calendarList"):
            return super().route(request)
        auth = _header(request, "Authorization")
        if not auth.startswith("Bearer ") or auth[7:] not in self.state.access_tokens:
            return self._error(401, "Invalid Credentials", "authError")
        found = self._find(request)
        assert found is not None
        method, args = found
        self.calls[method.name] = self.calls.get(method.name, 0) + 1
        handler = getattr(self, "_" + method.name.replace(".", "_"), None)
        if handler is None:
            return self._error(501, f"{method.name} is not in the fake")
        result: Response = handler(request, **args)
        return result

    def _public(self, event: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in event.items() if not k.startswith("_")}

    def _if_match(self, request: Request, event: dict[str, Any]) -> Response | None:
        wanted = _header(request, "If-Match")
        if wanted and wanted != event["etag"]:
            return self._error(412, "Precondition Failed", "conditionNotMet")
        return None

    def _conference(self, request: Request, event: dict[str, Any], body: dict[str, Any]) -> None:
        data = body.get("conferenceData")
        if data is None:
            return
        if request.params.get("conferenceDataVersion") != ["1"]:
            event.pop("conferenceData", None)  # ignored without conferenceDataVersion=1
            return
        if "createRequest" in data:
            event["conferenceData"] = {
                "createRequest": {
                    **data["createRequest"],
                    "status": {"statusCode": "pending"},
                },
                "conferenceSolution": {
                    "key": {"type": "hangoutsMeet"},
                    "name": "Google Meet",
                },
            }
            self._gets[(event["_cal"], event["id"])] = 0
        else:
            event["conferenceData"] = copy.deepcopy(data)
            link = next(
                (
                    p.get("uri")
                    for p in data.get("entryPoints", [])
                    if p.get("entryPointType") == "video"
                ),
                None,
            )
            if link:
                event["hangoutLink"] = link

    def _events_insert(self, request: Request, calendarId: str) -> Response:
        body = request.json
        cal = self.calendar(calendarId)
        event_id = body.get("id") or f"gen{self.seq + 1:06d}x"
        if not re.fullmatch(r"[a-v0-9]{5,1024}", event_id):
            return self._error(400, "Invalid resource id value.", "invalid")
        if event_id in cal:
            return self._error(409, "The requested identifier already exists.", "duplicate")
        event = {k: v for k, v in body.items() if k != "conferenceData"}
        event.update(id=event_id, kind="calendar#event", _cal=calendarId)
        event.setdefault("status", "confirmed")
        self._conference(request, event, body)
        self._stamp(event)
        cal[event_id] = event
        return Response(200, self._public(event))

    def _event(self, calendar_id: str, event_id: str) -> dict[str, Any] | None:
        return self.calendar(calendar_id).get(event_id)

    def _events_get(self, request: Request, calendarId: str, eventId: str) -> Response:
        event = self._event(calendarId, eventId)
        if event is None:
            return self._error(404, "Not Found", "notFound")
        key = (calendarId, eventId)
        if key in self._gets:
            self._gets[key] += 1
            if self._gets[key] >= self.meet_after_gets:
                del self._gets[key]
                code = event["conferenceData"]["createRequest"]["requestId"]
                link = f"https://meet.google.example.org/{code[-12:]}"
                event["conferenceData"]["createRequest"]["status"] = {"statusCode": "success"}
                event["conferenceData"]["conferenceId"] = code[-12:]
                event["conferenceData"]["entryPoints"] = [
                    {"entryPointType": "video", "uri": link, "label": link}
                ]
                event["hangoutLink"] = link
                self._stamp(event)
        return Response(200, self._public(event))

    def _write(self, request: Request, calendarId: str, eventId: str, replace: bool) -> Response:
        event = self._event(calendarId, eventId)
        if event is None:
            return self._error(404, "Not Found", "notFound")
        refused = self._if_match(request, event)
        if refused is not None:
            return refused
        body = request.json
        keep = {k: event[k] for k in ("id", "kind", "_cal", "etag", "updated", "_seq")}
        if replace:
            event.clear()
            event.update(keep)
            event.setdefault("status", "confirmed")
        for key, value in body.items():
            if key in ("id", "conferenceData"):
                continue
            if key == "extendedProperties" and not replace:
                merged = event.setdefault("extendedProperties", {})
                for scope, values in value.items():
                    merged.setdefault(scope, {}).update(values)
            else:
                event[key] = copy.deepcopy(value)
        self._conference(request, event, body)
        self._stamp(event)
        return Response(200, self._public(event))

    def _events_patch(self, request: Request, calendarId: str, eventId: str) -> Response:
        return self._write(request, calendarId, eventId, replace=False)

    def _events_update(self, request: Request, calendarId: str, eventId: str) -> Response:
        return self._write(request, calendarId, eventId, replace=True)

    def _events_delete(self, request: Request, calendarId: str, eventId: str) -> Response:
        event = self._event(calendarId, eventId)
        if event is None:
            return self._error(404, "Not Found", "notFound")
        if event.get("status") == "cancelled":
            return self._error(410, "Resource has been deleted", "deleted")
        refused = self._if_match(request, event)
        if refused is not None:
            return refused
        event["status"] = "cancelled"
        self._stamp(event)
        return Response(204)

    def _events_list(self, request: Request, calendarId: str) -> Response:
        params = {k: v[0] for k, v in request.params.items()}
        page_size = min(int(params.get("maxResults", self.default_page_size)), self.page_limit)
        after = 0
        if "pageToken" in params:
            since, upto, after = (int(x) for x in params["pageToken"].split("-"))
        else:
            since = 0
            if "syncToken" in params:
                token = params["syncToken"]
                if not token.startswith("sync") or int(token[4:]) < self.min_sync_seq:
                    return self._error(410, "Sync token is no longer valid.", "fullSyncRequired")
                since = int(token[4:])
            upto = self.seq
        show_deleted = params.get("showDeleted") == "true" or "syncToken" in params
        # in the order of change, from where the last page stopped (a page never skips an
        # event because another one changed meanwhile: that one is in the next sync)
        chosen = sorted(
            (
                e
                for e in self.calendar(calendarId).values()
                if max(since, after) < e["_seq"] <= upto
            ),
            key=lambda e: e["_seq"],
        )
        if not show_deleted:
            chosen = [e for e in chosen if e.get("status") != "cancelled"]
        page = chosen[:page_size]
        body: dict[str, Any] = {
            "kind": "calendar#events",
            "etag": f'"l{upto}"',
            "summary": calendarId,
            "updated": _ts(upto),
            "timeZone": "Europe/London",
            "accessRole": "owner",
            "items": [self._public(e) for e in page],
        }
        if len(chosen) > page_size:
            body["nextPageToken"] = f"{since}-{upto}-{page[-1]['_seq']}"
        else:
            body["nextSyncToken"] = f"sync{upto}"
        return Response(200, body)

    def _freebusy_query(self, request: Request) -> Response:
        body = request.json
        lo = datetime.fromisoformat(body["timeMin"].replace("Z", "+00:00"))
        hi = datetime.fromisoformat(body["timeMax"].replace("Z", "+00:00"))
        calendars: dict[str, Any] = {}
        for item in body.get("items", []):
            busy = []
            for e in self.calendar(item["id"]).values():
                if e.get("status") == "cancelled" or e.get("transparency") == "transparent":
                    continue
                start, end = _instant(e.get("start", {})), _instant(e.get("end", {}))
                if start and end and start < hi and end > lo:
                    busy.append({"start": start.isoformat(), "end": end.isoformat()})
            calendars[item["id"]] = {"busy": busy}
        return Response(
            200,
            {
                "kind": "calendar#freeBusy",
                "timeMin": body["timeMin"],
                "timeMax": body["timeMax"],
                "calendars": calendars,
            },
        )


__all__ = ["FakeGoogleCalendar", "Violation", "discovery"]
