"""The appointment record and its status state machine."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medbookings_desktop.domain.appointments import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    UPCOMING_STATUSES,
    Appointment,
    Status,
)
from medbookings_desktop.domain.errors import InvalidInput, InvalidTransition, Refused

START = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)


def _appt(**changes: object) -> Appointment:
    values: dict[str, object] = {
        "patient_id": 1,
        "provider_id": 2,
        "service_id": 3,
        "start": START,
        "end": START + timedelta(minutes=30),
        "location_id": 4,
    }
    values.update(changes)
    return Appointment(**values)  # type: ignore[arg-type]


def test_a_new_appointment_is_booked_at_revision_one() -> None:
    a = _appt()
    assert a.status is Status.BOOKED
    assert a.revision == 1
    assert a.active
    assert a.interval.start == START and a.interval.end == START + timedelta(minutes=30)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"start": datetime(2026, 6, 2, 9, 0)}, "start"),
        ({"end": datetime(2026, 6, 2, 9, 30)}, "start"),
        ({"end": START}, "start"),
        ({"end": START - timedelta(minutes=1)}, "start"),
        ({"location_id": None}, "location"),
    ],
)
def test_malformed_appointments_are_refused(changes: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as err:
        _appt(**changes)
    assert err.value.field == field


def test_an_online_appointment_needs_no_location() -> None:
    a = _appt(location_id=None, online=True)
    assert a.location_id is None


def test_the_label_names_the_appointment_without_patient_data() -> None:
    assert _appt(id=17).label == "appointment #17 (2026-06-02 09:00 UTC)"


def test_the_day_runs_booked_arrived_in_progress_completed() -> None:
    a = _appt()
    for status in (Status.CONFIRMED, Status.ARRIVED, Status.IN_PROGRESS, Status.COMPLETED):
        a = a.with_status(status)
        assert a.status is status
    assert a.revision == 5
    assert a.active  # a completed visit still held the provider's time


def test_cancelling_records_who_and_why_and_frees_the_time() -> None:
    a = _appt().with_status(Status.CANCELLED, by="desk-1", reason="Patient is unwell")
    assert (a.cancelled_by, a.cancel_reason) == ("desk-1", "Patient is unwell")
    assert not a.active


@pytest.mark.parametrize(
    ("path", "refused"),
    [
        ((), Status.IN_PROGRESS),  # booked cannot start without arriving
        ((), Status.COMPLETED),
        ((), Status.BOOKED),
        ((Status.ARRIVED,), Status.CANCELLED),  # the patient is here: no cancelling
        ((Status.ARRIVED,), Status.CONFIRMED),
        ((Status.ARRIVED, Status.IN_PROGRESS), Status.NO_SHOW),
        ((Status.ARRIVED, Status.IN_PROGRESS), Status.ARRIVED),
        ((Status.ARRIVED, Status.COMPLETED), Status.ARRIVED),
        ((Status.CANCELLED,), Status.BOOKED),
        ((Status.CANCELLED,), Status.ARRIVED),
        ((Status.NO_SHOW,), Status.ARRIVED),
        ((Status.NO_SHOW,), Status.CANCELLED),
    ],
)
def test_transitions_outside_the_state_machine_are_refused(
    path: tuple[Status, ...], refused: Status
) -> None:
    a = _appt()
    for status in path:
        a = a.with_status(status)
    with pytest.raises(InvalidTransition) as err:
        a.with_status(refused)
    assert isinstance(err.value, Refused)  # the command line exits 1 for it
    assert a.status.value.replace("_", " ") in err.value.message


def test_terminal_statuses_lead_nowhere() -> None:
    assert TRANSITIONS[Status.COMPLETED] == TRANSITIONS[Status.CANCELLED] == frozenset()
    assert TRANSITIONS[Status.NO_SHOW] == frozenset()
    assert set(TRANSITIONS) == set(Status)


def test_status_sets() -> None:
    assert Status.CANCELLED not in ACTIVE_STATUSES and Status.NO_SHOW not in ACTIVE_STATUSES
    assert {Status.BOOKED, Status.CONFIRMED} == UPCOMING_STATUSES
    assert UPCOMING_STATUSES <= ACTIVE_STATUSES


def test_restoring_clears_the_cancellation() -> None:
    cancelled = _appt().with_status(Status.CANCELLED, by="desk-1", reason="Clash")
    back = cancelled.restored_to(Status.BOOKED)
    assert back.status is Status.BOOKED
    assert back.cancelled_by is None and back.cancel_reason is None
    assert back.revision == cancelled.revision + 1


def test_moving_keeps_what_was_not_changed() -> None:
    a = _appt(id=9)
    later = START + timedelta(hours=2)
    moved = a.moved(later, later + timedelta(minutes=30))
    assert (moved.start, moved.provider_id, moved.location_id) == (later, 2, 4)
    assert moved.revision == 2 and moved.id == 9
    other = a.moved(later, later + timedelta(minutes=30), provider_id=5, location_id=6)
    assert (other.provider_id, other.location_id) == (5, 6)


@pytest.mark.parametrize(
    "path",
    [
        (Status.ARRIVED,),
        (Status.ARRIVED, Status.IN_PROGRESS),
        (Status.CANCELLED,),
        (Status.NO_SHOW,),
    ],
)
def test_only_upcoming_appointments_move(path: tuple[Status, ...]) -> None:
    a = _appt()
    for status in path:
        a = a.with_status(status)
    with pytest.raises(InvalidTransition, match="cannot be moved"):
        a.moved(START + timedelta(days=1), START + timedelta(days=1, minutes=30))


@given(st.lists(st.sampled_from(list(Status)), max_size=8))
def test_any_sequence_of_requests_stays_inside_the_machine(requests: list[Status]) -> None:
    a = _appt()
    for wanted in requests:
        allowed = wanted in TRANSITIONS[a.status]
        try:
            b = a.with_status(wanted)
        except InvalidTransition:
            assert not allowed
            continue
        assert allowed
        assert b.status is wanted and b.revision == a.revision + 1
        a = b
