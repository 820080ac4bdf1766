"""Wall-clock starts on DST change days: missing and doubled times, and the offsets shown."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.integration.cli_support import (
    Cli,
    Result,
    ZoneClinic,
    build_zone_clinic,
    counts,
    next_transition,
    wall,
    weekday_ahead,
)

NEW_YORK = "America/New_York"


@pytest.fixture
def home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("MEDBOOKINGS_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def _clinic(db_url: str, capsys: pytest.CaptureFixture[str], zone: str) -> tuple[Cli, ZoneClinic]:
    return Cli(db_url, capsys), build_zone_clinic(db_url, zone)


def _book(cli: Cli, clinic: ZoneClinic, start: str, *extra: str) -> Result:
    return cli(
        "book", "--patient", clinic.patient_id, "--provider", clinic.provider_id,
        "--service", clinic.service_id, "--start", start, *extra, "--json",
    )  # fmt: skip


@pytest.mark.usefixtures("home")
def test_new_york_spring_forward_gap_exits_2(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli, clinic = _clinic(db_url, capsys, NEW_YORK)
    before = counts(db_url)
    result = _book(cli, clinic, "2026-03-08T02:30")
    assert result.code == 2
    assert "does not exist in America/New_York on 2026-03-08 (clocks go forward)" in result.err
    assert result.out == ""
    assert counts(db_url) == before


@pytest.mark.usefixtures("home")
def test_new_york_fall_back_hour_is_ambiguous_and_exits_2(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli, clinic = _clinic(db_url, capsys, NEW_YORK)
    before = counts(db_url)
    result = _book(cli, clinic, "2026-11-01T01:30")
    assert result.code == 2
    assert "happens twice in America/New_York on 2026-11-01 (clocks go back)" in result.err
    assert "2026-11-01T01:30-04:00" in result.err and "2026-11-01T01:30-05:00" in result.err
    assert counts(db_url) == before


@pytest.mark.usefixtures("home")
def test_an_offset_settles_the_doubled_hour(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli, clinic = _clinic(db_url, capsys, NEW_YORK)
    change = next_transition(NEW_YORK, forward=False, after=weekday_ahead(0, weeks=0))
    # the doubled hour is read as given; the doctor is not working at 01:30, so a refusal
    result = _book(cli, clinic, f"{change.isoformat()}T01:30-05:00")
    assert result.code == 1
    assert "outside" in result.err
    assert "01:30–02:00 (America/New_York)" in result.err


def _expect_local(day: date, hour: int, zone: str, offset_hours: float) -> str:
    local = datetime.combine(day, time(hour), ZoneInfo(zone))
    assert local.utcoffset() == timedelta(hours=offset_hours)
    return local.isoformat()


@pytest.mark.usefixtures("home")
def test_new_york_bookings_on_change_days_carry_that_days_offset(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cli, clinic = _clinic(db_url, capsys, NEW_YORK)
    today = weekday_ahead(0, NEW_YORK, weeks=0)
    spring = next_transition(NEW_YORK, forward=True, after=today)
    autumn = next_transition(NEW_YORK, forward=False, after=today)
    for day, offset in ((spring, -4), (autumn, -5), (spring - timedelta(days=1), -5)):
        result = _book(cli, clinic, wall(day, 9))
        assert result.code == 0, result.err
        assert result.json["start"] == _expect_local(day, 9, NEW_YORK, offset)
        assert result.json["end"] == _expect_local(day, 9, NEW_YORK, offset).replace(
            "T09:00", "T09:30"
        )
        instant = datetime.fromisoformat(result.json["start"]).astimezone(UTC)
        assert instant.hour == 9 - offset
        agenda = cli("agenda", "--date", day.isoformat(), "--json").json
        assert [a["start"] for a in agenda] == [result.json["start"]]


@pytest.mark.usefixtures("home")
def test_reschedule_into_the_gap_exits_2(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    cli, clinic = _clinic(db_url, capsys, NEW_YORK)
    spring = next_transition(NEW_YORK, forward=True, after=weekday_ahead(0, NEW_YORK, weeks=0))
    booked = _book(cli, clinic, wall(spring, 9))
    before = counts(db_url)
    result = cli("reschedule", booked.json["id"], "--start", wall(spring, 2, 30), "--json")
    assert result.code == 2
    assert "clocks go forward" in result.err
    assert counts(db_url) == before


@pytest.mark.usefixtures("home")
@pytest.mark.parametrize(
    ("zone", "missing", "doubled"),
    [
        ("Europe/London", "2026-03-29T01:30", "2026-10-25T01:30"),
        # Lord Howe moves by half an hour: 02:00 -> 02:30 in October, 02:00 -> 01:30 in April
        ("Australia/Lord_Howe", "2026-10-04T02:15", "2026-04-05T01:45"),
    ],
)
def test_other_zones_gap_and_doubled_time(
    db_url: str, capsys: pytest.CaptureFixture[str], zone: str, missing: str, doubled: str
) -> None:
    cli, clinic = _clinic(db_url, capsys, zone)
    gap = _book(cli, clinic, missing)
    assert gap.code == 2
    assert f"does not exist in {zone}" in gap.err
    twice = _book(cli, clinic, doubled)
    assert twice.code == 2
    assert f"happens twice in {zone}" in twice.err


@pytest.mark.usefixtures("home")
def test_lord_howe_booking_after_the_half_hour_shift(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    zone = "Australia/Lord_Howe"
    cli, clinic = _clinic(db_url, capsys, zone)
    today = weekday_ahead(0, zone, weeks=0)
    for forward, offset in ((True, 11), (False, 10.5)):
        day = next_transition(zone, forward=forward, after=today)
        result = _book(cli, clinic, wall(day, 9))
        assert result.code == 0, result.err
        assert result.json["start"] == _expect_local(day, 9, zone, offset)
