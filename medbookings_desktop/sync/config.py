"""What the engine sends with: endpoints, sender ids, templates ids, quiet hours, and secrets.

Clinic-wide, non-secret values live in the `messaging` row of clinic_settings (every desk
sends as the clinic). Endpoints come from the desk's settings (DESIGN invariant 8), secrets
from the keyring (`medbookings_desktop.secrets`). Environment variables override all of it
for headless runs and tests:

    MEDBOOKINGS_SENDGRID_API_URL     MEDBOOKINGS_SENDGRID_API_KEY (secret)
    MEDBOOKINGS_SENDGRID_FROM_EMAIL  MEDBOOKINGS_SENDGRID_FROM_NAME  MEDBOOKINGS_SENDGRID_SANDBOX
    MEDBOOKINGS_TWILIO_API_URL       MEDBOOKINGS_TWILIO_AUTH_TOKEN (secret)
    MEDBOOKINGS_TWILIO_ACCOUNT_SID   MEDBOOKINGS_TWILIO_SMS_FROM  MEDBOOKINGS_TWILIO_WHATSAPP_FROM
    MEDBOOKINGS_QUIET_HOURS          ("21:00-08:00", or "off")
    MEDBOOKINGS_VERCEL_BLOB_API_URL  MEDBOOKINGS_VERCEL_BLOB_TOKEN (secret: WhatsApp media)
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from medbookings_desktop import secrets

SETTINGS_KEY = "messaging"
DEFAULT_QUIET_HOURS = ("21:00", "08:00")
# what @vercel/blob calls; the store hands out public URLs on its own domain
DEFAULT_BLOB_URL = "https://vercel.com/api/blob"


@dataclass(frozen=True)
class MessagingConfig:
    sendgrid_url: str = "https://api.sendgrid.com"
    email_from: str = ""
    email_from_name: str = ""
    sendgrid_sandbox: bool = False
    # message kind -> SendGrid dynamic template id; kinds without one use the built-in text
    template_ids: dict[str, str] = field(default_factory=dict)
    twilio_url: str = "https://api.twilio.com"
    twilio_account_sid: str = ""
    sms_from: str = ""
    whatsapp_from: str = ""
    # message kind -> approved WhatsApp template (Content SID)
    content_sids: dict[str, str] = field(default_factory=dict)
    quiet_hours: tuple[str, str] | None = DEFAULT_QUIET_HOURS
    timeout_s: float = 10.0
    # the clinic's Vercel Blob store (its token is a secret): public URLs for WhatsApp media
    blob_url: str = DEFAULT_BLOB_URL

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        # endpoints are the desk's, not the clinic's
        for url in ("sendgrid_url", "twilio_url", "blob_url"):
            data.pop(url)
        data["quiet_hours"] = list(self.quiet_hours) if self.quiet_hours else None
        return data


def _env_bool(text: str) -> bool:
    return text.strip().lower() in {"1", "true", "yes", "on"}


def load(
    stored: Mapping[str, Any] | None,
    *,
    sendgrid_url: str | None = None,
    twilio_url: str | None = None,
    env: Mapping[str, str] | None = None,
    blob_url: str | None = None,
) -> MessagingConfig:
    """The clinic's stored values, the desk's endpoints, then the environment."""
    env = os.environ if env is None else env
    known = {f.name for f in dataclasses.fields(MessagingConfig)}
    values: dict[str, Any] = {k: v for k, v in (stored or {}).items() if k in known}
    if "quiet_hours" in values:
        q = values["quiet_hours"]
        values["quiet_hours"] = (str(q[0]), str(q[1])) if q else None
    if sendgrid_url:
        values["sendgrid_url"] = sendgrid_url
    if twilio_url:
        values["twilio_url"] = twilio_url
    if blob_url:
        values["blob_url"] = blob_url
    overrides = {
        "MEDBOOKINGS_SENDGRID_API_URL": "sendgrid_url",
        "MEDBOOKINGS_SENDGRID_FROM_EMAIL": "email_from",
        "MEDBOOKINGS_SENDGRID_FROM_NAME": "email_from_name",
        "MEDBOOKINGS_TWILIO_API_URL": "twilio_url",
        "MEDBOOKINGS_TWILIO_ACCOUNT_SID": "twilio_account_sid",
        "MEDBOOKINGS_TWILIO_SMS_FROM": "sms_from",
        "MEDBOOKINGS_TWILIO_WHATSAPP_FROM": "whatsapp_from",
        "MEDBOOKINGS_VERCEL_BLOB_API_URL": "blob_url",
    }
    for var, name in overrides.items():
        text = env.get(var, "").strip()
        if text:
            values[name] = text
    if env.get("MEDBOOKINGS_SENDGRID_SANDBOX", "").strip():
        values["sendgrid_sandbox"] = _env_bool(env["MEDBOOKINGS_SENDGRID_SANDBOX"])
    quiet = env.get("MEDBOOKINGS_QUIET_HOURS", "").strip()
    if quiet:
        if quiet.lower() == "off":
            values["quiet_hours"] = None
        else:
            start, _, end = quiet.partition("-")
            values["quiet_hours"] = (start.strip(), end.strip())
    return MessagingConfig(**values)


def build_channels(config: MessagingConfig, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The vendor channels this desk can send by: channel name -> sender.

    A service without its secret or sender id is left out; the engine then uses the
    patient's other channels, and the health panel says the service is not set up.
    """
    channels: dict[str, Any] = {}
    api_key = secrets.get_secret(secrets.SENDGRID_API_KEY, env)
    if api_key and config.email_from:
        from medbookings_desktop.messaging.sendgrid_mail import SendGridChannel

        channels["email"] = SendGridChannel(
            api_key,
            config.email_from,
            config.email_from_name,
            host=config.sendgrid_url,
            sandbox=config.sendgrid_sandbox,
            timeout=config.timeout_s,
            template_ids=dict(config.template_ids),
        )
    token = secrets.get_secret(secrets.TWILIO_AUTH_TOKEN, env)
    if token and config.twilio_account_sid and (config.sms_from or config.whatsapp_from):
        from medbookings_desktop.messaging.twilio_messages import TwilioChannel

        twilio = TwilioChannel(
            config.twilio_account_sid,
            token,
            sms_from=config.sms_from,
            whatsapp_from=config.whatsapp_from or None,
            content_sids=dict(config.content_sids),
            base_url=config.twilio_url,
            timeout=config.timeout_s,
        )
        if config.sms_from:
            channels["sms"] = twilio
        if config.whatsapp_from:
            channels["whatsapp"] = twilio
    return channels


