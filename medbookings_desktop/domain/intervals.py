"""Half-open time intervals over UTC instants and the set operations availability needs.

An `Interval` is ``[start, end)``: it contains `start` and not `end`, so two intervals that
touch (one ends where the next starts) do not overlap. Both ends must be timezone-aware; they
are stored converted to UTC, so arithmetic and comparison are on real elapsed time and never on
wall-clock time (Python compares two datetimes sharing one tzinfo by wall clock, ignoring
`fold`, which is wrong across a DST change).

The list functions accept any iterable of intervals in any order. Their results are
*normalized*: sorted by start, pairwise disjoint and not touching, with no empty interval.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from operator import attrgetter

__all__ = [
    "Interval",
    "find_containing",
    "intersect",
    "normalize",
    "subtract",
    "total_duration",
]


def _as_utc(value: object, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"Interval {name} must be a datetime, not {type(value).__name__}.")
    if value.tzinfo is UTC:
        return value
    if value.utcoffset() is None:
        raise ValueError(f"Interval {name} must be timezone-aware: {value!r}.")
    return value.astimezone(UTC)


@dataclass(frozen=True, slots=True, order=True)
class Interval:
    """The half-open span ``[start, end)`` between two instants, kept in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start = _as_utc(self.start, "start")
        end = _as_utc(self.end, "end")
        if end < start:
            raise ValueError(f"Interval ends before it starts: {start} > {end}.")
        # Frozen dataclass: the UTC copies have to be written past the frozen guard.
        if start is not self.start:
            object.__setattr__(self, "start", start)
        if end is not self.end:
            object.__setattr__(self, "end", end)

    @property
    def duration(self) -> timedelta:
        return self.end - self.start

    @property
    def empty(self) -> bool:
        return self.start == self.end

    def overlaps(self, other: Interval) -> bool:
        """True when the two share some instant; touching or empty intervals do not."""
        return max(self.start, other.start) < min(self.end, other.end)

    def contains(self, other: Interval) -> bool:
        """True when `other` lies within this interval's bounds (its ends may coincide)."""
        return self.start <= other.start and other.end <= self.end

    def contains_instant(self, instant: datetime) -> bool:
        return self.start <= instant < self.end

    def expand(self, before: timedelta, after: timedelta) -> Interval:
        """This interval widened by `before` and `after` (negative values shrink it)."""
        return Interval(self.start - before, self.end + after)


_by_start = attrgetter("start")


def normalize(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping or touching intervals merged and empty ones dropped."""
    merged: list[Interval] = []
    for iv in sorted((iv for iv in intervals if iv.start < iv.end), key=_by_start):
        if merged and iv.start <= merged[-1].end:
            last = merged[-1]
            if iv.end > last.end:
                merged[-1] = Interval(last.start, iv.end)
        else:
            merged.append(iv)
    return merged


def subtract(base: Iterable[Interval], remove: Iterable[Interval]) -> list[Interval]:
    """The instants of `base` that are in no interval of `remove`, normalized."""
    kept = normalize(base)
    cuts = normalize(remove)
    out: list[Interval] = []
    j = 0
    n = len(cuts)
    for iv in kept:
        start, end = iv.start, iv.end
        # Cuts ending before this piece cannot touch any later piece either.
        while j < n and cuts[j].end <= start:
            j += 1
        k = j
        while k < n and cuts[k].start < end:
            cut = cuts[k]
            if cut.start > start:
                out.append(Interval(start, cut.start))
            if cut.end > start:
                start = cut.end
            if start >= end:
                break
            k += 1
        if start < end:
            out.append(iv if start == iv.start else Interval(start, end))
    return out


def intersect(a: Iterable[Interval], b: Iterable[Interval]) -> list[Interval]:
    """The instants that are in both `a` and `b`, normalized."""
    left = normalize(a)
    right = normalize(b)
    out: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        x, y = left[i], right[j]
        start = max(x.start, y.start)
        end = min(x.end, y.end)
        if start < end:
            out.append(Interval(start, end))
        if x.end < y.end:
            i += 1
        else:
            j += 1
    return out


def total_duration(intervals: Iterable[Interval]) -> timedelta:
    """Time covered by the union of `intervals` (overlaps counted once)."""
    return sum((iv.duration for iv in normalize(intervals)), timedelta(0))


def find_containing(normalized: Sequence[Interval], item: Interval) -> Interval | None:
    """The interval of a normalized sequence that contains `item`, found by bisection."""
    i = bisect_right(normalized, item.start, key=_start_of) - 1
    if i >= 0 and normalized[i].contains(item):
        return normalized[i]
    return None


def _start_of(iv: Interval) -> datetime:
    return iv.start
