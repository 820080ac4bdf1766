"""The slot engine: bookable times from what is worked and what is blocked.

It subtracts what is blocked from what is worked and steps a grid, aligned to the provider's
local wall clock, through the free time that is left. Working time comes in already expanded
from wall-clock rules (domain/wall_clock.py, which also says how DST days resolve).

Slot grid: a candidate start is on the grid when its *local* wall time (in the calendar's
zone) has a minutes-since-midnight reading divisible by the grid minutes, with zero seconds.
So slots start at 09:00, 09:15 ... local whatever the UTC offset (+05:30, +10:30, a 30-minute
DST shift), a wall time inside a spring-forward gap is never a start, a wall time that happens
twice gives two candidate starts, and a day whose midnight does not exist (its clocks jump
from 24:00 to 01:00) has its grid counted from the wall-clock reading, not from the jump.
A grid that does not divide 24h restarts at each local midnight.

Nothing here reads the machine's time zone or clock: every instant comes in as an argument.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.intervals import Interval, subtract
from medbookings_desktop.domain.wall_clock import resolve_wall_time, zone_for

__all__ = [
    "ProviderCalendar",
    "Slot",
    "SlotRequest",
    "find_slots",
    "free_intervals",
    "iter_provider_slots",
    "next_slot",
    "provider_slots",
]

_DAY = timedelta(days=1)
_MINUTE = timedelta(minutes=1)
_MIDNIGHT = time(0)


@dataclass(frozen=True, slots=True)
class ProviderCalendar:
    """One provider's time: what is worked and what is blocked (UTC), and the local zone.

    `blocked` holds breaks, time off, external busy blocks and active appointments already
    widened by their own buffers. `zone` aligns the slot grid and defines the local day.
    """

    provider_id: int
    working: Sequence[Interval]
    blocked: Sequence[Interval]
    zone: str

    def __post_init__(self) -> None:
        zone_for(self.zone)


def _aware_utc(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime.")
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware: {value!r}.")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class SlotRequest:
    """What to look for: a visit of `duration` with buffers, on a grid, in a time window.

    `not_before` is now plus the minimum notice; `not_after` is the end of the booking
    horizon: a slot must start at or after the first and end at or before the second.
    Everything after `duration` is keyword-only.
    """

    duration: timedelta
    _: KW_ONLY
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    grid: timedelta = timedelta(minutes=15)
    not_before: datetime
    not_after: datetime
    limit: int = 20

    def __post_init__(self) -> None:
        if self.duration <= timedelta(0):
            raise ValueError("A slot needs a positive duration.")
        if self.buffer_before < timedelta(0) or self.buffer_after < timedelta(0):
            raise ValueError("Buffers cannot be negative.")
        if self.grid <= timedelta(0) or self.grid % _MINUTE:
            raise ValueError("The slot grid must be a positive whole number of minutes.")
        if isinstance(self.limit, bool) or self.limit < 0:
            raise ValueError("The slot limit cannot be negative.")
        # Frozen dataclass: the UTC copies have to be written past the frozen guard.
        object.__setattr__(self, "not_before", _aware_utc(self.not_before, "not_before"))
        object.__setattr__(self, "not_after", _aware_utc(self.not_after, "not_after"))


@dataclass(frozen=True, slots=True, order=True)
class Slot:
    """A bookable visit time for one provider, in UTC (buffers not included)."""

    start: datetime
    end: datetime
    provider_id: int

    def __post_init__(self) -> None:
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError("Slot times must be timezone-aware.")
        if self.end <= self.start:
            raise ValueError("A slot must end after it starts.")

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


def free_intervals(cal: ProviderCalendar) -> list[Interval]:
    """Worked time minus blocked time, normalized."""
    return subtract(cal.working, cal.blocked)


class _LocalGrid:
    """The instants whose local wall-clock reading in one zone lies on a minute grid."""

    __slots__ = ("_days", "_step", "_step_minutes", "_zone")

    def __init__(self, zone: ZoneInfo, step: timedelta) -> None:
        self._zone = zone
        self._step = step
        self._step_minutes = step // _MINUTE
        # Per local date: (first instant, first instant of the next date, grid points or
        # None when the day has one constant offset and the grid is plain arithmetic).
        self._days: dict[date, tuple[datetime, datetime, list[datetime] | None]] = {}

    def _day(self, day: date) -> tuple[datetime, datetime, list[datetime] | None]:
        known = self._days.get(day)
        if known is not None:
            return known
        start = resolve_wall_time(day, _MIDNIGHT, self._zone)
        end = resolve_wall_time(day + _DAY, _MIDNIGHT, self._zone)
        local_start = start.astimezone(self._zone)
        if end - start == _DAY and local_start.hour == 0 and local_start.minute == 0:
            info: tuple[datetime, datetime, list[datetime] | None] = (start, end, None)
        else:
            info = (start, end, self._irregular_points(day, start, end))
        self._days[day] = info
        return info

    def _irregular_points(self, day: date, start: datetime, end: datetime) -> list[datetime]:
        # Rare (DST change days): map each grid wall time to the 0, 1 or 2 instants showing it.
        found: set[datetime] = set()
        for minutes in range(0, 24 * 60, self._step_minutes):
            hour, minute = divmod(minutes, 60)
            wall = (day, hour, minute)
            local = datetime(day.year, day.month, day.day, hour, minute, tzinfo=self._zone)
            for fold in (0, 1):
                instant = local.replace(fold=fold).astimezone(UTC)
                shown = instant.astimezone(self._zone)
                # A gap wall time converts to an instant that shows a different reading.
                if (shown.date(), shown.hour, shown.minute) == wall:
                    found.add(instant)
        return sorted(t for t in found if start <= t < end)

    def points(self, lo: datetime, hi: datetime) -> Iterator[datetime]:
        """Grid instants in [lo, hi] (UTC), ascending, stepping day by local day."""
        step = self._step
        day = lo.astimezone(self._zone).date()
        while True:
            start, end, irregular = self._day(day)
            if start > hi:
                return
            if irregular is None:
                first = max(lo, start)
                t = start - ((start - first) // step) * step
                while t <= hi and t < end:
                    yield t
                    t += step
            else:
                for t in irregular:
                    if t > hi:
                        return
                    if t >= lo:
                        yield t
            day += _DAY


def iter_provider_slots(cal: ProviderCalendar, req: SlotRequest) -> Iterator[Slot]:
    """Every slot of one provider for `req`, ascending by start, ignoring `req.limit`."""
    duration = req.duration
    before = req.buffer_before
    after = req.buffer_after
    window_lo = req.not_before - before
    window_hi = req.not_after + after
    if req.not_before + duration > req.not_after:
        return
    # Only time near the window matters; dropping the rest keeps long histories cheap.
    working = [iv for iv in cal.working if iv.end > window_lo and iv.start < window_hi]
    blocked = [iv for iv in cal.blocked if iv.end > window_lo and iv.start < window_hi]
    grid = _LocalGrid(zone_for(cal.zone), req.grid)
    provider_id = cal.provider_id
    for free in subtract(working, blocked):
        lo = max(free.start + before, req.not_before)
        hi = min(free.end - after, req.not_after) - duration
        if lo > hi:
            continue
        for start in grid.points(lo, hi):
            yield Slot(start, start + duration, provider_id)


def provider_slots(cal: ProviderCalendar, req: SlotRequest) -> list[Slot]:
    """The first `req.limit` slots of one provider, ascending by start."""
    return list(islice(iter_provider_slots(cal, req), req.limit))


def _slot_key(slot: Slot) -> tuple[datetime, int]:
    return slot.start, slot.provider_id


def _merged(calendars: Sequence[ProviderCalendar], req: SlotRequest) -> Iterator[Slot]:
    # Lazy k-way merge: each provider's generator is only advanced as far as is consumed.
    merged = heapq.merge(*(iter_provider_slots(cal, req) for cal in calendars), key=_slot_key)
    previous: Slot | None = None
    for slot in merged:
        # Two calendars of one provider can yield the same slot; offer it once.
        if slot != previous:
            yield slot
        previous = slot


def find_slots(calendars: Sequence[ProviderCalendar], req: SlotRequest) -> list[Slot]:
    """The first `req.limit` slots across providers, by (start, provider_id)."""
    if req.limit == 0:
        return []
    return list(islice(_merged(calendars, req), req.limit))


def next_slot(calendars: Sequence[ProviderCalendar], req: SlotRequest) -> Slot | None:
    """The earliest slot across providers (ties by provider_id), or None; ignores the limit."""
    return next(_merged(calendars, req), None)