def build_blob_store(config: MessagingConfig, env: Mapping[str, str] | None = None) -> Any:
    """The clinic's Vercel Blob store when its token is set (keyring or
    MEDBOOKINGS_VERCEL_BLOB_TOKEN), else None: WhatsApp then sends cards by e-mail instead."""
    token = secrets.get_secret(secrets.VERCEL_BLOB_TOKEN, env)
    if not token:
        return None
    from medbookings_desktop.integrations.vercel_blob import VercelBlobClient

    return VercelBlobClient(token, api_url=config.blob_url, timeout=config.timeout_s)


def stored(ctx: Any) -> MessagingConfig:
    """The clinic's own messaging settings as saved (no endpoints, no environment)."""
    with ctx.read() as uow:
        return load(uow.settings.value(SETTINGS_KEY), env={})


def save(ctx: Any, config: MessagingConfig) -> None:
    """Save the clinic's messaging settings (sender ids, template ids, quiet hours); secrets go
    to the keyring through `medbookings_desktop.secrets`, never here."""
    from medbookings_desktop.sync.policy import parse_quiet_hours

    if config.quiet_hours:
        try:
            parse_quiet_hours(list(config.quiet_hours), "UTC")
        except ValueError as exc:
            from medbookings_desktop.domain.errors import InvalidInput

            raise InvalidInput(f"Quiet hours: {exc}", "quiet_hours") from None
    with ctx.write() as uow:
        uow.settings.set_value(SETTINGS_KEY, config.to_json())
        uow.commit()


def send_test_message(
    config: MessagingConfig, channel: str, to: str, env: Mapping[str, str] | None = None
) -> str:
    """The "send test message" button: one short message by `channel` to `to`, with the
    credentials and senders as they are now. Returns the vendor's id; raises DeliveryError
    (its `reason` is readable) or ValueError when the service is not set up."""
    from medbookings_desktop.messaging.message import OutgoingMessage

    sender = build_channels(config, env).get(channel)
    if sender is None:
        raise ValueError(f"{channel} is not set up on this desk: its secret or sender is missing")
    msg = OutgoingMessage(
        channel=channel,
        to=to,
        kind="test",
        subject="MedBookings test message",
        text="This is a test message from MedBookings Desktop: the settings work.",
        reference="test",
    )
    return str(sender.send(msg))
