"""E-mail through SendGrid's v3 Mail Send, with the `sendgrid` package.

A dynamic template (its id per message kind, filled with `dynamic_template_data`) when the
clinic set one up at SendGrid, else our own subject, text and HTML. Every mail carries its kind
as a category and the outbox key as a custom arg, so SendGrid's event data traces back to the
row. The package sets no timeout of its own: every call here has one.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Mapping
from typing import Any

from medbookings_desktop.messaging._scrub import scrub
from medbookings_desktop.messaging.errors import from_status, network
from medbookings_desktop.messaging.message import OutgoingMessage

log = logging.getLogger(__name__)

SERVICE = "SendGrid"
DEFAULT_HOST = "https://api.sendgrid.com"
REFERENCE_ARG = "medbookings_ref"
KIND_ARG = "medbookings_kind"


def _error_detail(body: Any) -> str:
    """The first of SendGrid's error messages (scrubbed), if the body has any."""
    try:
        data = json.loads(body.decode("utf-8") if isinstance(body, bytes) else str(body))
        errors = data.get("errors") or []
        first = errors[0]
        message = str(first.get("message", ""))
        field = first.get("field")
        if field and field != "null":
            message = f"{message} ({field})"
        return scrub(message)
    except Exception:
        return ""


class SendGridChannel:
    """Sends one e-mail per call; returns SendGrid's X-Message-Id."""

    channel = "email"

    def __init__(
        self,
        api_key: str,
        from_email: str,
        from_name: str,
        *,
        host: str | None = None,
        sandbox: bool = False,
        timeout: float = 10.0,
        template_ids: Mapping[str, str] | None = None,
    ) -> None:
        from sendgrid import SendGridAPIClient  # type: ignore[import-untyped]

        from medbookings_desktop.messaging.sendgrid_keepalive import keep_alive

        self.from_email = from_email
        self.from_name = from_name
        self.host = (host or DEFAULT_HOST).rstrip("/")
        self.sandbox = sandbox
        self.timeout = timeout
        self.template_ids = dict(template_ids or {})
        self._client = SendGridAPIClient(api_key, host=self.host)
        # python_http_client hands its timeout to every client it builds down the URL path
        self._client.client.timeout = timeout
        # one connection for every mail, not a handshake each (sendgrid_keepalive.py)
        self._connection = keep_alive(self._client, self.host)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()

    def warm_up(self) -> None:
        """Import the package's mail helpers now (the first `build` would): the engine does
        this as it starts, so the import's pause does not fall mid-session. The connection
        opens with the first mail."""
        self.build(OutgoingMessage("email", "warm-up@example.org", "reminder", "-", "-"))

    def build(self, msg: OutgoingMessage) -> dict[str, Any]:
        """The Mail Send request body for a message (what `send` posts)."""
        from sendgrid.helpers.mail import (  # type: ignore[import-untyped]
            Attachment,
            Category,
            CustomArg,
            Disposition,
            FileContent,
            FileName,
            FileType,
            From,
            Mail,
            MailSettings,
            SandBoxMode,
            To,
        )

        template_id = self.template_ids.get(msg.kind)
        if template_id:
            mail = Mail(
                from_email=From(self.from_email, self.from_name or None), to_emails=To(msg.to)
            )
            mail.template_id = template_id
            data: dict[str, Any] = {"subject": msg.subject, **msg.template_variables}
            mail.dynamic_template_data = data
        else:
            mail = Mail(
                from_email=From(self.from_email, self.from_name or None),
                to_emails=To(msg.to),
                subject=msg.subject,
                plain_text_content=msg.text,
                html_content=msg.html or None,
            )
        for att in msg.attachments:
            mail.add_attachment(
                Attachment(
                    FileContent(base64.b64encode(att.data).decode("ascii")),
                    FileName(att.filename),
                    FileType(att.content_type),
                    Disposition("attachment"),
                )
            )
        mail.add_category(Category(msg.kind))
        if msg.reference:
            mail.add_custom_arg(CustomArg(REFERENCE_ARG, msg.reference))
        mail.add_custom_arg(CustomArg(KIND_ARG, msg.kind))
        settings = MailSettings()
        settings.sandbox_mode = SandBoxMode(self.sandbox)
        mail.mail_settings = settings
        body: dict[str, Any] = mail.get()
        return body

    def send(self, msg: OutgoingMessage) -> str:
        """Post the mail; SendGrid's message id, or DeliveryError."""
        from python_http_client.exceptions import HTTPError  # type: ignore[import-untyped]

        body = self.build(msg)
        try:
            response = self._client.client.mail.send.post(request_body=body, timeout=self.timeout)
        except HTTPError as exc:
            headers = exc.headers or {}
            raise from_status(
                SERVICE,
                int(exc.status_code),
                _error_detail(exc.body),
                headers.get("Retry-After") if hasattr(headers, "get") else None,
            ) from None
        except (OSError, ValueError) as exc:
            # urllib: URLError (refused, DNS), TimeoutError, RemoteDisconnected, resets
            raise network(SERVICE, getattr(exc, "reason", exc) or exc) from None
        status = int(response.status_code)
        if status >= 300:
            raise from_status(SERVICE, status)
        message_id = response.headers.get("X-Message-Id") if response.headers else None
        if not message_id:
            # accepted but unnamed (older sandbox answers): the outbox key still traces it
            message_id = f"sendgrid:{msg.reference}" if msg.reference else "sendgrid:accepted"
        log.debug("SendGrid accepted a %s mail", msg.kind)
        return str(message_id)
