"""Diagnostics: versions, folders, database kind and schema, keyring, TLS; never patient data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medbookings_desktop import __version__
from medbookings_desktop.services import diagnostics
from medbookings_desktop.storage import migrate
from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import Cli


def _report(clinic: SmallClinic, url: str, tmp_path: Path) -> dict[str, object]:
    return diagnostics.collect(
        clinic.ctx,
        app_version=__version__,
        database_url=url,
        paths={"data": tmp_path, "logs": tmp_path / "missing"},
        engine=clinic.engine,
    )


def test_report_names_versions_database_and_setup(
    clinic: SmallClinic, db_url: str, tmp_path: Path
) -> None:
    found = _report(clinic, db_url, tmp_path)
    versions = found["versions"]
    assert isinstance(versions, dict)
    assert versions["medbookings"] == __version__
    assert versions["python"] and versions["sqlite"] and versions["SQLAlchemy"]
    db = found["database"]
    assert isinstance(db, dict)
    assert db["schema_version"] == migrate.head_revision()
    if db_url.startswith("sqlite"):
        assert db["kind"] == "sqlite" and db["file_exists"] is True
        assert versions["postgresql_server"] is None
    else:
        assert db["kind"] == "postgresql"
        assert str(versions["postgresql_server"])[:2].isdigit()
    assert found["paths"] == {
        "data": {"path": str(tmp_path), "exists": True},
        "logs": {"path": str(tmp_path / "missing"), "exists": False},
    }
    assert found["clinic"] == {
        "set_up": True,
        "zone": "Europe/London",
        "locale": "en_GB",
        "locations": 1,
        "providers": 2,
        "services": 3,
        "patients": 2,
    }
    health = found["engine_health"]
    assert isinstance(health, list) and health
    assert {"service", "state", "queue_depth"} <= set(health[0])


def test_report_carries_no_patient_data_nor_password(
    clinic: SmallClinic, sqlite_url: str, tmp_path: Path
) -> None:
    text = json.dumps(_report(clinic, sqlite_url, tmp_path), default=str)
    for patient in (clinic.ada, clinic.ben):
        assert patient.last_name not in text
        assert patient.first_name not in text
        assert patient.phone and patient.phone not in text
    pg = diagnostics.database("postgresql+psycopg://desk:s3cret@db.example.org:5433/clinic", None)
    assert pg == {
        "kind": "postgresql",
        "host": "db.example.org",
        "port": 5433,
        "name": "clinic",
        "schema_version": None,
    }


def test_keyring_tls_and_discovery_are_reported() -> None:
    keyring_part = diagnostics.keyring_backend()
    assert isinstance(keyring_part["backend"], str)
    assert keyring_part["usable"] == (
        not keyring_part["backend"].startswith("keyring.backends.fail")
    )
    if not keyring_part["usable"]:
        assert "password store" in keyring_part["note"]
    tls = diagnostics.tls()
    assert tls["default_context_ca_certs"] > 0 or tls["certifi_exists"]
    discovery = diagnostics.google_discovery()
    if discovery["installed"]:
        assert discovery == {"api": "calendar.v3", "installed": True, "loads": True}


def test_cli_prints_json_and_text(sqlite_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    cli = Cli(sqlite_url, capsys)
    result = cli("diagnostics", "--json")
    assert result.code == 0, result.err
    found = result.json
    assert found["database"]["kind"] == "sqlite"
    assert found["database"]["schema_version"] == migrate.head_revision()
    assert set(found["paths"]) == {"config_file", "data", "logs", "backups", "database_file"}
    assert found["clinic"]["providers"] == 0
    text = cli("diagnostics")
    assert text.code == 0
    assert "schema_version: " + migrate.head_revision() in text.out
