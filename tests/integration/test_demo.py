"""`medbookings demo`: a realistic clinic in an empty database, the same for the same seed.

Run in-process through the command on an SQLite file and on PostgreSQL. The checks look at
what a desk would rely on: the setup went in, patients are findable (the search index was
filled), appointments keep to working hours and never overlap, and the fictional data stays
in the reserved phone ranges and example domains.
"""

from __future__ import annotations

import re
import shutil
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path

import pytest
from sqlalchemy import Engine, Table, func, select

from medbookings_desktop.bootstrap import context_for, open_engine
from medbookings_desktop.demo import Size, build_demo
from medbookings_desktop.domain.appointments import ACTIVE_STATUSES, Status
from medbookings_desktop.domain.intervals import Interval
from medbookings_desktop.services import patients
from medbookings_desktop.services.calendars import CalendarSource, Seat
from medbookings_desktop.storage import patient_rows
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import create_db_engine
from tests.helpers.clinic import Clock, SmallClinic
from tests.integration.cli_support import Cli

PHONE = re.compile(r"^(\+447700900\d{3}|\+120255501\d{2})$")  # UK drama, US 555-01xx
EMAIL = re.compile(r"^[a-z0-9.]+@example\.(com|org|net)$")
ACTIVE = [s.value for s in ACTIVE_STATUSES]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


def _count(engine: Engine, table: Table) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(table)) or 0)


def _patients(engine: Engine) -> list[tuple[object, ...]]:
    p = t.patients
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    p.c.first_name, p.c.last_name, p.c.date_of_birth, p.c.phone, p.c.email
                ).order_by(p.c.id)
            )
        ]


