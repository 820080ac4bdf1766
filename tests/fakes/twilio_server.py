"""A local Twilio for tests: Messages (create, list, fetch) under
/2010-04-01/Accounts/{AccountSid}/ and the Content API (/v1/Content), checked against Twilio's own
descriptions, with Basic authentication by account SID and auth token.

State: every message has a SID and a status. An outbound message starts `queued` and moves on
one step each time it is fetched (or when a test calls `advance`): queued -> sent -> delivered,
and -> read on WhatsApp. A test can make a message end `undelivered`/`failed` instead
(`will_fail`), and inject a patient's reply (`inject_reply`), which the Messages list returns
as an inbound message to our number.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlencode

from tests.fakes.server import FakeVendor, Request, Response

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "fake-auth-token-0123456789abcdef"
API_BASE = "https://api.twilio.com"
CONTENT_BASE = "https://content.twilio.com"

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_SENDER_ID = re.compile(r"^[A-Za-z0-9 ]{1,11}$")  # alphanumeric sender ID (UK and others)
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")
_MESSAGE = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages/([A-Z]{2}\w+)\.json$")
_CONTENTS = re.compile(r"^/v1/Content$")
_CONTENT = re.compile(r"^/v1/Content/(HX[0-9a-fA-F]{32})$")

OUTBOUND_STEPS = {
    "sms": ("queued", "sent", "delivered"),
    "whatsapp": ("queued", "sent", "delivered", "read"),
}
FINAL = {"delivered", "read", "failed", "undelivered", "received"}


def _rfc2822(when: datetime | None) -> str | None:
    return format_datetime(when.astimezone(UTC), usegmt=True) if when else None


@dataclass
class FakeMessage:
    sid: str
    account_sid: str
    to: str
    from_: str
    body: str
    direction: str  # outbound-api | inbound
    status: str
    date_created: datetime
    date_sent: datetime | None
    content_sid: str | None = None
    content_variables: dict[str, str] = field(default_factory=dict)
    media_urls: list[str] = field(default_factory=list)
    end_status: str | None = None  # a planned failure: "undelivered" or "failed"
    fetches: int = 0

    @property
    def channel(self) -> str:
        return "whatsapp" if self.to.startswith("whatsapp:") else "sms"

    def resource(self) -> dict[str, Any]:
        uri = f"/2010-04-01/Accounts/{self.account_sid}/Messages/{self.sid}.json"
        failed = self.status in ("failed", "undelivered")
        return {
            "account_sid": self.account_sid,
            "api_version": "2010-04-01",
            "body": self.body,
            "date_created": _rfc2822(self.date_created),
            "date_sent": _rfc2822(self.date_sent),
            "date_updated": _rfc2822(self.date_sent or self.date_created),
            "direction": self.direction,
            "error_code": 30003 if failed else None,
            "error_message": "Unreachable destination handset" if failed else None,
            "from": self.from_,
            "messaging_service_sid": None,
            "num_media": str(len(self.media_urls)),
            "num_segments": "1",
            "price": None,
            "price_unit": "USD",
            "sid": self.sid,
            "status": self.status,
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": self.to,
            "uri": uri,
        }


@dataclass
class FakeContent:
    sid: str
    friendly_name: str
    body: str  # twilio/text body with {{1}}-style variables
    language: str = "en"
    variables: dict[str, str] = field(default_factory=dict)

    def resource(self, account_sid: str) -> dict[str, Any]:
        url = f"{CONTENT_BASE}/v1/Content/{self.sid}"
        return {
            "sid": self.sid,
            "account_sid": account_sid,
            "friendly_name": self.friendly_name,
            "language": self.language,
            "variables": self.variables,
            "types": {"twilio/text": {"body": self.body}},
            "url": url,
            "date_created": "2026-01-05T09:00:00Z",
            "date_updated": "2026-01-05T09:00:00Z",
            "links": {
                "approval_create": f"{url}/ApprovalRequests/whatsapp",
                "approval_fetch": f"{url}/ApprovalRequests",
            },
        }

    def render(self, values: dict[str, str]) -> str:
        merged = {**self.variables, **values}
        return re.sub(r"{{\s*(\w+)\s*}}", lambda m: str(merged.get(m.group(1), "")), self.body)


def _sid(prefix: str, n: int) -> str:
    return f"{prefix}{n:032x}"


class FakeTwilio(FakeVendor):
    specs = ("twilio_api_v2010.json", "twilio_content_v1.json")
    name = "Twilio"

    def __init__(
        self,
        account_sid: str = ACCOUNT_SID,
        auth_token: str = AUTH_TOKEN,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.clock = clock or (lambda: datetime.now(UTC))
        self.messages: dict[str, FakeMessage] = {}
        self.contents: dict[str, FakeContent] = {}
        self._ids = itertools.count(1)
        self.page_size_default = 50
        self._planned_failures: dict[str, str] = {}

    # -- what tests set up and look at ---------------------------------------------------------

    def add_content(
        self, friendly_name: str, body: str, variables: dict[str, str] | None = None
    ) -> str:
        with self.lock:
            sid = _sid("HX", next(self._ids))
            self.contents[sid] = FakeContent(sid, friendly_name, body, variables=variables or {})
            return sid

    @property
    def sent(self) -> list[FakeMessage]:
        """Outbound messages in the order they were created."""
        with self.lock:
            return [m for m in self.messages.values() if m.direction == "outbound-api"]

    def advance(self, sid: str | None = None, steps: int = 1) -> None:
        """Move one message (or every outbound one) on by `steps` statuses."""
        with self.lock:
            targets = [self.messages[sid]] if sid else self.sent
            for m in targets:
                for _ in range(steps):
                    self._step(m)

    def will_fail(self, to: str, status: str = "undelivered") -> None:
        """The next message to this address ends `undelivered` (or `failed`) after `sent`."""
        with self.lock:
            self._planned_failures[to] = status

    def inject_reply(
        self, from_: str, body: str, *, to: str, when: datetime | None = None
    ) -> FakeMessage:
        """A patient's reply arriving at our number `to` (use whatsapp: addresses for WhatsApp)."""
        with self.lock:
            now = when or self.clock()
            sid = _sid("SM", next(self._ids))
            m = FakeMessage(sid, self.account_sid, to, from_, body, "inbound", "received", now, now)
            self.messages[sid] = m
            return m

    # -- routing -------------------------------------------------------------------------------

    def error_body(self, status: int, message: str) -> Any:
        code = {401: 20003, 404: 20404, 429: 20429, 400: 21200}.get(status, 20500)
        return {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }

    def _error(self, status: int, code: int, message: str) -> Response:
        return Response(
            status,
            {
                "code": code,
                "message": message,
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )

    def _authorised(self, request: Request) -> bool:
        auth = request.headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        try:
            user, _, password = base64.b64decode(auth[6:]).decode("utf-8").partition(":")
        except ValueError:
            return False
        return user == self.account_sid and password == self.auth_token

    def route(self, request: Request) -> Response:
        if not self._authorised(request):
            return self._error(401, 20003, "Authenticate")
        m = _MESSAGES.match(request.path)
        if m and m.group(1) != self.account_sid:
            return self._error(404, 20404, "The requested resource was not found")
        if m and request.method == "POST":
            return self._create(request)
        if m and request.method == "GET":
            return self._list(request)
        m = _MESSAGE.match(request.path)
        if m and request.method == "GET":
            message = self.messages.get(m.group(2))
            if message is None or m.group(1) != self.account_sid:
                return self._error(404, 20404, "The requested resource was not found")
            if message.direction == "outbound-api":
                message.fetches += 1
                self._step(message)
            return Response(200, message.resource())
        if _CONTENTS.match(request.path) and request.method == "GET":
            return self._contents(request)
        m = _CONTENT.match(request.path)
        if m and request.method == "GET":
            content = self.contents.get(m.group(1))
            if content is None:
                return self._error(404, 20404, "The requested resource was not found")
            return Response(200, content.resource(self.account_sid))
        return self._error(405, 20004, "Method not allowed")

    def _step(self, m: FakeMessage) -> None:
        steps = OUTBOUND_STEPS[m.channel]
        if m.status == steps[-1] or m.status in FINAL - {"delivered"}:
            return
        at = steps.index(m.status)
        if m.end_status and m.status == "sent":
            m.status = m.end_status
        elif at + 1 < len(steps):
            m.status = steps[at + 1]

    def _create(self, request: Request) -> Response:
        form = {k: v[-1] for k, v in request.form.items()}
        media = request.form.get("MediaUrl", [])
        to, from_ = form.get("To", ""), form.get("From", "")
        if not from_ and not form.get("MessagingServiceSid"):
            return self._error(400, 21603, "A 'From' or 'MessagingServiceSid' is required.")
        if not (form.get("Body") or media or form.get("ContentSid")):
            return self._error(400, 21602, "Message body is required.")
        wa_to, wa_from = to.startswith("whatsapp:"), from_.startswith("whatsapp:")
        if wa_to != wa_from:
            return self._error(
                400, 63007, "Twilio could not find a Channel with the specified From address"
            )
        if not _E164.match(to.removeprefix("whatsapp:")):
            return self._error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        alphanumeric = not wa_from and _SENDER_ID.match(from_) and not from_.isdigit()
        if not alphanumeric and not _E164.match(from_.removeprefix("whatsapp:")):
            return self._error(400, 21212, f"Invalid 'From' Phone Number: {from_}")
        body = form.get("Body", "")
        variables: dict[str, str] = {}
        content_sid = form.get("ContentSid")
        if content_sid:
            content = self.contents.get(content_sid)
            if content is None:
                return self._error(400, 21655, "The ContentSid is Invalid.")
            try:
                raw = json.loads(form.get("ContentVariables") or "{}")
            except ValueError:
                return self._error(400, 21656, "The ContentVariables Parameter is invalid.")
            if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
                return self._error(400, 21656, "The ContentVariables Parameter is invalid.")
            variables = raw
            body = content.render(variables)
        elif "ContentVariables" in form:
            return self._error(400, 21656, "ContentVariables needs a ContentSid.")
        now = self.clock()
        sid = _sid("SM", next(self._ids))
        message = FakeMessage(
            sid,
            self.account_sid,
            to,
            from_,
            body,
            "outbound-api",
            "queued",
            now,
            now,
            content_sid,
            variables,
            list(media),
            self._planned_failures.pop(to, None),
        )
        self.messages[sid] = message
        return Response(201, message.resource())

    def _list(self, request: Request) -> Response:
        params = {k: v[-1] for k, v in request.params.items()}
        found = [m for m in self.messages.values() if _matches(m, params)]
        found.sort(key=lambda m: (m.date_sent or m.date_created, m.sid), reverse=True)
        page_size = int(params.get("PageSize") or self.page_size_default)
        page = int(params.get("Page") or 0)
        chunk = found[page * page_size : (page + 1) * page_size]
        base = f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        kept = {k: v for k, v in params.items() if k not in ("Page", "PageToken")}

        def uri(n: int) -> str:
            return f"{base}?{urlencode({**kept, 'PageSize': page_size, 'Page': n})}"

        has_next = (page + 1) * page_size < len(found)
        return Response(
            200,
            {
                "messages": [m.resource() for m in chunk],
                "end": page * page_size + max(len(chunk) - 1, 0),
                "first_page_uri": uri(0),
                "next_page_uri": (
                    f"{uri(page + 1)}&PageToken=PA{chunk[-1].sid}" if has_next else None
                ),
                "page": page,
                "page_size": page_size,
                "previous_page_uri": uri(page - 1) if page else None,
                "start": page * page_size,
                "uri": uri(page),
            },
        )

    def _contents(self, request: Request) -> Response:
        params = {k: v[-1] for k, v in request.params.items()}
        page_size = int(params.get("PageSize") or 50)
        items = list(self.contents.values())[:page_size]
        url = f"{CONTENT_BASE}/v1/Content?PageSize={page_size}&Page=0"
        return Response(
            200,
            {
                "contents": [c.resource(self.account_sid) for c in items],
                "meta": {
                    "page": 0,
                    "page_size": page_size,
                    "first_page_url": url,
                    "previous_page_url": None,
                    "url": url,
                    "next_page_url": None,
                    "key": "contents",
                },
            },
        )


def _when(text: str) -> datetime:
    """DateSent filters: Twilio documents YYYY-MM-DD; the library sends YYYY-MM-DDTHH:MM:SSZ."""
    if len(text) == 10:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _matches(m: FakeMessage, params: dict[str, str]) -> bool:
    if "To" in params and m.to != params["To"]:
        return False
    if "From" in params and m.from_ != params["From"]:
        return False
    sent = m.date_sent
    if "DateSent>" in params and (sent is None or sent < _when(params["DateSent>"])):
        return False
    if "DateSent<" in params and (sent is None or sent > _when(params["DateSent<"])):
        return False
    if "DateSent" in params:
        day = _when(params["DateSent"]).date()
        if sent is None or sent.astimezone(UTC).date() != day:
            return False
    return True
