"""No double booking at the database level: rows written straight into `appointments`,
past every service check, as a second desk racing this one would. SQLite enforces it with
triggers, PostgreSQL with exclusion constraints."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.errors import SlotTaken
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from tests.helpers.clinic import SmallClinic

NINE = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)  # Tue 09:00 London


def _row(clinic: SmallClinic, start: datetime, minutes: int = 30, **extra: Any) -> dict[str, Any]:
    return {
        "patient_id": clinic.ada.id,
        "provider_id": clinic.dr_a.id,
        "service_id": clinic.consultation.id,
        "location_id": clinic.london.id,
        "room_id": None,
        "online": False,
        "start_at": start,
        "end_at": start + timedelta(minutes=minutes),
        "source": "phone",
        "status": "booked",
        "notes": "",
        "revision": 1,
        "created_at": NINE,
        "updated_at": NINE,
        **extra,
    }


def _insert(engine: Engine, row: dict[str, Any]) -> int:
    with engine.begin() as conn:
        return int(conn.execute(insert(t.appointments).values(**row)).inserted_primary_key[0])


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(t.appointments)) or 0)


@pytest.fixture
def room(clinic: SmallClinic) -> Iterator[int]:
    with clinic.ctx.write() as uow:
        from medbookings_desktop.domain.clinic import Room

        saved = uow.locations.save_room(Room(name="Room 1", location_id=clinic.london.id or 0))
        uow.commit()
    assert saved.id is not None
    yield saved.id


def _is_guard(err: pytest.ExceptionInfo[IntegrityError]) -> bool:
    """The refusal came from the overlap guard, not from some other constraint."""
    orig: Any = err.value.orig
    if getattr(orig, "sqlstate", None) is not None:
        return bool(orig.sqlstate == "23P01")  # PostgreSQL exclusion_violation
    return "appointment overlap" in str(orig)  # the SQLite trigger's RAISE(ABORT, ...)


ACTIVE = ["booked", "confirmed", "arrived", "in_progress", "completed"]


@pytest.mark.parametrize(
    ("offset", "minutes"),
    [(0, 30), (15, 30), (-15, 30), (10, 10), (-30, 90)],  # same, later, earlier, inside, around
)
def test_overlapping_insert_is_rejected(clinic: SmallClinic, offset: int, minutes: int) -> None:
    _insert(clinic.engine, _row(clinic, NINE))
    with pytest.raises(IntegrityError) as refused:
        _insert(clinic.engine, _row(clinic, NINE + timedelta(minutes=offset), minutes=minutes))
    assert _is_guard(refused)
    assert _count(clinic.engine) == 1


@pytest.mark.parametrize("status", ACTIVE)
def test_every_active_status_holds_and_is_held(clinic: SmallClinic, status: str) -> None:
    _insert(clinic.engine, _row(clinic, NINE, status=status))
    with pytest.raises(IntegrityError) as refused:
        _insert(clinic.engine, _row(clinic, NINE + timedelta(minutes=20)))
    assert _is_guard(refused)
    with pytest.raises(IntegrityError) as refused:
        _insert(clinic.engine, _row(clinic, NINE - timedelta(minutes=20), status=status))
    assert _is_guard(refused)


def test_touching_appointments_are_allowed(clinic: SmallClinic) -> None:
    _insert(clinic.engine, _row(clinic, NINE))
    _insert(clinic.engine, _row(clinic, NINE + timedelta(minutes=30)))
    _insert(clinic.engine, _row(clinic, NINE - timedelta(minutes=30)))
    assert _count(clinic.engine) == 3


def test_other_providers_may_overlap(clinic: SmallClinic) -> None:
    _insert(clinic.engine, _row(clinic, NINE))
    _insert(clinic.engine, _row(clinic, NINE, provider_id=clinic.dr_b.id))
    assert _count(clinic.engine) == 2


@pytest.mark.parametrize("status", ["cancelled", "no_show"])
def test_inactive_appointments_do_not_block(clinic: SmallClinic, status: str) -> None:
    _insert(clinic.engine, _row(clinic, NINE, status=status))
    _insert(clinic.engine, _row(clinic, NINE))
    # and an inactive row may be written over an active one (a cancelled one kept for history)
    _insert(clinic.engine, _row(clinic, NINE, status=status))
    assert _count(clinic.engine) == 3


def test_an_appointment_may_be_updated_in_place(clinic: SmallClinic) -> None:
    # the update trigger must not see the row's own old version as a clash
    own = _insert(clinic.engine, _row(clinic, NINE))
    with clinic.engine.begin() as conn:
        conn.execute(
            update(t.appointments)
            .where(t.appointments.c.id == own)
            .values(end_at=NINE + timedelta(minutes=45), status="arrived", notes="late")
        )


def test_an_update_into_a_clash_is_rejected(clinic: SmallClinic) -> None:
    _insert(clinic.engine, _row(clinic, NINE))
    later = _insert(clinic.engine, _row(clinic, NINE + timedelta(hours=2)))
    with pytest.raises(IntegrityError) as refused, clinic.engine.begin() as conn:
        conn.execute(
            update(t.appointments)
            .where(t.appointments.c.id == later)
            .values(start_at=NINE + timedelta(minutes=10), end_at=NINE + timedelta(minutes=40))
        )
    assert _is_guard(refused)
    # moving it to touch the first one is fine
    with clinic.engine.begin() as conn:
        conn.execute(
            update(t.appointments)
            .where(t.appointments.c.id == later)
            .values(start_at=NINE + timedelta(minutes=30), end_at=NINE + timedelta(minutes=60))
        )


def test_an_update_onto_another_providers_clash_is_rejected(clinic: SmallClinic) -> None:
    _insert(clinic.engine, _row(clinic, NINE))
    theirs = _insert(clinic.engine, _row(clinic, NINE, provider_id=clinic.dr_b.id))
    with pytest.raises(IntegrityError) as refused, clinic.engine.begin() as conn:
        conn.execute(
            update(t.appointments)
            .where(t.appointments.c.id == theirs)
            .values(provider_id=clinic.dr_a.id)
        )
    assert _is_guard(refused)


def test_reactivating_a_cancelled_appointment_into_a_clash_is_rejected(
    clinic: SmallClinic,
) -> None:
    cancelled = _insert(clinic.engine, _row(clinic, NINE, status="cancelled"))
    _insert(clinic.engine, _row(clinic, NINE))
    with pytest.raises(IntegrityError), clinic.engine.begin() as conn:
        conn.execute(
            update(t.appointments).where(t.appointments.c.id == cancelled).values(status="booked")
        )


def test_a_room_cannot_be_double_booked(clinic: SmallClinic, room: int) -> None:
    _insert(clinic.engine, _row(clinic, NINE, room_id=room))
    with pytest.raises(IntegrityError) as refused:
        _insert(clinic.engine, _row(clinic, NINE, provider_id=clinic.dr_b.id, room_id=room))
    assert _is_guard(refused)
    _insert(clinic.engine, _row(clinic, NINE, provider_id=clinic.dr_b.id))
    assert _count(clinic.engine) == 2


def test_room_guard_allows_touching_and_inactive(clinic: SmallClinic, room: int) -> None:
    _insert(clinic.engine, _row(clinic, NINE, room_id=room))
    b = clinic.dr_b.id
    _insert(clinic.engine, _row(clinic, NINE + timedelta(minutes=30), provider_id=b, room_id=room))
    _insert(clinic.engine, _row(clinic, NINE, provider_id=b, room_id=room, status="cancelled"))
    assert _count(clinic.engine) == 3


def test_a_room_update_into_a_clash_is_rejected(clinic: SmallClinic, room: int) -> None:
    _insert(clinic.engine, _row(clinic, NINE, room_id=room))
    theirs = _insert(clinic.engine, _row(clinic, NINE, provider_id=clinic.dr_b.id))
    with pytest.raises(IntegrityError) as refused, clinic.engine.begin() as conn:
        conn.execute(
            update(t.appointments).where(t.appointments.c.id == theirs).values(room_id=room)
        )
    assert _is_guard(refused)


def test_repository_names_the_clash(clinic: SmallClinic) -> None:
    first = _insert(clinic.engine, _row(clinic, NINE))
    appt = Appointment(
        patient_id=clinic.ben.id or 0,
        provider_id=clinic.dr_a.id or 0,
        service_id=clinic.consultation.id or 0,
        location_id=clinic.london.id,
        start=NINE + timedelta(minutes=20),
        end=NINE + timedelta(minutes=50),
    )
    with SqlUnitOfWork(clinic.engine) as uow:
        with pytest.raises(SlotTaken) as refused:
            uow.appointments.add(appt, NINE)
        assert refused.value.clash_id == first
        assert f"#{first}" in refused.value.message
        # the transaction is still usable after the refused insert (savepoint)
        assert uow.patients.get(clinic.ben.id or 0).last_name == "Adams"
    assert _count(clinic.engine) == 1


def test_repository_update_names_the_clash(clinic: SmallClinic) -> None:
    first = _insert(clinic.engine, _row(clinic, NINE))
    second = _insert(clinic.engine, _row(clinic, NINE + timedelta(hours=1)))
    with SqlUnitOfWork(clinic.engine) as uow:
        appt = uow.appointments.get(second)
        moved = appt.moved(NINE + timedelta(minutes=15), NINE + timedelta(minutes=45))
        with pytest.raises(SlotTaken) as refused:
            uow.appointments.update(moved, NINE)
        assert refused.value.clash_id == first
        uow.commit()
    with SqlUnitOfWork(clinic.engine, write=False) as uow:
        assert uow.appointments.get(second).start == NINE + timedelta(hours=1)
