"""Booking use cases on both databases: the rules they enforce, and the audit and outbox rows
each change leaves behind (written in the same transaction, superseded when outdated)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from medbookings_desktop.bootstrap import context_for
from medbookings_desktop.domain.appointments import Status
from medbookings_desktop.domain.clinic import BusyBlock, TimeOff
from medbookings_desktop.domain.errors import InvalidInput, Refused, SlotTaken, StaleRecord
from medbookings_desktop.domain.messages import OutboxKind, OutboxState
from medbookings_desktop.services import booking, setup, slots
from tests.helpers.clinic import SmallClinic

TUE_10 = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)  # Tue 10:00 London (BST)


def book(clinic: SmallClinic, start: datetime = TUE_10, **kw: object) -> booking.Outcome:
    args: dict[str, object] = {
        "patient_id": clinic.ada.id,
        "provider_id": clinic.dr_a.id,
        "service_id": clinic.consultation.id,
        "start": start,
    }
    args.update(kw)
    return booking.book(clinic.ctx, **args)  # type: ignore[arg-type]


def outbox(clinic: SmallClinic, appointment_id: int) -> dict[tuple[str, str], int]:
    """(kind, state) -> count for one appointment."""
    with clinic.ctx.read() as uow:
        rows = uow.outbox.for_appointment(appointment_id)
    counts: dict[tuple[str, str], int] = {}
    for r in rows:
        key = (r.kind.value, r.state.value)
        counts[key] = counts.get(key, 0) + 1
    return counts


def test_booking_writes_audit_and_outbox(clinic: SmallClinic) -> None:
    done = book(clinic)
    appt = done.appointment
    assert appt.id is not None and appt.status is Status.BOOKED
    assert appt.end - appt.start == timedelta(minutes=30)
    assert outbox(clinic, appt.id) == {
        ("confirmation", "pending"): 1,
        ("provider_notice", "pending"): 1,
        ("calendar_upsert", "pending"): 1,
        ("reminder", "pending"): 2,
    }
    with clinic.ctx.read() as uow:
        reminders = [
            r for r in uow.outbox.for_appointment(appt.id) if r.kind is OutboxKind.REMINDER
        ]
        entries = uow.audit.for_entity("appointment", appt.id)
    assert sorted(r.due_at for r in reminders) == [
        appt.start - timedelta(hours=24),
        appt.start - timedelta(hours=2),
    ]
    assert [e.action for e in entries] == ["book"]
    assert entries[0].user_id == clinic.ctx.actor_id


def test_a_reminder_already_due_is_not_queued(clinic: SmallClinic) -> None:
    soon = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # today 11:00 London, three hours away
    done = book(clinic, soon)
    kinds = outbox(clinic, done.appointment.id or 0)
    assert kinds[("reminder", "pending")] == 1  # the 2 h one only


def test_buffer_clash_names_the_appointment(clinic: SmallClinic) -> None:
    first = book(clinic).appointment
    # 10:30 would start inside the consultation's 5-minute clean-up buffer
    with pytest.raises(SlotTaken, match=f"#{first.id}") as refused:
        book(clinic, TUE_10 + timedelta(minutes=30), patient_id=clinic.ben.id)
    assert refused.value.clash_id == first.id
    book(
        clinic,
        TUE_10 + timedelta(minutes=35),
        patient_id=clinic.ben.id,
        service_id=clinic.checkup.id,
    )


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        (datetime(2026, 6, 2, 7, 0, tzinfo=UTC), "outside"),  # 08:00 London
        (datetime(2026, 6, 2, 16, 45, tzinfo=UTC), "outside"),  # 17:45, runs past 17:00
        (datetime(2026, 6, 2, 11, 30, tzinfo=UTC), "not available"),  # 12:30 lunch
        (datetime(2026, 6, 6, 9, 0, tzinfo=UTC), "outside"),  # Saturday
        (datetime(2026, 5, 29, 9, 0, tzinfo=UTC), "passed"),
        (datetime(2027, 6, 1, 9, 0, tzinfo=UTC), "days ahead"),
    ],
)
def test_refusals_say_why(clinic: SmallClinic, start: datetime, reason: str) -> None:
    with pytest.raises(Refused, match=reason):
        book(clinic, start)


def test_time_off_and_google_busy_block(clinic: SmallClinic) -> None:
    setup.add_time_off(
        clinic.ctx, TimeOff(clinic.dr_a.id or 0, TUE_10, TUE_10 + timedelta(hours=1))
    )
    with pytest.raises(Refused, match="not available"):
        book(clinic)
    with clinic.ctx.write() as uow:
        uow.schedule.add_busy_block(
            BusyBlock(
                clinic.dr_a.id or 0,
                TUE_10 + timedelta(hours=2),
                TUE_10 + timedelta(hours=3),
                external_id="ev1",
            )
        )
        uow.commit()
    with pytest.raises(Refused, match="not available"):
        book(clinic, TUE_10 + timedelta(hours=2, minutes=15))
    free = slots.find_slots(
        clinic.ctx,
        service_id=clinic.consultation.id or 0,
        provider_ids=[clinic.dr_a.id or 0],
        start_from=TUE_10,
        limit=3,
    )
    assert free[0].start == TUE_10 + timedelta(hours=1)


def test_provider_must_offer_the_service(clinic: SmallClinic) -> None:
    with pytest.raises(Refused, match="does not offer"):
        book(clinic, provider_id=clinic.dr_b.id)


def test_online_service_books_without_location(clinic: SmallClinic) -> None:
    appt = book(clinic, service_id=clinic.video.id).appointment
    assert appt.online and appt.location_id is None


def test_naive_start_is_bad_input(clinic: SmallClinic) -> None:
    with pytest.raises(InvalidInput):
        book(clinic, TUE_10.replace(tzinfo=None))


def test_reschedule_supersedes_and_requeues(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    moved = booking.reschedule(clinic.ctx, appt.id or 0, start=TUE_10 + timedelta(hours=4))
    assert moved.appointment.start == TUE_10 + timedelta(hours=4)
    assert moved.appointment.revision == 2
    counts = outbox(clinic, appt.id or 0)
    assert counts[("reminder", "superseded")] == 2
    assert counts[("confirmation", "superseded")] == 1
    assert counts[("reminder", "pending")] == 2
    assert counts[("change_notice", "pending")] == 1
    # the old time is free again
    book(clinic, TUE_10, patient_id=clinic.ben.id)


def test_moving_to_another_provider_clears_the_old_calendar(clinic: SmallClinic) -> None:
    appt = book(clinic, service_id=clinic.checkup.id).appointment
    monday_11 = datetime(2026, 6, 8, 10, 0, tzinfo=UTC)
    booking.reschedule(clinic.ctx, appt.id or 0, start=monday_11, provider_id=clinic.dr_b.id)
    with clinic.ctx.read() as uow:
        rows = [
            r for r in uow.outbox.for_appointment(appt.id or 0) if r.state is OutboxState.PENDING
        ]
    targets = {(r.kind, r.target) for r in rows}
    assert (OutboxKind.CALENDAR_DELETE, f"calendar:{clinic.dr_a.id}") in targets
    assert (OutboxKind.CALENDAR_UPSERT, f"calendar:{clinic.dr_b.id}") in targets
    assert (OutboxKind.PROVIDER_NOTICE, f"provider:{clinic.dr_b.id}") in targets


def test_cancel_needs_a_reason_frees_the_slot_and_notifies(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    with pytest.raises(InvalidInput):
        booking.cancel(clinic.ctx, appt.id or 0, reason="  ")
    done = booking.cancel(clinic.ctx, appt.id or 0, reason="Patient is travelling")
    assert done.appointment.status is Status.CANCELLED
    assert done.appointment.cancel_reason == "Patient is travelling"
    assert done.appointment.cancelled_by == "test-desk"
    counts = outbox(clinic, appt.id or 0)
    assert counts[("cancellation_notice", "pending")] == 1
    assert counts[("calendar_delete", "pending")] == 1
    assert ("reminder", "pending") not in counts
    book(clinic, patient_id=clinic.ben.id)


def test_undo_cancel_restores_the_booking(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    booking.cancel(clinic.ctx, appt.id or 0, reason="Mistake")
    back = booking.undo_status_change(clinic.ctx)
    assert back.appointment.status is Status.BOOKED
    assert back.appointment.cancel_reason is None
    counts = outbox(clinic, appt.id or 0)
    # the patient never heard of the cancellation, so they hear nothing now
    assert counts[("cancellation_notice", "superseded")] == 1
    assert ("change_notice", "pending") not in counts
    assert counts[("reminder", "pending")] == 2


def test_undo_cancel_refused_when_the_slot_was_given_away(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    booking.cancel(clinic.ctx, appt.id or 0, reason="Patient called")
    other = book(clinic, patient_id=clinic.ben.id).appointment
    with pytest.raises(SlotTaken, match=f"#{other.id}"):
        booking.undo_status_change(clinic.ctx, appt.id)
    with clinic.ctx.read() as uow:
        assert uow.appointments.get(appt.id or 0).status is Status.CANCELLED


def test_status_flow_and_undo(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    aid = appt.id or 0
    assert booking.check_in(clinic.ctx, aid).appointment.status is Status.ARRIVED
    assert outbox(clinic, aid)[("reminder", "superseded")] == 2
    assert booking.start(clinic.ctx, aid).appointment.status is Status.IN_PROGRESS
    assert booking.undo_status_change(clinic.ctx, aid).appointment.status is Status.ARRIVED
    assert booking.start(clinic.ctx, aid).appointment.status is Status.IN_PROGRESS
    assert booking.complete(clinic.ctx, aid).appointment.status is Status.COMPLETED
    with pytest.raises(Refused, match="cannot become"):
        booking.no_show(clinic.ctx, aid)


def test_no_show_frees_the_time(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    booking.no_show(clinic.ctx, appt.id or 0)
    book(clinic, patient_id=clinic.ben.id)


def test_undo_with_nothing_to_undo(clinic: SmallClinic) -> None:
    with pytest.raises(Refused, match="no status change"):
        booking.undo_status_change(clinic.ctx)


def test_a_change_made_at_another_desk_meanwhile_is_not_overwritten(clinic: SmallClinic) -> None:
    appt = book(clinic).appointment
    other_desk = context_for(clinic.engine, actor="desk-2", clock=clinic.clock)
    with clinic.ctx.write() as uow:
        stale = uow.appointments.get(appt.id or 0)
    booking.check_in(other_desk, appt.id or 0)
    with clinic.ctx.write() as uow, pytest.raises(StaleRecord):
        uow.appointments.update(stale.with_status(Status.CANCELLED, reason="x"), clinic.clock())


def test_walk_in_takes_the_earliest_free_slot_today(clinic: SmallClinic) -> None:
    clinic.clock.now = datetime(2026, 6, 1, 9, 7, tzinfo=UTC)  # Mon 10:07 London
    done = booking.book_walk_in(
        clinic.ctx, patient_id=clinic.ben.id or 0, service_id=clinic.checkup.id or 0
    )
    assert done.appointment.start == datetime(2026, 6, 1, 9, 15, tzinfo=UTC)
    assert done.appointment.source.value == "walk_in"


def test_slots_are_on_the_grid_inside_hours_and_skip_lunch(clinic: SmallClinic) -> None:
    found = slots.find_slots(
        clinic.ctx,
        service_id=clinic.consultation.id or 0,
        provider_ids=[clinic.dr_a.id or 0],
        start_from=TUE_10.date(),
        limit=40,
    )
    local = [s.local_start() for s in found]
    assert local[0].hour == 9 and local[0].minute == 0
    assert all(t.minute % 15 == 0 for t in local)
    lunch = [t for t in local if (12, 0) < (t.hour, t.minute) < (13, 0)]
    assert lunch == []  # 12:00 + 30 min + 5 min buffer would reach into lunch
    assert all(s.local_end().hour < 17 or s.local_end().minute == 0 for s in found)
