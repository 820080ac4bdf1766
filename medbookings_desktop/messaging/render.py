"""What a message says: the clinic's words for a kind and channel, with the appointment's facts.

The words are the clinic's editable templates (`services/templates.py`: built-in defaults, and
the clinic's changes from the `message_templates` setting, passed in as `overrides`); the HTML
e-mail layout is `resources/templates/email.html.j2` (autoescaped). Times are in the clinic's
zone and locale with the zone's abbreviation ("Sunday, 29 March 2026", "09:00", "BST"). An online
visit carries its Meet link; an in-person one its location's address. Confirmations by e-mail
carry an ICS file and the clinic's vCard; the provider's notice carries the patient's vCard.

A stored template that no longer passes the check (edited by hand, or a placeholder since
removed) is not used: the built-in text goes out instead and the log says which one was skipped.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.clinic import ClinicSettings, Location, Provider, Service
from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.domain.messages import OutboxKind
from medbookings_desktop.domain.patients import Patient
from medbookings_desktop.messaging.message import Attachment, OutgoingMessage
from medbookings_desktop.services import templates

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "resources" / "templates"
CHANNELS = ("email", "sms", "whatsapp")

# WhatsApp Content templates number their variables; what each number holds, per kind.
# A clinic setting up a template at Twilio writes {{1}}, {{2}}, ... in this order.
WHATSAPP_VARIABLES: dict[str, tuple[str, ...]] = {
    OutboxKind.CONFIRMATION.value: (
        "patient_first_name", "service_name", "provider_name", "date", "time_with_zone", "where"
    ),
    OutboxKind.CHANGE_NOTICE.value: (
        "patient_first_name", "provider_name", "date", "time_with_zone", "previous_date",
        "previous_time", "where",
    ),
    OutboxKind.CANCELLATION_NOTICE.value: (
        "patient_first_name", "date", "time_with_zone", "reason"
    ),
    OutboxKind.REMINDER.value: (
        "patient_first_name", "service_name", "provider_name", "date", "time_with_zone", "where"
    ),
    OutboxKind.PROVIDER_NOTICE.value: ("patient_name", "service_name", "date", "time_with_zone"),
}  # fmt: skip

_HEADINGS = {
    OutboxKind.CONFIRMATION.value: "Your appointment is booked",
    OutboxKind.CHANGE_NOTICE.value: "Your appointment has changed",
    OutboxKind.CANCELLATION_NOTICE.value: "Your appointment is cancelled",
    OutboxKind.REMINDER.value: "A reminder of your appointment",
    OutboxKind.PROVIDER_NOTICE.value: "New booking",
}
_ACCENT = "#1a7f5a"


@dataclass(frozen=True)
class MessageFacts:
    clinic: ClinicSettings
    patient: Patient
    appointment: Appointment
    provider: Provider
    service: Service
    location: Location | None
    old_start: datetime | None = None
    # a reminder's offset (the outbox row's payload offset_minutes / 60); else the clinic's first
    hours_before: int | None = None


# -- the facts as placeholders ------------------------------------------------------------------


def _zone_label(local: datetime) -> str:
    name = local.tzname() or ""
    if not name or name[0] in "+-":
        offset = local.utcoffset() or timedelta(0)
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        hours, rest = divmod(abs(minutes), 60)
        return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")
    return name


def _date(local: datetime, locale: str) -> str:
    from babel.dates import format_date

    return str(format_date(local, "full", locale=locale))


def _time(local: datetime, locale: str) -> str:
    from babel.dates import format_time

    return str(format_time(local, "short", locale=locale))


def _locale(clinic: ClinicSettings) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(clinic.locale)
        return clinic.locale
    except (UnknownLocaleError, ValueError, TypeError):
        # the settings page offers only locales Babel knows; an older or hand-set one falls back
        log.warning("messages use en_GB dates: locale %r is unknown here", clinic.locale)
        return "en_GB"


def _address(location: Location | None) -> str:
    if location is None:
        return ""
    city = " ".join(p for p in (location.postal_code, location.city) if p)
    if location.country and location.country.upper() in ("GB", "UK", "IE"):
        city = " ".join(p for p in (location.city, location.postal_code) if p)
    parts = [location.address_line1, location.address_line2, city, location.region]
    return ", ".join(p.strip() for p in parts if p and p.strip())


def facts_dict(kind: str, facts: MessageFacts) -> dict[str, Any]:
    """Every placeholder a template of this kind may use, and a few more for our own layout."""
    clinic, appt = facts.clinic, facts.appointment
    zone = ZoneInfo(clinic.zone)
    locale = _locale(clinic)
    start, end = appt.start.astimezone(zone), appt.end.astimezone(zone)
    online = bool(appt.online)
    location = facts.location
    values: dict[str, Any] = {
        "patient_first_name": facts.patient.first_name or facts.patient.full_name,
        "patient_name": facts.patient.full_name,
        "provider_name": facts.provider.display_name,
        "service_name": facts.service.name,
        "date": _date(start, locale),
        "time": _time(start, locale),
        "end_time": _time(end, locale),
        "zone": _zone_label(start),
        "end_zone": _zone_label(end),
        "location_name": "" if online or location is None else location.name,
        "location_address": "" if online else _address(location),
        "location_phone": location.phone if location is not None else "",
        "location_website": location.website if location is not None else "",
        "location_maps_url": "" if online or location is None else location.maps_url,
        "online": online,
        "clinic_name": clinic.name,
        "previous_date": "",
        "previous_time": "",
        "reason": appt.cancel_reason or "",
        "hours_before": facts.hours_before
        if facts.hours_before is not None
        else int(clinic.reminder_offsets[0] / timedelta(hours=1))
        if clinic.reminder_offsets
        else 24,
        # not offered to the clinic's templates; used by our layout and vendor templates
        "meet_url": (appt.meet_url or "") if online else "",
    }
    if facts.old_start is not None:
        old = facts.old_start.astimezone(zone)
        values["previous_date"] = _date(old, locale)
        values["previous_time"] = f"{_time(old, locale)} {_zone_label(old)}"
    values["time_with_zone"] = f"{values['time']} {values['zone']}"
    values["where"] = (
        "online"
        if online
        else ", ".join(p for p in (values["location_name"], values["location_address"]) if p)
    )
    return values


# -- the clinic's words -------------------------------------------------------------------------


def check_template(text: str, kind: str = OutboxKind.CONFIRMATION.value) -> str | None:
    """Why this template cannot be used for this kind (a readable message), or None if it can."""
    try:
        templates.check_template(text, kind)
    except DomainError as exc:
        return exc.message
    return None


def _words(kind: str, channel_key: str, overrides: Mapping[str, Any] | None) -> str:
    text: Any = None
    if overrides:
        per_kind = overrides.get(kind)
        if isinstance(per_kind, Mapping):
            text = per_kind.get(channel_key)
    if isinstance(text, str) and text.strip():
        problem = check_template(text, kind)
        if problem is None:
            return text
        log.warning(
            "the clinic's %s %s template cannot be used (%s); the built-in one goes out",
            kind,
            channel_key,
            problem,
        )
    return templates.default_text(kind, channel_key)


def _fill(text: str, values: Mapping[str, Any]) -> str:
    return templates.render_text(text, values).strip()


# -- the layout ---------------------------------------------------------------------------------


@cache
def _environment() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    return Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=True),
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def _details(kind: str, values: Mapping[str, Any]) -> list[tuple[str, str]]:
    rows = [
        ("When", f"{values['date']}, {_span(values)}"),
        ("With", str(values["provider_name"])),
        ("Appointment", str(values["service_name"])),
    ]
    if kind == OutboxKind.PROVIDER_NOTICE.value:
        rows.insert(0, ("Patient", str(values["patient_name"])))
    if values["online"]:
        rows.append(("Where", "Online (video)"))
    elif values["where"]:
        rows.append(("Where", str(values["where"])))
    if kind == OutboxKind.CHANGE_NOTICE.value and values["previous_date"]:
        rows.append(("Was", f"{values['previous_date']}, {values['previous_time']}"))
    if kind == OutboxKind.CANCELLATION_NOTICE.value and values["reason"]:
        rows.append(("Reason", str(values["reason"])))
    return rows


def _span(values: Mapping[str, Any]) -> str:
    """09:00–09:30 BST; across a clock change each end with its own zone (01:30 BST–01:00 GMT)."""
    if values["end_zone"] != values["zone"]:
        return f"{values['time']} {values['zone']}–{values['end_time']} {values['end_zone']}"
    return f"{values['time']}–{values['end_time']} {values['zone']}"


def _paragraphs(text: str) -> list[list[str]]:
    blocks = re.split(r"\n\s*\n", text.strip())
    return [[line.strip() for line in b.splitlines() if line.strip()] for b in blocks if b.strip()]


def _layout(
    kind: str, subject: str, body: str, values: Mapping[str, Any], locale: str
) -> tuple[str, str]:
    env = _environment()
    cancelled = kind == OutboxKind.CANCELLATION_NOTICE.value
    context = {
        "subject": subject,
        "heading": _HEADINGS.get(kind, subject),
        "paragraphs": _paragraphs(body),
        "details": _details(kind, values),
        "meet_url": values["meet_url"],
        "join_label": "Join the video call",
        "cancelled": cancelled,
        "clinic_name": values["clinic_name"],
        "location_phone": values["location_phone"],
        "location_address": values["location_address"],
        "accent": _ACCENT,
        "lang": locale.split("_")[0],
    }
    html = env.get_template("email.html.j2").render(**context)
    extra = env.get_template("details.txt.j2").render(**context).strip()
    text = f"{body.strip()}\n\n{extra}\n" if extra else body.strip() + "\n"
    return text, html


def _with_link(text: str, values: Mapping[str, Any], kind: str) -> str:
    """An online visit's link is always in a text message, whatever the clinic's wording."""
    url = values["meet_url"]
    if url and kind != OutboxKind.CANCELLATION_NOTICE.value and url not in text:
        return f"{text}\nJoin: {url}"
    return text


# -- attachments --------------------------------------------------------------------------------


def _vcards() -> Any:
    from medbookings_desktop.services import vcards

    return vcards


def _attachments(kind: str, facts: MessageFacts) -> tuple[Attachment, ...]:
    from medbookings_desktop.messaging import ics

    out: list[Attachment] = []
    if kind in (OutboxKind.CONFIRMATION.value, OutboxKind.CHANGE_NOTICE.value):
        out.append(
            Attachment(
                "appointment.ics",
                "text/calendar; method=PUBLISH; charset=utf-8",
                ics.appointment_ics(facts).encode("utf-8"),
            )
        )
    if kind == OutboxKind.CONFIRMATION.value:
        card = _vcards().clinic_card(facts.clinic, facts.location)
        out.append(
            Attachment(_card_name(facts.clinic.name), "text/vcard; charset=utf-8", card.encode())
        )
    if kind == OutboxKind.PROVIDER_NOTICE.value:
        card = _vcards().patient_card(facts.patient)
        out.append(Attachment("patient.vcf", "text/vcard; charset=utf-8", card.encode("utf-8")))
    return tuple(out)


def _card_name(name: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-").lower() or "clinic"
    return f"{stem}.vcf"


# -- render -------------------------------------------------------------------------------------


def render(
    kind: str,
    channel: str,
    facts: MessageFacts,
    overrides: Mapping[str, Any] | None = None,
) -> OutgoingMessage:
    """The message of this kind for this channel. `to` and `reference` are the caller's to set."""
    kind = OutboxKind(kind).value
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    values = facts_dict(kind, facts)
    allowed = templates.placeholders(kind)
    offered = {k: v for k, v in values.items() if k in allowed}
    if channel == "email":
        subject = " ".join(_fill(_words(kind, "email_subject", overrides), offered).split())
        body = _fill(_words(kind, "email_body", overrides), offered)
        text, html = _layout(kind, subject, body, values, _locale(facts.clinic))
        variables = {k: _text(v) for k, v in values.items()}
        variables["subject"] = subject
        return OutgoingMessage(
            channel="email",
            to=_address_for(channel, facts, kind),
            kind=kind,
            subject=subject,
            text=text,
            html=html,
            attachments=_attachments(kind, facts),
            template_variables=variables,
        )
    text = _with_link(_fill(_words(kind, channel, overrides), offered), values, kind)
    if channel == "whatsapp":
        numbered = WHATSAPP_VARIABLES[kind]
        variables = {str(i): _text(values[name]) for i, name in enumerate(numbered, 1)}
    else:
        variables = {}
    return OutgoingMessage(
        channel=channel,
        to=_address_for(channel, facts, kind),
        kind=kind,
        subject="",
        text=text,
        template_variables=variables,
    )


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value)


