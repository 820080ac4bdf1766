"""Read models: a clinic's day, listed for the desk or the command line."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.clinic import Break, ExtraHours, Location, Provider, WorkingHours
from medbookings_desktop.domain.intervals import Interval, normalize
from medbookings_desktop.domain.wall_clock import (
    DatedWallClock,
    WallClockRule,
    expand_dated,
    expand_rules,
    occurs_between,
    resolve_wall_time,
)
from medbookings_desktop.services import calendars
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.ports import DaySpan


@dataclass(frozen=True, slots=True)
class AgendaLine:
    """An appointment with the names a calendar shows for it, and the zone to show it in."""

    appointment: Appointment
    patient_name: str
    provider_name: str
    service_name: str
    location_name: str | None
    zone: str

    @property
    def local_start(self) -> datetime:
        return self.appointment.start.astimezone(ZoneInfo(self.zone))

    @property
    def local_end(self) -> datetime:
        return self.appointment.end.astimezone(ZoneInfo(self.zone))


def day(
    ctx: Context, on: date, *, provider_id: int | None = None, include_cancelled: bool = True
) -> list[AgendaLine]:
    """Every appointment on `on`, each location's day taken in that location's own zone."""
    with ctx.read() as uow:
        setup = ctx.setup.snapshot(uow)
        settings = setup.settings
        locations = {loc.id: loc for loc in setup.locations}
        providers = {p.id: p for p in setup.providers}
        services = setup.services
        pids = [provider_id] if provider_id is not None else None
        if provider_id is not None and provider_id not in providers:
            uow.providers.get(provider_id)  # raises NotFound
        home_zones = {pid: _home_zone(p, locations, settings.zone) for pid, p in providers.items()}
        # with the patient's name in the same query: a busy day has hundreds of lines
        appts = uow.appointments.starting_in(
            _day_spans(on, locations, home_zones, settings.zone),
            provider_ids=pids,
            include_inactive=include_cancelled,
        )
        check_every_date = False
        if any(a.provider_id not in providers or a.service_id not in services for a, _ in appts):
            # booked with a provider or service added at another desk after the setup was read
            setup = ctx.setup.snapshot(uow, fresh=True)
            providers = {p.id: p for p in setup.providers}
            services = setup.services
            home_zones = {
                pid: _home_zone(p, locations, settings.zone) for pid, p in providers.items()
            }
            check_every_date = True  # the query's bounds may have used older homes
    # per location and per provider's home, what every line there shares
    at_location = {lid: (loc.zone, loc.name) for lid, loc in locations.items()}
    names = {pid: p.display_name for pid, p in providers.items()}
    service_names = {sid: svc.name for sid, svc in services.items()}
    unsure = {
        zone
        for zone in {settings.zone, *(z for z, _ in at_location.values())}
        if not _day_is_one_span(on, zone)
    }
    lines = []
    for a, patient_name in appts:
        found = at_location.get(a.location_id) if a.location_id is not None else None
        if found is not None:
            zone, location_name = found
        else:
            zone = home_zones[a.provider_id]
            location_name = None
        # the query kept to each zone's day; only where clocks go back across midnight do
        # some instants inside those bounds show another date
        if (check_every_date or zone in unsure) and a.start.astimezone(ZoneInfo(zone)).date() != on:
            continue
        lines.append(
            AgendaLine(
                appointment=a,
                patient_name=patient_name,
                provider_name=names[a.provider_id],
                service_name=service_names[a.service_id],
                location_name=location_name,
                zone=zone,
            )
        )
    return lines


def _day_is_one_span(on: date, zone: str) -> bool:
    """Whether local date `on` is exactly [its first midnight, the next one's first)."""
    tz = ZoneInfo(zone)
    return all(
        resolve_wall_time(d, time(0), tz) == resolve_wall_time(d, time(0), tz, is_end=True)
        for d in (on, on + timedelta(days=1))
    )


def _home_zone(provider: Provider, locations: Mapping[int | None, Location], clinic: str) -> str:
    """The zone of an online appointment: the provider's first location's, else the clinic's."""
    home = sorted(provider.location_ids)
    return locations[home[0]].zone if home else clinic


def _day_spans(
    on: date,
    locations: Mapping[int | None, Location],
    home_zones: Mapping[int | None, str],
    clinic_zone: str,
) -> list[DaySpan]:
    """Each zone's local day `on`, with the locations and online providers it applies to."""
    zones = {clinic_zone, *(loc.zone for loc in locations.values())}
    spans = []
    for zone in sorted(zones):
        tz = ZoneInfo(zone)
        spans.append(
            DaySpan(
                start=resolve_wall_time(on, time(0), tz),
                # the later midnight where clocks go back across it: that hour is still `on`
                end=resolve_wall_time(on + timedelta(days=1), time(0), tz, is_end=True),
                location_ids=frozenset(
                    lid for lid, loc in locations.items() if lid is not None and loc.zone == zone
                ),
                online_provider_ids=frozenset(
                    pid for pid, z in home_zones.items() if pid is not None and z == zone
                ),
            )
        )
    return spans


# -- hours on the desk's calendar -----------------------------------------------------------

ONE_DAY = timedelta(days=1)


# a NamedTuple rather than a frozen dataclass: a tenth of the cost to define at start-up
class Block(NamedTuple):
    """A labelled span (UTC) that takes a provider's time: a break, time off, a busy entry."""

    start: datetime
    end: datetime
    label: str


class ProviderHours(NamedTuple):
    """One provider's hours over some local days: worked time and what interrupts it (UTC)."""

    provider_id: int
    working: tuple[Interval, ...]
    breaks: tuple[Block, ...]
    time_off: tuple[Block, ...]
    busy: tuple[Block, ...]


def hours_between(
    ctx: Context, first: date, last: date, *, provider_ids: Sequence[int] | None = None
) -> dict[int, ProviderHours]:
    """Each provider's working periods, breaks, time off and busy blocks on the clinic's local
    dates `first`..`last`, clipped to those days (weekly rules expanded in each location's
    zone, so a DST day has its real length). `provider_ids` None: the active providers."""
    with ctx.read() as uow:
        snap = ctx.setup.snapshot(uow)
        tz = ZoneInfo(snap.settings.zone)
        lo = resolve_wall_time(first, time(0), tz)
        hi = resolve_wall_time(last + timedelta(days=1), time(0), tz, is_end=True)
        pids = (
            list(provider_ids)
            if provider_ids is not None
            else [p.id for p in snap.active_providers() if p.id is not None]
        )
        extras: dict[int, list[ExtraHours]] = defaultdict(list)
        offs: dict[int, list[Block]] = defaultdict(list)
        busy: dict[int, list[Block]] = defaultdict(list)
        if pids:
            around = (first - timedelta(days=1), last + timedelta(days=1))
            for x in uow.schedule.extra_hours(pids, *around):
                extras[x.provider_id].append(x)
            for off in uow.schedule.time_off(pids, lo, hi):
                offs[off.provider_id].append(Block(off.start, off.end, off.reason))
            for b in uow.schedule.busy_blocks(pids, lo, hi):
                busy[b.provider_id].append(Block(b.start, b.end, b.label))
    zones = {loc.id: loc.zone for loc in snap.locations}
    out: dict[int, ProviderHours] = {}
    for pid in pids:
        key = ("desk-hours", pid, first, last)
        weekly = snap.memo.get(key)
        if weekly is None:
            weekly = snap.memo[key] = _weekly(
                snap.hours.get(pid, ()), snap.breaks.get(pid, ()), zones, first, last
            )
        hours, breaks = weekly
        dated = [DatedWallClock(x.day, x.start, x.end, zones[x.location_id]) for x in extras[pid]]
        working = normalize([*hours, *expand_dated(dated, first - ONE_DAY, last + ONE_DAY)])
        out[pid] = ProviderHours(
            provider_id=pid,
            working=tuple(_clip_intervals(working, lo, hi)),
            breaks=tuple(_clip_blocks(breaks, lo, hi)),
            time_off=tuple(_clip_blocks(sorted(offs[pid], key=_block_start), lo, hi)),
            busy=tuple(_clip_blocks(sorted(busy[pid], key=_block_start), lo, hi)),
        )
    return out


def _weekly(
    hours: Sequence[WorkingHours],
    breaks: Sequence[Break],
    zones: Mapping[int | None, str],
    first: date,
    last: date,
) -> tuple[list[Interval], list[Block]]:
    """Weekly hours and labelled breaks on the local dates around `first`..`last`."""
    lo, hi = first - ONE_DAY, last + ONE_DAY
    by_zone: dict[str, list[WorkingHours]] = defaultdict(list)
    for h in hours:
        by_zone[zones[h.location_id]].append(h)
    worked: list[Interval] = []
    for zone, rules in by_zone.items():
        worked += calendars.expand_hours(rules, zone, lo, hi)
    out_breaks = [
        Block(iv.start, iv.end, b.label)
        for b in breaks
        if occurs_between(b.weekday, lo, hi)
        for iv in expand_rules(
            [WallClockRule(b.weekday, b.start, b.end, zones[b.location_id])], lo, hi
        )
        if iv.end > iv.start
    ]
    return normalize(worked), sorted(out_breaks, key=_block_start)


def _block_start(block: Block) -> datetime:
    return block.start


def _clip_intervals(items: Sequence[Interval], lo: datetime, hi: datetime) -> list[Interval]:
    return [
        Interval(max(iv.start, lo), min(iv.end, hi))
        for iv in items
        if iv.end > lo and iv.start < hi
    ]


def _clip_blocks(items: Sequence[Block], lo: datetime, hi: datetime) -> list[Block]:
    return [
        Block(max(b.start, lo), min(b.end, hi), b.label)
        for b in items
        if b.end > lo and b.start < hi
    ]
