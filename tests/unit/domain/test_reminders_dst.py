"""Reminders across a clock change: whole-day offsets keep the visit's wall-clock time in the
clinic's zone, hour offsets are elapsed time, and a wall time the change skips or repeats
resolves one documented way (`messages.at_wall_time`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medbookings_desktop.domain import messages
from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.clinic import ClinicSettings

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
H24, H48, H2 = timedelta(hours=24), timedelta(hours=48), timedelta(hours=2)


def _local(zone: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold)  # type: ignore[misc]


def _appt(start: datetime) -> Appointment:
    return Appointment(
        id=9,
        patient_id=1,
        provider_id=1,
        service_id=1,
        start=start.astimezone(UTC),  # as the database hands it back
        end=start.astimezone(UTC) + timedelta(minutes=30),
        location_id=1,
    )


def _due(start: datetime, zone: ZoneInfo, offsets: tuple[timedelta, ...]) -> list[datetime]:
    clinic = ClinicSettings(zone=str(zone), reminder_offsets=offsets)
    now = start.astimezone(UTC) - timedelta(days=10)
    return [r.due_at for r in messages.reminders(_appt(start), clinic, now)]


# -- Europe/London: spring forward on 29 March 2026 (01:00 GMT -> 02:00 BST) ------------------


def test_a_day_before_across_spring_forward_keeps_the_wall_clock_time() -> None:
    visit = _local(LONDON, 2026, 3, 29, 10, 0)  # Sunday 10:00 BST, after the change
    [day, hours] = _due(visit, LONDON, (H24, H2))
    assert day.astimezone(LONDON) == _local(LONDON, 2026, 3, 28, 10, 0)  # Saturday 10:00 GMT
    assert day.tzinfo is UTC and day == datetime(2026, 3, 28, 10, 0, tzinfo=UTC)
    assert visit - day == timedelta(hours=23)  # a short day
    # the 2 h reminder is elapsed time: 08:00 BST
    assert hours == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_a_monday_visit_is_reminded_on_sunday_at_the_same_time() -> None:
    visit = _local(LONDON, 2026, 3, 30, 10, 0)  # Monday after the change
    [day, two_days] = _due(visit, LONDON, (H24, H48))
    assert day.astimezone(LONDON) == _local(LONDON, 2026, 3, 29, 10, 0)
    # 48 h before crosses the change: Saturday 10:00 GMT, 47 hours before
    assert two_days.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 3, 28, 10, 0)
    assert visit - two_days == timedelta(hours=47)


# -- Europe/London: fall back on 25 October 2026 (02:00 BST -> 01:00 GMT) ---------------------


def test_a_day_before_across_fall_back_keeps_the_wall_clock_time() -> None:
    visit = _local(LONDON, 2026, 10, 25, 10, 0)  # Sunday 10:00 GMT
    [day, hours] = _due(visit, LONDON, (H24, H2))
    assert day == datetime(2026, 10, 24, 9, 0, tzinfo=UTC)  # Saturday 10:00 BST
    assert day.astimezone(LONDON).hour == 10
    assert visit - day == timedelta(hours=25)  # a long day
    assert hours == datetime(2026, 10, 25, 8, 0, tzinfo=UTC)  # 08:00 GMT


# -- wall times the change skips or repeats -------------------------------------------------


def test_a_wall_time_in_the_spring_gap_moves_forward_by_the_gap() -> None:
    # a visit at 01:30 on Monday 30 March: Sunday 01:30 never happens in London
    visit = _local(LONDON, 2026, 3, 30, 1, 30)
    [day] = _due(visit, LONDON, (H24,))
    assert day == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 02:30 BST, the later valid instant
    assert day.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 3, 29, 2, 30)


def test_a_repeated_wall_time_in_the_autumn_fold_is_its_first_occurrence() -> None:
    # a visit at 01:30 on Monday 26 October: Sunday 01:30 happens twice in London
    visit = _local(LONDON, 2026, 10, 26, 1, 30)
    [day] = _due(visit, LONDON, (H24,))
    assert day == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST, not 01:30 GMT


def test_a_visit_in_the_repeated_hour_counts_its_own_wall_time() -> None:
    # the second 01:30 (GMT) on the fall-back day: the day before at 01:30 BST
    visit = _local(LONDON, 2026, 10, 25, 1, 30, fold=1)
    assert visit.astimezone(UTC) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    [day, hours] = _due(visit, LONDON, (H24, H2))
    assert day == datetime(2026, 10, 24, 0, 30, tzinfo=UTC)
    assert hours == datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # elapsed, whatever the fold


def test_at_wall_time_is_deterministic_for_gaps_and_folds() -> None:
    assert messages.at_wall_time(datetime(2026, 3, 8, 2, 30), "America/New_York") == datetime(
        2026, 3, 8, 7, 30, tzinfo=UTC
    )  # 03:30 EDT
    assert messages.at_wall_time(datetime(2026, 11, 1, 1, 30), "America/New_York") == datetime(
        2026, 11, 1, 5, 30, tzinfo=UTC
    )  # the first 01:30, EDT


# -- America/New_York: 8 March 2026 (02:00 EST -> 03:00 EDT), 1 November 2026 ---------------


@pytest.mark.parametrize(
    ("visit", "reminded"),
    [
        # Sunday 8 March, 09:00 EDT -> Saturday 09:00 EST
        (datetime(2026, 3, 8, 13, 0, tzinfo=UTC), datetime(2026, 3, 7, 14, 0, tzinfo=UTC)),
        # Sunday 1 November, 09:00 EST -> Saturday 09:00 EDT
        (datetime(2026, 11, 1, 14, 0, tzinfo=UTC), datetime(2026, 10, 31, 13, 0, tzinfo=UTC)),
    ],
)
def test_new_york_keeps_the_wall_clock_time_too(visit: datetime, reminded: datetime) -> None:
    [day, hours] = _due(visit, NEW_YORK, (H24, H2))
    assert day == reminded
    assert day.astimezone(NEW_YORK).time() == visit.astimezone(NEW_YORK).time()
    assert hours == visit - H2


def test_the_clinic_zone_decides_not_the_visits_offset() -> None:
    # the same instant, a London clinic and a New York clinic: each keeps its own wall time
    visit = datetime(2026, 3, 29, 14, 0, tzinfo=UTC)  # 15:00 BST, 10:00 EDT
    [london] = _due(visit, LONDON, (H24,))
    [new_york] = _due(visit, NEW_YORK, (H24,))
    assert london == datetime(2026, 3, 28, 15, 0, tzinfo=UTC)  # 15:00 GMT
    assert new_york == datetime(2026, 3, 28, 14, 0, tzinfo=UTC)  # 10:00 EDT (no change there)


def test_offsets_that_are_not_whole_days_are_elapsed_time() -> None:
    visit = _local(LONDON, 2026, 3, 29, 18, 0)
    [thirty_six, ninety] = _due(visit, LONDON, (timedelta(hours=36), timedelta(minutes=90)))
    assert thirty_six == visit.astimezone(UTC) - timedelta(hours=36)
    assert ninety == visit.astimezone(UTC) - timedelta(minutes=90)


# -- properties ------------------------------------------------------------------------------

ZONES = st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney", "UTC"])
# quarter-hour visits over two years, so every change of every zone above is crossed
VISITS = st.integers(min_value=0, max_value=2 * 365 * 96).map(
    lambda q: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=15 * q)
)


@settings(max_examples=300, deadline=None)
@given(visit=VISITS, zone=ZONES, days=st.integers(min_value=1, max_value=30))
def test_whole_day_reminders_keep_the_wall_time_unless_it_does_not_exist(
    visit: datetime, zone: str, days: int
) -> None:
    tz = ZoneInfo(zone)
    due = messages.reminder_due(visit, timedelta(days=days), zone)
    wall = visit.astimezone(tz).replace(tzinfo=None) - timedelta(days=days)
    local = due.astimezone(tz)
    assert due.tzinfo is UTC
    if local.replace(tzinfo=None) == wall:
        assert local.fold == 0  # a repeated wall time: its first occurrence
    else:
        # skipped by a spring-forward change (an hour in these zones): as far after the change
        # as the wall time was after its start
        assert local.replace(tzinfo=None) == wall + timedelta(hours=1)
    # elapsed time stays within the longest clock change of a day's distance
    elapsed = visit - due
    assert abs(elapsed - timedelta(days=days)) <= timedelta(hours=1)


@settings(max_examples=200, deadline=None)
@given(
    visit=VISITS,
    zone=ZONES,
    minutes=st.integers(min_value=1, max_value=30 * 24 * 60).filter(lambda m: m % 1440),
)
def test_other_offsets_are_elapsed_time(visit: datetime, zone: str, minutes: int) -> None:
    offset = timedelta(minutes=minutes)
    assert messages.reminder_due(visit, offset, zone) == visit - offset


@settings(max_examples=200, deadline=None)
@given(visit=VISITS, zone=ZONES)
def test_reminders_stay_before_the_visit_in_the_clinic_offsets_order(
    visit: datetime, zone: str
) -> None:
    offsets = (timedelta(days=2), H24, timedelta(hours=3), H2)
    due = [messages.reminder_due(visit, o, zone) for o in offsets]
    assert due == sorted(due) and due[-1] < visit
