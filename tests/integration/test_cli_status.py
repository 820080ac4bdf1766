"""`medbookings cancel | confirm | check-in | start | complete | no-show | undo`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import Cli, counts, wall, weekday_ahead


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


def _booked(
    cli: Cli, clinic: SmallClinic, hour: int = 10, patient: object = None
) -> dict[str, Any]:
    result = cli(
        "book", "--patient", patient or clinic.ada.id, "--provider", clinic.dr_a.id,
        "--service", clinic.consultation.id, "--start", wall(weekday_ahead(0), hour), "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    return dict(result.json)


def test_cancel_needs_a_reason(cli: Cli, clinic: SmallClinic, db_url: str) -> None:
    appt = _booked(cli, clinic)
    before = counts(db_url)
    for argv in (("cancel", appt["id"]), ("cancel", appt["id"], "--reason", "  ")):
        result = cli(*argv, "--json")
        assert result.code == 2
        assert "why" in result.err
    assert counts(db_url) == before


def test_cancel_records_who_and_why_and_frees_the_slot(cli: Cli, clinic: SmallClinic) -> None:
    appt = _booked(cli, clinic)
    result = cli("cancel", appt["id"], "--reason", "patient is unwell", "--json")
    assert result.code == 0, result.err
    cancelled = result.json
    assert cancelled["status"] == "cancelled"
    assert cancelled["cancel_reason"] == "patient is unwell"
    assert cancelled["cancelled_by"] == "cli-test"
    assert "cancellation_notice" in cancelled["queued"]
    again = _booked(cli, clinic, patient=clinic.ben.id)
    assert again["start"] == appt["start"]


def test_cancelling_twice_is_refused(cli: Cli, clinic: SmallClinic, db_url: str) -> None:
    appt = _booked(cli, clinic)
    assert cli("cancel", appt["id"], "--reason", "moved away").code == 0
    before = counts(db_url)
    result = cli("cancel", appt["id"], "--reason", "again", "--json")
    assert result.code == 1
    assert "cancelled" in result.err
    assert counts(db_url) == before


def test_the_day_of_a_visit(cli: Cli, clinic: SmallClinic) -> None:
    appt = _booked(cli, clinic)
    statuses = []
    for command in ("confirm", "check-in", "start", "complete"):
        result = cli(command, appt["id"], "--json")
        assert result.code == 0, (command, result.err)
        assert result.json["id"] == appt["id"]
        statuses.append(result.json["status"])
    assert statuses == ["confirmed", "arrived", "in_progress", "completed"]


@pytest.mark.parametrize(
    ("steps", "refused"),
    [
        ((), "start"),
        ((), "complete"),
        (("check-in", "start"), "no-show"),
        (("check-in", "complete"), "confirm"),
        (("no-show",), "check-in"),
    ],
)
def test_transitions_the_state_machine_forbids_exit_1(
    cli: Cli, clinic: SmallClinic, db_url: str, steps: tuple[str, ...], refused: str
) -> None:
    appt = _booked(cli, clinic)
    for step in steps:
        assert cli(step, appt["id"]).code == 0
    before = counts(db_url)
    result = cli(refused, appt["id"], "--json")
    assert result.code == 1
    assert "cannot become" in result.err
    assert counts(db_url) == before


def test_unknown_appointment_exits_2(cli: Cli) -> None:
    for command in ("confirm", "check-in", "start", "complete", "no-show", "undo"):
        result = cli(command, "4040", "--json")
        assert result.code == 2, command
        assert "4040" in result.err
    assert cli("cancel", "4040", "--reason", "x").code == 2


def test_no_show_is_counted_on_the_patient(cli: Cli, clinic: SmallClinic) -> None:
    appt = _booked(cli, clinic)
    result = cli("no-show", appt["id"], "--json")
    assert result.code == 0, result.err
    assert result.json["status"] == "no_show"
    shown = cli("patients", "show", clinic.ada.id, "--json").json
    assert shown["no_show_count"] == 1
    assert [a["id"] for a in shown["upcoming"]] == [appt["id"]]
    assert shown["upcoming"][0]["status"] == "no_show"


def test_undo_a_check_in(cli: Cli, clinic: SmallClinic) -> None:
    appt = _booked(cli, clinic)
    assert cli("check-in", appt["id"]).code == 0
    result = cli("undo", appt["id"], "--json")
    assert result.code == 0, result.err
    assert result.json["status"] == "booked"
    assert "reminder" in result.json["queued"]


def test_undo_without_id_undoes_my_last_change(cli: Cli, clinic: SmallClinic) -> None:
    first = _booked(cli, clinic, hour=10)
    second = _booked(cli, clinic, hour=11, patient=clinic.ben.id)
    assert cli("confirm", first["id"]).code == 0
    assert cli("confirm", second["id"]).code == 0
    result = cli("undo", "--json")
    assert result.code == 0, result.err
    assert result.json["id"] == second["id"]
    assert result.json["status"] == "booked"


def test_undo_a_cancel_reinstates_unless_the_slot_was_taken(
    cli: Cli, clinic: SmallClinic, db_url: str
) -> None:
    appt = _booked(cli, clinic)
    assert cli("cancel", appt["id"], "--reason", "wrong patient").code == 0
    restored = cli("undo", appt["id"], "--json")
    assert restored.code == 0, restored.err
    assert restored.json["status"] == "booked"
    assert restored.json["cancel_reason"] is None

    assert cli("cancel", appt["id"], "--reason", "really cancelled").code == 0
    taker = _booked(cli, clinic, patient=clinic.ben.id)
    before = counts(db_url)
    refused = cli("undo", appt["id"], "--json")
    assert refused.code == 1
    assert f"appointment #{taker['id']}" in refused.err
    assert counts(db_url) == before


def test_nothing_to_undo_exits_1(cli: Cli, clinic: SmallClinic) -> None:
    appt = _booked(cli, clinic)
    result = cli("undo", appt["id"], "--json")
    assert result.code == 1
    assert "nothing" in result.err.lower() or "no status change" in result.err
