"""Turn stored hours, breaks, absences and appointments into the slot engine's calendars."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, NamedTuple
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.clinic import Break, Location, Provider, WorkingHours
from medbookings_desktop.domain.intervals import Interval, normalize
from medbookings_desktop.domain.wall_clock import (
    DatedWallClock,
    WallClockRule,
    expand_dated,
    expand_rules,
    occurs_between,
)
from medbookings_desktop.services.ports import UnitOfWork

if TYPE_CHECKING:
    from medbookings_desktop.domain.availability import ProviderCalendar

ONE_DAY = timedelta(days=1)


# a NamedTuple rather than a frozen dataclass: a tenth of the cost to define at start-up
class Seat(NamedTuple):
    """Where a calendar's hours apply: a provider at a location, or online (location None)."""

    provider_id: int
    location_id: int | None
    zone: str


def local_days(start: datetime, end: datetime, zone: str) -> tuple[date, date]:
    tz = ZoneInfo(zone)
    return (start.astimezone(tz).date() - ONE_DAY, end.astimezone(tz).date() + ONE_DAY)


def _expand_hours(
    hours: Sequence[WorkingHours], zone: str, first: date, last: date
) -> list[Interval]:
    out: list[Interval] = []
    for h in hours:
        lo = max(first, h.valid_from) if h.valid_from else first
        hi = min(last, h.valid_until) if h.valid_until else last
        if lo <= hi and occurs_between(h.weekday, lo, hi):
            out += expand_rules([WallClockRule(h.weekday, h.start, h.end, zone)], lo, hi)
    return out


