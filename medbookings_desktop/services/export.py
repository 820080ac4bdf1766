"""Exports: an iCalendar feed of a provider's appointments, and appointments as CSV rows.

The feed carries no patient names unless the clinic turned names on (DESIGN invariant 6);
the iCalendar text is written here with the standard library (RFC 5545: CRLF line endings,
lines folded at 75 octets, TEXT values escaped).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.appointments import Appointment, Status
from medbookings_desktop.domain.clinic import ClinicSettings, Location, Provider
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.services.context import Context

CRLF = "\r\n"
PRODID = "-//MedBookings//MedBookings Desktop//EN"
ANONYMOUS_SUMMARY = "Appointment — MedBookings"
MAX_DAYS = 3660

CSV_COLUMNS = (
    "id",
    "start",
    "end",
    "zone",
    "status",
    "provider",
    "service",
    "location",
    "patient_id",
    "patient_name",
    "source",
    "cancel_reason",
)


# -- iCalendar text ---------------------------------------------------------------------------


def escape_text(value: str) -> str:
    """A TEXT value: backslash, semicolon and comma escaped, line breaks as \\n."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")


def fold(line: str, limit: int = 75) -> str:
    """Fold a content line to at most `limit` octets per line, never inside a character."""
    out: list[str] = []
    current: list[str] = []
    size = 0
    for char in line:
        width = len(char.encode("utf-8"))
        if size + width > limit:
            out.append("".join(current))
            current, size = [" "], 1  # a continuation line starts with one space
        current.append(char)
        size += width
    out.append("".join(current))
    return CRLF.join(out)


