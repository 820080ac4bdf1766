"""Half-open intervals and their set operations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from medbookings_desktop.domain.intervals import (
    Interval,
    find_containing,
    intersect,
    normalize,
    subtract,
    total_duration,
)

BASE = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return BASE + timedelta(minutes=minutes)


def iv(a: int, b: int) -> Interval:
    return Interval(at(a), at(b))


def spans(intervals: list[Interval]) -> list[tuple[int, int]]:
    return [
        ((x.start - BASE) // timedelta(minutes=1), (x.end - BASE) // timedelta(minutes=1))
        for x in intervals
    ]


class TestInterval:
    def test_naive_start_or_end_is_refused(self) -> None:
        with pytest.raises(ValueError, match="timezone-aware"):
            Interval(datetime(2026, 5, 4, 8), at(10))
        with pytest.raises(ValueError, match="timezone-aware"):
            Interval(at(0), datetime(2026, 5, 4, 9))

    def test_end_before_start_is_refused(self) -> None:
        with pytest.raises(ValueError, match="before it starts"):
            iv(10, 5)

    def test_non_datetime_is_refused(self) -> None:
        with pytest.raises(TypeError):
            Interval(BASE.date(), at(10))  # type: ignore[arg-type]

    def test_empty_interval_is_allowed(self) -> None:
        empty = iv(5, 5)
        assert empty.empty
        assert empty.duration == timedelta(0)

    def test_stored_in_utc_whatever_zone_it_was_given_in(self) -> None:
        ny = ZoneInfo("America/New_York")
        local = Interval(datetime(2026, 5, 4, 9, tzinfo=ny), datetime(2026, 5, 4, 10, tzinfo=ny))
        assert local.start.tzinfo is UTC
        assert local.start == datetime(2026, 5, 4, 13, tzinfo=UTC)
        assert local == Interval(
            datetime(2026, 5, 4, 13, tzinfo=UTC), datetime(2026, 5, 4, 14, tzinfo=UTC)
        )

    def test_duration_is_elapsed_time_across_a_dst_change(self) -> None:
        # Same-tzinfo datetimes subtract by wall clock; the UTC copies must not.
        ny = ZoneInfo("America/New_York")
        night = Interval(datetime(2026, 3, 8, 0, tzinfo=ny), datetime(2026, 3, 8, 4, tzinfo=ny))
        assert night.duration == timedelta(hours=3)

    def test_fold_picks_the_instant(self) -> None:
        ny = ZoneInfo("America/New_York")
        first = datetime(2026, 11, 1, 1, 30, tzinfo=ny)
        second = first.replace(fold=1)
        assert Interval(first, second).duration == timedelta(hours=1)

    def test_fixed_offset_zones_are_accepted(self) -> None:
        plus_two = timezone(timedelta(hours=2))
        x = Interval(datetime(2026, 5, 4, 10, tzinfo=plus_two), at(30))
        assert x.start == BASE

    def test_frozen(self) -> None:
        x = iv(0, 10)
        with pytest.raises(AttributeError):
            x.start = at(1)  # type: ignore[misc]

    def test_ordering_is_by_start_then_end(self) -> None:
        assert sorted([iv(5, 6), iv(0, 10), iv(0, 3)]) == [iv(0, 3), iv(0, 10), iv(5, 6)]

    @pytest.mark.parametrize(
        ("a", "b", "expected"),
        [
            ((0, 10), (5, 15), True),
            ((0, 10), (10, 20), False),  # touching is not overlapping
            ((10, 20), (0, 10), False),
            ((0, 10), (2, 3), True),
            ((0, 10), (20, 30), False),
            ((0, 10), (5, 5), False),  # an empty interval overlaps nothing
            ((5, 5), (5, 5), False),
        ],
    )
    def test_overlaps(self, a: tuple[int, int], b: tuple[int, int], expected: bool) -> None:
        assert iv(*a).overlaps(iv(*b)) is expected
        assert iv(*b).overlaps(iv(*a)) is expected

    @pytest.mark.parametrize(
        ("outer", "inner", "expected"),
        [
            ((0, 10), (0, 10), True),
            ((0, 10), (2, 8), True),
            ((0, 10), (0, 11), False),
            ((0, 10), (-1, 5), False),
            ((0, 10), (10, 10), True),
        ],
    )
    def test_contains(self, outer: tuple[int, int], inner: tuple[int, int], expected: bool) -> None:
        assert iv(*outer).contains(iv(*inner)) is expected

    def test_contains_instant_is_half_open(self) -> None:
        x = iv(0, 10)
        assert x.contains_instant(at(0))
        assert x.contains_instant(at(9))
        assert not x.contains_instant(at(10))

    def test_expand(self) -> None:
        assert iv(10, 20).expand(timedelta(minutes=5), timedelta(minutes=15)) == iv(5, 35)
        assert iv(10, 20).expand(timedelta(0), timedelta(0)) == iv(10, 20)

    def test_expand_that_inverts_is_refused(self) -> None:
        with pytest.raises(ValueError):
            iv(10, 20).expand(timedelta(minutes=-8), timedelta(minutes=-8))


class TestNormalize:
    def test_empty_input(self) -> None:
        assert normalize([]) == []

    def test_sorts_merges_overlapping_and_touching_drops_empty(self) -> None:
        got = normalize([iv(50, 60), iv(0, 10), iv(5, 20), iv(20, 30), iv(40, 40), iv(45, 50)])
        assert spans(got) == [(0, 30), (45, 60)]

    def test_contained_interval_disappears(self) -> None:
        assert spans(normalize([iv(0, 100), iv(10, 20), iv(30, 40)])) == [(0, 100)]

    def test_accepts_a_generator(self) -> None:
        assert spans(normalize(iv(i, i + 5) for i in (10, 0))) == [(0, 5), (10, 15)]

    def test_separate_intervals_stay_separate(self) -> None:
        assert spans(normalize([iv(0, 10), iv(11, 20)])) == [(0, 10), (11, 20)]


class TestSubtract:
    def test_nothing_removed(self) -> None:
        assert spans(subtract([iv(0, 10)], [])) == [(0, 10)]

    def test_hole_in_the_middle(self) -> None:
        assert spans(subtract([iv(0, 100)], [iv(40, 50)])) == [(0, 40), (50, 100)]

    def test_cut_at_edges(self) -> None:
        assert spans(subtract([iv(0, 100)], [iv(-10, 10), iv(90, 120)])) == [(10, 90)]

    def test_removal_covering_everything(self) -> None:
        assert subtract([iv(0, 10), iv(20, 30)], [iv(-5, 40)]) == []

    def test_touching_removal_takes_nothing(self) -> None:
        assert spans(subtract([iv(10, 20)], [iv(0, 10), iv(20, 30)])) == [(10, 20)]

    def test_one_removal_spanning_several_pieces(self) -> None:
        got = subtract([iv(0, 10), iv(20, 30), iv(40, 50)], [iv(5, 45)])
        assert spans(got) == [(0, 5), (45, 50)]

    def test_several_removals_in_one_piece_unsorted(self) -> None:
        got = subtract([iv(0, 100)], [iv(70, 80), iv(10, 20), iv(15, 30), iv(50, 50)])
        assert spans(got) == [(0, 10), (30, 70), (80, 100)]

    def test_base_is_normalized_first(self) -> None:
        got = subtract([iv(20, 40), iv(0, 20)], [iv(10, 12)])
        assert spans(got) == [(0, 10), (12, 40)]


class TestIntersect:
    def test_basic(self) -> None:
        got = intersect([iv(0, 10), iv(20, 30)], [iv(5, 25)])
        assert spans(got) == [(5, 10), (20, 25)]

    def test_touching_gives_nothing(self) -> None:
        assert intersect([iv(0, 10)], [iv(10, 20)]) == []

    def test_with_empty_side(self) -> None:
        assert intersect([iv(0, 10)], []) == []
        assert intersect([], [iv(0, 10)]) == []

    def test_many_against_one(self) -> None:
        got = intersect([iv(0, 100)], [iv(90, 95), iv(10, 20), iv(30, 40)])
        assert spans(got) == [(10, 20), (30, 40), (90, 95)]


def test_total_duration_counts_overlaps_once() -> None:
    assert total_duration([iv(0, 10), iv(5, 15), iv(20, 25)]) == timedelta(minutes=20)
    assert total_duration([]) == timedelta(0)


def test_find_containing() -> None:
    free = normalize([iv(0, 10), iv(20, 40), iv(50, 60)])
    assert find_containing(free, iv(20, 40)) == iv(20, 40)
    assert find_containing(free, iv(25, 30)) == iv(20, 40)
    assert find_containing(free, iv(5, 25)) is None
    assert find_containing(free, iv(10, 15)) is None
    assert find_containing(free, iv(-5, 0)) is None
    assert find_containing(free, iv(59, 61)) is None
    assert find_containing([], iv(0, 1)) is None
