"""Working-hour expansion and the slot engine on ordinary (non-DST) days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from medbookings_desktop.domain.availability import (
    ProviderCalendar,
    Slot,
    SlotRequest,
    find_slots,
    free_intervals,
    iter_provider_slots,
    next_slot,
    provider_slots,
)
from medbookings_desktop.domain.intervals import Interval
from medbookings_desktop.domain.wall_clock import (
    DatedWallClock,
    WallClockRule,
    expand_dated,
    expand_rules,
    resolve_wall_time,
    zone_for,
)

LONDON = "Europe/London"  # UTC+1 (BST) in May 2026
MONDAY = date(2026, 5, 4)
MIN = timedelta(minutes=1)


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 5, day, hour, minute, tzinfo=UTC)


def hm(slot: Slot) -> str:
    """Local London wall time of a slot start, for readable assertions."""
    return slot.start.astimezone(ZoneInfo(LONDON)).strftime("%a %H:%M")


def week_request(**kwargs: object) -> SlotRequest:
    values: dict[str, object] = {
        "not_before": utc(4, 0),
        "not_after": utc(11, 0),
        "limit": 1000,
    }
    values.update(kwargs)
    duration = values.pop("duration", timedelta(minutes=30))
    return SlotRequest(duration, **values)  # type: ignore[arg-type]


def nine_to_five(days: int = 5, zone: str = LONDON) -> list[Interval]:
    rules = [WallClockRule(d, time(9), time(17), zone) for d in range(days)]
    return expand_rules(rules, MONDAY, MONDAY + timedelta(days=6))


class TestRules:
    def test_weekday_range(self) -> None:
        with pytest.raises(ValueError, match="Weekday"):
            WallClockRule(7, time(9), time(17), LONDON)
        with pytest.raises(ValueError, match="Weekday"):
            WallClockRule(-1, time(9), time(17), LONDON)

    def test_end_must_follow_start(self) -> None:
        with pytest.raises(ValueError, match="after start"):
            WallClockRule(0, time(17), time(9), LONDON)
        with pytest.raises(ValueError, match="after start"):
            WallClockRule(0, time(9), time(9), LONDON)

    def test_midnight_end_means_end_of_day(self) -> None:
        rule = WallClockRule(0, time(18), time(0), LONDON)
        assert expand_rules([rule], MONDAY, MONDAY) == [Interval(utc(4, 17), utc(4, 23))]

    def test_whole_day(self) -> None:
        rule = WallClockRule(0, time(0), time(0), LONDON)
        [day] = expand_rules([rule], MONDAY, MONDAY)
        assert day == Interval(utc(3, 23), utc(4, 23))

    def test_zone_aware_times_are_refused(self) -> None:
        with pytest.raises(ValueError, match="carry no zone"):
            WallClockRule(0, time(9, tzinfo=UTC), time(17), LONDON)

    def test_unknown_zone_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="Unknown time zone"):
            WallClockRule(0, time(9), time(17), "Mars/Olympus_Mons")
        with pytest.raises(ValueError, match="Unknown time zone"):
            zone_for("")
        with pytest.raises(ValueError, match="Unknown time zone"):
            ProviderCalendar(1, [], [], "Nowhere/Special")

    def test_dated_validation(self) -> None:
        with pytest.raises(TypeError):
            DatedWallClock(datetime(2026, 5, 4, tzinfo=UTC), time(9), time(10), LONDON)
        with pytest.raises(ValueError):
            DatedWallClock(MONDAY, time(10), time(9), LONDON)


class TestExpandRules:
    def test_each_matching_weekday_in_range_inclusive(self) -> None:
        rule = WallClockRule(2, time(9), time(12), LONDON)  # Wednesdays
        got = expand_rules([rule], date(2026, 5, 6), date(2026, 5, 20))
        assert got == [
            Interval(utc(6, 8), utc(6, 11)),
            Interval(utc(13, 8), utc(13, 11)),
            Interval(utc(20, 8), utc(20, 11)),
        ]

    def test_range_without_the_weekday(self) -> None:
        rule = WallClockRule(6, time(9), time(12), LONDON)
        assert expand_rules([rule], MONDAY, MONDAY + timedelta(days=5)) == []
        assert expand_rules([rule], MONDAY, MONDAY - timedelta(days=1)) == []

    def test_each_rule_uses_its_own_zone(self) -> None:
        rules = [
            WallClockRule(0, time(9), time(10), LONDON),
            WallClockRule(0, time(9), time(10), "Asia/Kolkata"),
            WallClockRule(0, time(9), time(10), "America/New_York"),
        ]
        assert expand_rules(rules, MONDAY, MONDAY) == [
            Interval(utc(4, 3, 30), utc(4, 4, 30)),
            Interval(utc(4, 8), utc(4, 9)),
            Interval(utc(4, 13), utc(4, 14)),
        ]

    def test_split_shift_and_touching_rules_are_normalized(self) -> None:
        rules = [
            WallClockRule(0, time(13), time(17), LONDON),
            WallClockRule(0, time(9), time(12), LONDON),
            WallClockRule(0, time(12), time(13), LONDON),
        ]
        assert expand_rules(rules, MONDAY, MONDAY) == [Interval(utc(4, 8), utc(4, 16))]

    def test_local_date_not_utc_date(self) -> None:
        # 00:30 Monday in Kolkata is still Sunday in UTC.
        rule = WallClockRule(0, time(0, 30), time(1, 30), "Asia/Kolkata")
        assert expand_rules([rule], MONDAY, MONDAY) == [
            Interval(datetime(2026, 5, 3, 19, tzinfo=UTC), datetime(2026, 5, 3, 20, tzinfo=UTC))
        ]

    def test_expand_dated_keeps_only_days_in_range(self) -> None:
        items = [
            DatedWallClock(date(2026, 5, 9), time(10), time(13), LONDON),
            DatedWallClock(date(2026, 5, 20), time(10), time(13), LONDON),
            DatedWallClock(date(2026, 5, 4), time(22), time(0), LONDON),
        ]
        assert expand_dated(items, MONDAY, date(2026, 5, 10)) == [
            Interval(utc(4, 21), utc(4, 23)),
            Interval(utc(9, 9), utc(9, 12)),
        ]

    def test_resolve_wall_time_plain(self) -> None:
        assert resolve_wall_time(MONDAY, time(9, 45), ZoneInfo(LONDON)) == utc(4, 8, 45)


class TestFreeIntervals:
    def test_working_minus_blocked(self) -> None:
        cal = ProviderCalendar(
            1,
            working=[Interval(utc(4, 8), utc(4, 16))],
            blocked=[Interval(utc(4, 11), utc(4, 12)), Interval(utc(4, 15), utc(4, 18))],
            zone=LONDON,
        )
        assert free_intervals(cal) == [
            Interval(utc(4, 8), utc(4, 11)),
            Interval(utc(4, 12), utc(4, 15)),
        ]


class TestProviderSlots:
    def test_plain_day_on_the_quarter_hour(self) -> None:
        cal = ProviderCalendar(1, nine_to_five(1), [], LONDON)
        slots = provider_slots(cal, week_request())
        assert len(slots) == 31  # 09:00 .. 16:30 every 15 minutes
        assert hm(slots[0]) == "Mon 09:00"
        assert hm(slots[-1]) == "Mon 16:30"
        assert slots[0] == Slot(utc(4, 8), utc(4, 8, 30), 1)
        assert all(s.end - s.start == timedelta(minutes=30) for s in slots)

    def test_breaks_and_time_off(self) -> None:
        lunch = [WallClockRule(d, time(12), time(13), LONDON) for d in range(5)]
        time_off = [Interval(utc(5, 0), utc(6, 0))]  # all of Tuesday
        blocked = expand_rules(lunch, MONDAY, MONDAY + timedelta(days=6)) + time_off
        cal = ProviderCalendar(1, nine_to_five(), blocked, LONDON)
        slots = provider_slots(cal, week_request(duration=timedelta(hours=1), grid=60 * MIN))
        by_day: dict[str, list[str]] = {}
        for s in slots:
            day, clock = hm(s).split()
            by_day.setdefault(day, []).append(clock)
        assert by_day["Mon"] == ["09:00", "10:00", "11:00", "13:00", "14:00", "15:00", "16:00"]
        assert "Tue" not in by_day
        assert set(by_day) == {"Mon", "Wed", "Thu", "Fri"}

    def test_existing_appointment_blocks_with_its_buffers(self) -> None:
        # Appointment 10:00-10:30 local with 10-minute buffers each side.
        appt = Interval(utc(4, 9), utc(4, 9, 30)).expand(10 * MIN, 10 * MIN)
        cal = ProviderCalendar(1, nine_to_five(1), [appt], LONDON)
        starts = [hm(s) for s in provider_slots(cal, week_request(limit=8))]
        # 09:30 would end at 10:00, inside the 09:50-10:40 buffered block.
        assert starts == [
            "Mon 09:00",
            "Mon 09:15",
            "Mon 10:45",
            "Mon 11:00",
            "Mon 11:15",
            "Mon 11:30",
            "Mon 11:45",
            "Mon 12:00",
        ]

    def test_own_buffers_must_fit_in_free_time(self) -> None:
        appt = Interval(utc(4, 9), utc(4, 9, 30))
        cal = ProviderCalendar(1, nine_to_five(1), [appt], LONDON)
        req = week_request(buffer_before=5 * MIN, buffer_after=20 * MIN)
        starts = [hm(s) for s in provider_slots(cal, req)]
        # Before 10:00 a start needs 09:05 <= s <= 09:10; after it, 10:35 <= s <= 16:10.
        assert starts[:2] == ["Mon 10:45", "Mon 11:00"]
        assert starts[-1] == "Mon 16:00"
        assert not any(s.startswith("Mon 09") for s in starts)

    def test_minimum_notice(self) -> None:
        cal = ProviderCalendar(1, nine_to_five(1), [], LONDON)
        slots = provider_slots(cal, week_request(not_before=utc(4, 10, 7), limit=2))
        assert [hm(s) for s in slots] == ["Mon 11:15", "Mon 11:30"]

    def test_horizon(self) -> None:
        cal = ProviderCalendar(1, nine_to_five(5), [], LONDON)
        slots = provider_slots(cal, week_request(not_after=utc(4, 8, 45)))
        assert [hm(s) for s in slots] == ["Mon 09:00", "Mon 09:15"]

    def test_window_too_short_for_the_visit(self) -> None:
        cal = ProviderCalendar(1, nine_to_five(1), [], LONDON)
        assert provider_slots(cal, week_request(not_before=utc(4, 9), not_after=utc(4, 9))) == []
        assert provider_slots(cal, week_request(not_before=utc(5, 0), not_after=utc(4, 0))) == []

    def test_limit(self) -> None:
        cal = ProviderCalendar(1, nine_to_five(5), [], LONDON)
        assert len(provider_slots(cal, week_request(limit=3))) == 3
        assert provider_slots(cal, week_request(limit=0)) == []

    def test_free_interval_shorter_than_visit(self) -> None:
        cal = ProviderCalendar(1, [Interval(utc(4, 8), utc(4, 8, 20))], [], LONDON)
        assert provider_slots(cal, week_request()) == []

    def test_grid_follows_local_wall_clock_with_half_hour_offset(self) -> None:
        kolkata = "Asia/Kolkata"
        cal = ProviderCalendar(7, nine_to_five(1, kolkata), [], kolkata)
        slots = provider_slots(cal, week_request(grid=60 * MIN))
        local = [s.start.astimezone(ZoneInfo(kolkata)).strftime("%H:%M") for s in slots]
        assert local == ["09:00", "10:00", "11:00", "12:00", "13:00", "14:00", "15:00", "16:00"]
        assert slots[0].start == utc(4, 3, 30)

    def test_grid_is_local_even_when_free_time_starts_off_grid(self) -> None:
        cal = ProviderCalendar(1, [Interval(utc(4, 8, 7), utc(4, 10))], [], LONDON)
        assert [hm(s) for s in provider_slots(cal, week_request(limit=2))] == [
            "Mon 09:15",
            "Mon 09:30",
        ]

    def test_grid_not_dividing_a_day_restarts_at_local_midnight(self) -> None:
        cal = ProviderCalendar(1, [Interval(utc(4, 21), utc(4, 23, 50))], [], LONDON)
        slots = provider_slots(cal, week_request(duration=10 * MIN, grid=25 * MIN))
        # 22:05 is minute 1325 = 53 x 25 of the day; 23:45 is the last point before midnight.
        assert [hm(s) for s in slots] == [
            "Mon 22:05",
            "Mon 22:30",
            "Mon 22:55",
            "Mon 23:20",
            "Mon 23:45",
            "Tue 00:00",
            "Tue 00:25",
        ]

    def test_iterator_is_unbounded_and_lazy(self) -> None:
        # Ten years of round-the-clock work: only the first slots are ever computed.
        cal = ProviderCalendar(
            1, [Interval(utc(4, 0), utc(4, 0) + timedelta(days=3650))], [], LONDON
        )
        req = week_request(not_after=utc(4, 0) + timedelta(days=3650), limit=5)
        it = iter_provider_slots(cal, req)
        assert next(it).start == utc(4, 0)
        assert next(it).start == utc(4, 0, 15)
        assert len(provider_slots(cal, req)) == 5

    def test_far_history_is_ignored(self) -> None:
        old = [
            Interval(utc(1, 0) - timedelta(days=400 + i), utc(1, 0) - timedelta(days=399 + i))
            for i in range(0, 300, 2)
        ]
        cal = ProviderCalendar(1, old + nine_to_five(1), old, LONDON)
        assert hm(provider_slots(cal, week_request(limit=1))[0]) == "Mon 09:00"


class TestAcrossProviders:
    def _calendars(self) -> list[ProviderCalendar]:
        return [
            ProviderCalendar(3, nine_to_five(1), [Interval(utc(4, 8), utc(4, 9))], LONDON),
            ProviderCalendar(1, [Interval(utc(4, 9), utc(4, 12))], [], LONDON),
            ProviderCalendar(2, nine_to_five(1), [], LONDON),
        ]

    def test_merged_by_start_then_provider(self) -> None:
        slots = find_slots(self._calendars(), week_request(grid=60 * MIN, limit=7))
        assert [(hm(s), s.provider_id) for s in slots] == [
            ("Mon 09:00", 2),
            ("Mon 10:00", 1),
            ("Mon 10:00", 2),
            ("Mon 10:00", 3),
            ("Mon 11:00", 1),
            ("Mon 11:00", 2),
            ("Mon 11:00", 3),
        ]

    def test_find_slots_equals_sorted_union_cut_to_limit(self) -> None:
        cals = self._calendars()
        req = week_request(limit=25)
        everything = sorted(
            (s for c in cals for s in provider_slots(c, week_request())),
            key=lambda s: (s.start, s.provider_id),
        )
        assert find_slots(cals, req) == everything[:25]

    def test_next_slot(self) -> None:
        cals = self._calendars()
        assert next_slot(cals, week_request()) == Slot(utc(4, 8), utc(4, 8, 30), 2)
        assert next_slot(cals, week_request(limit=0)) == Slot(utc(4, 8), utc(4, 8, 30), 2)
        assert next_slot(cals, week_request(not_before=utc(9, 0))) is None
        assert next_slot([], week_request()) is None

    def test_no_providers(self) -> None:
        assert find_slots([], week_request()) == []

    def test_limit_zero(self) -> None:
        assert find_slots(self._calendars(), week_request(limit=0)) == []

    def test_duplicate_calendar_of_one_provider_offers_a_slot_once(self) -> None:
        cal = ProviderCalendar(5, nine_to_five(1), [], LONDON)
        slots = find_slots([cal, cal], week_request(limit=3))
        assert [hm(s) for s in slots] == ["Mon 09:00", "Mon 09:15", "Mon 09:30"]

    def test_providers_in_different_zones(self) -> None:
        cals = [
            ProviderCalendar(1, nine_to_five(1, "America/New_York"), [], "America/New_York"),
            ProviderCalendar(2, nine_to_five(1, "Asia/Kolkata"), [], "Asia/Kolkata"),
        ]
        slots = find_slots(cals, week_request(grid=60 * MIN, limit=100))
        assert slots[0] == Slot(utc(4, 3, 30), utc(4, 4), 2)
        assert slots[-1] == Slot(utc(4, 20), utc(4, 20, 30), 1)
        assert len(slots) == 16


class TestSlotRequest:
    def test_everything_after_duration_is_keyword_only(self) -> None:
        with pytest.raises(TypeError):
            SlotRequest(30 * MIN, 0 * MIN, 0 * MIN)  # type: ignore[call-arg]

    def test_defaults(self) -> None:
        req = SlotRequest(30 * MIN, not_before=utc(4, 0), not_after=utc(5, 0))
        assert req.buffer_before == req.buffer_after == timedelta(0)
        assert req.grid == 15 * MIN
        assert req.limit == 20

    def test_window_is_kept_in_utc(self) -> None:
        ny = ZoneInfo("America/New_York")
        req = SlotRequest(
            30 * MIN,
            not_before=datetime(2026, 5, 4, 9, tzinfo=ny),
            not_after=datetime(2026, 5, 5, tzinfo=ny),
        )
        assert req.not_before == utc(4, 13)
        assert req.not_before.tzinfo is UTC

    @pytest.mark.parametrize(
        "bad",
        [
            {"duration": timedelta(0)},
            {"buffer_before": -MIN},
            {"buffer_after": -MIN},
            {"grid": timedelta(0)},
            {"grid": timedelta(seconds=90)},
            {"limit": -1},
            {"not_before": datetime(2026, 5, 4)},
            {"not_after": datetime(2026, 5, 4)},
        ],
    )
    def test_invalid(self, bad: dict[str, object]) -> None:
        with pytest.raises(ValueError):
            week_request(**bad)

    def test_slot_validation(self) -> None:
        with pytest.raises(ValueError):
            Slot(datetime(2026, 5, 4, 8), datetime(2026, 5, 4, 9), 1)
        with pytest.raises(ValueError):
            Slot(utc(4, 9), utc(4, 9), 1)
        assert Slot(utc(4, 9), utc(4, 10), 1).interval == Interval(utc(4, 9), utc(4, 10))
