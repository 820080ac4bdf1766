"""The command as outside scripts run it: a separate process, its exit code and output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from medbookings_desktop import __version__
from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import counts, process_env, run_process, wall, weekday_ahead


@pytest.mark.usefixtures("clinic")
def test_module_entry_lists_as_json(db_url: str, tmp_path: Path) -> None:
    result = run_process(db_url, tmp_path, "services", "list", "--json")
    assert result.code == 0, result.err
    assert {s["name"] for s in result.json} == {"Consultation", "Check-up", "Video consultation"}


def test_book_clash_and_bad_input_exit_codes(
    clinic: SmallClinic, db_url: str, tmp_path: Path
) -> None:
    monday = weekday_ahead(0)
    args = ("--service", clinic.consultation.id, "--start", wall(monday, 10), "--json")
    booked = run_process(
        db_url, tmp_path, "book", "--patient", clinic.ada.id, "--provider", clinic.dr_a.id, *args
    )
    assert booked.code == 0, booked.err
    appointment_id = booked.json["id"]
    before = counts(db_url)

    clash = run_process(
        db_url, tmp_path, "book", "--patient", clinic.ben.id, "--provider", clinic.dr_a.id, *args
    )
    assert clash.code == 1
    assert f"appointment #{appointment_id}" in clash.err
    assert "Traceback" not in clash.err

    unknown = run_process(
        db_url, tmp_path, "book", "--patient", clinic.ben.id, "--provider", "999", *args
    )
    assert unknown.code == 2
    assert "999" in unknown.err
    assert "Traceback" not in unknown.err

    bad_phone = run_process(
        db_url, tmp_path, "patients", "add", "--first-name", "Eve", "--last-name", "Moss",
        "--phone", "12", "--json",
    )  # fmt: skip
    assert bad_phone.code == 2
    assert "phone" in bad_phone.err
    assert counts(db_url) == before


def test_console_script(tmp_path: Path) -> None:
    script = shutil.which("medbookings", path=str(Path(sys.executable).parent))
    if script is None:
        pytest.skip("the medbookings console script is not installed next to this Python")
    done = subprocess.run(
        [script, "--version"],
        capture_output=True,
        text=True,
        env=process_env(tmp_path),
        check=False,
        timeout=60,
    )
    assert done.returncode == 0
    assert done.stdout.strip() == f"medbookings {__version__}"


def test_unknown_option_is_bad_input(tmp_path: Path, sqlite_url: str) -> None:
    result = run_process(sqlite_url, tmp_path, "book", "--when", "now")
    assert result.code == 2
    assert "usage:" in result.err


@pytest.mark.usefixtures("clinic")
def test_json_output_is_utf8_text(db_url: str, tmp_path: Path) -> None:
    added = run_process(
        db_url, tmp_path, "patients", "add", "--first-name", "Zoë", "--last-name", "Ødegård",
        "--json",
    )  # fmt: skip
    assert added.code == 0, added.err
    assert "Ødegård" in added.out  # not escaped as \u00d8
    found = run_process(db_url, tmp_path, "patients", "search", "zoe ødegård", "--json")
    assert [p["last_name"] for p in json.loads(found.out)] == ["Ødegård"]
