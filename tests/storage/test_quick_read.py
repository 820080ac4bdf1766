"""The desk's quick first-day reader (sqlite3, no SQLAlchemy) reads what SqlUnitOfWork reads."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from medbookings_desktop.domain.clinic import BusyBlock, ExtraHours, Location, Provider, TimeOff
from medbookings_desktop.services import booking, setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.storage import revisions
from medbookings_desktop.storage.quick_read import (
    QuickReader,
    QuickReadUnitOfWork,
    sqlite_file,
)
from medbookings_desktop.ui.day_model import load_day
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

MONDAY = date(2026, 6, 1)


def _quick(clinic: SmallClinic, path: Path) -> Context:
    return Context(
        write=clinic.ctx.write,
        read=lambda: QuickReadUnitOfWork(path),
        actor_id=clinic.ctx.actor_id,
        clock=clinic.clock,
    )


def _busy_clinic(sqlite_url: str, clock: Clock) -> SmallClinic:
    clinic = build_small_clinic(sqlite_url, clock)
    ctx = clinic.ctx
    assert clinic.dr_a.id and clinic.dr_b.id and clinic.london.id
    # a second location in another zone, and a provider with no location (online only)
    paris = setup.save_location(ctx, Location(name="Paris", zone="Europe/Paris", country="FR"))
    setup.save_provider(
        ctx,
        Provider(name="Online Only", service_ids=frozenset({clinic.video.id or 0})),
    )
    at = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
    for n, patient in enumerate((clinic.ada, clinic.ben)):
        booking.book(
            ctx,
            patient_id=patient.id or 0,
            provider_id=clinic.dr_a.id,
            service_id=clinic.consultation.id or 0,
            start=at + timedelta(hours=n),
        )
    cancelled = booking.book(
        ctx,
        patient_id=clinic.ben.id or 0,
        provider_id=clinic.dr_b.id,
        service_id=clinic.checkup.id or 0,
        start=datetime(2026, 6, 1, 10, 0, tzinfo=UTC),
    )
    booking.cancel(ctx, cancelled.appointment.id or 0, reason="Unwell")
    booking.book(
        ctx,
        patient_id=clinic.ada.id or 0,
        provider_id=clinic.dr_a.id,
        service_id=clinic.video.id or 0,
        start=datetime(2026, 6, 1, 14, 0, tzinfo=UTC),
        online=True,
    )
    setup.add_time_off(
        ctx,
        TimeOff(
            clinic.dr_b.id,
            datetime(2026, 6, 1, 12, tzinfo=UTC),
            datetime(2026, 6, 1, 13, tzinfo=UTC),
            "Training",
        ),
    )
    setup.add_extra_hours(
        ctx, ExtraHours(clinic.dr_b.id, clinic.london.id, MONDAY, time(15), time(17))
    )
    with ctx.write() as uow:
        uow.schedule.add_busy_block(
            BusyBlock(
                clinic.dr_a.id,
                datetime(2026, 6, 1, 15, tzinfo=UTC),
                datetime(2026, 6, 1, 15, 30, tzinfo=UTC),
                "Dentist",
                external_id="evt-1",
            )
        )
        uow.commit()
    assert paris.id is not None
    return clinic


def test_the_quick_reader_reads_a_day_as_the_sql_unit_of_work_does(
    sqlite_url: str, clock: Clock
) -> None:
    clinic = _busy_clinic(sqlite_url, clock)
    path = sqlite_file(sqlite_url)
    assert path is not None and path.exists()
    quick = _quick(clinic, path)
    try:
        for on in (MONDAY - timedelta(days=1), MONDAY, MONDAY + timedelta(days=1)):
            ours, theirs = load_day(quick, on), load_day(clinic.ctx, on)
            assert ours == theirs
        assert [ln.patient_name for ln in load_day(quick, MONDAY).lines] == [
            "Ada Okafor",
            "Ben Adams",
            "Ben Adams",
            "Ada Okafor",
        ]
        hours = load_day(quick, MONDAY).hours
        assert [b.label for b in hours[clinic.dr_a.id or 0].busy] == ["Dentist"]
        assert [b.label for b in hours[clinic.dr_b.id or 0].time_off] == ["Training"]
        assert setup.clinic_settings(quick) == setup.clinic_settings(clinic.ctx)
        assert setup.is_set_up(quick)
        assert setup.all_services(quick) == setup.all_services(clinic.ctx)
        with quick.read() as uow, clinic.ctx.read() as sql:
            assert uow.locations.list() == sql.locations.list()
            assert uow.staff.by_name("test-desk") == sql.staff.by_name("test-desk")
            assert uow.staff.by_name("nobody") is None
            assert uow.settings.value("setup_version") == sql.settings.value("setup_version")
    finally:
        clinic.engine.dispose()


def test_the_schema_version_and_the_file_are_read_without_sqlalchemy(
    sqlite_url: str, tmp_path: Path
) -> None:
    path = sqlite_file(sqlite_url)
    assert path is not None
    reader = QuickReader(path)  # the quick start's check, on the connection it reads with
    try:
        assert reader.revision() == revisions.known_revisions()[-1]
    finally:
        reader.close()
    empty = tmp_path / "empty.sqlite3"
    empty.touch()
    reader = QuickReader(empty)
    try:
        assert reader.revision() is None
    finally:
        reader.close()
    assert sqlite_file("postgresql://desk@db.example.org/clinic") is None
    assert sqlite_file("sqlite:///clinic.sqlite3?mode=ro") is None
    assert sqlite_file("sqlite:////data/My%20Clinic.sqlite3") == Path("/data/My Clinic.sqlite3")


def test_the_deferred_database_opens_only_once_allowed_and_lets_waiters_go_on_close(
    sqlite_url: str, clock: Clock
) -> None:
    import threading

    from medbookings_desktop.bootstrap import DeferredDatabase

    build_small_clinic(sqlite_url, clock).engine.dispose()
    database = DeferredDatabase(sqlite_url, backup_dir=None)
    got: list[object] = []

    def worker() -> None:
        try:
            with database.read() as uow:
                got.append(uow.settings.clinic().name)
        except RuntimeError as exc:
            got.append(exc)

    first = threading.Thread(target=worker)
    first.start()
    first.join(timeout=0.2)
    assert first.is_alive() and not got  # waits for allow()
    database.allow()
    first.join(timeout=30)
    assert got == ["Riverside Clinic"]

    closed = DeferredDatabase(sqlite_url, backup_dir=None)
    database.dispose()
    got.clear()
    database = closed
    second = threading.Thread(target=worker)
    second.start()
    closed.close()  # a window closing before its first paint
    second.join(timeout=30)
    assert not second.is_alive()
    assert isinstance(got[0], RuntimeError)
