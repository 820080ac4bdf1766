"""Working hours in local wall-clock time, expanded per local date into UTC `Interval`s.

Wall-clock rules (weekly working hours, recurring breaks, one-off extra hours) are read in
their own zone with `zoneinfo`. The slot engine (domain/availability.py) steps through what
they give; the calendar paints them.

DST resolution rules (how a wall-clock time on a given local date becomes an instant):

* A wall time that does not exist (the spring-forward gap) resolves to the instant the clocks
  jump. On 2026-03-08 in America/New_York 02:30 resolves to 03:00 EDT = 07:00 UTC; so does
  02:00, and 02:00-02:59 are all the same instant, which makes a rule lying wholly inside the
  gap empty.
* A wall time that happens twice (the fall-back overlap) resolves to its *first* occurrence
  when it starts an interval and to its *later* occurrence when it ends one, so no working
  time is lost. On 2026-11-01 in America/New_York a rule 01:00-01:30 is 05:00-06:30 UTC (1h30).
* ``end == time(0)`` means 24:00, the midnight that starts the next local date, resolved by
  the same two rules.
* Everything else is plain: a rule that does not straddle the change keeps its length (a
  09:00-17:00 day stays 8 hours on a change day in New York, where clocks change at 02:00).
  A 00:00-24:00 rule gives the real length of the local day: 23h / 25h in New York and
  London, 23h30 / 24h30 on Lord Howe Island, whose clocks move by 30 minutes.
* `time.fold` on a rule's times is ignored; the start/end rule above decides.

Nothing here reads the machine's time zone or clock: every instant comes in as an argument.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from medbookings_desktop.domain.intervals import Interval, normalize

__all__ = [
    "DatedWallClock",
    "WallClockRule",
    "expand_dated",
    "expand_rules",
    "occurs_between",
    "resolve_wall_time",
    "zone_for",
]

_DAY = timedelta(days=1)
_SECOND = timedelta(seconds=1)
_MIDNIGHT = time(0)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def zone_for(name: str) -> ZoneInfo:
    """The `ZoneInfo` for an IANA name; ValueError (not KeyError) when it is unknown."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"Unknown time zone: {name!r}.") from exc


def _check_wall_span(start: time, end: time) -> None:
    if not isinstance(start, time) or not isinstance(end, time):
        raise TypeError("Wall-clock start and end must be datetime.time values.")
    if start.tzinfo is not None or end.tzinfo is not None:
        raise ValueError("Wall-clock times carry no zone; the rule's zone says where they are.")
    if end != _MIDNIGHT and end <= start:
        raise ValueError(f"Wall-clock end {end} must be after start {start} (or 00:00 = 24:00).")


@dataclass(frozen=True, slots=True)
class WallClockRule:
    """Every `weekday` (0 = Monday), `start`-`end` local time in `zone`; end 00:00 = 24:00."""

    weekday: int
    start: time
    end: time
    zone: str

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or self.weekday not in range(7):
            raise ValueError(f"Weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday!r}.")
        _check_wall_span(self.start, self.end)
        zone_for(self.zone)


@dataclass(frozen=True, slots=True)
class DatedWallClock:
    """On local date `day`, `start`-`end` local time in `zone`; end 00:00 = 24:00."""

    day: date
    start: time
    end: time
    zone: str

    def __post_init__(self) -> None:
        if not isinstance(self.day, date) or isinstance(self.day, datetime):
            raise TypeError("DatedWallClock.day must be a date.")
        _check_wall_span(self.start, self.end)
        zone_for(self.zone)


def _floor_seconds(instant: datetime) -> int:
    return (instant - _EPOCH) // _SECOND


def _ceil_seconds(instant: datetime) -> int:
    return -((_EPOCH - instant) // _SECOND)


def _jump_instant(early: datetime, late: datetime, zone: ZoneInfo) -> datetime:
    """The instant of a spring-forward jump known to lie in (early, late]."""
    old_offset = early.astimezone(zone).utcoffset()
    lo = _floor_seconds(early)
    hi = _ceil_seconds(late)
    # tzdata transitions fall on whole seconds, so bisecting seconds finds the exact instant.
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, zone).utcoffset() == old_offset:
            lo = mid
        else:
            hi = mid
    return datetime.fromtimestamp(hi, UTC)


def resolve_wall_time(day: date, wall: time, zone: ZoneInfo, *, is_end: bool = False) -> datetime:
    """The UTC instant of local `wall` on `day`, by this module's DST rules.

    A nonexistent wall time gives the instant of the jump; a repeated one gives its first
    occurrence, or its later one when `is_end` is true.
    """
    local = datetime(
        day.year,
        day.month,
        day.day,
        wall.hour,
        wall.minute,
        wall.second,
        wall.microsecond,
        tzinfo=zone,
    )
    first = local.astimezone(UTC)
    second = local.replace(fold=1).astimezone(UTC)
    if first == second:
        return first
    if first < second:
        # PEP 495: in a fall-back overlap fold=0 is the earlier instant.
        return second if is_end else first
    # PEP 495: in a gap fold=0 uses the old offset, so it lands after the jump.
    return _jump_instant(second, first, zone)


def _expand_span(day: date, start: time, end: time, zone: ZoneInfo) -> Interval:
    begin = resolve_wall_time(day, start, zone)
    if end == _MIDNIGHT:
        finish = resolve_wall_time(day + _DAY, _MIDNIGHT, zone, is_end=True)
    else:
        finish = resolve_wall_time(day, end, zone, is_end=True)
    # A span whose both ends fall in one gap resolves to the same instant: keep it empty.
    return Interval(begin, max(begin, finish))


def occurs_between(weekday: int, first_day: date, last_day: date) -> bool:
    """Whether a local date in [first_day, last_day] falls on `weekday` (0 = Monday): a
    weekly rule for no such date need not be built (a day's window skips most of a week)."""
    return first_day + timedelta(days=(weekday - first_day.weekday()) % 7) <= last_day


def expand_rules(rules: Iterable[WallClockRule], first_day: date, last_day: date) -> list[Interval]:
    """The UTC intervals of weekly rules on each local date in [first_day, last_day], normalized.

    Each rule is read in its own zone. See the module docstring for DST days.
    """
    out: list[Interval] = []
    for rule in rules:
        zone = zone_for(rule.zone)
        day = first_day + timedelta(days=(rule.weekday - first_day.weekday()) % 7)
        while day <= last_day:
            out.append(_expand_span(day, rule.start, rule.end, zone))
            day += timedelta(days=7)
    return normalize(out)


def expand_dated(
    items: Iterable[DatedWallClock], first_day: date, last_day: date
) -> list[Interval]:
    """The UTC intervals of one-off local spans dated within [first_day, last_day], normalized."""
    return normalize(
        _expand_span(item.day, item.start, item.end, zone_for(item.zone))
        for item in items
        if first_day <= item.day <= last_day
    )
