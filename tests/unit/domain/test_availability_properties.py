"""Hypothesis properties of the interval algebra and the slot engine.

Calendars are drawn around the 2026 DST changes of zones with whole-hour, half-hour and
45-minute offsets, so the properties are exercised on the awkward days, not only plain ones.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medbookings_desktop.domain.availability import (
    ProviderCalendar,
    Slot,
    SlotRequest,
    find_slots,
    free_intervals,
    provider_slots,
)
from medbookings_desktop.domain.intervals import (
    Interval,
    find_containing,
    intersect,
    normalize,
    subtract,
    total_duration,
)
from medbookings_desktop.domain.wall_clock import (
    WallClockRule,
    expand_rules,
    resolve_wall_time,
)

MIN = timedelta(minutes=1)
FAST = settings(max_examples=150, deadline=None, database=None)
SLOW = settings(max_examples=100, deadline=None, database=None)

# Zone and an instant near one of its 2026 offset changes (or a plain day for the fixed ones).
ANCHORS: list[tuple[str, datetime]] = [
    ("America/New_York", datetime(2026, 3, 8, 7, tzinfo=UTC)),
    ("America/New_York", datetime(2026, 11, 1, 6, tzinfo=UTC)),
    ("Europe/London", datetime(2026, 3, 29, 1, tzinfo=UTC)),
    ("Europe/London", datetime(2026, 10, 25, 1, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2026, 4, 4, 15, tzinfo=UTC)),
    ("Australia/Lord_Howe", datetime(2026, 10, 3, 15, 30, tzinfo=UTC)),
    ("America/Santiago", datetime(2026, 9, 6, 4, tzinfo=UTC)),
    ("America/Havana", datetime(2026, 11, 1, 5, tzinfo=UTC)),
    ("Asia/Kolkata", datetime(2026, 6, 1, 0, tzinfo=UTC)),
    ("Asia/Kathmandu", datetime(2026, 6, 1, 0, tzinfo=UTC)),
    ("UTC", datetime(2026, 6, 1, 0, tzinfo=UTC)),
]

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)


def minute_intervals(max_minute: int = 600, max_len: int = 120) -> st.SearchStrategy[Interval]:
    return st.builds(
        lambda a, n: Interval(ORIGIN + a * MIN, ORIGIN + (a + n) * MIN),
        st.integers(0, max_minute),
        st.integers(0, max_len),
    )


interval_lists = st.lists(minute_intervals(), max_size=12)


def covered(intervals: list[Interval], instant: datetime) -> bool:
    return any(iv.contains_instant(instant) for iv in intervals)


def probe_points(*groups: list[Interval]) -> list[datetime]:
    """Every boundary and the minute either side: enough to tell unions apart."""
    points = {ORIGIN}
    for group in groups:
        for iv in group:
            for edge in (iv.start, iv.end):
                points.update((edge - MIN, edge, edge + MIN))
    return sorted(points)


def assert_normalized(intervals: list[Interval]) -> None:
    for iv in intervals:
        assert iv.start < iv.end
    for a, b in pairwise(intervals):
        assert a.end < b.start


class TestIntervalAlgebra:
    @FAST
    @given(interval_lists)
    def test_normalize_is_canonical_and_keeps_the_same_instants(self, xs: list[Interval]) -> None:
        got = normalize(xs)
        assert_normalized(got)
        assert normalize(got) == got
        assert normalize(reversed(xs)) == got
        for p in probe_points(xs):
            assert covered(got, p) == covered(xs, p)

    @FAST
    @given(interval_lists, interval_lists)
    def test_subtract_removes_exactly_the_removed(
        self, xs: list[Interval], ys: list[Interval]
    ) -> None:
        got = subtract(xs, ys)
        assert_normalized(got)
        for p in probe_points(xs, ys):
            assert covered(got, p) == (covered(xs, p) and not covered(ys, p))

    @FAST
    @given(interval_lists, interval_lists)
    def test_subtract_and_intersect_partition_the_base(
        self, xs: list[Interval], ys: list[Interval]
    ) -> None:
        outside = subtract(xs, ys)
        inside = intersect(xs, ys)
        assert intersect(outside, ys) == []
        assert intersect(outside, inside) == []
        assert normalize(outside + inside) == normalize(xs)
        assert total_duration(outside) + total_duration(inside) == total_duration(xs)

    @FAST
    @given(interval_lists, interval_lists)
    def test_intersect_is_commutative_and_inside_both(
        self, xs: list[Interval], ys: list[Interval]
    ) -> None:
        got = intersect(xs, ys)
        assert_normalized(got)
        assert got == intersect(ys, xs)
        assert subtract(got, xs) == []
        assert subtract(got, ys) == []

    @FAST
    @given(interval_lists)
    def test_identities(self, xs: list[Interval]) -> None:
        assert subtract(xs, []) == normalize(xs)
        assert subtract(xs, xs) == []
        assert subtract([], xs) == []
        assert intersect(xs, xs) == normalize(xs)

    @FAST
    @given(interval_lists, interval_lists, interval_lists)
    def test_subtracting_twice_is_subtracting_the_union(
        self, xs: list[Interval], ys: list[Interval], zs: list[Interval]
    ) -> None:
        assert subtract(subtract(xs, ys), zs) == subtract(xs, ys + zs)

    @FAST
    @given(interval_lists, minute_intervals())
    def test_find_containing_agrees_with_a_scan(self, xs: list[Interval], item: Interval) -> None:
        free = normalize(xs)
        expected = [iv for iv in free if iv.contains(item)]
        assert find_containing(free, item) == (expected[0] if expected else None)

    @FAST
    @given(minute_intervals(), minute_intervals())
    def test_overlaps_means_a_non_empty_intersection(self, a: Interval, b: Interval) -> None:
        assert a.overlaps(b) == bool(intersect([a], [b]))


# --- slot engine -------------------------------------------------------------------------


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[ProviderCalendar], SlotRequest]:
    zone, anchor = draw(st.sampled_from(ANCHORS))
    base = anchor - timedelta(hours=draw(st.integers(0, 30)))

    def spans(count: int, max_len: int) -> list[Interval]:
        out = []
        for _ in range(count):
            start = draw(st.integers(0, 48 * 60))
            length = draw(st.integers(0, max_len))
            out.append(Interval(base + start * MIN, base + (start + length) * MIN))
        return out

    calendars = []
    for provider_id in draw(st.sets(st.integers(1, 6), min_size=1, max_size=3)):
        cal_zone = draw(st.sampled_from([zone, zone, "Asia/Kolkata", "UTC"]))
        working = spans(draw(st.integers(1, 4)), 16 * 60)
        blocked = spans(draw(st.integers(0, 6)), 120)
        calendars.append(ProviderCalendar(provider_id, working, blocked, cal_zone))
    not_before = base + draw(st.integers(0, 24 * 60)) * MIN
    request = SlotRequest(
        draw(st.integers(5, 120)) * MIN,
        buffer_before=draw(st.sampled_from([0, 0, 5, 10, 30])) * MIN,
        buffer_after=draw(st.sampled_from([0, 0, 5, 15])) * MIN,
        grid=draw(st.sampled_from([5, 10, 15, 20, 25, 30, 45, 60, 90])) * MIN,
        not_before=not_before,
        not_after=not_before + draw(st.integers(60, 36 * 60)) * MIN,
        limit=draw(st.integers(1, 400)),
    )
    return calendars, request


def on_local_grid(instant: datetime, zone: str, grid: timedelta) -> bool:
    local = instant.astimezone(ZoneInfo(zone))
    minutes = local.hour * 60 + local.minute
    return local.second == 0 and local.microsecond == 0 and minutes % (grid // MIN) == 0


def brute_force_slots(cal: ProviderCalendar, req: SlotRequest) -> list[Slot]:
    """Every UTC minute of the window tried one by one: slow, obvious, and independent."""
    free = free_intervals(cal)
    out = []
    t = req.not_before.replace(second=0, microsecond=0)
    if t < req.not_before:
        t += MIN
    while t + req.duration <= req.not_after:
        if on_local_grid(t, cal.zone, req.grid):
            need = Interval(t - req.buffer_before, t + req.duration + req.buffer_after)
            if any(f.contains(need) for f in free):
                out.append(Slot(t, t + req.duration, cal.provider_id))
        t += MIN
    return out


class TestSlotProperties:
    @SLOW
    @given(scenarios())
    def test_every_slot_is_bookable(
        self, scenario: tuple[list[ProviderCalendar], SlotRequest]
    ) -> None:
        calendars, req = scenario
        by_id = {c.provider_id: c for c in calendars}
        slots = find_slots(calendars, req)
        assert len(slots) <= req.limit
        for slot in slots:
            cal = by_id[slot.provider_id]
            assert slot.end - slot.start == req.duration
            assert req.not_before <= slot.start
            assert slot.end <= req.not_after
            assert slot.start.tzinfo is UTC
            needed = slot.interval.expand(req.buffer_before, req.buffer_after)
            assert not any(needed.overlaps(b) for b in cal.blocked)
            assert find_containing(normalize(cal.working), needed) is not None
            assert on_local_grid(slot.start, cal.zone, req.grid)

    @SLOW
    @given(scenarios())
    def test_provider_slots_match_a_minute_by_minute_search(
        self, scenario: tuple[list[ProviderCalendar], SlotRequest]
    ) -> None:
        calendars, req = scenario
        for cal in calendars:
            expected = brute_force_slots(cal, req)
            assert provider_slots(cal, req) == expected[: req.limit]

    @SLOW
    @given(scenarios())
    def test_find_slots_is_the_sorted_union_cut_to_the_limit(
        self, scenario: tuple[list[ProviderCalendar], SlotRequest]
    ) -> None:
        calendars, req = scenario
        everything = sorted(
            (s for c in calendars for s in provider_slots(c, req)),
            key=lambda s: (s.start, s.provider_id),
        )
        got = find_slots(calendars, req)
        assert got == everything[: req.limit]
        keys = [(s.start, s.provider_id) for s in got]
        assert keys == sorted(set(keys))


@contextmanager
def process_zone(name: str) -> Iterator[None]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = name
    time.tzset()
    try:
        yield
    finally:
        if saved is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = saved
        time.tzset()


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset is Unix-only")
class TestIndependentOfTheMachineZone:
    @settings(max_examples=40, deadline=None, database=None)
    @given(scenarios())
    def test_same_slots_whatever_tz_the_process_has(
        self, scenario: tuple[list[ProviderCalendar], SlotRequest]
    ) -> None:
        calendars, req = scenario
        results = []
        for tz in ("UTC", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"):
            with process_zone(tz):
                results.append(find_slots(calendars, req))
        assert all(r == results[0] for r in results)

    def test_expansion_is_the_same_whatever_tz_the_process_has(self) -> None:
        rules = [WallClockRule(d, wall_time(0), wall_time(0), "Europe/London") for d in range(7)]
        results = []
        for tz in ("UTC", "America/New_York", "Australia/Lord_Howe"):
            with process_zone(tz):
                results.append(expand_rules(rules, date(2026, 3, 20), date(2026, 4, 5)))
        assert all(r == results[0] for r in results)


class TestExpansionProperties:
    @FAST
    @given(
        st.sampled_from([zone for zone, _ in ANCHORS]),
        st.dates(date(2026, 1, 1), date(2026, 12, 20)),
        st.integers(0, 14),
    )
    def test_whole_days_tile_the_timeline(self, zone: str, first: date, days: int) -> None:
        last = first + timedelta(days=days)
        rules = [WallClockRule(d, wall_time(0), wall_time(0), zone) for d in range(7)]
        got = expand_rules(rules, first, last)
        z = ZoneInfo(zone)
        start = resolve_wall_time(first, wall_time(0), z)
        end = resolve_wall_time(last + timedelta(days=1), wall_time(0), z, is_end=True)
        assert got == [Interval(start, end)]

    @FAST
    @given(
        st.sampled_from([zone for zone, _ in ANCHORS]),
        st.dates(date(2026, 1, 1), date(2026, 12, 31)),
        st.integers(0, 23 * 60),
        st.integers(1, 24 * 60),
    )
    def test_rule_length_is_wall_length_minus_the_offset_change(
        self, zone: str, day: date, start_minute: int, length: int
    ) -> None:
        end_minute = min(start_minute + length, 24 * 60)
        start = wall_time(start_minute // 60, start_minute % 60)
        end = wall_time(0) if end_minute == 24 * 60 else wall_time(*divmod(end_minute, 60))
        got = expand_rules([WallClockRule(day.weekday(), start, end, zone)], day, day)
        wall_length = (end_minute - start_minute) * MIN
        # Never longer than the wall length plus a fall-back, never negative.
        total = total_duration(got)
        assert timedelta(0) <= total <= wall_length + timedelta(hours=1)
        z = ZoneInfo(zone)
        noon = datetime(day.year, day.month, day.day, 12, tzinfo=z)
        plain_day = (noon - timedelta(days=1)).utcoffset() == (noon + timedelta(days=1)).utcoffset()
        if plain_day and (noon - timedelta(hours=13)).utcoffset() == noon.utcoffset():
            assert total == wall_length

    @FAST
    @given(
        st.sampled_from([anchor for anchor in ANCHORS]),
        st.integers(-1, 1),
        st.integers(0, 95),
        st.integers(1, 96),
    )
    def test_no_wall_clock_working_time_is_lost(
        self, anchor: tuple[str, datetime], shift: int, start_q: int, length_q: int
    ) -> None:
        zone, instant = anchor
        z = ZoneInfo(zone)
        day = instant.astimezone(z).date() + timedelta(days=shift)
        end_q = min(start_q + length_q, 96)
        start = wall_time(*divmod(start_q * 15, 60))
        end = wall_time(0) if end_q == 96 else wall_time(*divmod(end_q * 15, 60))
        got = expand_rules([WallClockRule(day.weekday(), start, end, zone)], day, day)
        # Every instant whose local reading falls in the rule's wall span must be covered.
        t = resolve_wall_time(day, wall_time(0), z) - timedelta(hours=3)
        stop = t + timedelta(hours=30)
        while t < stop:
            local = t.astimezone(z)
            reading = local.hour * 60 + local.minute
            if local.date() == day and start_q * 15 <= reading < end_q * 15:
                assert covered(got, t), (zone, day, start, end, local)
            t += 15 * MIN
