"""Fill an empty database with a demo clinic.

The setup (clinic settings, locations, services, providers, weekly hours, time off) goes
through the services like any setup, with audit entries. Patients and appointments are
bulk-inserted with SQLAlchemy Core: the database's own guards stay on (the no-double-booking
trigger or exclusion constraint checks every appointment; the patient search index is filled
as for any patient). Demo appointments get no outbox rows (no confirmations or reminders are
queued for fictional patients), no status history and no audit entries of their own: the
clinic's audit log records one "demo" entry instead.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from medbookings_desktop.demo import bulk
from medbookings_desktop.demo.people import PatientBlock, blocks, patient_rows
from medbookings_desktop.demo.plan import ClinicPlan, ProviderPlan, Size, plan_for
from medbookings_desktop.demo.schedule import Desk, WalkService, appointment_rows
from medbookings_desktop.domain.clinic import (
    Break,
    ClinicSettings,
    Location,
    Provider,
    Service,
    TimeOff,
    WorkingHours,
)
from medbookings_desktop.domain.errors import Refused
from medbookings_desktop.services import setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import WRITE

# clinic_settings key that marks a database as holding a demo clinic (bench reuses those)
DEMO_KEY = "demo"


@dataclass
class DemoSummary:
    size: Size
    seed: int
    locations: int = 0
    services: int = 0
    providers: int = 0
    patients: int = 0
    appointments: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def total_seconds(self) -> float:
        return sum(self.seconds.values())

    def lines(self) -> list[str]:
        appts = sum(self.appointments.values())
        by_status = ", ".join(f"{n:,} {s.replace('_', ' ')}" for s, n in self.appointments.items())
        timing = ", ".join(f"{k} {v:.1f} s" for k, v in self.seconds.items())
        return [
            f"Demo clinic ({self.size.value}, seed {self.seed}): "
            f"{_count(self.locations, 'location')}, {_count(self.services, 'service')}, "
            f"{_count(self.providers, 'provider')}.",
            f"Patients: {self.patients:,}.",
            f"Appointments: {appts:,} ({by_status}).",
            f"Built in {self.total_seconds:.1f} s ({timing}).",
        ]


def _count(n: int, noun: str) -> str:
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


def refuse_unless_empty(ctx: Context) -> None:
    with ctx.read() as uow:
        providers = len(uow.providers.list())
        patients = uow.patients.count()
    if providers or patients:
        raise Refused(
            f"this database already holds a clinic ({providers} providers, {patients} patients); "
            "the demo only fills an empty database. Point --database at a new file, e.g. "
            "--database sqlite:///demo-clinic.sqlite3"
        )


def build_demo(
    ctx: Context,
    engine: Engine,
    *,
    size: Size = Size.SMALL,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Set up a demo clinic of `size` in an empty database; the same seed, the same clinic."""
    refuse_unless_empty(ctx)
    plan = plan_for(size, seed)
    now = ctx.now()
    summary = DemoSummary(size, seed)
    say = progress or (lambda _message: None)

    began = time.perf_counter()
    desks = _set_up(ctx, plan, seed, now, summary)
    grid = int(setup.clinic_settings(ctx).slot_grid / timedelta(minutes=1))
    summary.seconds["setup"] = time.perf_counter() - began

    conn = engine.connect().execution_options(**WRITE)
    try:
        began = time.perf_counter()
        say(f"Adding {plan.patients:,} patients...")
        with conn.begin(), bulk.patient_index_filled_once(conn):
            summary.patients = bulk.insert_in_batches(
                conn, t.patients, patient_rows(plan, seed, now)
            )
            bulk.after_explicit_ids(conn, t.patients)
        summary.seconds["patients"] = time.perf_counter() - began

        began = time.perf_counter()
        say("Adding appointments...")
        with conn.begin():
            bulk.insert_in_batches(
                conn,
                t.appointments,
                appointment_rows(
                    desks,
                    seed=seed,
                    now=now,
                    past_days=plan.past_days,
                    future_days=plan.future_days,
                    grid_minutes=grid,
                ),
            )
            summary.appointments = bulk.status_counts(conn)
            bulk.refresh_statistics(conn)
        summary.seconds["appointments"] = time.perf_counter() - began
    finally:
        conn.close()

    with ctx.write() as uow:
        uow.settings.set_value(
            DEMO_KEY, {"size": size.value, "seed": seed, "built_at": now.isoformat()}
        )
        ctx.audit(
            uow,
            "demo",
            "clinic",
            None,
            None,
            {
                "size": size.value,
                "seed": seed,
                "patients": summary.patients,
                "appointments": sum(summary.appointments.values()),
            },
        )
        uow.commit()
    return summary


def demo_of(ctx: Context) -> dict[str, object] | None:
    """What `demo` recorded in this database (size, seed, when), or None if it holds none."""
    with ctx.read() as uow:
        value = uow.settings.value(DEMO_KEY)
    return value if isinstance(value, dict) else None