class CalendarSource:
    """Loads what one slot search needs; weekly rules once, dated things per window.

    `hours` and `breaks` (by provider) may come from a desk's cached setup, and `memo` keeps
    weekly rules expanded per local date across searches of the same setup.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        providers: Sequence[Provider],
        locations: Sequence[Location],
        clinic_zone: str,
        *,
        hours: Mapping[int, Sequence[WorkingHours]] | None = None,
        breaks: Mapping[int, Sequence[Break]] | None = None,
        memo: dict[tuple[Any, ...], Any] | None = None,
    ) -> None:
        self.uow = uow
        self.providers = {p.id: p for p in providers if p.id is not None}
        self.zones = {loc.id: loc.zone for loc in locations if loc.id is not None}
        self.clinic_zone = clinic_zone
        self.memo: dict[tuple[Any, ...], Any] = {} if memo is None else memo
        ids = list(self.providers)
        if hours is None:
            loaded: dict[int, list[WorkingHours]] = defaultdict(list)
            for h in uow.schedule.working_hours(ids):
                loaded[h.provider_id].append(h)
            hours = loaded
        if breaks is None:
            loaded_breaks: dict[int, list[Break]] = defaultdict(list)
            for b in uow.schedule.breaks(ids):
                loaded_breaks[b.provider_id].append(b)
            breaks = loaded_breaks
        self.hours = {pid: tuple(hours.get(pid, ())) for pid in ids}
        self.breaks = {pid: tuple(breaks.get(pid, ())) for pid in ids}

    def _working_days(self, seat: Seat, zone: str, first: date, last: date) -> list[Interval]:
        """The seat's weekly hours in `zone` on each local date in [first, last]."""
        out: list[Interval] = []
        day = first
        while day <= last:
            key = ("hours", seat.provider_id, seat.location_id, zone, day)
            known = self.memo.get(key)
            if known is None:
                rules = [
                    h
                    for h in self.hours[seat.provider_id]
                    if (seat.location_id is None or h.location_id == seat.location_id)
                    and self.zones[h.location_id] == zone
                ]
                known = self.memo[key] = tuple(_expand_hours(rules, zone, day, day))
            out += known
            day += ONE_DAY
        return out

    def _break_days(self, pid: int, start: datetime, end: datetime) -> list[Interval]:
        """The provider's weekly breaks, each on the local dates of its location's zone."""
        out: list[Interval] = []
        by_zone: dict[str, list[Break]] = defaultdict(list)
        for b in self.breaks[pid]:
            by_zone[self.zones[b.location_id]].append(b)
        for zone, breaks in by_zone.items():
            day, last = local_days(start, end, zone)
            while day <= last:
                key = ("breaks", pid, zone, day)
                known = self.memo.get(key)
                if known is None:
                    known = self.memo[key] = tuple(
                        expand_rules(
                            [
                                WallClockRule(b.weekday, b.start, b.end, zone)
                                for b in breaks
                                if b.weekday == day.weekday()
                            ],
                            day,
                            day,
                        )
                    )
                out += known
                day += ONE_DAY
        return out

    def seats(self, *, online: bool, location_id: int | None = None) -> list[Seat]:
        seats = []
        for pid, prov in self.providers.items():
            if online:
                zone = self._home_zone(prov)
                seats.append(Seat(pid, None, zone))
                continue
            for lid in sorted(prov.location_ids):
                if location_id is None or lid == location_id:
                    seats.append(Seat(pid, lid, self.zones[lid]))
        return seats

    def _home_zone(self, prov: Provider) -> str:
        locs = sorted(prov.location_ids)
        return self.zones[locs[0]] if locs else self.clinic_zone

    def calendars(
        self,
        seats: Sequence[Seat],
        start: datetime,
        end: datetime,
        *,
        exclude_appointment: int | None = None,
    ) -> list[ProviderCalendar]:
        """One calendar per seat, keyed by the seat's index (the engine's `provider_id`)."""
        # the slot engine loads with the first search; the calendar's start needs only hours
        from medbookings_desktop.domain.availability import ProviderCalendar

        pids = sorted({s.provider_id for s in seats})
        blocked: dict[int, list[Interval]] = defaultdict(list)
        for off in self.uow.schedule.time_off(pids, start - ONE_DAY, end + ONE_DAY):
            blocked[off.provider_id].append(Interval(off.start, off.end))
        for busy in self.uow.schedule.busy_blocks(pids, start - ONE_DAY, end + ONE_DAY):
            blocked[busy.provider_id].append(Interval(busy.start, busy.end))
        for occ in self.uow.appointments.occupied(pids, start, end):
            if occ.id != exclude_appointment:
                blocked[occ.provider_id].append(
                    Interval(occ.start - occ.buffer_before, occ.end + occ.buffer_after)
                )
        for pid in pids:
            blocked[pid] += self._break_days(pid, start, end)
        extras = defaultdict(list)
        first_all, last_all = (start - ONE_DAY * 2).date(), (end + ONE_DAY * 2).date()
        for extra in self.uow.schedule.extra_hours(pids, first_all, last_all):
            extras[extra.provider_id].append(extra)

        out = []
        for index, seat in enumerate(seats):
            working: list[Interval] = []
            zones = {
                self.zones[h.location_id]
                for h in self.hours[seat.provider_id]
                if seat.location_id is None or h.location_id == seat.location_id
            }
            for zone in zones:
                first, last = local_days(start, end, zone)
                working += self._working_days(seat, zone, first, last)
            dated = [
                DatedWallClock(x.day, x.start, x.end, self.zones[x.location_id])
                for x in extras[seat.provider_id]
                if seat.location_id is None or x.location_id == seat.location_id
            ]
            if dated:
                working += expand_dated(dated, first_all, last_all)
            out.append(
                ProviderCalendar(
                    provider_id=index,
                    working=normalize(working),
                    blocked=normalize(blocked[seat.provider_id]),
                    zone=seat.zone,
                )
            )
        return out


def expand_hours(
    hours: Sequence[WorkingHours], zone: str, first: date, last: date
) -> list[Interval]:
    """Weekly working hours (in `zone`) on each local date in [first, last], within validity."""
    return _expand_hours(hours, zone, first, last)
