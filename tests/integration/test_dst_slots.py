"""Slots and bookings on the days clocks change, through the services and a real database:
America/New_York and Europe/London (one hour) and Australia/Lord_Howe (half an hour)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from medbookings_desktop.bootstrap import context_for, open_engine
from medbookings_desktop.domain.clinic import ClinicSettings, Location, Provider, Service
from medbookings_desktop.domain.clinic import WorkingHours as Hours
from medbookings_desktop.services import booking, patients, setup, slots
from medbookings_desktop.services.context import Context
from tests.helpers.clinic import Clock

# (zone, spring-forward day, fall-back day) in 2026
CHANGE_DAYS = [
    ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
    ("Europe/London", date(2026, 3, 29), date(2026, 10, 25)),
    ("Australia/Lord_Howe", date(2026, 10, 4), date(2026, 4, 5)),
]
GRID = timedelta(minutes=30)


def _offset_change(zone: str, day: date) -> timedelta:
    tz = ZoneInfo(zone)
    before = datetime.combine(day, time(0), tz).utcoffset()
    after = datetime.combine(day + timedelta(days=1), time(0), tz).utcoffset()
    assert before is not None and after is not None
    return after - before


@pytest.fixture
def night_clinic(db_url: str) -> Iterator[tuple[Context, Clock]]:
    """A clinic whose only provider works 00:00–06:00 every day, across the change hour."""
    clock = Clock(datetime(2026, 1, 1, tzinfo=UTC))
    engine, _ = open_engine(db_url, backup_dir=None)
    ctx = context_for(engine, actor="dst-desk", clock=clock)
    with ctx.write() as uow:
        uow.settings.save_clinic(
            ClinicSettings(zone="UTC", slot_grid=GRID, booking_horizon=timedelta(days=400))
        )
        uow.commit()
    yield ctx, clock
    engine.dispose()


def _setup(ctx: Context, zone: str) -> tuple[int, int, int]:
    loc = setup.save_location(ctx, Location(name=zone, zone=zone))
    svc = setup.save_service(ctx, Service(name="Night visit", duration=timedelta(minutes=30)))
    prov = setup.save_provider(
        ctx,
        Provider(
            name="Dr Night",
            location_ids=frozenset({loc.id or 0}),
            service_ids=frozenset({svc.id or 0}),
        ),
    )
    assert loc.id and svc.id and prov.id
    setup.set_weekly_hours(
        ctx, prov.id, [Hours(prov.id, loc.id, d, time(0), time(6)) for d in range(7)]
    )
    pat = patients.register(ctx, first_name="Night", last_name="Owl")
    assert pat.id
    return prov.id, loc.id, pat.id


@pytest.mark.parametrize(("zone", "spring", "autumn"), CHANGE_DAYS)
@pytest.mark.parametrize("which", ["spring", "autumn"])
def test_slots_on_a_change_day(
    night_clinic: tuple[Context, Clock], zone: str, spring: date, autumn: date, which: str
) -> None:
    ctx, clock = night_clinic
    day = spring if which == "spring" else autumn
    provider_id, _location_id, patient_id = _setup(ctx, zone)
    clock.now = datetime.combine(day - timedelta(days=2), time(12), UTC)
    with ctx.read() as uow:
        svc = uow.services.by_name("Night visit")
    assert svc is not None and svc.id is not None
    tz = ZoneInfo(zone)
    # from the day before in the location's own zone (a date alone is read in the clinic's)
    since = datetime.combine(day - timedelta(days=1), time(12), tz)
    found = slots.find_slots(ctx, service_id=svc.id, start_from=since, days=2, limit=100)
    on_day = [s for s in found if s.start.astimezone(tz).date() == day]
    starts = [s.start for s in on_day]
    # distinct real instants, in order, each a wall time that exists on a 30-minute grid
    assert starts == sorted(set(starts))
    for s in on_day:
        local = s.start.astimezone(tz)
        assert local.minute % 30 == 0
        assert local.replace(tzinfo=None).replace(tzinfo=tz).astimezone(UTC) in (
            s.start,
            s.start.astimezone(tz).replace(fold=1).astimezone(UTC),
        )
        assert s.end - s.start == timedelta(minutes=30)
    # 00:00–06:00 lasts six hours minus (spring) or plus (autumn) the change
    change = _offset_change(zone, day)
    elapsed = timedelta(hours=6) - change
    assert len(on_day) == elapsed // GRID
    # a booking at the last slot stores the right instant and comes back as the same wall time
    last = on_day[-1]
    done = booking.book(
        ctx, patient_id=patient_id, provider_id=provider_id, service_id=svc.id, start=last.start
    )
    assert done.appointment.start == last.start
    assert done.appointment.start.astimezone(tz).time() == last.start.astimezone(tz).time()
    assert done.appointment.end - done.appointment.start == timedelta(minutes=30)
