"""A small clinic built through the services, for tests that need one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import Engine

from medbookings_desktop.bootstrap import context_for, open_engine
from medbookings_desktop.domain.clinic import (
    Break,
    ClinicSettings,
    Location,
    Provider,
    Service,
    WorkingHours,
)
from medbookings_desktop.domain.patients import Patient
from medbookings_desktop.services import patients, setup
from medbookings_desktop.services.context import Context


class Clock:
    """A clock the test sets; services read it through Context.clock."""

    def __init__(self, now: datetime | None = None) -> None:
        # a Monday morning in London, before opening
        self.now = now or datetime(2026, 6, 1, 7, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@dataclass
class SmallClinic:
    engine: Engine
    ctx: Context
    clock: Clock
    london: Location
    consultation: Service  # 30 min, 5 min buffer after
    checkup: Service  # 15 min
    video: Service  # online, 20 min
    dr_a: Provider  # Mon–Fri 09:00–17:00 London, lunch 12:30–13:00
    dr_b: Provider  # Mon, Wed 10:00–14:00 London
    ada: Patient
    ben: Patient


WEEKDAYS = range(5)


def build_small_clinic(url: str, clock: Clock) -> SmallClinic:
    engine, _ = open_engine(url, backup_dir=None)
    ctx = context_for(engine, actor="test-desk", clock=clock)
    with ctx.write() as uow:
        uow.settings.save_clinic(ClinicSettings(name="Riverside Clinic", zone="Europe/London"))
        uow.commit()
    london = setup.save_location(
        ctx, Location(name="Riverside", zone="Europe/London", city="London", country="GB")
    )
    assert london.id is not None
    consultation = setup.save_service(
        ctx,
        Service(
            name="Consultation",
            duration=timedelta(minutes=30),
            buffer_after=timedelta(minutes=5),
            price_cents=6000,
            deposit_cents=1000,
        ),
    )
    checkup = setup.save_service(ctx, Service(name="Check-up", duration=timedelta(minutes=15)))
    video = setup.save_service(
        ctx, Service(name="Video consultation", duration=timedelta(minutes=20), online=True)
    )
    all_services = frozenset(s.id for s in (consultation, checkup, video) if s.id)
    dr_a = setup.save_provider(
        ctx,
        Provider(
            name="Thandi Mokoena",
            title="Dr",
            location_ids=frozenset({london.id}),
            service_ids=all_services,
        ),
    )
    dr_b = setup.save_provider(
        ctx,
        Provider(
            name="Lars Berg",
            title="Dr",
            colour="#7a3db8",
            location_ids=frozenset({london.id}),
            service_ids=frozenset({checkup.id or 0}),
        ),
    )
    assert dr_a.id is not None and dr_b.id is not None
    setup.set_weekly_hours(
        ctx,
        dr_a.id,
        [WorkingHours(dr_a.id, london.id, d, time(9), time(17)) for d in WEEKDAYS],
        [Break(dr_a.id, london.id, d, time(12, 30), time(13), "Lunch") for d in WEEKDAYS],
    )
    setup.set_weekly_hours(
        ctx, dr_b.id, [WorkingHours(dr_b.id, london.id, d, time(10), time(14)) for d in (0, 2)]
    )
    ada = patients.register(
        ctx,
        first_name="Ada",
        last_name="Okafor",
        phone="+44 20 7946 0123",
        email="ada@example.com",
        consent_sms=True,
        consent_email=True,
    )
    ben = patients.register(ctx, first_name="Ben", last_name="Adams", phone="020 7946 0456")
    return SmallClinic(
        engine, ctx, clock, london, consultation, checkup, video, dr_a, dr_b, ada, ben
    )
