"""Reading dates and times typed on the command line, and writing them back out.

A time without a UTC offset is wall-clock time in a location's zone; on DST change days such
a time may not exist (clocks go forward) or may happen twice (clocks go back), and then we ask
rather than guess.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.errors import InvalidInput


def parse_date(text: str, what: str = "date") -> date:
    """A calendar date as YYYY-MM-DD; impossible dates (2026-02-30) are refused."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a valid {what}: use YYYY-MM-DD, e.g. 2026-03-08.", what
        ) from None


def parse_datetime(text: str) -> datetime:
    """An ISO 8601 date and time, with or without a UTC offset (naive when without)."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            f"{text!r} is not a date and time: use ISO 8601, e.g. 2026-03-08T09:00-05:00 "
            "or 2026-03-08T09:00 (local time at the location).",
            "start",
        ) from None
    if "T" not in text.upper() and " " not in text.strip():
        raise InvalidInput(f"{text!r} has no time of day: add one, e.g. {text}T09:00.", "start")
    return value


def resolve_wall_time(naive: datetime, zone: str) -> datetime:
    """The one instant (in UTC) a wall-clock time names in `zone`, or InvalidInput on a DST
    change day when that time is missing or doubled. An aware time is that instant already.
    """
    if naive.tzinfo is not None:
        # UTC, because adding a duration to a ZoneInfo time adds wall-clock time
        return naive.astimezone(UTC)
    tz = ZoneInfo(zone)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    # a wall time that does not survive the round trip through UTC fell into the gap
    if first.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != naive:
        raise InvalidInput(
            f"{naive:%H:%M} does not exist in {zone} on {naive:%Y-%m-%d} (clocks go forward); "
            "choose another time.",
            "start",
        )
    if first.utcoffset() != second.utcoffset():
        raise InvalidInput(
            f"{naive:%H:%M} happens twice in {zone} on {naive:%Y-%m-%d} (clocks go back); "
            f"give the UTC offset, e.g. {_with_offset(first)} or {_with_offset(second)}.",
            "start",
        )
    return first.astimezone(UTC)


def parse_start(text: str, zone: str) -> datetime:
    """A start typed as ISO 8601: with an offset it is that instant, else wall time in `zone`."""
    return resolve_wall_time(parse_datetime(text), zone)


def local_iso(instant: datetime, zone: str) -> str:
    """ISO 8601 with the zone's UTC offset at that instant, e.g. 2026-03-08T09:00:00-05:00."""
    return instant.astimezone(ZoneInfo(zone)).isoformat(timespec="seconds")


def _with_offset(value: datetime) -> str:
    return value.isoformat(timespec="minutes")
