"""`medbookings patients import FILE.csv`: all or nothing, row-by-row report, duplicates held."""

from __future__ import annotations

import csv
import logging
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from medbookings_desktop.domain.patients import Channel
from medbookings_desktop.domain.search import parse_query
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import create_db_engine
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from tests.helpers.clinic import SmallClinic
from tests.integration.admin_support import Cli, row_count

HEADER = (
    "first_name,last_name,date_of_birth,phone,email,preferred_channel,"
    "consent_sms,consent_whatsapp,consent_email,notes\n"
)
GOOD = (
    HEADER
    + "Chloé,Martin,29/02/1984,020 7946 0777,chloe@example.com,email,no,no,yes,prefers mornings\n"
    + "Dev,Patel,1990-12-01,+1 202 555 0142,,sms,Y,n,0,\n"
    + "Femi,Adeyemi,,,,,,,,\n"
)
BAD_PHONE = "0912 34"
BAD = (
    HEADER
    + "Chloé,Martin,29/02/1984,020 7946 0777,chloe@example.com,email,no,no,yes,\n"
    + f"Gus,Nowak,31/02/1990,{BAD_PHONE},gus@,pigeon,maybe,,,\n"
    + "Hana,Kim,1985-06-07,,,,,,,\n"
    + ",,2001-01-01,,,,,,,\n"
)


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


