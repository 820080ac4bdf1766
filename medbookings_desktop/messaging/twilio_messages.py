"""SMS and WhatsApp through Twilio's Messages API, with the `twilio` package.

WhatsApp goes as a template message (`content_sid` + `content_variables`) when the clinic set
up a Content template for the message kind, else as plain text. Statuses are read back one
message at a time; `find_sent` asks Twilio whether a message left in "sending" by a crash
really went; `replies` reads what patients sent to our numbers.

The package's base URLs are fixed per product (api.twilio.com, content.twilio.com); a test or
a proxy setting points them elsewhere through `_RedirectingHttpClient`. Every call has a
timeout.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from medbookings_desktop.messaging._scrub import scrub
from medbookings_desktop.messaging.errors import DeliveryError, from_status, network
from medbookings_desktop.messaging.message import OutgoingMessage

log = logging.getLogger(__name__)

SERVICE = "Twilio"
API_BASE = "https://api.twilio.com"
CONTENT_BASE = "https://content.twilio.com"
WHATSAPP = "whatsapp:"
# a status after which nothing changes
FINAL_STATUSES = frozenset({"delivered", "read", "failed", "undelivered", "canceled", "received"})


@dataclass(frozen=True, slots=True)
class InboundReply:
    """A message a patient sent to one of our numbers."""

    sid: str
    from_: str  # "+4477..." or "whatsapp:+4477..."
    to: str
    body: str
    received_at: datetime  # UTC

    @property
    def channel(self) -> str:
        return "whatsapp" if self.from_.startswith(WHATSAPP) else "sms"


@dataclass(frozen=True, slots=True)
class ContentTemplate:
    """A WhatsApp template set up in Twilio's Content API."""

    sid: str
    friendly_name: str
    language: str
    body: str
    variables: dict[str, str] = field(default_factory=dict)


def _make_http_client(rewrites: Mapping[str, str], timeout: float) -> Any:
    from twilio.http.http_client import TwilioHttpClient  # type: ignore[import-untyped]

    class _RedirectingHttpClient(TwilioHttpClient):  # type: ignore[misc]
        """Sends what would go to a Twilio base URL to the configured one instead, and keeps
        the last answer's headers (Retry-After) for the calling thread."""

        def __init__(self) -> None:
            super().__init__(pool_connections=True, timeout=timeout)
            self.rewrites = {k.rstrip("/"): v.rstrip("/") for k, v in rewrites.items()}
            self.local = threading.local()

        def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
            for prefix, target in self.rewrites.items():
                if url == prefix or url.startswith(prefix + "/"):
                    url = target + url[len(prefix) :]
                    break
            self.local.headers = {}
            response = super().request(method, url, *args, **kwargs)
            self.local.headers = dict(response.headers or {})
            return response

        def last_headers(self) -> dict[str, str]:
            return dict(getattr(self.local, "headers", {}) or {})

        def close(self) -> None:
            if self.session is not None:
                self.session.close()

    return _RedirectingHttpClient()


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        raise ValueError("a time zone is needed")
    # the package formats the datetime as it is, with a Z: give it UTC
    return when.astimezone(UTC)


def _page_error(answer: Any) -> str:
    """Twilio's error code and message from a failed page, scrubbed."""
    try:
        data = json.loads(answer.text)
        return scrub(f"error {data.get('code')}: {data.get('message', '')}")
    except Exception:
        return ""


def _status_text(value: Any) -> str:
    return str(getattr(value, "value", value) or "")


