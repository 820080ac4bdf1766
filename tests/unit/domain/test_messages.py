"""The outbox plan: which rows a booking, a move, a cancel and an undo imply."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from medbookings_desktop.domain import messages
from medbookings_desktop.domain.appointments import Appointment, Status
from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.messages import OutboxKind as K
from medbookings_desktop.domain.messages import OutboxState

NOW = datetime(2026, 6, 1, 7, 0, tzinfo=UTC)
START = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
SETTINGS = ClinicSettings(zone="Europe/London")


def _appt(start: datetime = START, **changes: object) -> Appointment:
    values: dict[str, object] = {
        "id": 41,
        "patient_id": 7,
        "provider_id": 3,
        "service_id": 2,
        "start": start,
        "end": start + timedelta(minutes=30),
        "location_id": 1,
    }
    values.update(changes)
    return Appointment(**values)  # type: ignore[arg-type]


def test_a_booking_queues_confirmation_notice_calendar_and_both_reminders() -> None:
    rows = messages.plan_booked(_appt(), SETTINGS, NOW)
    assert [(r.kind, r.target) for r in rows] == [
        (K.CONFIRMATION, "patient:7"),
        (K.PROVIDER_NOTICE, "provider:3"),
        (K.CALENDAR_UPSERT, "calendar:3"),
        (K.REMINDER, "patient:7"),
        (K.REMINDER, "patient:7"),
    ]
    assert [r.due_at for r in rows] == [NOW, NOW, NOW, START - timedelta(hours=24),
                                        START - timedelta(hours=2)]  # fmt: skip
    assert [r.payload.get("offset_minutes") for r in rows[3:]] == [1440, 120]
    assert all(r.state is OutboxState.PENDING and r.appointment_id == 41 for r in rows)
    assert all(r.payload["start"] == START.isoformat() for r in rows)


def test_rows_carry_ids_and_times_never_patient_details() -> None:
    rows = messages.plan_booked(_appt(notes="Allergic to penicillin"), SETTINGS, NOW)
    for row in rows:
        assert set(row.payload) <= {"start", "end", "offset_minutes"}


def test_idempotency_keys_are_unique_and_follow_the_revision() -> None:
    appt = _appt()
    first = [r.idempotency_key for r in messages.plan_booked(appt, SETTINGS, NOW)]
    assert len(set(first)) == len(first)
    assert first[0] == "confirmation:41:r1"
    assert first[3:] == ["reminder:41:r1:1440m", "reminder:41:r1:120m"]
    again = [r.idempotency_key for r in messages.plan_booked(appt, SETTINGS, NOW)]
    assert again == first  # a retried plan writes the same keys, so it cannot send twice
    moved = appt.moved(START + timedelta(hours=1), START + timedelta(hours=1, minutes=30))
    later = messages.plan_moved(appt, moved, SETTINGS, NOW)
    assert not set(first) & {r.idempotency_key for r in later}


def test_reminders_only_for_offsets_still_ahead() -> None:
    soon = NOW + timedelta(hours=3)
    assert [r.payload["offset_minutes"] for r in messages.reminders(_appt(soon), SETTINGS, NOW)] \
        == [120]  # fmt: skip
    assert messages.reminders(_appt(NOW + timedelta(hours=2)), SETTINGS, NOW) == []
    assert messages.reminders(_appt(NOW + timedelta(minutes=30)), SETTINGS, NOW) == []


def test_reminders_follow_the_clinic_offsets() -> None:
    settings = replace(SETTINGS, reminder_offsets=(timedelta(hours=48), timedelta(minutes=90)))
    rows = messages.reminders(_appt(), settings, NOW)
    assert [r.due_at for r in rows] == [START - timedelta(hours=48), START - timedelta(minutes=90)]
    none = replace(SETTINGS, reminder_offsets=())
    assert messages.reminders(_appt(), none, NOW) == []


def test_a_move_queues_a_change_notice_new_calendar_event_and_reminders() -> None:
    old = _appt()
    new = old.moved(START + timedelta(days=1), START + timedelta(days=1, minutes=30))
    rows = messages.plan_moved(old, new, SETTINGS, NOW)
    assert [r.kind for r in rows] == [K.CHANGE_NOTICE, K.CALENDAR_UPSERT, K.REMINDER, K.REMINDER]
    notice = rows[0].payload
    assert notice["previous_start"] == START.isoformat()
    assert notice["start"] == new.start.isoformat()
    assert notice["previous_provider_id"] == 3
    assert rows[2].due_at == new.start - timedelta(hours=24)


def test_a_move_to_another_provider_takes_the_event_out_of_the_old_calendar() -> None:
    old = _appt()
    new = old.moved(START, START + timedelta(minutes=30), provider_id=5)
    rows = messages.plan_moved(old, new, SETTINGS, NOW)
    targets = {(r.kind, r.target) for r in rows}
    assert (K.CALENDAR_DELETE, "calendar:3") in targets
    assert (K.CALENDAR_UPSERT, "calendar:5") in targets
    assert (K.PROVIDER_NOTICE, "provider:5") in targets
    assert len({r.idempotency_key for r in rows}) == len(rows)


def test_a_cancel_tells_the_patient_why_and_removes_the_event() -> None:
    cancelled = _appt().with_status(Status.CANCELLED, by="desk", reason="Doctor ill")
    rows = messages.plan_cancelled(cancelled, NOW)
    assert [(r.kind, r.target, r.due_at) for r in rows] == [
        (K.CANCELLATION_NOTICE, "patient:7", NOW),
        (K.CALENDAR_DELETE, "calendar:3", NOW),
    ]
    assert rows[0].payload["reason"] == "Doctor ill"


def test_reinstating_tells_the_patient_only_when_they_heard_of_the_cancel() -> None:
    back = _appt().with_status(Status.CANCELLED).restored_to(Status.BOOKED)
    quiet = messages.plan_reinstated(back, SETTINGS, NOW, patient_was_told=False)
    assert [r.kind for r in quiet] == [K.CALENDAR_UPSERT, K.REMINDER, K.REMINDER]
    told = messages.plan_reinstated(back, SETTINGS, NOW, patient_was_told=True)
    assert told[0].kind is K.CHANGE_NOTICE
    assert told[0].payload["reinstated"] is True


def test_what_each_change_outdates() -> None:
    assert K.REMINDER in messages.OUTDATED_BY_MOVE and K.CONFIRMATION in messages.OUTDATED_BY_MOVE
    assert K.CALENDAR_DELETE not in messages.OUTDATED_BY_CANCEL
    assert {K.REMINDER} == messages.OUTDATED_BY_ARRIVAL
    assert {K.CANCELLATION_NOTICE, K.CALENDAR_DELETE} == messages.OUTDATED_BY_REINSTATE