def _address_for(channel: str, facts: MessageFacts, kind: str) -> str:
    if kind == OutboxKind.PROVIDER_NOTICE.value:
        return facts.provider.email or ""
    if channel == "email":
        return facts.patient.email or ""
    return facts.patient.phone or ""


# -- preview (the settings dialog) --------------------------------------------------------------


def sample_facts(clinic: ClinicSettings, now: datetime | None = None) -> MessageFacts:
    """Made-up facts for a preview: tomorrow 14:30 in the clinic's zone, moved from two days
    before, at a made-up location."""
    from datetime import UTC, time

    zone = ZoneInfo(clinic.zone)
    local_now = (now or datetime.now(UTC)).astimezone(zone)
    start = datetime.combine(local_now.date() + timedelta(days=1), time(14, 30), zone)
    location = Location(
        name="Riverside",
        zone=clinic.zone,
        address_line1="1 River Street",
        city="London",
        country="GB",
        phone="020 7946 0000",
        id=0,
    )
    appt = Appointment(
        patient_id=0,
        provider_id=0,
        service_id=0,
        start=start,
        end=start + timedelta(minutes=30),
        location_id=0,
        cancel_reason="The provider is unwell",
        id=0,
    )
    return MessageFacts(
        clinic=clinic,
        patient=Patient("Ada", "Okafor", phone="+447700900123", email="ada@example.org", id=0),
        appointment=appt,
        provider=Provider(name="Thandi Mokoena", title="Dr", id=0),
        service=Service(name="Consultation", duration=timedelta(minutes=30), id=0),
        location=location,
        old_start=start - timedelta(days=2, hours=3),
        hours_before=24,
    )


def preview(
    kind: str,
    channel_key: str,
    text: str,
    clinic: ClinicSettings,
    now: datetime | None = None,
) -> str:
    """A template's text as the engine would fill it (the same date, time and zone formats),
    with made-up facts. `channel_key` is one of templates.CHANNELS (email_subject, email_body,
    sms, whatsapp). Raises templates.TemplateProblem for a template that cannot be rendered."""
    kind = OutboxKind(kind).value
    values = facts_dict(kind, sample_facts(clinic, now))
    allowed = templates.placeholders(kind)
    rendered = _fill(text, {k: v for k, v in values.items() if k in allowed})
    if channel_key in ("sms", "whatsapp"):
        rendered = _with_link(rendered, values, kind)
    return rendered