def utc_stamp(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def content_lines(lines: Iterable[tuple[str, str]]) -> str:
    """Name/value pairs as folded content lines, each ending in CRLF."""
    return "".join(fold(f"{name}:{value}") + CRLF for name, value in lines)


# -- the provider's feed ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Event:
    appointment: Appointment
    service_name: str
    duration_minutes: int
    location: Location | None
    patient_name: str


def ics_feed(
    ctx: Context, provider_id: int, *, start: date | None = None, days: int = 90
) -> tuple[str, int]:
    """The provider's active appointments from `start` (today) for `days` days: (text, count)."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"--days must be between 1 and {MAX_DAYS}.", "days")
    with ctx.read() as uow:
        provider = uow.providers.get(provider_id)
        settings = uow.settings.clinic()
        locations = {loc.id: loc for loc in uow.locations.list()}
        zone = ZoneInfo(_home_zone(provider, locations, settings))
        first = start or ctx.now().astimezone(zone).date()
        window_start = datetime.combine(first, time(0), zone)
        window_end = datetime.combine(first + timedelta(days=days), time(0), zone)
        appts = uow.appointments.between(
            window_start, window_end, provider_ids=[provider_id], include_inactive=False
        )
        services = {s.id: s for s in uow.services.list()}
        names = (
            {
                pid: p.full_name
                for pid, p in uow.patients.get_many(a.patient_id for a in appts).items()
            }
            if settings.names_in_calendar
            else {}
        )
    events = [
        _Event(
            appointment=a,
            service_name=services[a.service_id].name,
            duration_minutes=int((a.end - a.start) / timedelta(minutes=1)),
            location=None if a.online or a.location_id is None else locations.get(a.location_id),
            patient_name=names.get(a.patient_id, ""),
        )
        for a in appts
        if window_start <= a.start < window_end
    ]
    text = render_calendar(
        f"{provider.display_name} — {settings.name}", events, ctx.now(), settings.names_in_calendar
    )
    return text, len(events)


def render_calendar(
    name: str, events: Sequence[_Event], stamp: datetime, names_in_calendar: bool
) -> str:
    head = [
        ("BEGIN", "VCALENDAR"),
        ("VERSION", "2.0"),
        ("PRODID", PRODID),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
        ("X-WR-CALNAME", escape_text(name)),
        ("X-PUBLISHED-TTL", "PT1H"),
        ("REFRESH-INTERVAL;VALUE=DURATION", "PT1H"),
    ]
    parts = [content_lines(head)]
    for event in events:
        parts.append(content_lines(_vevent(event, stamp, names_in_calendar)))
    parts.append(content_lines([("END", "VCALENDAR")]))
    return "".join(parts)


def _vevent(event: _Event, stamp: datetime, names_in_calendar: bool) -> list[tuple[str, str]]:
    a = event.appointment
    if names_in_calendar and event.patient_name:
        summary = f"{event.patient_name} — {event.service_name}"
    else:
        summary = ANONYMOUS_SUMMARY
    description = [f"{event.service_name}, {event.duration_minutes} min", f"Appointment #{a.id}"]
    if a.online:
        where = f"Online {a.meet_url}" if a.meet_url else "Online"
    elif event.location is not None:
        loc = event.location
        where = f"{loc.name}, {loc.address}" if loc.address else loc.name
    else:
        where = ""
    lines = [
        ("BEGIN", "VEVENT"),
        ("UID", f"appointment-{a.id}@medbookings"),
        ("DTSTAMP", utc_stamp(stamp)),
        ("DTSTART", utc_stamp(a.start)),
        ("DTEND", utc_stamp(a.end)),
        ("SEQUENCE", str(a.revision)),
        ("STATUS", "TENTATIVE" if a.status is Status.BOOKED else "CONFIRMED"),
        ("SUMMARY", escape_text(summary)),
    ]
    if where:
        lines.append(("LOCATION", escape_text(where)))
    if a.online and a.meet_url:
        lines.append(("URL", a.meet_url))
    lines += [("DESCRIPTION", escape_text("\n".join(description))), ("END", "VEVENT")]
    return lines


def _home_zone(provider: Provider, locations: dict[int | None, Location], s: ClinicSettings) -> str:
    """The zone of the provider's first location, else the clinic's."""
    for lid in sorted(provider.location_ids):
        if lid in locations:
            return locations[lid].zone
    return s.zone


# -- CSV of appointments ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ExportRow:
    id: int
    start: str  # local wall-clock time at the appointment's location, YYYY-MM-DD HH:MM
    end: str
    zone: str
    status: str
    provider: str
    service: str
    location: str
    patient_id: int
    patient_name: str
    source: str
    cancel_reason: str


def appointment_rows(
    ctx: Context,
    *,
    first: date | None = None,
    last: date | None = None,
    provider_id: int | None = None,
) -> list[ExportRow]:
    """Appointments (cancelled too) whose local start date lies in first..last (inclusive).

    Default: today and the 30 days after it, in the clinic's zone.
    """
    with ctx.read() as uow:
        settings = uow.settings.clinic()
        first = first or ctx.now().astimezone(ZoneInfo(settings.zone)).date()
        last = last or first + timedelta(days=30)
        if last < first:
            raise InvalidInput("--to is before --from.", "to")
        if (last - first).days > MAX_DAYS:
            raise InvalidInput(f"Export at most {MAX_DAYS} days at a time.", "to")
        if provider_id is not None:
            uow.providers.get(provider_id)
        locations = {loc.id: loc for loc in uow.locations.list()}
        providers = {p.id: p for p in uow.providers.list()}
        services = {s.id: s for s in uow.services.list()}
        zones = {settings.zone, *(loc.zone for loc in locations.values())}
        window_start = min(datetime.combine(first, time(0), ZoneInfo(z)) for z in zones)
        window_end = max(
            datetime.combine(last + timedelta(days=1), time(0), ZoneInfo(z)) for z in zones
        )
        appts = uow.appointments.between(
            window_start,
            window_end,
            provider_ids=None if provider_id is None else [provider_id],
            include_inactive=True,
        )
        patients = uow.patients.get_many({a.patient_id for a in appts})
    out = []
    for a in appts:
        loc = locations.get(a.location_id) if a.location_id is not None else None
        prov = providers[a.provider_id]
        zone = loc.zone if loc is not None else _home_zone(prov, locations, settings)
        tz = ZoneInfo(zone)
        local_start, local_end = a.start.astimezone(tz), a.end.astimezone(tz)
        if not first <= local_start.date() <= last:
            continue
        out.append(
            ExportRow(
                id=a.id or 0,
                start=f"{local_start:%Y-%m-%d %H:%M}",
                end=f"{local_end:%Y-%m-%d %H:%M}",
                zone=zone,
                status=a.status.value,
                provider=prov.display_name,
                service=services[a.service_id].name,
                location="Online" if a.online or loc is None else loc.name,
                patient_id=a.patient_id,
                patient_name=patients[a.patient_id].full_name,
                source=a.source.value,
                cancel_reason=a.cancel_reason or "",
            )
        )
    return out


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    """Text a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def render_csv(rows: Sequence[ExportRow]) -> str:
    """RFC 4180 CSV (CRLF line endings) with a header row."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator=CRLF)
    writer.writerow(CSV_COLUMNS)
    for row in rows:
        writer.writerow(
            [
                row.id,
                row.start,
                row.end,
                row.zone,
                row.status,
                _cell(row.provider),
                _cell(row.service),
                _cell(row.location),
                row.patient_id,
                _cell(row.patient_name),
                row.source,
                _cell(row.cancel_reason),
            ]
        )
    return buffer.getvalue()
