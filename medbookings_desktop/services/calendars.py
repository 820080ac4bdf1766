"""Turn stored hours, breaks, absences and appointments into the slot engine's calendars."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.availability import (
    DatedWallClock,
    ProviderCalendar,
    WallClockRule,
    expand_dated,
    expand_rules,
)
from medbookings_desktop.domain.clinic import Break, Location, Provider, WorkingHours
from medbookings_desktop.domain.intervals import Interval, normalize
from medbookings_desktop.services.ports import UnitOfWork

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Seat:
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
        if lo <= hi:
            out += expand_rules([WallClockRule(h.weekday, h.start, h.end, zone)], lo, hi)
    return out


def _expand_breaks(
    breaks: Sequence[Break], zones: dict[int, str], start: datetime, end: datetime
) -> list[Interval]:
    out: list[Interval] = []
    for b in breaks:
        zone = zones[b.location_id]
        first, last = local_days(start, end, zone)
        out += expand_rules([WallClockRule(b.weekday, b.start, b.end, zone)], first, last)
    return out


class CalendarSource:
    """Loads what one slot search needs; weekly rules once, dated things per window."""

    def __init__(
        self,
        uow: UnitOfWork,
        providers: Sequence[Provider],
        locations: Sequence[Location],
        clinic_zone: str,
    ) -> None:
        self.uow = uow
        self.providers = {p.id: p for p in providers if p.id is not None}
        self.zones = {loc.id: loc.zone for loc in locations if loc.id is not None}
        self.clinic_zone = clinic_zone
        ids = list(self.providers)
        self.hours: dict[int, list[WorkingHours]] = defaultdict(list)
        for h in uow.schedule.working_hours(ids):
            self.hours[h.provider_id].append(h)
        self.breaks: dict[int, list[Break]] = defaultdict(list)
        for b in uow.schedule.breaks(ids):
            self.breaks[b.provider_id].append(b)

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
            blocked[pid] += _expand_breaks(self.breaks[pid], self.zones, start, end)
        extras = defaultdict(list)
        first_all, last_all = (start - ONE_DAY * 2).date(), (end + ONE_DAY * 2).date()
        for extra in self.uow.schedule.extra_hours(pids, first_all, last_all):
            extras[extra.provider_id].append(extra)

        out = []
        for index, seat in enumerate(seats):
            working: list[Interval] = []
            rules = [
                h
                for h in self.hours[seat.provider_id]
                if seat.location_id is None or h.location_id == seat.location_id
            ]
            for zone in {self.zones[h.location_id] for h in rules}:
                first, last = local_days(start, end, zone)
                working += _expand_hours(
                    [h for h in rules if self.zones[h.location_id] == zone], zone, first, last
                )
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
