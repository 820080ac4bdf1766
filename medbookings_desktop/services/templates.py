"""The clinic's own wording of patient and provider messages, per kind and channel.

Templates are Jinja2 text kept in the clinic_settings key `message_templates` as
{kind: {channel: text}}; only the ones the clinic changed are stored, the rest fall back to
the built-in defaults below. A template is checked before it is saved: a syntax error or a
placeholder the kind does not offer is refused with its line, so the engine never meets a
template it cannot render at send time.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError, meta, nodes
from jinja2 import Template as CompiledTemplate
from jinja2.sandbox import SandboxedEnvironment

from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.domain.messages import OutboxKind
from medbookings_desktop.services.context import Context

SETTINGS_KEY = "message_templates"
# compiled templates kept by their text: the built-in ones and the clinic's few overrides fit
# many times over; a bound so an editing session's drafts cannot grow it without end
COMPILED_CACHE_SIZE = 256

# the message kinds a person reads; calendar rows have no text
KINDS: tuple[OutboxKind, ...] = (
    OutboxKind.CONFIRMATION,
    OutboxKind.CHANGE_NOTICE,
    OutboxKind.CANCELLATION_NOTICE,
    OutboxKind.REMINDER,
    OutboxKind.PROVIDER_NOTICE,
)
CHANNELS: tuple[str, ...] = ("email_subject", "email_body", "sms", "whatsapp")

# name -> what it holds, offered to every kind
COMMON_PLACEHOLDERS: dict[str, str] = {
    "patient_first_name": "The patient's first name",
    "patient_name": "The patient's full name",
    "provider_name": "The provider, with title (Dr Thandi Mokoena)",
    "service_name": "The appointment type (Consultation)",
    "date": "The appointment's date, in the clinic's zone",
    "time": "The appointment's start time, in the clinic's zone",
    "end_time": "The appointment's end time, in the clinic's zone",
    "zone": "The clinic's time zone (Europe/London)",
    "location_name": "Where the appointment takes place",
    "location_address": "The location's address on one line",
    "location_phone": "The location's phone number",
    "location_website": "The location's website",
    "location_maps_url": "A Google Maps link to the location (once looked up with Google)",
    "online": "True for an online appointment (use in {% if online %})",
    "clinic_name": "The clinic's name",
}
KIND_PLACEHOLDERS: dict[OutboxKind, dict[str, str]] = {
    OutboxKind.CONFIRMATION: {},
    OutboxKind.CHANGE_NOTICE: {
        "previous_date": "The date the appointment had before the change",
        "previous_time": "The start time it had before the change",
    },
    OutboxKind.CANCELLATION_NOTICE: {"reason": "Why the appointment was cancelled"},
    OutboxKind.REMINDER: {"hours_before": "How many hours before the visit this is sent"},
    OutboxKind.PROVIDER_NOTICE: {},
}

_SIGN_OFF = "{{ clinic_name }}"
_WHERE = "{% if online %}online{% else %}at {{ location_name }}{% endif %}"
DEFAULTS: dict[OutboxKind, dict[str, str]] = {
    OutboxKind.CONFIRMATION: {
        "email_subject": "Your appointment on {{ date }} at {{ time }}",
        "email_body": (
            "Dear {{ patient_first_name }},\n\n"
            "Your {{ service_name }} with {{ provider_name }} is booked for {{ date }} at "
            "{{ time }} ({{ zone }}), " + _WHERE + ".\n"
            "{% if not online and location_address %}Address: {{ location_address }}\n"
            "{% endif %}\nTo change or cancel, please call us"
            "{% if location_phone %} on {{ location_phone }}{% endif %}.\n\n" + _SIGN_OFF
        ),
        "sms": (
            "{{ clinic_name }}: {{ service_name }} with {{ provider_name }} booked for "
            "{{ date }} {{ time }} ({{ zone }}). Reply C to confirm, X to cancel."
        ),
        "whatsapp": (
            "Hello {{ patient_first_name }}, your {{ service_name }} with {{ provider_name }} "
            "is booked for {{ date }} at {{ time }} ({{ zone }}). Reply C to confirm, "
            "X to cancel."
        ),
    },
    OutboxKind.CHANGE_NOTICE: {
        "email_subject": "Your appointment has moved to {{ date }} at {{ time }}",
        "email_body": (
            "Dear {{ patient_first_name }},\n\n"
            "Your {{ service_name }} with {{ provider_name }} has moved from "
            "{{ previous_date }} {{ previous_time }} to {{ date }} at {{ time }} "
            "({{ zone }}), " + _WHERE + ".\n\n" + _SIGN_OFF
        ),
        "sms": (
            "{{ clinic_name }}: your appointment has moved to {{ date }} {{ time }} "
            "({{ zone }}) with {{ provider_name }}."
        ),
        "whatsapp": (
            "Hello {{ patient_first_name }}, your appointment with {{ provider_name }} has "
            "moved to {{ date }} at {{ time }} ({{ zone }})."
        ),
    },
    OutboxKind.CANCELLATION_NOTICE: {
        "email_subject": "Your appointment on {{ date }} is cancelled",
        "email_body": (
            "Dear {{ patient_first_name }},\n\n"
            "Your {{ service_name }} with {{ provider_name }} on {{ date }} at {{ time }} "
            "({{ zone }}) is cancelled.{% if reason %} Reason: {{ reason }}.{% endif %}\n\n"
            "Please call us to book another time.\n\n" + _SIGN_OFF
        ),
        "sms": (
            "{{ clinic_name }}: your appointment on {{ date }} {{ time }} ({{ zone }}) is "
            "cancelled. Call us to rebook."
        ),
        "whatsapp": (
            "Hello {{ patient_first_name }}, your appointment on {{ date }} at {{ time }} "
            "({{ zone }}) is cancelled. Please call us to rebook."
        ),
    },
    OutboxKind.REMINDER: {
        "email_subject": "Reminder: {{ service_name }} on {{ date }} at {{ time }}",
        "email_body": (
            "Dear {{ patient_first_name }},\n\n"
            "A reminder of your {{ service_name }} with {{ provider_name }} on {{ date }} at "
            "{{ time }} ({{ zone }}), " + _WHERE + ".\n\n" + _SIGN_OFF
        ),
        "sms": (
            "{{ clinic_name }}: reminder, {{ service_name }} with {{ provider_name }} "
            "{{ date }} {{ time }} ({{ zone }}). Reply X to cancel."
        ),
        "whatsapp": (
            "Hello {{ patient_first_name }}, a reminder of your appointment with "
            "{{ provider_name }} on {{ date }} at {{ time }} ({{ zone }})."
        ),
    },
    OutboxKind.PROVIDER_NOTICE: {
        "email_subject": "New booking: {{ patient_name }}, {{ date }} {{ time }}",
        "email_body": (
            "{{ patient_name }} is booked for {{ service_name }} on {{ date }} at {{ time }} "
            "({{ zone }}), " + _WHERE + ".\n\n" + _SIGN_OFF
        ),
        "sms": "New booking: {{ patient_name }}, {{ service_name }}, {{ date }} {{ time }}.",
        "whatsapp": (
            "New booking: {{ patient_name }}, {{ service_name }} on {{ date }} at {{ time }}."
        ),
    },
}


class TemplateProblem(InvalidInput):
    """A template that cannot be used; `line` is where Jinja2 found the problem (if known)."""

    def __init__(self, message: str, line: int | None) -> None:
        text = f"Line {line}: {message}" if line else message
        super().__init__(text, "template")
        self.line = line
        self.detail = message


@dataclass(frozen=True)
class Template:
    kind: OutboxKind
    channel: str
    text: str
    is_default: bool


def _environment() -> SandboxedEnvironment:
    # sandboxed: the text is typed by clinic staff and rendered by the engine unattended
    return SandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


@lru_cache(maxsize=1)
def _shared_environment() -> SandboxedEnvironment:
    """One environment for rendering: a compiled template belongs to the environment that
    compiled it, so the cache below needs the same one every time."""
    return _environment()


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def compiled(text: str) -> CompiledTemplate:
    """The template compiled from `text`, compiled once and kept (LRU, COMPILED_CACHE_SIZE).
    A syntax error is raised every time (exceptions are not cached). Rendering a compiled
    template is thread-safe, so the engine's thread and the UI's preview can share it."""
    return _shared_environment().from_string(text)


def _kind(kind: str | OutboxKind) -> OutboxKind:
    try:
        found = OutboxKind(kind)
    except ValueError:
        found = None
    if found not in KINDS:
        raise InvalidInput(f"No message template for {kind!r}.", "kind")
    assert found is not None
    return found


def _channel(channel: str) -> str:
    if channel not in CHANNELS:
        raise InvalidInput(f"Unknown message channel {channel!r}.", "channel")
    return channel


def placeholders(kind: str | OutboxKind) -> dict[str, str]:
    """The names a template of this kind may use, with what each holds."""
    return {**COMMON_PLACEHOLDERS, **KIND_PLACEHOLDERS[_kind(kind)]}


def default_text(kind: str | OutboxKind, channel: str) -> str:
    return DEFAULTS[_kind(kind)][_channel(channel)]


def _first_line_of(tree: nodes.Template, name: str) -> int | None:
    for node in tree.find_all(nodes.Name):
        if node.name == name and node.ctx == "load":
            return int(node.lineno)
    return None


def _template_line(exc: BaseException) -> int | None:
    # Jinja2 rewrites the traceback so template frames carry the template's own line numbers
    lines = [
        f.lineno for f in traceback.extract_tb(exc.__traceback__) if f.filename == "<template>"
    ]
    return lines[-1] if lines else None


def check_template(text: str, kind: str | OutboxKind) -> None:
    """Refuse a template Jinja2 cannot parse, or one using a name the kind does not offer.
    The verdict is kept per text and kind (the engine checks the clinic's texts at each send)."""
    problem = _problem(text, _kind(kind))
    if problem is not None:
        raise TemplateProblem(*problem)


@lru_cache(maxsize=COMPILED_CACHE_SIZE)
def _problem(text: str, kind: OutboxKind) -> tuple[str, int | None] | None:
    """What check_template refuses, as (message, line), or None when the template is fine."""
    try:
        _check_once(text, kind)
    except TemplateProblem as exc:
        return exc.detail, exc.line
    return None


def _check_once(text: str, kind: OutboxKind) -> None:
    allowed = placeholders(kind)
    env = _environment()
    try:
        tree = env.parse(text)
        env.from_string(tree)  # compiling finds unknown filters and tests
    except TemplateSyntaxError as exc:
        raise TemplateProblem(exc.message or str(exc), exc.lineno) from None
    unknown = sorted(meta.find_undeclared_variables(tree) - allowed.keys())
    if unknown:
        name = unknown[0]
        raise TemplateProblem(
            f"Unknown placeholder {name!r}. Available: {', '.join(sorted(allowed))}.",
            _first_line_of(tree, name),
        )
    try:
        # a trial run catches what only shows when rendering ({{ date.nope }}, 1 / 0)
        render_text(text, sample_facts(kind))
    except TemplateProblem:
        raise
    except Exception as exc:  # anything the template itself raised
        raise TemplateProblem(str(exc), _template_line(exc)) from None


def render_text(text: str, facts: Mapping[str, Any]) -> str:
    """Render a template with facts (the preview, and the engine's messages); the text is
    compiled once (`compiled`)."""
    try:
        return compiled(text).render(**facts)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(exc.message or str(exc), exc.lineno) from None
    except TemplateError as exc:
        raise TemplateProblem(exc.message or str(exc), _template_line(exc)) from None


def sample_facts(
    kind: str | OutboxKind, clinic: ClinicSettings | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """Made-up facts for a preview: tomorrow 14:30 in the clinic's zone."""
    clinic = clinic or ClinicSettings(name="Riverside Clinic", zone="Europe/London")
    zone = ZoneInfo(clinic.zone)
    local_now = (now or datetime.now(zone)).astimezone(zone)
    start = datetime.combine(local_now.date() + timedelta(days=1), time(14, 30), zone)
    before = start - timedelta(days=2, hours=3)
    facts: dict[str, Any] = {
        "patient_first_name": "Ada",
        "patient_name": "Ada Okafor",
        "provider_name": "Dr Thandi Mokoena",
        "service_name": "Consultation",
        "date": f"{start:%A} {start.day} {start:%B %Y}",
        "time": f"{start:%H:%M}",
        "end_time": f"{start + timedelta(minutes=30):%H:%M}",
        "zone": clinic.zone,
        "location_name": "Riverside",
        "location_address": "1 River Street, London",
        "location_phone": "020 7946 0000",
        "location_website": "https://riverside.example.org/",
        "location_maps_url": "https://www.google.com/maps/search/?api=1&query=51.5055%2C-0.0754"
        "&query_place_id=ChIJ-riverside",
        "online": False,
        "clinic_name": clinic.name,
        "previous_date": f"{before:%A} {before.day} {before:%B %Y}",
        "previous_time": f"{before:%H:%M}",
        "reason": "The provider is unwell",
        "hours_before": 24,
    }
    return {name: facts[name] for name in placeholders(kind)}


def _stored(ctx: Context) -> dict[str, dict[str, str]]:
    with ctx.read() as uow:
        value = uow.settings.value(SETTINGS_KEY)
    return _clean(value)


def _clean(value: Any) -> dict[str, dict[str, str]]:
    # tolerate a hand-edited or older value: keep only what is a known kind and channel
    found: dict[str, dict[str, str]] = {}
    if not isinstance(value, dict):
        return found
    for kind, channels in value.items():
        if kind in {k.value for k in KINDS} and isinstance(channels, dict):
            kept = {c: t for c, t in channels.items() if c in CHANNELS and isinstance(t, str)}
            if kept:
                found[kind] = kept
    return found


def overrides(ctx: Context) -> dict[str, dict[str, str]]:
    """What the clinic changed, as stored: {kind: {channel: text}}."""
    return _stored(ctx)


def get_template(ctx: Context, kind: str | OutboxKind, channel: str) -> Template:
    k, c = _kind(kind), _channel(channel)
    text = _stored(ctx).get(k.value, {}).get(c)
    if text is None:
        return Template(k, c, DEFAULTS[k][c], True)
    return Template(k, c, text, False)


def all_templates(ctx: Context) -> dict[OutboxKind, dict[str, Template]]:
    """Every kind and channel, the clinic's text where it has one, else the default."""
    stored = _stored(ctx)
    return {
        k: {
            c: Template(k, c, stored[k.value][c], False)
            if c in stored.get(k.value, {})
            else Template(k, c, DEFAULTS[k][c], True)
            for c in CHANNELS
        }
        for k in KINDS
    }


def save_template(ctx: Context, kind: str | OutboxKind, channel: str, text: str) -> Template:
    """Check and store the clinic's text; the default's own text clears the override."""
    k, c = _kind(kind), _channel(channel)
    if not text.strip():
        raise InvalidInput("A message template cannot be empty.", "template")
    check_template(text, k)
    if text == DEFAULTS[k][c]:
        return reset_template(ctx, k, c)
    return _write(ctx, k, c, text)


def reset_template(ctx: Context, kind: str | OutboxKind, channel: str) -> Template:
    """Go back to the built-in text."""
    k, c = _kind(kind), _channel(channel)
    _write(ctx, k, c, None)
    return Template(k, c, DEFAULTS[k][c], True)


def _write(ctx: Context, kind: OutboxKind, channel: str, text: str | None) -> Template:
    with ctx.write() as uow:
        stored = _clean(uow.settings.value(SETTINGS_KEY))
        before = stored.get(kind.value, {}).get(channel)
        per_kind = stored.setdefault(kind.value, {})
        if text is None:
            per_kind.pop(channel, None)
            if not per_kind:
                stored.pop(kind.value)
        else:
            per_kind[channel] = text
        uow.settings.set_value(SETTINGS_KEY, stored)
        ctx.audit(
            uow,
            "template",
            "clinic",
            None,
            {"kind": kind.value, "channel": channel, "text": before},
            {"kind": kind.value, "channel": channel, "text": text},
        )
        uow.commit()
    if text is None:
        return Template(kind, channel, DEFAULTS[kind][channel], True)
    return Template(kind, channel, text, False)