class TwilioChannel:
    """Sends SMS and WhatsApp messages; reads statuses and replies."""

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        *,
        sms_from: str,
        whatsapp_from: str | None = None,
        content_sids: Mapping[str, str] | None = None,
        base_url: str | None = None,
        content_base_url: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        from twilio.rest import Client  # type: ignore[import-untyped]

        self.account_sid = account_sid
        self.sms_from = sms_from
        self.whatsapp_from = whatsapp_from or None
        self.content_sids = dict(content_sids or {})
        self.timeout = timeout
        rewrites: dict[str, str] = {}
        if base_url and base_url.rstrip("/") != API_BASE:
            rewrites[API_BASE] = base_url
            # one endpoint for both unless told otherwise (the local fake serves both)
            rewrites[CONTENT_BASE] = content_base_url or base_url
        elif content_base_url and content_base_url.rstrip("/") != CONTENT_BASE:
            rewrites[CONTENT_BASE] = content_base_url
        self._http = _make_http_client(rewrites, timeout)
        self._client = Client(account_sid, auth_token, http_client=self._http)

    def close(self) -> None:
        self._http.close()

    def warm_up(self) -> None:
        """Import the package's Messages API now (it loads lazily, at the first send): the
        engine does this as it starts, so the import's pause does not fall mid-session. The
        HTTP connection itself is opened at the first call and kept (one requests Session per
        channel, shared by SMS and WhatsApp, across sends and passes)."""
        self._client.messages  # noqa: B018 - the property imports the API's modules

    # -- addresses -----------------------------------------------------------------------------

    @staticmethod
    def _wa(address: str) -> str:
        return address if address.startswith(WHATSAPP) else WHATSAPP + address

    def _our_numbers(self) -> list[str]:
        numbers = [self.sms_from] if self.sms_from else []
        if self.whatsapp_from:
            numbers.append(self._wa(self.whatsapp_from))
        return numbers

    # -- errors --------------------------------------------------------------------------------

    def _call(self, fn: Any) -> Any:
        """Run one package call, turning its failures into DeliveryError."""
        import requests
        from twilio.base.exceptions import (  # type: ignore[import-untyped]
            TwilioException,
            TwilioRestException,
        )

        try:
            return fn()
        except TwilioRestException as exc:
            code = f"error {exc.code}: " if exc.code else ""
            detail = scrub(f"{code}{exc.msg}") if exc.msg else code.rstrip(": ")
            raise from_status(SERVICE, int(exc.status), detail, self._retry_after()) from None
        except requests.exceptions.Timeout as exc:
            raise network(SERVICE, TimeoutError(str(exc))) from None
        except requests.exceptions.RequestException as exc:
            raise network(SERVICE, exc) from None
        except TwilioException as exc:
            # a list page that failed comes as TwilioException("Unable to fetch page", response)
            answer = exc.args[1] if len(exc.args) > 1 else None
            status = getattr(answer, "status_code", None)
            if isinstance(status, int) and status >= 400:
                raise from_status(
                    SERVICE, status, _page_error(answer), self._retry_after()
                ) from None
            # an answer the package could not read (not JSON): the vendor side is unwell
            raise DeliveryError(
                f"{SERVICE} gave an answer that could not be read ({type(exc).__name__})",
                retryable=True,
            ) from None

    def _retry_after(self) -> str | None:
        headers = self._http.last_headers()
        return next((v for k, v in headers.items() if k.lower() == "retry-after"), None)

    # -- sending -------------------------------------------------------------------------------

    def send(self, msg: OutgoingMessage) -> str:
        """Send one SMS or WhatsApp message; Twilio's message SID, or DeliveryError."""
        fields: dict[str, Any] = {}
        if msg.channel == "whatsapp":
            if not self.whatsapp_from:
                raise DeliveryError("no WhatsApp sender is set up", retryable=False)
            fields["to"] = self._wa(msg.to)
            fields["from_"] = self._wa(self.whatsapp_from)
            content_sid = self.content_sids.get(msg.kind)
            if content_sid:
                fields["content_sid"] = content_sid
                fields["content_variables"] = json.dumps(
                    {str(k): str(v) for k, v in msg.template_variables.items()},
                    ensure_ascii=False,
                )
            else:
                fields["body"] = msg.text
        elif msg.channel == "sms":
            if not self.sms_from:
                raise DeliveryError("no SMS sender is set up", retryable=False)
            fields["to"] = msg.to
            fields["from_"] = self.sms_from
            fields["body"] = msg.text
        else:
            raise DeliveryError(f"Twilio does not send {msg.channel!r}", retryable=False)
        if msg.media_urls and "content_sid" not in fields:
            fields["media_url"] = list(msg.media_urls)
        created = self._call(lambda: self._client.messages.create(**fields))
        log.debug("Twilio accepted a %s %s", msg.kind, msg.channel)
        return str(created.sid)

    def carries_media(self, msg: OutgoingMessage) -> bool:
        """Whether `send` passes this message's media URLs on: a WhatsApp template message
        (content SID) sends the template's own media, never ours."""
        return not (msg.channel == "whatsapp" and self.content_sids.get(msg.kind))

    def sent_marker(self, msg: OutgoingMessage) -> str:
        """What `find_sent` should look for to recognise this message after a crash: its text,
        or "" (any message to that address since the attempt) for a WhatsApp template message,
        whose text Twilio writes from the template rather than ours."""
        if msg.channel == "whatsapp" and self.content_sids.get(msg.kind):
            return ""
        return msg.text

    # -- reading back --------------------------------------------------------------------------

    def status(self, sid: str) -> str:
        """queued, sending, sent, delivered, read, failed, undelivered, ..."""
        message = self._call(lambda: self._client.messages(sid).fetch())
        return _status_text(message.status)

    def find_sent(self, to: str, since: datetime, body_contains: str) -> str | None:
        """The SID of a message we sent to `to` since `since` whose text holds `body_contains`
        (whitespace-insensitive; an empty string matches any), newest first; None if none."""
        since_utc = _utc(since)
        addresses = [to]
        if not to.startswith(WHATSAPP) and self.whatsapp_from:
            addresses.append(self._wa(to))
        wanted = " ".join(body_contains.split())
        for address in addresses:
            found = self._call(
                lambda a=address: self._client.messages.list(
                    to=a, date_sent_after=since_utc, page_size=100, limit=500
                )
            )
            for m in found:
                if _status_text(m.direction) == "inbound":
                    continue
                if m.date_sent is not None and m.date_sent < since_utc:
                    continue
                if wanted in " ".join((m.body or "").split()):
                    return str(m.sid)
        return None

    def replies(self, since: datetime) -> list[InboundReply]:
        """Messages patients sent to our numbers since `since`, oldest first."""
        since_utc = _utc(since)
        out: list[InboundReply] = []
        for number in self._our_numbers():
            found = self._call(
                lambda n=number: self._client.messages.list(
                    to=n, date_sent_after=since_utc, page_size=100, limit=1000
                )
            )
            for m in found:
                if _status_text(m.direction) != "inbound":
                    continue
                when = m.date_sent or m.date_created or since_utc
                if when < since_utc:
                    continue
                out.append(
                    InboundReply(str(m.sid), str(m.from_), str(m.to), str(m.body or ""), when)
                )
        out.sort(key=lambda r: (r.received_at, r.sid))
        return out

    def content_templates(self) -> list[ContentTemplate]:
        """The WhatsApp templates in the account (for choosing a content SID per kind)."""
        found = self._call(lambda: self._client.content.v1.contents.list(page_size=100))
        out = []
        for c in found:
            types = c.types or {}
            text = types.get("twilio/text", {}).get("body", "") if isinstance(types, dict) else ""
            out.append(
                ContentTemplate(
                    str(c.sid),
                    str(c.friendly_name or ""),
                    str(c.language or ""),
                    str(text),
                    {str(k): str(v) for k, v in (c.variables or {}).items()},
                )
            )
        return out
