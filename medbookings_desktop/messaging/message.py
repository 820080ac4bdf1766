"""A message ready to hand to a vendor channel."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True, slots=True)
class OutgoingMessage:
    channel: str  # "email" | "sms" | "whatsapp"
    to: str
    kind: str  # an OutboxKind value
    subject: str
    text: str
    html: str | None = None
    attachments: tuple[Attachment, ...] = ()
    # the outbox row's idempotency key, carried in the vendor's custom args so events trace back
    reference: str = ""
    # what a vendor-side template (SendGrid dynamic template, WhatsApp content) fills in
    template_variables: dict[str, str] = field(default_factory=dict)
    # public URLs of files to send along by SMS (MMS) or WhatsApp, e.g. an uploaded vCard
    media_urls: tuple[str, ...] = ()
