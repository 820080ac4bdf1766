"""Reading typed dates and wall-clock times, DST change days included."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from medbookings_desktop.cli.times import (
    local_iso,
    parse_date,
    parse_datetime,
    parse_start,
    resolve_wall_time,
)
from medbookings_desktop.domain.errors import InvalidInput


def test_parse_date_reads_iso_dates() -> None:
    assert parse_date("2026-03-08") == date(2026, 3, 8)
    assert parse_date(" 2024-02-29 ") == date(2024, 2, 29)


@pytest.mark.parametrize("text", ["2026-02-30", "2025-02-29", "08/03/2026", "yesterday", ""])
def test_parse_date_refuses_impossible_or_malformed_dates(text: str) -> None:
    with pytest.raises(InvalidInput, match="YYYY-MM-DD"):
        parse_date(text)


def test_parse_datetime_keeps_an_offset_and_leaves_wall_time_naive() -> None:
    assert parse_datetime("2026-03-08T09:00-05:00").utcoffset() == timedelta(hours=-5)
    assert parse_datetime("2026-03-08T09:00Z").utcoffset() == timedelta(0)
    assert parse_datetime("2026-03-08T09:00").tzinfo is None
    assert parse_datetime("2026-03-08 09:00").tzinfo is None


@pytest.mark.parametrize("text", ["2026-03-08", "2026-03-08T25:00", "9am", "2026-13-01T09:00"])
def test_parse_datetime_refuses_what_is_not_a_date_and_time(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_datetime(text)


def test_resolved_times_are_utc_so_adding_a_duration_adds_real_time() -> None:
    start = resolve_wall_time(datetime(2026, 3, 8, 1, 45), "America/New_York")
    assert start.tzinfo is UTC
    assert local_iso(start + timedelta(minutes=30), "America/New_York") == (
        "2026-03-08T03:15:00-04:00"
    )
    assert parse_start("2026-03-08T01:45-05:00", "Europe/London") == start


def test_wall_time_on_an_ordinary_day_takes_the_zone_offset() -> None:
    winter = resolve_wall_time(datetime(2026, 1, 12, 9, 0), "America/New_York")
    summer = resolve_wall_time(datetime(2026, 7, 13, 9, 0), "America/New_York")
    assert winter.astimezone(UTC) == datetime(2026, 1, 12, 14, 0, tzinfo=UTC)
    assert summer.astimezone(UTC) == datetime(2026, 7, 13, 13, 0, tzinfo=UTC)


def test_wall_time_in_the_spring_forward_gap_does_not_exist() -> None:
    with pytest.raises(InvalidInput) as info:
        resolve_wall_time(datetime(2026, 3, 8, 2, 30), "America/New_York")
    assert info.value.message.startswith(
        "02:30 does not exist in America/New_York on 2026-03-08 (clocks go forward)"
    )


def test_wall_time_in_the_fall_back_hour_is_ambiguous_and_asks_for_an_offset() -> None:
    with pytest.raises(InvalidInput) as info:
        resolve_wall_time(datetime(2026, 11, 1, 1, 30), "America/New_York")
    message = info.value.message
    assert "happens twice in America/New_York on 2026-11-01" in message
    assert "2026-11-01T01:30-04:00" in message and "2026-11-01T01:30-05:00" in message


def test_either_reading_of_the_doubled_hour_is_accepted_with_its_offset() -> None:
    first = parse_start("2026-11-01T01:30-04:00", "America/New_York")
    second = parse_start("2026-11-01T01:30-05:00", "America/New_York")
    assert second - first == timedelta(hours=1)


def test_times_around_the_change_resolve_on_the_right_side() -> None:
    before = resolve_wall_time(datetime(2026, 3, 8, 1, 59), "America/New_York")
    after = resolve_wall_time(datetime(2026, 3, 8, 3, 0), "America/New_York")
    assert before == datetime(2026, 3, 8, 6, 59, tzinfo=UTC)  # EST, -05:00
    assert after == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # EDT, -04:00
    assert after - before == timedelta(minutes=1)


def test_london_gap_and_doubled_hour() -> None:
    with pytest.raises(InvalidInput, match="clocks go forward"):
        resolve_wall_time(datetime(2026, 3, 29, 1, 15), "Europe/London")
    with pytest.raises(InvalidInput, match="clocks go back"):
        resolve_wall_time(datetime(2026, 10, 25, 1, 15), "Europe/London")


def test_lord_howe_moves_its_clocks_by_half_an_hour() -> None:
    # 2026-10-04 02:00 becomes 02:30: only that half hour is missing
    with pytest.raises(InvalidInput, match="02:15 does not exist"):
        resolve_wall_time(datetime(2026, 10, 4, 2, 15), "Australia/Lord_Howe")
    ok = resolve_wall_time(datetime(2026, 10, 4, 2, 30), "Australia/Lord_Howe")
    assert ok == datetime(2026, 10, 3, 15, 30, tzinfo=UTC)  # +11:00
    # 2026-04-05 02:00 goes back to 01:30: 01:45 happens twice
    with pytest.raises(InvalidInput, match="happens twice"):
        resolve_wall_time(datetime(2026, 4, 5, 1, 45), "Australia/Lord_Howe")


def test_local_iso_shows_the_zone_offset_at_that_instant() -> None:
    instant = datetime(2026, 3, 8, 14, 0, tzinfo=UTC)
    assert local_iso(instant, "America/New_York") == "2026-03-08T10:00:00-04:00"
    assert local_iso(instant, "Australia/Lord_Howe") == "2026-03-09T01:00:00+11:00"
    assert local_iso(instant, "Europe/London") == "2026-03-08T14:00:00+00:00"
