"""Demo appointments: each provider's working days walked on the slot grid.

Every appointment, buffers included, lies inside the provider's working hours and outside
breaks and time off, and active appointments of one provider never overlap: the walk keeps a
"free from" instant per working stretch and only moves forward. Whether a grid step is taken
follows `plan.occupancy` (busy now, sparse a year out). Statuses follow the clock: the past is
completed, with some no-shows and cancellations; today has patients arrived and in progress;
the future is booked or confirmed. A cancelled time is often given to another patient.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from medbookings_desktop.demo.names import APPOINTMENT_NOTES, CANCEL_REASONS
from medbookings_desktop.demo.people import PatientBlock
from medbookings_desktop.demo.plan import Shift, occupancy

MINUTE = timedelta(minutes=1)
# who cancelled, as the desk records it
CANCELLED_BY = ("reception", "reception", "patient by phone", "patient by SMS reply")


@dataclass(frozen=True)
class WalkService:
    id: int
    minutes: int
    before: int
    after: int
    online: bool


@dataclass(frozen=True)
class Desk:
    """A provider as the walk sees them: where, when, what they do and for whom."""

    provider_id: int
    location_id: int
    zone: str
    shifts: tuple[Shift, ...]
    services: tuple[WalkService, ...]
    weights: tuple[float, ...]
    days_off: frozenset[date]
    patients: PatientBlock


def _segments(shift: Shift) -> list[tuple[int, int]]:
    """Working stretches of a shift in minutes since local midnight, the break taken out."""
    start = shift.start.hour * 60 + shift.start.minute
    end = shift.end.hour * 60 + shift.end.minute
    if shift.break_start is None or shift.break_end is None:
        return [(start, end)]
    b0 = shift.break_start.hour * 60 + shift.break_start.minute
    b1 = shift.break_end.hour * 60 + shift.break_end.minute
    return [(start, b0), (b1, end)]


def appointment_rows(
    desks: list[Desk],
    *,
    seed: int,
    now: datetime,
    past_days: int,
    future_days: int,
    grid_minutes: int,
) -> Iterator[dict[str, Any]]:
    """Rows for the appointments table, provider by provider, in time order."""
    rng = random.Random(f"demo-appointments-{seed}")
    for desk in desks:
        tz = ZoneInfo(desk.zone)
        today = now.astimezone(tz).date()
        by_day: dict[int, list[tuple[int, int]]] = {}
        for shift in desk.shifts:
            for weekday in shift.weekdays:
                by_day.setdefault(weekday, []).extend(_segments(shift))
        for offset in range(-past_days, future_days + 1):
            day = today + timedelta(days=offset)
            if day in desk.days_off or day.weekday() not in by_day:
                continue
            fill = occupancy(offset)
            for lo, hi in by_day[day.weekday()]:
                # working hours lie far from the night-time clock changes: one offset a stretch
                seg_start = datetime(
                    day.year, day.month, day.day, lo // 60, lo % 60, tzinfo=tz
                ).astimezone(UTC)
                yield from _walk(rng, desk, seg_start, hi - lo, fill, now, grid_minutes)


def _walk(
    rng: random.Random,
    desk: Desk,
    seg_start: datetime,
    length: int,
    fill: float,
    now: datetime,
    grid: int,
) -> Iterator[dict[str, Any]]:
    free = 0  # minutes into the stretch from which the provider is free (after buffers)
    while True:
        svc = rng.choices(desk.services, desk.weights)[0]
        start = -(-(free + svc.before) // grid) * grid  # first grid step the buffer allows
        if start + svc.minutes + svc.after > length:
            return
        if rng.random() > fill:
            free = start - svc.before + grid  # leave this step free
            continue
        free = start + svc.minutes + svc.after
        begin = seg_start + start * MINUTE
        end = begin + svc.minutes * MINUTE
        row = _row(rng, desk, svc, begin, end, now, may_cancel=True)
        yield row
        if row["status"] == "cancelled" and rng.random() < 0.45:
            yield _row(rng, desk, svc, begin, end, now, may_cancel=False)


def _row(
    rng: random.Random,
    desk: Desk,
    svc: WalkService,
    start: datetime,
    end: datetime,
    now: datetime,
    *,
    may_cancel: bool,
) -> dict[str, Any]:
    status, revision = _status(rng, start, end, now, may_cancel)
    walk_in = not svc.online and start <= now + timedelta(hours=1) and rng.random() < 0.08
    if walk_in:
        created = start - timedelta(minutes=rng.randint(5, 40))
        source = "walk_in"
    else:
        created = min(start, now) - timedelta(minutes=rng.randint(60, 40 * 24 * 60))
        source = "phone" if rng.random() < 0.85 else "other"
    updated = created if revision == 1 else max(created, min(now, end))
    cancelled = status == "cancelled"
    block = desk.patients
    # long-standing patients (lower ids) come more often
    patient = block.first_id + int((block.last_id - block.first_id + 1) * rng.random() ** 1.6)
    return {
        "patient_id": patient,
        "provider_id": desk.provider_id,
        "service_id": svc.id,
        "location_id": None if svc.online else desk.location_id,
        "room_id": None,
        "online": svc.online,
        "start_at": start,
        "end_at": end,
        "source": source,
        "status": status,
        "notes": rng.choice(APPOINTMENT_NOTES) if rng.random() < 0.1 else "",
        "cancelled_by": rng.choice(CANCELLED_BY) if cancelled else None,
        "cancel_reason": rng.choice(CANCEL_REASONS) if cancelled else None,
        "meet_url": None,
        "revision": revision,
        "created_at": created,
        "updated_at": updated,
    }


def _status(
    rng: random.Random, start: datetime, end: datetime, now: datetime, may_cancel: bool
) -> tuple[str, int]:
    roll = rng.random()
    if end <= now:
        if may_cancel and roll < 0.1:
            return "cancelled", 2
        if roll < 0.15:
            return "no_show", 2
        return "completed", 4
    if start <= now:
        return ("in_progress", 3) if roll < 0.8 else ("arrived", 2)
    if may_cancel and roll < 0.08:
        return "cancelled", 2
    if start - now <= timedelta(minutes=20) and roll < 0.5:
        return "arrived", 2
    return ("confirmed", 2) if roll < 0.45 else ("booked", 1)
