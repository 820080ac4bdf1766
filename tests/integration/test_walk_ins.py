"""Walk-in use cases on both databases: book now, queue, take from the queue, patient left."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from medbookings_desktop.domain.appointments import Source
from medbookings_desktop.domain.errors import NotFound, Refused
from medbookings_desktop.domain.walk_ins import WalkInState
from medbookings_desktop.services import booking, walk_ins
from medbookings_desktop.storage.repositories.walk_ins import WalkInRepository
from tests.helpers.clinic import SmallClinic

MON_1005 = datetime(2026, 6, 1, 9, 5, tzinfo=UTC)  # Mon 10:05 London (BST)


@pytest.fixture
def open_clinic(clinic: SmallClinic) -> SmallClinic:
    clinic.clock.now = MON_1005
    return clinic


def _audit(clinic: SmallClinic, walk_in_id: int) -> list[str]:
    with clinic.ctx.read() as uow:
        return [e.action for e in uow.audit.for_entity("walk_in", walk_in_id)]


def test_book_now_takes_the_earliest_slot_across_providers(open_clinic: SmallClinic) -> None:
    c = open_clinic
    # Dr Mokoena is busy at 10:15, Dr Berg is free: the check-up goes to Dr Berg
    booking.book(
        c.ctx,
        patient_id=c.ben.id or 0,
        provider_id=c.dr_a.id or 0,
        service_id=c.consultation.id or 0,
        start=datetime(2026, 6, 1, 9, 15, tzinfo=UTC),
    )
    done = walk_ins.book_now(c.ctx, patient_id=c.ada.id or 0, service_id=c.checkup.id or 0)
    appt = done.appointment
    assert appt.source is Source.WALK_IN
    assert appt.start == datetime(2026, 6, 1, 9, 15, tzinfo=UTC)
    assert appt.provider_id == c.dr_b.id


def test_queue_then_take_books_and_closes_the_entry(open_clinic: SmallClinic) -> None:
    c = open_clinic
    entry = walk_ins.add_to_queue(
        c.ctx, patient_id=c.ada.id or 0, service_id=c.consultation.id or 0, note=" sore knee "
    )
    assert entry.id is not None and entry.state is WalkInState.WAITING
    assert entry.note == "sore knee"
    c.clock.advance(timedelta(minutes=12))
    lines = walk_ins.waiting(c.ctx)
    assert [(w.patient_name, w.service_name) for w in lines] == [("Ada Okafor", "Consultation")]
    assert lines[0].entry.waited_minutes(c.clock()) == 12

    done = walk_ins.take_from_queue(c.ctx, entry.id)
    assert done.appointment.source is Source.WALK_IN
    assert done.appointment.provider_id == c.dr_a.id
    assert done.appointment.notes == "sore knee"
    assert walk_ins.waiting(c.ctx) == []
    with c.ctx.read() as uow:
        closed = WalkInRepository(uow.conn).get(entry.id)  # type: ignore[attr-defined]
        assert uow.appointments.get(done.appointment.id or 0).patient_id == c.ada.id
    assert closed.state is WalkInState.BOOKED
    assert closed.appointment_id == done.appointment.id
    assert closed.waited_minutes(c.clock() + timedelta(hours=1)) == 12
    assert _audit(c, entry.id) == ["walk_in:queue", "walk_in:booked"]
    with pytest.raises(Refused, match="no longer waiting"):
        walk_ins.take_from_queue(c.ctx, entry.id)


def test_take_refused_leaves_the_entry_waiting_and_nothing_booked(
    open_clinic: SmallClinic,
) -> None:
    c = open_clinic
    c.clock.now = datetime(2026, 6, 6, 9, 0, tzinfo=UTC)  # Saturday: nobody works for 24 h
    entry = walk_ins.add_to_queue(c.ctx, patient_id=c.ben.id or 0, service_id=c.checkup.id or 0)
    assert entry.id is not None
    with pytest.raises(Refused, match="No free time"):
        walk_ins.take_from_queue(c.ctx, entry.id)
    assert [w.entry.id for w in walk_ins.waiting(c.ctx)] == [entry.id]
    with c.ctx.read() as uow:
        assert uow.appointments.for_patient(c.ben.id or 0) == []
    assert _audit(c, entry.id) == ["walk_in:queue"]


def test_queue_in_order_of_arrival_and_patient_left(open_clinic: SmallClinic) -> None:
    c = open_clinic
    first = walk_ins.add_to_queue(c.ctx, patient_id=c.ben.id or 0)
    c.clock.advance(timedelta(minutes=3))
    second = walk_ins.add_to_queue(
        c.ctx, patient_id=c.ada.id or 0, service_id=c.checkup.id or 0, provider_id=c.dr_b.id
    )
    lines = walk_ins.waiting(c.ctx)
    assert [w.entry.id for w in lines] == [first.id, second.id]
    assert lines[0].service_name == "" and lines[1].provider_name == "Dr Lars Berg"
    with pytest.raises(Refused, match="Choose a service"):
        walk_ins.take_from_queue(c.ctx, first.id or 0)
    left = walk_ins.patient_left(c.ctx, first.id or 0)
    assert left.state is WalkInState.LEFT and left.closed_at == c.clock()
    assert [w.entry.id for w in walk_ins.waiting(c.ctx)] == [second.id]
    with pytest.raises(Refused):
        walk_ins.patient_left(c.ctx, first.id or 0)
    assert _audit(c, first.id or 0) == ["walk_in:queue", "walk_in:left"]


def test_unknown_patient_or_entry(open_clinic: SmallClinic) -> None:
    with pytest.raises(NotFound):
        walk_ins.add_to_queue(open_clinic.ctx, patient_id=9999)
    with pytest.raises(NotFound):
        walk_ins.take_from_queue(open_clinic.ctx, 9999)
    assert walk_ins.waiting(open_clinic.ctx) == []
