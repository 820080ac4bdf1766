"""`medbookings patients add | search | show`, bad input refused with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import Cli, counts


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


def test_add_patient_prints_the_stored_record(cli: Cli) -> None:
    result = cli(
        "patients", "add", "--first-name", "Chloé", "--last-name", "Martin",
        "--phone", "020 7946 0777", "--email", "Chloe.Martin@Example.COM", "--dob", "1984-02-29",
        "--channel", "email", "--consent-email", "--notes", "prefers mornings", "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    patient = result.json
    assert isinstance(patient["id"], int)
    assert patient["first_name"] == "Chloé"
    assert patient["last_name"] == "Martin"
    assert patient["phone"] == "+442079460777"
    assert patient["email"] == "Chloe.Martin@example.com"
    assert patient["date_of_birth"] == "1984-02-29"
    assert patient["preferred_channel"] == "email"
    assert patient["consent_email"] is True
    assert patient["consent_sms"] is False
    found = cli("patients", "search", "chloe", "--json").json
    assert [p["id"] for p in found] == [patient["id"]]


def test_add_patient_with_names_only(cli: Cli) -> None:
    result = cli("patients", "add", "--first-name", "Dev", "--last-name", "Patel", "--json")
    assert result.code == 0, result.err
    assert result.json["phone"] is None and result.json["date_of_birth"] is None


def test_add_patient_without_json_says_what_it_did(cli: Cli) -> None:
    result = cli("patients", "add", "--first-name", "Dev", "--last-name", "Patel")
    assert result.code == 0
    assert result.out.startswith("Registered patient #")


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--phone", "12345", "'12345' is not a valid phone number"),
        ("--phone", "call me", "is not a phone number"),
        ("--email", "ada@", "'ada@' is not an e-mail address"),
        ("--email", "not an address", "is not an e-mail address"),
        ("--dob", "1990-02-30", "'1990-02-30' is not a valid date of birth"),
        ("--dob", "30/01/1990", "not a valid date of birth"),
        ("--dob", "2999-01-01", "is in the future"),
    ],
)
def test_malformed_values_exit_2_and_write_nothing(
    cli: Cli, db_url: str, option: str, value: str, message: str
) -> None:
    before = counts(db_url)
    result = cli(
        "patients", "add", "--first-name", "Eve", "--last-name", "Moss", option, value, "--json"
    )
    assert result.code == 2
    assert result.out == ""
    assert message in result.err
    assert result.err.startswith("medbookings: ")
    assert counts(db_url) == before


def test_search_finds_by_name_phone_and_email(cli: Cli, clinic: SmallClinic) -> None:
    by_name = cli("patients", "search", "okafor", "--json")
    assert by_name.code == 0
    assert [p["id"] for p in by_name.json] == [clinic.ada.id]
    assert by_name.json[0]["phone"] == "+442079460123"
    assert by_name.json[0]["email"] == "ada@example.com"
    by_phone = cli("patients", "search", "7946 0456", "--json").json
    assert [p["id"] for p in by_phone] == [clinic.ben.id]
    by_email = cli("patients", "search", "ada@example", "--json").json
    assert [p["id"] for p in by_email] == [clinic.ada.id]


def test_search_with_no_match_is_an_empty_list(cli: Cli) -> None:
    result = cli("patients", "search", "zzyzx", "--json")
    assert result.code == 0
    assert result.json == []


def test_search_limit(cli: Cli) -> None:
    for i in range(3):
        cli("patients", "add", "--first-name", f"Sam{i}", "--last-name", "Quinn")
    assert len(cli("patients", "search", "quinn", "--json").json) == 3
    assert len(cli("patients", "search", "quinn", "--limit", "2", "--json").json) == 2
    assert cli("patients", "search", "quinn", "--limit", "0").code == 2


def test_search_table(cli: Cli) -> None:
    result = cli("patients", "search", "ada")
    assert result.code == 0
    assert "Ada Okafor" in result.out and "+442079460123" in result.out


def test_show_patient_with_appointments(cli: Cli, clinic: SmallClinic) -> None:
    result = cli("patients", "show", clinic.ada.id, "--json")
    assert result.code == 0, result.err
    shown = result.json
    assert shown["id"] == clinic.ada.id
    assert shown["full_name"] == "Ada Okafor"
    assert shown["no_show_count"] == 0
    assert shown["upcoming"] == [] and shown["past"] == []


def test_show_unknown_patient_exits_2(cli: Cli) -> None:
    result = cli("patients", "show", "9999", "--json")
    assert result.code == 2
    assert "9999" in result.err