def test_small_demo_fills_an_empty_database(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    done = Cli(db_url, capsys)("demo", "--size", "small", "--seed", "4")

    assert done.code == 0, done.err
    assert "Patients: 200." in done.out
    assert "1 location, 6 services, 4 providers" in done.out
    assert _count(engine, t.locations) == 1
    assert _count(engine, t.services) == 6
    assert _count(engine, t.providers) == 4
    assert _count(engine, t.patients) == 200
    # six weeks of a four-provider clinic
    assert 500 < _count(engine, t.appointments) < 3000
    assert _count(engine, t.outbox) == 0  # demo appointments queue no messages
    with engine.connect() as conn:
        a = t.appointments
        statuses = Counter(
            dict(conn.execute(select(a.c.status, func.count()).group_by(a.c.status)).all())
        )
        unexplained = conn.scalar(
            select(func.count()).where(a.c.status == "cancelled", a.c.cancel_reason.is_(None))
        )
        online = conn.scalar(select(func.count()).where(a.c.online.is_(True)))
        zone = conn.scalar(select(t.locations.c.zone))
    for status in ("completed", "no_show", "cancelled", "booked", "confirmed"):
        assert statuses[status] > 0, statuses
    assert statuses["completed"] > statuses["no_show"]
    assert unexplained == 0
    assert online > 0
    assert zone == "Europe/London"


def test_demo_patients_are_fictional_and_findable(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert Cli(db_url, capsys)("demo").code == 0

    p = t.patients
    with engine.connect() as conn:
        stored = conn.execute(select(p)).all()
    for r in stored:
        assert r.phone is None or PHONE.match(r.phone), r.phone
        assert r.email is None or EMAIL.match(r.email), r.email
        # the search keys are exactly what storage writes for that patient
        values = patient_rows.patient_values(patient_rows.patient(r))
        assert (r.search_text, r.last_name_key, r.first_name_key) == (
            values["search_text"],
            values["last_name_key"],
            values["first_name_key"],
        )
    engine_, _ = open_engine(db_url, backup_dir=None)
    try:
        ctx = context_for(engine_, actor="test-desk")
        someone = patient_rows.patient(stored[17])
        found = patients.search(ctx, someone.full_name)
        assert someone.full_name in {f.full_name for f in found}
        with_email = next(patient_rows.patient(r) for r in stored if r.email)
        # a middle piece of an address goes through the trigram index (FTS5 on SQLite)
        piece = (with_email.email or "")[2:9]
        assert with_email.email in {f.email for f in patients.search(ctx, piece, limit=200)}
        # and the index still follows new patients
        added = patients.register(ctx, first_name="Wilhelmina", last_name="Quorvale")
        assert [f.id for f in patients.search(ctx, "orval")] == [added.id]
    finally:
        engine_.dispose()


def test_demo_keeps_the_search_index_trigger_as_it_was(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def triggers() -> list[tuple[str, str]]:
        engine = create_db_engine(sqlite_url)
        try:
            with engine.connect() as conn:
                return [
                    (r.name, r.sql)
                    for r in conn.exec_driver_sql(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
                    )
                ]
        finally:
            engine.dispose()

    before = triggers()
    assert Cli(sqlite_url, capsys)("demo").code == 0
    assert triggers() == before


def test_demo_refuses_a_database_that_holds_a_clinic(
    clinic: SmallClinic, db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    done = Cli(db_url, capsys)("demo", "--size", "small")

    assert done.code == 1
    assert "already holds a clinic (2 providers, 2 patients)" in done.err
    assert _count(engine, t.patients) == 2
    assert _count(engine, t.appointments) == 0
    assert _count(engine, t.locations) == 1


def test_demo_refuses_to_run_twice(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    cli = Cli(db_url, capsys)
    assert cli("demo").code == 0
    appointments = _count(engine, t.appointments)

    again = cli("demo", "--seed", "2")

    assert again.code == 1
    assert "refused" in again.err
    assert _count(engine, t.patients) == 200
    assert _count(engine, t.appointments) == appointments


def test_the_same_seed_gives_the_same_patients(
    db_url: str,
    engine: Engine,
    sqlite_template: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    others = {}
    for name, seed in (("same", 11), ("other", 12)):
        path = tmp_path / f"{name}.sqlite3"
        shutil.copyfile(sqlite_template, path)
        url = f"sqlite:///{path}"
        assert Cli(url, capsys)("demo", "--seed", seed).code == 0
        other = create_db_engine(url)
        others[name] = _patients(other)
        other.dispose()

    assert Cli(db_url, capsys)("demo", "--seed", "11").code == 0

    names = [p[:2] for p in _patients(engine)]
    assert _patients(engine) == others["same"]
    assert names != [p[:2] for p in others["other"]]
    assert len(set(names)) > 150  # varied, not one name repeated


def test_active_appointments_never_overlap_and_keep_to_working_hours(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    assert Cli(db_url, capsys)("demo", "--seed", "3").code == 0

    a, s = t.appointments, t.services
    with engine.connect() as conn:
        clashes = conn.scalar(
            select(func.count())
            .select_from(a)
            .join(
                b := a.alias("b"),
                (b.c.provider_id == a.c.provider_id)
                & (b.c.id != a.c.id)
                & (b.c.start_at < a.c.end_at)
                & (b.c.end_at > a.c.start_at),
            )
            .where(a.c.status.in_(ACTIVE), b.c.status.in_(ACTIVE))
        )
        held = conn.execute(
            select(
                a.c.id,
                a.c.provider_id,
                a.c.start_at,
                a.c.end_at,
                s.c.buffer_before,
                s.c.buffer_after,
            )
            .join(s, s.c.id == a.c.service_id)
            .where(a.c.status.in_(ACTIVE))
            .order_by(a.c.provider_id, a.c.start_at)
        ).all()
    assert clashes == 0
    # buffers included, as a booking would be checked
    by_provider = defaultdict(list)
    for r in held:
        by_provider[r.provider_id].append(r)
    for seq in by_provider.values():
        for first, then in pairwise(seq):
            assert first.end_at + first.buffer_after <= then.start_at - then.buffer_before

    service_engine, _ = open_engine(db_url, backup_dir=None)
    try:
        ctx = context_for(service_engine, actor="test-desk")
        with ctx.read() as uow:
            providers = {p.id: p for p in uow.providers.list()}
            services = {x.id: x for x in uow.services.list()}
            locations = uow.locations.list()
            zone = locations[0].zone
            for r in held:
                appt = uow.appointments.get(r.id)
                svc = services[appt.service_id]
                wanted = Interval(appt.start - svc.buffer_before, appt.end + svc.buffer_after)
                source = CalendarSource(uow, [providers[appt.provider_id]], locations, zone)
                seat = Seat(appt.provider_id, appt.location_id, zone)
                cal = source.calendars(
                    [seat], wanted.start, wanted.end, exclude_appointment=appt.id
                )[0]
                assert any(w.contains(wanted) for w in cal.working), appt
                assert not any(x.overlaps(wanted) for x in cal.blocked), appt
    finally:
        service_engine.dispose()


def test_a_demo_day_has_patients_arrived_and_in_progress(db_url: str) -> None:
    # a Monday mid-morning in London: some seen, some waiting, some with the doctor
    clock = Clock(datetime(2026, 6, 1, 10, 40, tzinfo=UTC))
    engine, _ = open_engine(db_url, backup_dir=None)
    try:
        ctx = context_for(engine, actor="test-desk", clock=clock)
        summary = build_demo(ctx, engine, size=Size.SMALL, seed=5)
        a = t.appointments
        with engine.connect() as conn:
            today = Counter(
                dict(
                    conn.execute(
                        select(a.c.status, func.count())
                        .where(
                            a.c.start_at >= datetime(2026, 6, 1, tzinfo=UTC),
                            a.c.start_at < datetime(2026, 6, 2, tzinfo=UTC),
                        )
                        .group_by(a.c.status)
                    ).all()
                )
            )
    finally:
        engine.dispose()
    assert summary.patients == 200
    assert today[Status.IN_PROGRESS.value] >= 1
    assert today[Status.COMPLETED.value] >= 1
    assert today[Status.BOOKED.value] + today[Status.CONFIRMED.value] >= 1
    assert sum(summary.appointments.values()) > 500