def csv_file(tmp_path: Path, text: str, *, encoding: str = "utf-8", name: str = "p.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def patients(url: str) -> int:
    return row_count(url, t.patients)


def stored(url: str, last_name: str) -> list[object]:
    engine = create_db_engine(url)
    try:
        with SqlUnitOfWork(engine, write=False) as uow:
            ids = [
                r.id
                for r in uow.conn.execute(
                    select(t.patients.c.id).where(t.patients.c.last_name == last_name)
                )
            ]
            return [uow.patients.get(i) for i in ids]
    finally:
        engine.dispose()


def test_a_clean_file_is_imported(cli: Cli, db_url: str, tmp_path: Path) -> None:
    before = patients(db_url)
    result = cli("patients", "import", csv_file(tmp_path, GOOD))
    assert result.code == 0, result.err
    assert result.out == "Imported 3 patients.\n"
    assert patients(db_url) == before + 3
    [chloe] = stored(db_url, "Martin")
    assert chloe.first_name == "Chloé"  # type: ignore[attr-defined]
    assert chloe.date_of_birth == date(1984, 2, 29)  # type: ignore[attr-defined]
    assert chloe.phone == "+442079460777"  # type: ignore[attr-defined]
    assert chloe.email == "chloe@example.com"  # type: ignore[attr-defined]
    assert chloe.preferred_channel is Channel.EMAIL  # type: ignore[attr-defined]
    assert (chloe.consent_sms, chloe.consent_email) == (False, True)  # type: ignore[attr-defined]
    assert chloe.notes == "prefers mornings"  # type: ignore[attr-defined]
    [dev] = stored(db_url, "Patel")
    assert dev.phone == "+12025550142" and dev.consent_sms is True  # type: ignore[attr-defined]
    assert dev.date_of_birth == date(1990, 12, 1)  # type: ignore[attr-defined]
    [femi] = stored(db_url, "Adeyemi")
    assert femi.preferred_channel is Channel.NONE  # type: ignore[attr-defined]
    # imported patients are found by the desk's search (its index is filled too)
    engine = create_db_engine(db_url)
    with SqlUnitOfWork(engine, write=False) as uow:
        assert [p.last_name for p in uow.patients.search(parse_query("chloe"))] == ["Martin"]
        assert [p.last_name for p in uow.patients.search(parse_query("7946 0777"))] == ["Martin"]
    engine.dispose()


def test_bad_rows_import_nothing_and_are_reported_by_line_and_column(
    cli: Cli, db_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    before = patients(db_url)
    result = cli("patients", "import", csv_file(tmp_path, BAD), "--json")
    assert result.code == 2
    assert patients(db_url) == before
    report = result.json
    assert report["imported"] == 0 and report["stopped"] is True
    assert report["errors"] == [
        {"line": 3, "column": "date_of_birth",
         "message": "not a date (use YYYY-MM-DD or DD/MM/YYYY)"},
        {"line": 3, "column": "phone",
         "message": "not a valid phone number (read as GB without +country)"},
        {"line": 3, "column": "email", "message": "not a valid e-mail address"},
        {"line": 3, "column": "preferred_channel", "message": "use sms, whatsapp, email or none"},
        {"line": 3, "column": "consent_sms", "message": "use yes/no, true/false, y/n or 1/0"},
        {"line": 5, "column": "last_name", "message": "a first or a last name is needed"},
    ]  # fmt: skip
    assert "2 rows with errors, so nothing was imported" in result.err
    assert "--skip-bad-rows to import the other 2 rows" in result.err
    # the report names columns and reasons, never the patient's values; the log neither
    for value in (BAD_PHONE, "gus@", "Nowak", "pigeon"):
        assert value not in result.out and value not in result.err
        assert value not in caplog.text


def test_text_report_lists_each_problem(cli: Cli, tmp_path: Path) -> None:
    result = cli("patients", "import", csv_file(tmp_path, BAD))
    assert result.code == 2
    assert result.out.splitlines() == [
        'error: line 3, column "date_of_birth": not a date (use YYYY-MM-DD or DD/MM/YYYY)',
        'error: line 3, column "phone": not a valid phone number (read as GB without +country)',
        'error: line 3, column "email": not a valid e-mail address',
        'error: line 3, column "preferred_channel": use sms, whatsapp, email or none',
        'error: line 3, column "consent_sms": use yes/no, true/false, y/n or 1/0',
        'error: line 5, column "last_name": a first or a last name is needed',
    ]


def test_skip_bad_rows_imports_the_good_ones(cli: Cli, db_url: str, tmp_path: Path) -> None:
    before = patients(db_url)
    result = cli("patients", "import", csv_file(tmp_path, BAD), "--skip-bad-rows", "--json")
    assert result.code == 0, result.err
    assert result.json["imported"] == 2
    assert result.json["skipped"] == 2
    assert len(result.json["errors"]) == 6
    assert patients(db_url) == before + 2
    assert stored(db_url, "Kim") and stored(db_url, "Martin") and not stored(db_url, "Nowak")


def test_dry_run_writes_nothing(cli: Cli, db_url: str, tmp_path: Path) -> None:
    before = patients(db_url)
    audit_before = row_count(db_url, t.audit_log)
    clean = cli("patients", "import", csv_file(tmp_path, GOOD), "--dry-run")
    assert clean.code == 0, clean.err
    assert clean.out == "Dry run, nothing written: 3 rows would be imported.\n"
    bad = cli("patients", "import", csv_file(tmp_path, BAD, name="bad.csv"), "--dry-run")
    assert bad.code == 2
    skipping = cli(
        "patients", "import", tmp_path / "bad.csv", "--dry-run", "--skip-bad-rows", "--json"
    )
    assert skipping.code == 0
    assert (skipping.json["imported"], skipping.json["importable"]) == (0, 2)
    assert skipping.json["dry_run"] is True
    assert patients(db_url) == before
    assert row_count(db_url, t.audit_log) == audit_before


def test_bom_semicolons_and_header_variants(cli: Cli, db_url: str, tmp_path: Path) -> None:
    text = (
        "First Name;SURNAME;DOB;Mobile;E-mail address;Channel;SMS;WhatsApp;Email consent;Notes\n"
        'Zoë;Brown;07/08/1975;020 7946 0123;zoe@example.org;whatsapp;yes;yes;no;"Allergic; '
        'to penicillin, and latex"\n'
        "Olu;Bello;1999-01-31;;;;;;;\n"
    )
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    result = cli("patients", "import", path)
    assert result.code == 0, result.out + result.err
    [zoe] = stored(db_url, "Brown")
    assert zoe.first_name == "Zoë"  # type: ignore[attr-defined]  # the BOM is not in the name
    assert zoe.date_of_birth == date(1975, 8, 7)  # type: ignore[attr-defined]  # day first
    assert zoe.preferred_channel is Channel.WHATSAPP  # type: ignore[attr-defined]
    assert zoe.consent_whatsapp is True  # type: ignore[attr-defined]
    assert zoe.notes == "Allergic; to penicillin, and latex"  # type: ignore[attr-defined]
    assert stored(db_url, "Bello")


def test_tab_separated_with_crlf_line_endings(cli: Cli, db_url: str, tmp_path: Path) -> None:
    text = "Given name\tFamily name\tBirth date\r\nIvo\tSilva\t1970-03-04\r\n"
    result = cli("patients", "import", csv_file(tmp_path, text))
    assert result.code == 0, result.out + result.err
    [ivo] = stored(db_url, "Silva")
    assert ivo.date_of_birth == date(1970, 3, 4)  # type: ignore[attr-defined]


def test_line_numbers_count_lines_of_the_file(cli: Cli, tmp_path: Path) -> None:
    text = (
        "first_name,last_name,date_of_birth,notes\n"
        '"Ann","Lee",,"a note\nover two lines"\n'
        "\n"
        "Bo,Yu,yesterday,\n"
    )
    result = cli("patients", "import", csv_file(tmp_path, text), "--json")
    assert result.code == 2
    assert [(e["line"], e["column"]) for e in result.json["errors"]] == [(5, "date_of_birth")]


def test_a_row_with_too_many_fields_is_bad(cli: Cli, tmp_path: Path) -> None:
    text = "first_name,last_name\nAnn,Lee,extra\n"
    result = cli("patients", "import", csv_file(tmp_path, text), "--json")
    assert result.code == 2
    assert result.json["errors"] == [
        {"line": 2, "column": None, "message": "has 3 fields but the header has 2"}
    ]


def test_unknown_columns_are_warned_about_and_ignored(cli: Cli, tmp_path: Path) -> None:
    text = "first_name,last_name,Insurance no\nAnn,Lee,X123\n"
    result = cli("patients", "import", csv_file(tmp_path, text), "--json")
    assert result.code == 0
    assert result.json["warnings"] == [
        {"line": 1, "column": "Insurance no", "message": "unknown column, ignored"}
    ]


def test_a_file_that_is_not_utf8_is_refused(cli: Cli, db_url: str, tmp_path: Path) -> None:
    before = patients(db_url)
    path = csv_file(tmp_path, "first_name,last_name\nRenée,Dubois\n", encoding="latin-1")
    result = cli("patients", "import", path)
    assert result.code == 2
    assert "not UTF-8" in result.err and "line 2" in result.err
    assert patients(db_url) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "The file is empty"),
        ("date_of_birth,phone\n1990-01-01,\n", "no first_name or last_name column"),
        ("First name,Forename,Surname\nA,B,C\n", 'Columns "First name" and "Forename"'),
    ],
)
def test_an_unusable_header_is_refused(cli: Cli, tmp_path: Path, text: str, message: str) -> None:
    result = cli("patients", "import", csv_file(tmp_path, text))
    assert result.code == 2
    assert message in result.err


