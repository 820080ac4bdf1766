"""The calendar reconciler's pure half: what to do, from what is known (no I/O).

Shaped like vdirsyncer (STYLE.md): the status table says what we last exported per event
(etag, appointment revision, a fingerprint of its times); the planner compares it with the
appointment now (the desk's side) and with the event as Google last showed it (the other
side) and returns actions. The executor (calendar_sync.py) carries them out one by one.

- Our events are the ones whose id is `event_id_for(appointment id)` or that carry the private
  extended property `medbookings_appointment`.
- A change made to one of our events in Google (moved, deleted) is never applied silently:
  it becomes an "accept or revert" item for the desk.
- Anything else in the calendar that makes its owner busy becomes a busy block.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

TAG = "medbookings_appointment"
ID_PREFIX = b"medbookings:"
SUMMARY = "Appointment — MedBookings"
# a calendar that held at least this many of our events and suddenly reads empty is refused
EMPTY_GUARD = 5


def event_id_for(appointment_id: int) -> str:
    """Deterministic event id: base32hex of "medbookings:<id>", lower case, no padding
    (Google allows a-v and 0-9, 5 to 1024 characters)."""
    raw = base64.b32hexencode(ID_PREFIX + str(appointment_id).encode()).decode()
    return raw.rstrip("=").lower()


def appointment_of_event_id(event_id: str) -> int | None:
    try:
        padded = event_id.upper() + "=" * (-len(event_id) % 8)
        raw = base64.b32hexdecode(padded)
    except (ValueError, base64.binascii.Error):  # type: ignore[attr-defined]
        return None
    if not raw.startswith(ID_PREFIX):
        return None
    rest = raw[len(ID_PREFIX) :]
    return int(rest) if rest.isdigit() else None


def our_appointment(event: Mapping[str, Any]) -> int | None:
    """The appointment an event is ours for, by its tag or its id."""
    tag = ((event.get("extendedProperties") or {}).get("private") or {}).get(TAG)
    if tag is not None and str(tag).isdigit():
        return int(tag)
    return appointment_of_event_id(str(event.get("id") or ""))


def _instant(part: Mapping[str, Any] | None, zone: str) -> datetime | None:
    if not part:
        return None
    if part.get("dateTime"):
        value = datetime.fromisoformat(str(part["dateTime"]).replace("Z", "+00:00"))
        if value.tzinfo is None:
            value = value.replace(tzinfo=ZoneInfo(str(part.get("timeZone") or zone)))
        return value.astimezone(UTC)
    if part.get("date"):
        day = date.fromisoformat(str(part["date"]))
        return datetime.combine(day, time(0), ZoneInfo(zone)).astimezone(UTC)
    return None


def times_of(event: Mapping[str, Any], zone: str) -> tuple[datetime, datetime] | None:
    start = _instant(event.get("start"), zone)
    end = _instant(event.get("end"), zone)
    if start is None or end is None or end <= start:
        return None
    return start, end


def fingerprint(start: datetime | None, end: datetime | None, cancelled: bool) -> str:
    """What an outside change to our event is judged by: its times and whether it is gone."""
    text = "cancelled" if cancelled else f"{start:%Y-%m-%dT%H:%M:%S%z}/{end:%Y-%m-%dT%H:%M:%S%z}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def event_fingerprint(event: Mapping[str, Any], zone: str) -> str:
    if event.get("status") == "cancelled":
        return fingerprint(None, None, True)
    times = times_of(event, zone)
    if times is None:
        return fingerprint(None, None, True)
    return fingerprint(times[0], times[1], False)


def is_all_day(event: Mapping[str, Any]) -> bool:
    return bool((event.get("start") or {}).get("date"))


def makes_busy(event: Mapping[str, Any], *, all_day_blocks: bool) -> bool:
    """An outside event blocks the provider: not cancelled, opaque, not declined by the
    calendar's owner, and all-day ones only when the clinic says so."""
    if event.get("status") == "cancelled":
        return False
    if event.get("transparency") == "transparent":
        return False
    if event.get("eventType") == "workingLocation":
        return False
    for attendee in event.get("attendees") or []:
        if attendee.get("self") and attendee.get("responseStatus") == "declined":
            return False
    return not (is_all_day(event) and not all_day_blocks)


# -- import --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Known:
    """A status row: what we last exported for an appointment to this calendar."""

    appointment_id: int
    event_id: str
    etag: str | None
    exported_revision: int
    exported_hash: str
    state: str  # exported, conflict


@dataclass(frozen=True, slots=True)
class Busy:
    external_id: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class OutsideChange:
    appointment_id: int
    event_id: str
    deleted: bool
    etag: str | None
    start: datetime | None = None
    end: datetime | None = None


@dataclass
class ImportPlan:
    busy: list[Busy] = field(default_factory=list)
    unbusy: list[str] = field(default_factory=list)  # external ids no longer busy
    outside: list[OutsideChange] = field(default_factory=list)
    # our own writes read back (same times): just remember the etag
    etags: dict[str, str] = field(default_factory=dict)
    ours_seen: int = 0
    refused: str = ""  # why the whole read is refused (an emptied calendar)


def busy_external_id(provider_id: int, event_id: str) -> str:
    """busy_blocks.external_id: one event can sit in two providers' calendars (a meeting both
    attend), and (source, external_id) is unique, so the provider is part of it."""
    return f"{provider_id}/{event_id}"