def _set_up(
    ctx: Context, plan: ClinicPlan, seed: int, now: datetime, summary: DemoSummary
) -> list[Desk]:
    with ctx.write() as uow:
        uow.settings.save_clinic(
            ClinicSettings(
                name=plan.clinic_name,
                zone=plan.zone,
                phone_region=plan.phone_region,
                booking_horizon=timedelta(days=plan.booking_horizon_days),
            )
        )
        uow.commit()
    locations: dict[str, Location] = {}
    for lp in plan.locations:
        locations[lp.name] = setup.save_location(
            ctx,
            Location(
                name=lp.name,
                zone=lp.zone,
                address_line1=lp.address_line1,
                city=lp.city,
                region=lp.region,
                postal_code=lp.postal_code,
                country=lp.country,
                phone=lp.phone,
            ),
        )
    services: dict[str, Service] = {}
    for sp in plan.services:
        services[sp.key] = setup.save_service(
            ctx,
            Service(
                name=sp.name,
                duration=timedelta(minutes=sp.minutes),
                buffer_before=timedelta(minutes=sp.before),
                buffer_after=timedelta(minutes=sp.after),
                price_cents=sp.price_cents,
                deposit_cents=sp.deposit_cents,
                online=sp.online,
                colour=sp.colour,
            ),
        )
    rng = random.Random(f"demo-time-off-{seed}")
    patient_blocks = blocks(plan)
    location_index = {lp.name: i for i, lp in enumerate(plan.locations)}
    desks = []
    for index, pp in enumerate(plan.providers):
        location = locations[pp.location]
        desks.append(
            _provider(
                ctx,
                pp,
                location,
                services,
                _days_off(plan, index, rng, now, location.zone),
                patient_blocks[location_index[pp.location]],
            )
        )
    summary.locations = len(locations)
    summary.services = len(services)
    summary.providers = len(desks)
    return desks


def _provider(
    ctx: Context,
    pp: ProviderPlan,
    location: Location,
    services: dict[str, Service],
    days_off: list[tuple[date, date, str]],
    patients: PatientBlock,
) -> Desk:
    assert location.id is not None
    mix = [(services[key], weight) for key, weight in pp.role.mix if key in services]
    provider = setup.save_provider(
        ctx,
        Provider(
            name=pp.name,
            title=pp.role.title,
            colour=pp.colour,
            location_ids=frozenset({location.id}),
            service_ids=frozenset(s.id for s, _ in mix if s.id is not None),
        ),
    )
    pid = provider.id
    assert pid is not None
    hours, breaks = [], []
    for shift in pp.role.shifts:
        for day in shift.weekdays:
            hours.append(WorkingHours(pid, location.id, day, shift.start, shift.end))
            if shift.break_start is not None and shift.break_end is not None:
                breaks.append(
                    Break(pid, location.id, day, shift.break_start, shift.break_end, "Lunch")
                )
    setup.set_weekly_hours(ctx, pid, hours, breaks)
    tz = ZoneInfo(location.zone)
    off: set[date] = set()
    for first, last, reason in days_off:
        setup.add_time_off(
            ctx,
            TimeOff(
                pid,
                datetime.combine(first, datetime.min.time(), tz).astimezone(UTC),
                datetime.combine(last + timedelta(days=1), datetime.min.time(), tz).astimezone(UTC),
                reason,
            ),
        )
        off.update(first + timedelta(days=i) for i in range((last - first).days + 1))
    walk = tuple(
        WalkService(
            s.id or 0,
            int(s.duration / timedelta(minutes=1)),
            int(s.buffer_before / timedelta(minutes=1)),
            int(s.buffer_after / timedelta(minutes=1)),
            s.online,
        )
        for s, _ in mix
    )
    return Desk(
        provider_id=pid,
        location_id=location.id,
        zone=location.zone,
        shifts=pp.role.shifts,
        services=walk,
        weights=tuple(w for _, w in mix),
        days_off=frozenset(off),
        patients=patients,
    )


def _days_off(
    plan: ClinicPlan, index: int, rng: random.Random, now: datetime, zone: str
) -> list[tuple[date, date, str]]:
    """Leave and training: a week ahead for some (everyone, in a large clinic), a week behind."""
    today = now.astimezone(ZoneInfo(zone)).date()
    monday = today - timedelta(days=today.weekday())
    if plan.size is Size.SMALL:
        if index == 1:
            start = monday + timedelta(weeks=3)
            return [(start, start + timedelta(days=4), "Annual leave")]
        if index == 2:
            day = monday - timedelta(weeks=1) + timedelta(days=2)
            return [(day, day, "Training day")]
        return []
    ahead = monday + timedelta(weeks=rng.randint(4, 48))
    behind = monday - timedelta(weeks=rng.randint(3, 50))
    return [
        (behind, behind + timedelta(days=6), "Annual leave"),
        (ahead, ahead + timedelta(days=6), "Annual leave"),
    ]