def test_duplicates_are_warned_about_and_skipped(
    cli: Cli, clinic: SmallClinic, db_url: str, tmp_path: Path
) -> None:
    known = cli(
        "patients", "add", "--first-name", "Hana", "--last-name", "Kim", "--dob", "1985-06-07",
        "--json",
    )  # fmt: skip
    assert known.code == 0, known.err
    known_id = known.json["id"]
    text = (
        HEADER
        + "HANA,kim,07/06/1985,,,,,,,\n"  # the known patient: name case and date format differ
        + "Ada,Okafor,,,,,,,,\n"  # the clinic's Ada has no date of birth either
        + "Ann,Lee,1970-01-01,,,,,,,\n"
        + "Ann,Lee,01/01/1970,,,,,,,\n"  # the row above again
        + "Ann,Lee,1971-01-01,,,,,,,\n"  # same name, another person
    )
    path = csv_file(tmp_path, text)
    before = patients(db_url)
    result = cli("patients", "import", path, "--json")
    assert result.code == 0, result.err
    assert result.json["imported"] == 2 and result.json["skipped"] == 3
    assert result.json["warnings"] == [
        {"line": 2, "column": None,
         "message": f"possible duplicate of patient #{known_id} (same name and date of birth); "
                    "skipped"},
        {"line": 3, "column": None,
         "message": f"possible duplicate of patient #{clinic.ada.id} (same name and date of "
                    "birth); skipped"},
        {"line": 5, "column": None,
         "message": "possible duplicate of line 4 (same name and date of birth); skipped"},
    ]  # fmt: skip
    assert patients(db_url) == before + 2
    again = cli("patients", "import", path, "--allow-duplicates", "--json")
    assert again.json["imported"] == 5 and again.json["warnings"] == []
    assert patients(db_url) == before + 7


def test_the_import_is_audited_without_patient_data(cli: Cli, db_url: str, tmp_path: Path) -> None:
    assert cli("patients", "import", csv_file(tmp_path, GOOD)).code == 0
    engine = create_db_engine(db_url)
    with engine.connect() as conn:
        entry = conn.execute(select(t.audit_log).where(t.audit_log.c.action == "import")).one()
    engine.dispose()
    assert entry.entity == "patient"
    assert entry.after == {"imported": 3, "skipped": 0}


@pytest.mark.slow
def test_ten_thousand_rows(cli: Cli, db_url: str, tmp_path: Path) -> None:
    """Speed sanity, not a timing: a large practice's export goes in as one unit of work."""
    path = tmp_path / "many.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["First name", "Last name", "DOB", "Mobile", "Email", "SMS"])
        for i in range(10_000):
            writer.writerow(
                [
                    f"Pat{i % 97}",
                    f"Example{i}",
                    f"{1 + i % 28:02d}/{1 + i % 12:02d}/{1930 + i % 90}",
                    f"020 7946 {i % 1000:04d}",
                    f"patient{i}@example.org",
                    "yes" if i % 2 else "no",
                ]
            )
    before = patients(db_url)
    result = cli("patients", "import", path, "--json")
    assert result.code == 0, result.err
    assert result.json["imported"] == 10_000
    assert patients(db_url) == before + 10_000
    again = cli("patients", "import", path, "--json")
    assert (again.json["imported"], again.json["skipped"]) == (0, 10_000)
    assert patients(db_url) == before + 10_000