def plan_import(
    events: Iterable[Mapping[str, Any]],
    known: Mapping[str, Known],
    *,
    provider_id: int,
    zone: str,
    full: bool,
    all_day_blocks: bool = False,
    empty_guard: int = EMPTY_GUARD,
) -> ImportPlan:
    """What the events read from the calendar mean (`known` by event id)."""
    plan = ImportPlan()
    exported = sum(1 for k in known.values() if k.state == "exported")
    seen_ours: set[str] = set()
    gone_ours = 0
    for event in events:
        event_id = str(event.get("id") or "")
        if not event_id:
            continue
        appt_id = our_appointment(event)
        if appt_id is not None or event_id in known:
            k = known.get(event_id)
            cancelled = event.get("status") == "cancelled"
            if not cancelled:
                seen_ours.add(event_id)
            if k is None:
                continue  # ours, but from before a status existed (a reconnect): export decides
            if cancelled and k.state == "exported":
                gone_ours += 1
            remote = event_fingerprint(event, zone)
            if remote == k.exported_hash:
                if event.get("etag") and event.get("etag") != k.etag:
                    plan.etags[event_id] = str(event["etag"])
                continue
            if k.state == "conflict":
                continue  # already with the desk
            times = None if cancelled else times_of(event, zone)
            plan.outside.append(
                OutsideChange(
                    k.appointment_id,
                    event_id,
                    deleted=cancelled or times is None,
                    etag=event.get("etag"),
                    start=times[0] if times else None,
                    end=times[1] if times else None,
                )
            )
            continue
        external_id = busy_external_id(provider_id, event_id)
        times = times_of(event, zone)
        if times is not None and makes_busy(event, all_day_blocks=all_day_blocks):
            plan.busy.append(Busy(external_id, times[0], times[1]))
        else:
            plan.unbusy.append(external_id)
    plan.ours_seen = len(seen_ours)
    emptied = (full and exported >= empty_guard and not seen_ours) or (
        not full and exported >= empty_guard and gone_ours >= exported
    )
    if emptied:
        plan.refused = (
            f"The Google calendar held {exported} of this clinic's bookings and now reads "
            "empty. Nothing was changed: check the calendar (a wrong calendar chosen, or "
            "events removed by mistake), then resolve this item."
        )
        plan.outside = []
        plan.unbusy = []
    return plan


# -- export --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Desired:
    """The event an appointment should have in this calendar (None: it should have none)."""

    appointment_id: int
    revision: int
    body: dict[str, Any]
    hash: str
    online: bool
    meet_url: str | None


@dataclass(frozen=True, slots=True)
class Action:
    op: str  # insert, patch, delete, forget, none, held
    appointment_id: int
    event_id: str
    desired: Desired | None = None
    etag: str | None = None


def plan_export(
    appointment_id: int,
    desired: Desired | None,
    known: Known | None,
    *,
    revert: bool = False,
) -> Action:
    """One appointment's step. A status in conflict is held until the desk resolves its
    item (`revert`: put our version back)."""
    event_id = known.event_id if known is not None else event_id_for(appointment_id)
    if known is not None and known.state == "conflict" and not revert:
        return Action("held", appointment_id, event_id)
    if desired is None:
        if known is None:
            return Action("none", appointment_id, event_id)
        return Action("delete", appointment_id, event_id, etag=known.etag)
    if known is None:
        return Action("insert", appointment_id, event_id, desired)
    if (
        revert
        or known.exported_hash != desired.hash
        or known.exported_revision != desired.revision
        or (desired.online and not desired.meet_url)
    ):
        return Action("patch", appointment_id, event_id, desired, etag=known.etag)
    return Action("none", appointment_id, event_id)


def event_body(
    *,
    appointment_id: int,
    start: datetime,
    end: datetime,
    zone: str,
    online: bool,
    service_name: str,
    location_text: str,
    meet_url: str | None,
    patient_name: str | None,
    notes: str | None,
) -> dict[str, Any]:
    """The event we write (names and notes only when the clinic turns names on)."""
    lines = [f"Service: {service_name}"]
    if online:
        lines.append(f"Online visit{': ' + meet_url if meet_url else ' (Google Meet)'}")
    if notes:
        lines.append(f"Notes: {notes}")
    body: dict[str, Any] = {
        "summary": f"{patient_name} — MedBookings" if patient_name else SUMMARY,
        "description": "\n".join(lines),
        "start": {"dateTime": start.astimezone(UTC).isoformat(), "timeZone": zone},
        "end": {"dateTime": end.astimezone(UTC).isoformat(), "timeZone": zone},
        "transparency": "opaque",
        "status": "confirmed",
        "extendedProperties": {"private": {TAG: str(appointment_id)}},
    }
    location = meet_url if online and meet_url else location_text
    if location:
        body["location"] = location
    return body


def conference_request(appointment_id: int, revision: int) -> dict[str, Any]:
    return {
        "createRequest": {
            "requestId": f"medbookings-{appointment_id}-r{revision}",
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
        }
    }


def conference_status(event: Mapping[str, Any]) -> str:
    """pending, success, failure, or "" (no conference asked for)."""
    data = event.get("conferenceData") or {}
    status = ((data.get("createRequest") or {}).get("status") or {}).get("statusCode")
    if status:
        return str(status)
    return "success" if data.get("entryPoints") else ""


def meet_link(event: Mapping[str, Any]) -> str | None:
    if event.get("hangoutLink"):
        return str(event["hangoutLink"])
    for entry in (event.get("conferenceData") or {}).get("entryPoints") or []:
        if entry.get("entryPointType") == "video" and entry.get("uri"):
            return str(entry["uri"])
    return None


def backoff(attempts: int, base: timedelta = timedelta(minutes=1)) -> timedelta:
    delay: timedelta = base * (2 ** max(0, attempts - 1))
    return min(delay, timedelta(hours=1))
