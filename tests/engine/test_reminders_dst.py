"""A day-before reminder across a clock change goes out at the visit's wall-clock time (in the
clinic's zone, London), through booking, the outbox and the engine against the Twilio fake; and
quiet hours, kept in wall-clock time too, across the changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from medbookings_desktop.domain.clinic import WorkingHours
from medbookings_desktop.domain.messages import OutboxKind, OutboxState
from medbookings_desktop.services import booking, setup
from medbookings_desktop.sync.policy import QuietHours
from tests.engine.conftest import Fakes, make_engine
from tests.engine.support import outbox
from tests.helpers.clinic import SmallClinic

LONDON = ZoneInfo("Europe/London")


def _open_every_day(c: SmallClinic) -> None:
    """Dr B sees check-ups every day 09:00–17:00 (the visits here fall on a Sunday)."""
    assert c.dr_b.id is not None and c.london.id is not None
    hours = [WorkingHours(c.dr_b.id, c.london.id, d, time(9), time(17)) for d in range(7)]
    setup.set_weekly_hours(c.ctx, c.dr_b.id, hours, [])


@pytest.mark.parametrize(
    ("visit_local", "reminder_utc"),
    [
        # spring forward, Sunday 29 March 2026: 10:00 BST -> Saturday 10:00 GMT (23 h before)
        (datetime(2026, 3, 29, 10, 0), datetime(2026, 3, 28, 10, 0, tzinfo=UTC)),
        # fall back, Sunday 25 October 2026: 10:00 GMT -> Saturday 10:00 BST (25 h before)
        (datetime(2026, 10, 25, 10, 0), datetime(2026, 10, 24, 9, 0, tzinfo=UTC)),
    ],
    ids=["spring", "autumn"],
)
def test_the_day_before_reminder_goes_at_the_visits_wall_clock_time(
    clinic: SmallClinic, fakes: Fakes, visit_local: datetime, reminder_utc: datetime
) -> None:
    _open_every_day(clinic)
    clinic.clock.now = reminder_utc - timedelta(days=2)
    engine = make_engine(clinic, fakes)
    appt = booking.book(
        clinic.ctx,
        patient_id=clinic.ada.id or 0,
        provider_id=clinic.dr_b.id or 0,
        service_id=clinic.checkup.id or 0,
        start=visit_local.replace(tzinfo=LONDON),
    ).appointment
    assert appt.id is not None
    engine.run_once()  # the confirmation
    assert len(fakes.texts()) == 1
    reminders = [
        r for r in outbox(clinic.engine, appointment_id=appt.id) if r.kind.value == "reminder"
    ]
    due = {r.payload["offset_minutes"]: r.due_at for r in reminders}
    assert due[24 * 60] == reminder_utc
    assert due[24 * 60].astimezone(LONDON).time() == time(10, 0)
    assert due[120] == appt.start - timedelta(hours=2)  # hours are elapsed time

    # a minute before the wall-clock time nothing goes, though elapsed 24 h may have passed
    clinic.clock.now = reminder_utc - timedelta(minutes=1)
    assert engine.run_once().sent == []
    clinic.clock.now = reminder_utc
    report = engine.run_once()
    assert len(report.sent) == 1
    texts = fakes.texts()
    assert len(texts) == 2 and "reminder" in texts[-1].body
    [day_before] = [
        r
        for r in outbox(clinic.engine, appointment_id=appt.id)
        if r.kind is OutboxKind.REMINDER and r.payload["offset_minutes"] == 24 * 60
    ]
    assert day_before.state is OutboxState.SENT


# -- quiet hours across a clock change (sync/policy.py: wall-clock hours in the clinic's zone) ---


def _quiet(start: time, end: time) -> QuietHours:
    return QuietHours(start, end, "Europe/London")


@pytest.mark.parametrize(
    ("instant", "ends"),
    [
        # the spring-forward night: 21:00 GMT to 08:00 BST is ten hours
        (datetime(2026, 3, 28, 22, 0, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        (datetime(2026, 3, 29, 1, 30, tzinfo=UTC), datetime(2026, 3, 29, 7, 0, tzinfo=UTC)),
        # the fall-back night: 21:00 BST to 08:00 GMT is twelve hours
        (datetime(2026, 10, 24, 20, 0, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
        (datetime(2026, 10, 25, 1, 30, tzinfo=UTC), datetime(2026, 10, 25, 8, 0, tzinfo=UTC)),
    ],
)
def test_quiet_hours_end_at_the_wall_clock_time_across_a_change(
    instant: datetime, ends: datetime
) -> None:
    night = _quiet(time(21), time(8))
    assert night.contains(instant)
    assert night.end_after(instant) == ends
    assert ends.astimezone(LONDON).time() == time(8)
    assert not night.contains(ends)


def test_quiet_hours_ending_in_the_skipped_hour_end_when_the_clock_jumps_past_it() -> None:
    night = _quiet(time(21), time(1, 30))  # 01:30 does not exist on 29 March in London
    ends = night.end_after(datetime(2026, 3, 28, 23, 0, tzinfo=UTC))
    assert ends == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 BST
    assert not night.contains(ends)


def test_quiet_hours_ending_in_the_repeated_hour_never_end_in_the_past() -> None:
    night = _quiet(time(0), time(1, 30))
    second_0115 = datetime(2026, 10, 25, 1, 15, tzinfo=UTC)  # 01:15 GMT, the second 01:15
    assert night.contains(second_0115)
    # still quiet at the second 01:15: it ends at the second 01:30, not a day later
    assert night.end_after(second_0115) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    first_0115 = datetime(2026, 10, 25, 0, 15, tzinfo=UTC)  # 01:15 BST
    assert night.end_after(first_0115) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
