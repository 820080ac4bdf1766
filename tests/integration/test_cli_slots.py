"""`medbookings slots`: free times as ISO 8601 with the location's own UTC offset."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import (
    Cli,
    build_zone_clinic,
    next_transition,
    wall,
    weekday_ahead,
)

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def cli(
    clinic: SmallClinic,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> Cli:
    monkeypatch.setenv("MEDBOOKINGS_HOME", str(tmp_path / "home"))
    return Cli(db_url, capsys)


def test_slots_json_for_one_provider_on_a_day(cli: Cli, clinic: SmallClinic) -> None:
    monday = weekday_ahead(0)
    result = cli(
        "slots", "--service", clinic.consultation.id, "--provider", clinic.dr_a.id,
        "--from", monday.isoformat(), "--days", "1", "--limit", "3", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    expected = [datetime.combine(monday, time(9, m), LONDON) for m in (0, 15, 30)]
    assert [s["start"] for s in result.json] == [e.isoformat() for e in expected]
    first = result.json[0]
    assert first["provider_id"] == clinic.dr_a.id
    assert first["location_id"] == clinic.london.id
    assert first["zone"] == "Europe/London"
    assert datetime.fromisoformat(first["end"]) - datetime.fromisoformat(first["start"]) == (
        clinic.consultation.duration
    )


def test_slots_leave_out_booked_time(cli: Cli, clinic: SmallClinic) -> None:
    monday = weekday_ahead(0)
    booked = cli(
        "book", "--patient", clinic.ada.id, "--provider", clinic.dr_a.id,
        "--service", clinic.consultation.id, "--start", wall(monday, 9), "--json",
    )  # fmt: skip
    assert booked.code == 0, booked.err
    result = cli(
        "slots", "--service", clinic.consultation.id, "--provider", clinic.dr_a.id,
        "--from", monday.isoformat(), "--days", "1", "--limit", "1", "--json",
    )  # fmt: skip
    # 09:00–09:30 plus 5 minutes' buffer: the next start on the 15-minute grid is 09:45
    assert result.json[0]["start"] == datetime.combine(monday, time(9, 45), LONDON).isoformat()


def test_slots_across_providers_and_repeated_provider_option(cli: Cli, clinic: SmallClinic) -> None:
    monday = weekday_ahead(0)
    args = ("slots", "--service", clinic.checkup.id, "--from", monday.isoformat(), "--days", "1")
    everyone = cli(*args, "--limit", "200", "--json").json
    assert {s["provider_id"] for s in everyone} == {clinic.dr_a.id, clinic.dr_b.id}
    both = cli(
        *args, "--provider", clinic.dr_a.id, "--provider", clinic.dr_b.id, "--limit", "200",
        "--json",
    ).json  # fmt: skip
    assert both == everyone
    only_b = cli(*args, "--provider", clinic.dr_b.id, "--limit", "200", "--json").json
    assert {s["provider_id"] for s in only_b} == {clinic.dr_b.id}
    assert only_b[0]["start"] == datetime.combine(monday, time(10), LONDON).isoformat()


def test_online_service_slots(cli: Cli, clinic: SmallClinic) -> None:
    monday = weekday_ahead(0)
    result = cli(
        "slots", "--service", clinic.video.id, "--from", monday.isoformat(), "--limit", "1",
        "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json[0]["location_id"] is None
    start = datetime.fromisoformat(result.json[0]["start"])
    assert start.utcoffset() == datetime.combine(monday, time(9), LONDON).utcoffset()


def test_slots_table(cli: Cli, clinic: SmallClinic) -> None:
    result = cli("slots", "--service", clinic.checkup.id, "--provider", clinic.dr_b.id,
                 "--limit", "2")  # fmt: skip
    assert result.code == 0
    assert "Dr Lars Berg" in result.out and "Europe/London" in result.out


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (("--service", "999"), 2, "999"),
        (("--service", "{consultation}", "--provider", "999"), 2, "999"),
        (("--service", "{consultation}", "--provider", "{dr_b}"), 1, "does not offer"),
        (("--service", "{consultation}", "--from", "2026-02-30"), 2, "not a valid date"),
        (("--service", "{consultation}", "--days", "0"), 2, "days"),
        (("--service", "{consultation}", "--limit", "0"), 2, "slots"),
        (("--service", "{consultation}", "--location", "999"), 2, "999"),
    ],
)
def test_slots_bad_input(
    cli: Cli, clinic: SmallClinic, argv: tuple[str, ...], code: int, message: str
) -> None:
    ids = {"consultation": clinic.consultation.id, "dr_b": clinic.dr_b.id}
    result = cli("slots", *(a.format(**ids) for a in argv), "--json")
    assert result.code == code
    assert message in result.err
    assert result.out == ""


def test_slots_in_new_york_carry_the_offset_of_each_day(
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MEDBOOKINGS_HOME", str(tmp_path / "home"))
    ny = build_zone_clinic(db_url)
    cli = Cli(db_url, capsys)
    zone = ZoneInfo("America/New_York")
    change = next_transition("America/New_York", forward=True, after=weekday_ahead(0, weeks=0))
    day_before = change.fromordinal(change.toordinal() - 1)
    for day in (day_before, change):
        result = cli(
            "slots", "--service", ny.service_id, "--from", day.isoformat(), "--days", "1",
            "--limit", "1", "--json",
        )  # fmt: skip
        assert result.code == 0, result.err
        slot = result.json[0]
        nine = datetime.combine(day, time(9), zone)
        assert slot["start"] == nine.isoformat()
        assert slot["zone"] == "America/New_York"
        assert slot["location_id"] == ny.location_id
    # the day before the change is on standard time, the change day on daylight time
    assert datetime.combine(day_before, time(9), zone).strftime("%z") == "-0500"
    assert datetime.combine(change, time(9), zone).strftime("%z") == "-0400"
