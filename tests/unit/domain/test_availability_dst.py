"""DST change days: wall-clock expansion and the local slot grid.

The transition dates and instants used below are not guesses: `test_transitions_are_as_assumed`
scans zoneinfo's own data for 2026 and pins them, so a tzdata change shows up there first.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from medbookings_desktop.domain.availability import (
    ProviderCalendar,
    Slot,
    SlotRequest,
    provider_slots,
)
from medbookings_desktop.domain.intervals import Interval
from medbookings_desktop.domain.wall_clock import (
    DatedWallClock,
    WallClockRule,
    expand_dated,
    expand_rules,
    resolve_wall_time,
)

NY = "America/New_York"
LONDON = "Europe/London"
LORD_HOWE = "Australia/Lord_Howe"
SANTIAGO = "America/Santiago"  # 2026-09-06: clocks jump from 24:00 to 01:00
HAVANA = "America/Havana"  # 2026-11-01: clocks fall back from 01:00 to 00:00

NY_SPRING, NY_FALL = date(2026, 3, 8), date(2026, 11, 1)
LONDON_SPRING, LONDON_FALL = date(2026, 3, 29), date(2026, 10, 25)
LH_SPRING, LH_FALL = date(2026, 10, 4), date(2026, 4, 5)
SANTIAGO_SPRING = date(2026, 9, 6)
HAVANA_FALL = date(2026, 11, 1)

H = timedelta(hours=1)
MIN = timedelta(minutes=1)


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def offsets_changes(zone: str, year: int) -> list[tuple[datetime, timedelta, timedelta]]:
    """Every (instant, offset before, offset after) of `zone` in `year`, found by scanning."""
    z = ZoneInfo(zone)
    t = datetime(year, 1, 1, tzinfo=UTC)
    stop = datetime(year + 1, 1, 1, tzinfo=UTC)
    before = t.astimezone(z).utcoffset()
    found: list[tuple[datetime, timedelta, timedelta]] = []
    while t < stop:
        t += 15 * MIN
        after = t.astimezone(z).utcoffset()
        if after != before:
            assert before is not None and after is not None
            found.append((t, before, after))
            before = after
    return found


@pytest.mark.parametrize(
    ("zone", "expected"),
    [
        (NY, [(utc(3, 8, 7), -5 * H, -4 * H), (utc(11, 1, 6), -4 * H, -5 * H)]),
        (LONDON, [(utc(3, 29, 1), 0 * H, 1 * H), (utc(10, 25, 1), 1 * H, 0 * H)]),
        (
            LORD_HOWE,
            [
                (utc(4, 4, 15), 11 * H, 10.5 * H),
                (utc(10, 3, 15, 30), 10.5 * H, 11 * H),
            ],
        ),
        (SANTIAGO, [(utc(4, 5, 3), -3 * H, -4 * H), (utc(9, 6, 4), -4 * H, -3 * H)]),
        (HAVANA, [(utc(3, 8, 5), -5 * H, -4 * H), (utc(11, 1, 5), -4 * H, -5 * H)]),
    ],
)
def test_transitions_are_as_assumed(
    zone: str, expected: list[tuple[datetime, timedelta, timedelta]]
) -> None:
    assert offsets_changes(zone, 2026) == expected


def test_change_days_are_the_local_dates_assumed() -> None:
    def local_day(instant: datetime, zone: str) -> date:
        return instant.astimezone(ZoneInfo(zone)).date()

    assert local_day(utc(3, 8, 7), NY) == NY_SPRING
    assert local_day(utc(11, 1, 6), NY) == NY_FALL
    assert local_day(utc(3, 29, 1), LONDON) == LONDON_SPRING
    assert local_day(utc(10, 25, 1), LONDON) == LONDON_FALL
    assert local_day(utc(10, 3, 15, 30), LORD_HOWE) == LH_SPRING
    assert local_day(utc(4, 4, 15), LORD_HOWE) == LH_FALL
    assert local_day(utc(9, 6, 4), SANTIAGO) == SANTIAGO_SPRING
    assert local_day(utc(11, 1, 5), HAVANA) == HAVANA_FALL


def one_day(zone: str, day: date, start: time, end: time) -> list[Interval]:
    return expand_rules([WallClockRule(day.weekday(), start, end, zone)], day, day)


def wall(zone: str, day: date, at: time, *, is_end: bool = False) -> datetime:
    return resolve_wall_time(day, at, ZoneInfo(zone), is_end=is_end)


class TestNonexistentWallTimes:
    @pytest.mark.parametrize("at", [time(2), time(2, 30), time(2, 59, 59), time(3)])
    def test_new_york_gap_resolves_to_the_jump(self, at: time) -> None:
        assert wall(NY, NY_SPRING, at) == utc(3, 8, 7)
        assert wall(NY, NY_SPRING, at, is_end=True) == utc(3, 8, 7)

    def test_new_york_just_before_the_gap(self) -> None:
        assert wall(NY, NY_SPRING, time(1, 59)) == utc(3, 8, 6, 59)

    def test_london_gap(self) -> None:
        assert wall(LONDON, LONDON_SPRING, time(1, 30)) == utc(3, 29, 1)
        assert wall(LONDON, LONDON_SPRING, time(2)) == utc(3, 29, 1)

    def test_lord_howe_half_hour_gap(self) -> None:
        assert wall(LORD_HOWE, LH_SPRING, time(2, 15)) == utc(10, 3, 15, 30)
        assert wall(LORD_HOWE, LH_SPRING, time(2, 30)) == utc(10, 3, 15, 30)
        assert wall(LORD_HOWE, LH_SPRING, time(1, 59)) == utc(10, 3, 15, 29)

    def test_rule_wholly_inside_the_gap_is_empty(self) -> None:
        assert one_day(NY, NY_SPRING, time(2), time(2, 45)) == []
        assert one_day(LORD_HOWE, LH_SPRING, time(2), time(2, 30)) == []

    def test_rule_straddling_the_gap_loses_the_missing_hour(self) -> None:
        assert one_day(NY, NY_SPRING, time(1, 30), time(3, 30)) == [
            Interval(utc(3, 8, 6, 30), utc(3, 8, 7, 30))
        ]
        assert one_day(NY, NY_SPRING, time(2, 30), time(4)) == [
            Interval(utc(3, 8, 7), utc(3, 8, 8))
        ]


class TestRepeatedWallTimes:
    def test_new_york_start_takes_first_and_end_takes_later(self) -> None:
        assert wall(NY, NY_FALL, time(1, 30)) == utc(11, 1, 5, 30)
        assert wall(NY, NY_FALL, time(1, 30), is_end=True) == utc(11, 1, 6, 30)
        assert wall(NY, NY_FALL, time(1)) == utc(11, 1, 5)
        assert wall(NY, NY_FALL, time(1), is_end=True) == utc(11, 1, 6)
        assert wall(NY, NY_FALL, time(2)) == utc(11, 1, 7)
        assert wall(NY, NY_FALL, time(0, 59), is_end=True) == utc(11, 1, 4, 59)

    def test_london(self) -> None:
        assert wall(LONDON, LONDON_FALL, time(1, 30)) == utc(10, 25, 0, 30)
        assert wall(LONDON, LONDON_FALL, time(1, 30), is_end=True) == utc(10, 25, 1, 30)

    def test_lord_howe_half_hour_overlap(self) -> None:
        assert wall(LORD_HOWE, LH_FALL, time(1, 45)) == utc(4, 4, 14, 45)
        assert wall(LORD_HOWE, LH_FALL, time(1, 45), is_end=True) == utc(4, 4, 15, 15)
        assert wall(LORD_HOWE, LH_FALL, time(1, 15), is_end=True) == utc(4, 4, 14, 15)

    def test_no_working_time_is_lost(self) -> None:
        assert one_day(NY, NY_FALL, time(1), time(1, 30)) == [
            Interval(utc(11, 1, 5), utc(11, 1, 6, 30))
        ]

    def test_a_recurring_break_in_the_overlap_blocks_both_occurrences(self) -> None:
        assert one_day(NY, NY_FALL, time(1), time(2)) == [Interval(utc(11, 1, 5), utc(11, 1, 7))]

    def test_fold_on_the_rule_time_is_ignored(self) -> None:
        rule = WallClockRule(NY_FALL.weekday(), time(1, 30, fold=1), time(3), NY)
        [got] = expand_rules([rule], NY_FALL, NY_FALL)
        assert got.start == utc(11, 1, 5, 30)


@pytest.mark.parametrize(
    ("zone", "day", "expected_utc", "length"),
    [
        (NY, NY_SPRING, (utc(3, 8, 5), utc(3, 9, 4)), 23 * H),
        (NY, NY_FALL, (utc(11, 1, 4), utc(11, 2, 5)), 25 * H),
        (LONDON, LONDON_SPRING, (utc(3, 29, 0), utc(3, 29, 23)), 23 * H),
        (LONDON, LONDON_FALL, (utc(10, 24, 23), utc(10, 26, 0)), 25 * H),
        (LORD_HOWE, LH_SPRING, (utc(10, 3, 13, 30), utc(10, 4, 13)), 23.5 * H),
        (LORD_HOWE, LH_FALL, (utc(4, 4, 13), utc(4, 5, 13, 30)), 24.5 * H),
        (SANTIAGO, SANTIAGO_SPRING, (utc(9, 6, 4), utc(9, 7, 3)), 23 * H),
        (HAVANA, HAVANA_FALL, (utc(11, 1, 4), utc(11, 2, 5)), 25 * H),
    ],
)
def test_whole_day_rule_has_the_real_day_length(
    zone: str, day: date, expected_utc: tuple[datetime, datetime], length: timedelta
) -> None:
    [got] = one_day(zone, day, time(0), time(0))
    assert (got.start, got.end) == expected_utc
    assert got.duration == length


@pytest.mark.parametrize(
    ("zone", "day", "nine_utc"),
    [
        (NY, NY_SPRING, utc(3, 8, 13)),
        (NY, NY_FALL, utc(11, 1, 14)),
        (LONDON, LONDON_SPRING, utc(3, 29, 8)),
        (LONDON, LONDON_FALL, utc(10, 25, 9)),
        (LORD_HOWE, LH_SPRING, utc(10, 3, 22)),
        (LORD_HOWE, LH_FALL, utc(4, 4, 22, 30)),
    ],
)
def test_office_hours_on_a_change_day_stay_eight_hours(
    zone: str, day: date, nine_utc: datetime
) -> None:
    [got] = one_day(zone, day, time(9), time(17))
    assert got == Interval(nine_utc, nine_utc + 8 * H)


def test_a_week_across_the_change_keeps_local_hours() -> None:
    rules = [WallClockRule(d, time(9), time(17), NY) for d in range(7)]
    got = expand_rules(rules, date(2026, 3, 5), date(2026, 3, 11))
    assert [iv.start.hour for iv in got] == [14, 14, 14, 13, 13, 13, 13]
    assert all(iv.duration == 8 * H for iv in got)


def test_midnight_end_on_the_eve_of_a_missing_midnight_ends_at_the_jump() -> None:
    eve = SANTIAGO_SPRING - timedelta(days=1)
    assert one_day(SANTIAGO, eve, time(20), time(0)) == [Interval(utc(9, 6, 0), utc(9, 6, 4))]


def test_midnight_end_before_a_repeated_midnight_takes_the_later_one() -> None:
    eve = HAVANA_FALL - timedelta(days=1)
    assert one_day(HAVANA, eve, time(22), time(0)) == [Interval(utc(11, 1, 2), utc(11, 1, 5))]


def test_dated_extra_hours_on_a_change_day() -> None:
    extra = [DatedWallClock(NY_FALL, time(0, 30), time(1, 30), NY)]
    assert expand_dated(extra, NY_FALL, NY_FALL) == [Interval(utc(11, 1, 4, 30), utc(11, 1, 6, 30))]


def day_slots(zone: str, day: date, grid: timedelta, duration: timedelta) -> list[Slot]:
    working = one_day(zone, day, time(0), time(0))
    cal = ProviderCalendar(1, working, [], zone)
    req = SlotRequest(
        duration,
        grid=grid,
        not_before=working[0].start - 2 * H,
        not_after=working[0].end + 2 * H,
        limit=500,
    )
    return provider_slots(cal, req)


def readings(slots: list[Slot], zone: str) -> list[str]:
    return [s.start.astimezone(ZoneInfo(zone)).strftime("%H:%M%z") for s in slots]


class TestSlotsOnChangeDays:
    def test_new_york_spring_has_no_two_oclock(self) -> None:
        slots = day_slots(NY, NY_SPRING, H, H)
        got = readings(slots, NY)
        assert len(slots) == 23
        assert got[:4] == ["00:00-0500", "01:00-0500", "03:00-0400", "04:00-0400"]
        assert got[-1] == "23:00-0400"
        assert [s.start for s in slots] == [utc(3, 8, 5) + i * H for i in range(23)]

    def test_new_york_fall_has_two_one_oclocks(self) -> None:
        slots = day_slots(NY, NY_FALL, H, H)
        got = readings(slots, NY)
        assert len(slots) == 25
        assert got[:4] == ["00:00-0400", "01:00-0400", "01:00-0500", "02:00-0500"]
        assert [s.start for s in slots] == [utc(11, 1, 4) + i * H for i in range(25)]

    def test_london_both_days(self) -> None:
        spring = readings(day_slots(LONDON, LONDON_SPRING, H, H), LONDON)
        assert spring[:3] == ["00:00+0000", "02:00+0100", "03:00+0100"]
        assert len(spring) == 23
        fall = readings(day_slots(LONDON, LONDON_FALL, H, H), LONDON)
        assert fall[:4] == ["00:00+0100", "01:00+0100", "01:00+0000", "02:00+0000"]
        assert len(fall) == 25

    def test_lord_howe_spring_half_hour_grid(self) -> None:
        slots = day_slots(LORD_HOWE, LH_SPRING, 30 * MIN, 30 * MIN)
        got = readings(slots, LORD_HOWE)
        assert len(slots) == 47  # 23.5 hours of half-hour slots
        assert got[3:5] == ["01:30+1030", "02:30+1100"]
        assert slots[4].start - slots[3].start == 30 * MIN

    def test_lord_howe_fall_half_hour_grid(self) -> None:
        slots = day_slots(LORD_HOWE, LH_FALL, 30 * MIN, 30 * MIN)
        got = readings(slots, LORD_HOWE)
        assert len(slots) == 49  # 24.5 hours of half-hour slots
        assert got[3:6] == ["01:30+1100", "01:30+1030", "02:00+1030"]

    def test_lord_howe_hourly_grid_shifts_with_the_clock(self) -> None:
        # The clock moves by 30 minutes, so the next on-the-hour reading is 90 minutes away.
        spring = day_slots(LORD_HOWE, LH_SPRING, H, H)
        assert readings(spring, LORD_HOWE)[1:3] == ["01:00+1030", "03:00+1100"]
        assert spring[2].start - spring[1].start == 90 * MIN
        assert len(spring) == 23
        fall = day_slots(LORD_HOWE, LH_FALL, H, H)
        assert readings(fall, LORD_HOWE)[1:3] == ["01:00+1100", "02:00+1030"]
        assert fall[2].start - fall[1].start == 90 * MIN
        assert len(fall) == 24

    def test_slot_over_the_gap_lasts_its_real_duration(self) -> None:
        slots = day_slots(NY, NY_SPRING, 30 * MIN, H)
        over = next(s for s in slots if s.start == utc(3, 8, 6, 30))
        assert over.end == utc(3, 8, 7, 30)
        assert over.end.astimezone(ZoneInfo(NY)).strftime("%H:%M") == "03:30"
        assert "02:30-0500" not in readings(slots, NY)

    def test_missing_local_midnight_counts_the_grid_from_the_wall_clock(self) -> None:
        slots = day_slots(SANTIAGO, SANTIAGO_SPRING, 45 * MIN, 45 * MIN)
        got = readings(slots, SANTIAGO)
        # The day starts at 01:00; 45-minute grid points are 00:45, 01:30, 02:15 ...
        assert got[:3] == ["01:30-0300", "02:15-0300", "03:00-0300"]
        assert slots[0].start == utc(9, 6, 4, 30)

    def test_repeated_local_midnight_gives_two_midnight_slots(self) -> None:
        got = readings(day_slots(HAVANA, HAVANA_FALL, H, H), HAVANA)
        assert got[:3] == ["00:00-0400", "00:00-0500", "01:00-0500"]
        assert len(got) == 25

    def test_office_hours_slots_on_a_change_day(self) -> None:
        working = one_day(NY, NY_SPRING, time(9), time(17))
        cal = ProviderCalendar(1, working, [], NY)
        req = SlotRequest(
            30 * MIN, not_before=utc(3, 8, 0), not_after=utc(3, 9, 0), grid=30 * MIN, limit=99
        )
        slots = provider_slots(cal, req)
        assert len(slots) == 16
        assert slots[0].start == utc(3, 8, 13)
        assert readings(slots, NY)[-1] == "16:30-0400"
