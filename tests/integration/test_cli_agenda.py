"""`medbookings agenda`: a day's appointments with local times."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import Cli, wall, weekday_ahead

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


def _book(cli: Cli, patient: object, provider: object, service: object, start: str) -> int:
    result = cli(
        "book", "--patient", patient, "--provider", provider, "--service", service,
        "--start", start, "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    return int(result.json["id"])


def test_agenda_json_lists_the_day_in_order(cli: Cli, clinic: SmallClinic) -> None:
    monday = weekday_ahead(0)
    assert clinic.ada.id and clinic.ben.id and clinic.dr_a.id and clinic.dr_b.id
    late = _book(cli, clinic.ada.id, clinic.dr_a.id, clinic.consultation.id, wall(monday, 15))
    early = _book(cli, clinic.ben.id, clinic.dr_b.id, clinic.checkup.id, wall(monday, 10))
    _book(cli, clinic.ben.id, clinic.dr_a.id, clinic.consultation.id, wall(weekday_ahead(1), 10))
    cancelled = _book(cli, clinic.ben.id, clinic.dr_a.id, clinic.checkup.id, wall(monday, 9))
    assert cli("cancel", cancelled, "--reason", "double entry").code == 0

    result = cli("agenda", "--date", monday.isoformat(), "--json")
    assert result.code == 0, result.err
    assert [a["id"] for a in result.json] == [cancelled, early, late]
    line = result.json[2]
    start = datetime.combine(monday, time(15), LONDON)
    assert line == {
        "id": late,
        "start": start.isoformat(),
        "end": datetime.combine(monday, time(15, 30), LONDON).isoformat(),
        "status": "booked",
        "provider_id": clinic.dr_a.id,
        "provider": "Dr Thandi Mokoena",
        "patient_id": clinic.ada.id,
        "patient": "Ada Okafor",
        "service_id": clinic.consultation.id,
        "service": "Consultation",
        "location_id": clinic.london.id,
        "location": "Riverside",
        "online": False,
        "zone": "Europe/London",
    }
    assert result.json[0]["status"] == "cancelled"

    only_b = cli("agenda", "--date", monday.isoformat(), "--provider", clinic.dr_b.id, "--json")
    assert [a["id"] for a in only_b.json] == [early]


def test_agenda_table_and_empty_day(cli: Cli, clinic: SmallClinic) -> None:
    monday = weekday_ahead(0)
    assert clinic.ada.id and clinic.dr_a.id and clinic.video.id
    _book(cli, clinic.ada.id, clinic.dr_a.id, clinic.video.id, wall(monday, 9))
    table = cli("agenda", "--date", monday.isoformat())
    assert table.code == 0
    assert "09:00–09:20" in table.out and "Ada Okafor" in table.out and "online" in table.out
    empty = cli("agenda", "--date", weekday_ahead(6).isoformat(), "--json")
    assert empty.code == 0 and empty.json == []
    assert cli("agenda", "--json").code == 0  # today, in the clinic's zone


@pytest.mark.parametrize(
    ("argv", "message"),
    [(("--date", "2026-13-01"), "not a valid date"), (("--provider", "999"), "999")],
)
def test_agenda_bad_input_exits_2(cli: Cli, argv: tuple[str, ...], message: str) -> None:
    result = cli("agenda", *argv, "--json")
    assert result.code == 2
    assert message in result.err
