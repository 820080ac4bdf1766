"""`medbookings book | reschedule`: bookings from scripts, refusals that change nothing."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import (
    Cli,
    Result,
    build_zone_clinic,
    counts,
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


def _book(
    cli: Cli, clinic: SmallClinic, start: str, *extra: object, patient: object = None
) -> Result:
    return cli(
        "book", "--patient", patient or clinic.ada.id, "--provider", clinic.dr_a.id,
        "--service", clinic.consultation.id, "--start", start, *extra, "--json",
    )  # fmt: skip


def test_book_wall_time_at_the_location(cli: Cli, clinic: SmallClinic, db_url: str) -> None:
    monday = weekday_ahead(0)
    before = counts(db_url)
    result = _book(cli, clinic, wall(monday, 10), "--notes", "first visit")
    assert result.code == 0, result.err
    appt = result.json
    start = datetime.combine(monday, time(10), LONDON)
    assert isinstance(appt["id"], int)
    assert appt["start"] == start.isoformat()
    assert appt["end"] == (start + timedelta(minutes=30)).isoformat()
    assert appt["status"] == "booked"
    assert appt["patient_id"] == clinic.ada.id
    assert appt["provider_id"] == clinic.dr_a.id
    assert appt["service_id"] == clinic.consultation.id
    assert appt["location_id"] == clinic.london.id
    assert appt["zone"] == "Europe/London"
    assert appt["source"] == "phone"
    assert appt["notes"] == "first visit"
    assert "confirmation" in appt["queued"] and "calendar_upsert" in appt["queued"]
    after = counts(db_url)
    assert after["appointments"] == before["appointments"] + 1
    assert after["outbox"] == before["outbox"] + len(appt["queued"])


def test_book_with_an_explicit_offset_is_that_instant(cli: Cli, clinic: SmallClinic) -> None:
    monday = weekday_ahead(0)
    instant = datetime.combine(monday, time(11), LONDON).astimezone(UTC)
    result = _book(cli, clinic, instant.isoformat())
    assert result.code == 0, result.err
    assert datetime.fromisoformat(result.json["start"]) == instant
    # shown with the location's offset whatever offset it was given in
    assert result.json["start"] == instant.astimezone(LONDON).isoformat()


def test_book_without_json_says_what_it_did(cli: Cli, clinic: SmallClinic) -> None:
    monday = weekday_ahead(0)
    result = cli(
        "book", "--patient", clinic.ada.id, "--provider", clinic.dr_a.id,
        "--service", clinic.consultation.id, "--start", wall(monday, 10),
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.startswith("Appointment #") and "booked" in result.out


def test_book_walk_in_at_a_time(cli: Cli, clinic: SmallClinic) -> None:
    result = _book(cli, clinic, wall(weekday_ahead(1), 9), "--walk-in")
    assert result.code == 0, result.err
    assert result.json["source"] == "walk_in"


def test_book_online_service(cli: Cli, clinic: SmallClinic) -> None:
    monday = weekday_ahead(0)
    result = cli(
        "book", "--patient", clinic.ben.id, "--provider", clinic.dr_a.id,
        "--service", clinic.video.id, "--start", wall(monday, 14), "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json["online"] is True
    assert result.json["location_id"] is None
    assert result.json["start"] == datetime.combine(monday, time(14), LONDON).isoformat()


def test_book_clash_exits_1_naming_the_appointment(
    cli: Cli, clinic: SmallClinic, db_url: str
) -> None:
    monday = weekday_ahead(0)
    first = _book(cli, clinic, wall(monday, 10))
    assert first.code == 0, first.err
    before = counts(db_url)
    clash = _book(cli, clinic, wall(monday, 10, 15), patient=clinic.ben.id)
    assert clash.code == 1
    assert clash.out == ""
    assert f"appointment #{first.json['id']}" in clash.err
    assert clash.err.startswith("medbookings: refused:")
    # the 5-minute buffer after 10:30 counts too
    buffer = _book(cli, clinic, wall(monday, 10, 30), patient=clinic.ben.id)
    assert buffer.code == 1
    assert f"#{first.json['id']}" in buffer.err
    assert counts(db_url) == before


@pytest.mark.parametrize(
    ("hour", "minute", "reason"),
    [(8, 0, "outside"), (16, 45, "outside"), (12, 30, "not available")],
)
def test_book_outside_hours_or_in_a_break_exits_1(
    cli: Cli, clinic: SmallClinic, db_url: str, hour: int, minute: int, reason: str
) -> None:
    before = counts(db_url)
    result = _book(cli, clinic, wall(weekday_ahead(0), hour, minute))
    assert result.code == 1
    assert reason in result.err
    assert counts(db_url) == before


def test_book_on_a_day_off_exits_1(cli: Cli, clinic: SmallClinic, db_url: str) -> None:
    before = counts(db_url)
    result = _book(cli, clinic, wall(weekday_ahead(5), 10))
    assert result.code == 1
    assert "outside" in result.err
    assert counts(db_url) == before


def test_book_in_the_past_exits_1(cli: Cli, clinic: SmallClinic, db_url: str) -> None:
    before = counts(db_url)
    result = _book(cli, clinic, "2020-01-06T10:00")
    assert result.code == 1
    assert "passed" in result.err
    assert counts(db_url) == before


def test_book_a_service_the_provider_does_not_offer_exits_1(
    cli: Cli, clinic: SmallClinic, db_url: str
) -> None:
    before = counts(db_url)
    result = cli(
        "book", "--patient", clinic.ada.id, "--provider", clinic.dr_b.id,
        "--service", clinic.consultation.id, "--start", wall(weekday_ahead(0), 10), "--json",
    )  # fmt: skip
    assert result.code == 1
    assert "does not offer" in result.err
    assert counts(db_url) == before


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("--provider", "999", "999"),
        ("--patient", "999", "999"),
        ("--service", "999", "999"),
        ("--location", "999", "999"),
        ("--start", "next monday", "not a date and time"),
        ("--start", "2026-02-30T10:00", "not a date and time"),
        ("--start", "2027-01-04", "no time of day"),
    ],
)
def test_book_bad_input_exits_2_and_writes_nothing(
    cli: Cli, clinic: SmallClinic, db_url: str, field: str, value: str, message: str
) -> None:
    argv: dict[str, str | int] = {
        "--patient": clinic.ada.id or 0,
        "--provider": clinic.dr_a.id or 0,
        "--service": clinic.consultation.id or 0,
        "--start": wall(weekday_ahead(0), 10),
    }
    argv[field] = value
    before = counts(db_url)
    result = cli("book", *(x for pair in argv.items() for x in pair), "--json")
    assert result.code == 2
    assert message in result.err
    assert result.out == ""
    assert counts(db_url) == before


def test_book_needs_a_start_unless_walk_in(cli: Cli, clinic: SmallClinic) -> None:
    result = cli(
        "book", "--patient", clinic.ada.id, "--provider", clinic.dr_a.id,
        "--service", clinic.consultation.id, "--json",
    )  # fmt: skip
    assert result.code == 2
    assert "--start" in result.err


def test_reschedule_moves_the_appointment(cli: Cli, clinic: SmallClinic, db_url: str) -> None:
    monday = weekday_ahead(0)
    booked = _book(cli, clinic, wall(monday, 10)).json
    result = cli("reschedule", booked["id"], "--start", wall(monday, 15), "--json")
    assert result.code == 0, result.err
    moved = result.json
    assert moved["id"] == booked["id"]
    assert moved["start"] == datetime.combine(monday, time(15), LONDON).isoformat()
    assert moved["status"] == "booked"
    assert "change_notice" in moved["queued"]
    agenda = cli("agenda", "--date", monday.isoformat(), "--json").json
    assert [(a["id"], a["start"]) for a in agenda] == [(booked["id"], moved["start"])]


def test_reschedule_into_a_clash_exits_1_and_changes_nothing(
    cli: Cli, clinic: SmallClinic, db_url: str
) -> None:
    monday = weekday_ahead(0)
    first = _book(cli, clinic, wall(monday, 10)).json
    second = _book(cli, clinic, wall(monday, 11), patient=clinic.ben.id).json
    before = counts(db_url)
    result = cli("reschedule", second["id"], "--start", wall(monday, 10, 15), "--json")
    assert result.code == 1
    assert f"appointment #{first['id']}" in result.err
    assert counts(db_url) == before
    agenda = cli("agenda", "--date", monday.isoformat(), "--json").json
    assert {a["id"]: a["start"] for a in agenda}[second["id"]] == second["start"]


def test_reschedule_to_another_provider(cli: Cli, clinic: SmallClinic) -> None:
    monday = weekday_ahead(0)
    booked = cli(
        "book", "--patient", clinic.ada.id, "--provider", clinic.dr_a.id,
        "--service", clinic.checkup.id, "--start", wall(monday, 9), "--json",
    ).json  # fmt: skip
    result = cli(
        "reschedule", booked["id"], "--provider", clinic.dr_b.id, "--start", wall(monday, 11),
        "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json["provider_id"] == clinic.dr_b.id
    # Dr Berg does not offer consultations
    consult = _book(cli, clinic, wall(monday, 14)).json
    refused = cli(
        "reschedule", consult["id"], "--provider", clinic.dr_b.id, "--start", wall(monday, 11),
    )  # fmt: skip
    assert refused.code == 1
    assert "does not offer" in refused.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [(("999", "--start", "2027-01-04T10:00"), "999"), (("{id}", "--start", "soon"), "soon")],
)
def test_reschedule_bad_input_exits_2(
    cli: Cli, clinic: SmallClinic, db_url: str, argv: tuple[str, ...], message: str
) -> None:
    booked = _book(cli, clinic, wall(weekday_ahead(0), 10)).json
    before = counts(db_url)
    result = cli("reschedule", *(a.format(id=booked["id"]) for a in argv), "--json")
    assert result.code == 2
    assert message in result.err
    assert counts(db_url) == before


def test_walk_in_without_a_start_takes_the_next_free_time(
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MEDBOOKINGS_HOME", str(tmp_path / "home"))
    # the doctor works 09:00–17:00 every day, so any 24 hours hold free time
    clinic = build_zone_clinic(db_url, "America/New_York")
    cli = Cli(db_url, capsys)
    asked = datetime.now(UTC)
    result = cli(
        "book", "--patient", clinic.patient_id, "--service", clinic.service_id, "--walk-in",
        "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json["source"] == "walk_in"
    assert result.json["provider_id"] == clinic.provider_id
    start = datetime.fromisoformat(result.json["start"])
    assert asked - timedelta(minutes=15) <= start < asked + timedelta(hours=24)
    assert start.utcoffset() == start.astimezone(ZoneInfo("America/New_York")).utcoffset()
