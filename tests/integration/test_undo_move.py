"""Undoing a move: the appointment goes back, and the patient hears only what makes sense."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from medbookings_desktop.domain.appointments import Status
from medbookings_desktop.domain.errors import InvalidInput, InvalidTransition, SlotTaken
from medbookings_desktop.domain.messages import OutboxKind, OutboxState
from medbookings_desktop.services import booking
from medbookings_desktop.storage import tables as t
from tests.helpers.clinic import SmallClinic
from tests.integration.test_booking_services import TUE_10, book, outbox

LATER = TUE_10 + timedelta(hours=4)


def mark_sent(clinic: SmallClinic, appointment_id: int, kind: OutboxKind) -> None:
    """What the engine leaves behind once a message went out."""
    with clinic.engine.begin() as conn:
        conn.execute(
            update(t.outbox)
            .where(
                t.outbox.c.appointment_id == appointment_id,
                t.outbox.c.kind == kind.value,
                t.outbox.c.state == OutboxState.PENDING.value,
            )
            .values(state=OutboxState.SENT.value)
        )


def test_undo_puts_the_appointment_back_and_tells_nobody_who_heard_nothing(
    clinic: SmallClinic,
) -> None:
    appt = book(clinic).appointment
    mark_sent(clinic, appt.id or 0, OutboxKind.CONFIRMATION)
    moved = booking.reschedule(clinic.ctx, appt.id or 0, start=LATER)
    assert moved.previous is not None and moved.previous.start == TUE_10

    back = booking.undo_reschedule(clinic.ctx, moved)
    assert back.appointment.start == TUE_10 and back.appointment.end == appt.end
    assert back.appointment.status is Status.BOOKED
    counts = outbox(clinic, appt.id or 0)
    # the move's notice never went out: it is withdrawn and no "moved back" follows it
    assert counts[("change_notice", "superseded")] == 1
    assert ("change_notice", "pending") not in counts
    assert ("confirmation", "pending") not in counts
    assert counts[("reminder", "pending")] == 2
    assert counts[("calendar_upsert", "pending")] == 1
    # the later time is free again
    book(clinic, LATER, patient_id=clinic.ben.id)


def test_a_patient_told_of_the_move_is_told_of_the_way_back(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    mark_sent(clinic, appt.id or 0, OutboxKind.CONFIRMATION)
    moved = booking.reschedule(clinic.ctx, appt.id or 0, start=LATER)
    mark_sent(clinic, appt.id or 0, OutboxKind.CHANGE_NOTICE)

    booking.undo_reschedule(clinic.ctx, moved)
    counts = outbox(clinic, appt.id or 0)
    assert counts[("change_notice", "sent")] == 1
    assert counts[("change_notice", "pending")] == 1


def test_a_move_before_the_confirmation_went_out_ends_in_one_confirmation(
    clinic: SmallClinic,
) -> None:
    appt = book(clinic).appointment  # its confirmation is still pending
    moved = booking.reschedule(clinic.ctx, appt.id or 0, start=LATER)
    booking.undo_reschedule(clinic.ctx, moved)
    counts = outbox(clinic, appt.id or 0)
    assert counts[("confirmation", "pending")] == 1
    assert ("change_notice", "pending") not in counts


def test_undo_is_refused_when_the_appointment_moved_again_since(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    moved = booking.reschedule(clinic.ctx, appt.id or 0, start=LATER)
    booking.reschedule(clinic.ctx, appt.id or 0, start=LATER + timedelta(hours=1))
    with pytest.raises(InvalidTransition, match="changed again"):
        booking.undo_reschedule(clinic.ctx, moved)
    with clinic.ctx.read() as uow:
        assert uow.appointments.get(appt.id or 0).start == LATER + timedelta(hours=1)


def test_a_checked_in_appointment_is_not_moved_back(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    moved = booking.reschedule(clinic.ctx, appt.id or 0, start=LATER)
    booking.check_in(clinic.ctx, appt.id or 0)
    with pytest.raises(InvalidTransition, match="arrived cannot be moved"):
        booking.undo_reschedule(clinic.ctx, moved)


def test_undo_is_refused_when_the_old_time_was_given_away(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    moved = booking.reschedule(clinic.ctx, appt.id or 0, start=LATER)
    other = book(clinic, TUE_10, patient_id=clinic.ben.id).appointment
    before = outbox(clinic, appt.id or 0)
    with pytest.raises(SlotTaken, match=f"#{other.id}"):
        booking.undo_reschedule(clinic.ctx, moved)
    with clinic.ctx.read() as uow:
        assert uow.appointments.get(appt.id or 0).start == LATER
    assert outbox(clinic, appt.id or 0) == before  # nothing half-done


def test_only_a_move_can_be_undone_as_one(clinic: SmallClinic) -> None:
    done = book(clinic)
    with pytest.raises(InvalidInput):
        booking.undo_reschedule(clinic.ctx, done)


def test_undoing_a_cancel_before_the_confirmation_went_out_confirms(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    booking.cancel(clinic.ctx, appt.id or 0, reason="Mistake")
    booking.undo_status_change(clinic.ctx)
    counts = outbox(clinic, appt.id or 0)
    assert counts[("confirmation", "superseded")] == 1
    assert counts[("confirmation", "pending")] == 1
    assert ("change_notice", "pending") not in counts
