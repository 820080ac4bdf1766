"""Free slots for a service, and the checks a requested time must pass before booking."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from medbookings_desktop.domain import availability
from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.clinic import ClinicSettings, Provider, Service
from medbookings_desktop.domain.errors import InvalidInput, Refused, SlotTaken
from medbookings_desktop.domain.intervals import Interval
from medbookings_desktop.services.calendars import CalendarSource, Seat
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.ports import UnitOfWork
from medbookings_desktop.services.setup_cache import SetupSnapshot

# How far back a walk-in may start: the patient is standing at the desk now.
WALK_IN_GRACE = timedelta(minutes=15)
# Windows grow so a near slot costs one small query and a far one a few.
_WINDOWS = (1, 1, 2, 3, 7, 14, 28, 56, 112, 224)


@dataclass(frozen=True, slots=True)
class FreeSlot:
    provider_id: int
    location_id: int | None
    start: datetime
    end: datetime
    zone: str

    def local_start(self) -> datetime:
        return self.start.astimezone(ZoneInfo(self.zone))

    def local_end(self) -> datetime:
        return self.end.astimezone(ZoneInfo(self.zone))


def providers_for(
    uow: UnitOfWork,
    service: Service,
    provider_ids: Sequence[int] | None,
    active: Sequence[Provider] | None = None,
) -> list[Provider]:
    """The active providers offering `service` (`active`: them all, when already read)."""
    if active is None:
        active = uow.providers.list(active_only=True)
    providers = [p for p in active if p.offers(service.id or -1)]
    if provider_ids:
        wanted = set(provider_ids)
        for pid in wanted - {p.id for p in providers}:
            prov = uow.providers.get(pid)  # raises NotFound for an unknown id
            raise Refused(f"{prov.display_name} does not offer {service.name}.")
        providers = [p for p in providers if p.id in wanted]
    if not providers:
        raise Refused(f"No provider offers {service.name} yet.")
    return providers


def search(
    uow: UnitOfWork,
    settings: ClinicSettings,
    service: Service,
    providers: Sequence[Provider],
    *,
    now: datetime,
    start_from: datetime,
    until: datetime,
    limit: int,
    location_id: int | None = None,
    setup: SetupSnapshot | None = None,
) -> list[FreeSlot]:
    not_before = max(start_from, now + settings.minimum_notice)
    not_after = min(until, now + settings.booking_horizon)
    if setup is None:
        source = CalendarSource(uow, providers, uow.locations.list(), settings.zone)
    else:
        source = CalendarSource(
            uow,
            providers,
            setup.locations,
            settings.zone,
            hours=setup.hours,
            breaks=setup.breaks,
            memo=setup.memo,
        )
    seats = source.seats(online=service.online, location_id=location_id)
    if not seats:
        return []
    found: list[FreeSlot] = []
    window_start = not_before
    reach = service.duration + service.buffer_before + service.buffer_after
    for days in _WINDOWS * 4:
        if window_start >= not_after or len(found) >= limit:
            break
        window_end = min(window_start + timedelta(days=days), not_after)
        calendars = source.calendars(seats, window_start, window_end + reach)
        request = availability.SlotRequest(
            duration=service.duration,
            buffer_before=service.buffer_before,
            buffer_after=service.buffer_after,
            grid=settings.slot_grid,
            not_before=window_start,
            not_after=not_after,
            limit=limit - len(found),
        )
        for slot in availability.find_slots(calendars, request):
            if slot.start >= window_end:
                break
            seat = seats[slot.provider_id]
            found.append(
                FreeSlot(seat.provider_id, seat.location_id, slot.start, slot.end, seat.zone)
            )
        window_start = window_end
    return found[:limit]


def find_slots(
    ctx: Context,
    *,
    service_id: int,
    provider_ids: Sequence[int] | None = None,
    location_id: int | None = None,
    start_from: date | datetime | None = None,
    days: int = 90,
    limit: int = 20,
) -> list[FreeSlot]:
    """The next free slots for a service across the chosen providers (or any)."""
    if days < 1 or days > 3660:
        raise InvalidInput("Search between 1 and 3660 days ahead.", "days")
    if limit < 1 or limit > 1000:
        raise InvalidInput("Ask for between 1 and 1000 slots.", "limit")
    now = ctx.now()
    with ctx.read() as uow:
        setup = ctx.setup.snapshot(uow)
        settings = setup.settings
        service = setup.service(uow, service_id)
        if location_id is not None and all(loc.id != location_id for loc in setup.locations):
            uow.locations.get(location_id)  # raises NotFound
        providers = providers_for(uow, service, provider_ids, setup.active_providers())
        begin = _as_instant(start_from, settings.zone) if start_from is not None else now
        return search(
            uow,
            settings,
            service,
            providers,
            now=now,
            start_from=begin,
            until=begin + timedelta(days=days),
            limit=limit,
            location_id=location_id,
            setup=setup,
        )


def _as_instant(value: date | datetime, zone: str) -> datetime:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidInput("Give the time with its UTC offset, e.g. 2026-03-08T09:00-05:00.")
        return value
    return datetime.combine(value, time(0), ZoneInfo(zone))


def check_bookable(
    uow: UnitOfWork,
    settings: ClinicSettings,
    appt: Appointment,
    service: Service,
    provider: Provider,
    *,
    now: datetime,
    walk_in: bool = False,
    reinstating: bool = False,
) -> None:
    """Raise with a reason a receptionist can read when `appt` cannot take its time.

    `reinstating` (undoing a cancel or no-show) skips notice and horizon: the time was booked.
    """
    if reinstating:
        pass
    elif walk_in:
        if appt.start < now - WALK_IN_GRACE:
            raise Refused("A walk-in starts now or later, not in the past.")
    elif appt.start < now + settings.minimum_notice:
        if appt.start < now:
            raise Refused("That time has already passed.")
        raise Refused(f"Bookings need {_minutes(settings.minimum_notice)} notice.")
    if not reinstating and appt.start > now + settings.booking_horizon:
        raise Refused(f"Bookings open {settings.booking_horizon.days} days ahead at most.")
    zone = _zone_of(uow, appt, provider, settings)
    tz = ZoneInfo(zone)
    wanted = Interval(appt.start - service.buffer_before, appt.end + service.buffer_after)
    _refuse_if_held(uow, appt, provider, wanted, zone)
    if appt.room_id is not None:
        for other in uow.appointments.clashes(appt):
            if other.room_id == appt.room_id:
                raise SlotTaken(f"The room is taken by appointment #{other.id} then.", other.id)
    source = CalendarSource(uow, [provider], uow.locations.list(), settings.zone)
    seat = Seat(provider.id or -1, None if appt.online else appt.location_id, zone)
    cal = source.calendars([seat], wanted.start, wanted.end, exclude_appointment=appt.id)[0]
    if not any(w.contains(wanted) for w in cal.working):
        where = "" if appt.online else f" at {uow.locations.get(appt.location_id or -1).name}"
        raise Refused(
            f"{appt.start.astimezone(tz):%a %d %b %H:%M}–{appt.end.astimezone(tz):%H:%M} ({zone}) "
            f"is outside {provider.display_name}'s working hours{where}."
        )
    if any(b.overlaps(wanted) for b in cal.blocked):
        # another desk may have booked this time since the first look (PostgreSQL reads each
        # statement afresh): then name that appointment rather than give a vague reason
        _refuse_if_held(uow, appt, provider, wanted, zone)
        raise Refused(
            f"{provider.display_name} is not available then (a break, time off or a busy "
            "calendar entry)."
        )


def _refuse_if_held(
    uow: UnitOfWork, appt: Appointment, provider: Provider, wanted: Interval, zone: str
) -> None:
    tz = ZoneInfo(zone)
    for held in uow.appointments.occupied([provider.id or -1], wanted.start, wanted.end):
        if held.id != appt.id and Interval(
            held.start - held.buffer_before, held.end + held.buffer_after
        ).overlaps(wanted):
            raise SlotTaken(
                f"{provider.display_name} already has appointment #{held.id} "
                f"{held.start.astimezone(tz):%a %d %b %H:%M}–{held.end.astimezone(tz):%H:%M} "
                f"({zone}), which overlaps.",
                held.id,
            )


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} minutes"


def _zone_of(
    uow: UnitOfWork, appt: Appointment, provider: Provider, settings: ClinicSettings
) -> str:
    if appt.location_id is not None:
        return uow.locations.get(appt.location_id).zone
    locs = sorted(provider.location_ids)
    return uow.locations.get(locs[0]).zone if locs else settings.zone


def location_for(
    uow: UnitOfWork, provider: Provider, start: datetime, end: datetime, settings: ClinicSettings
) -> int:
    """The location whose working hours cover this time (for bookings that did not say)."""
    source = CalendarSource(uow, [provider], uow.locations.list(), settings.zone)
    seats = source.seats(online=False)
    if not seats:
        raise Refused(f"{provider.display_name} has no location set up.")
    cals = source.calendars(seats, start, end)
    wanted = Interval(start, end)
    for seat, cal in zip(seats, cals, strict=True):
        if any(w.contains(wanted) for w in cal.working):
            assert seat.location_id is not None
            return seat.location_id
    if len(seats) == 1 and seats[0].location_id is not None:
        return seats[0].location_id  # the hours check will give the reason
    raise Refused(f"{provider.display_name} does not work at any location at that time.")
