"""`medbookings locations | providers | services list`: the JSON scripts rely on, and tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from medbookings_desktop.domain.clinic import Location
from medbookings_desktop.services import setup
from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import Cli


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


def test_locations_list_json(cli: Cli, clinic: SmallClinic) -> None:
    result = cli("locations", "list", "--json")
    assert result.code == 0, result.err
    assert result.json == [
        {
            "id": clinic.london.id,
            "name": "Riverside",
            "zone": "Europe/London",
            "address": "London, GB",
            "address_line1": "",
            "address_line2": "",
            "city": "London",
            "region": "",
            "postal_code": "",
            "country": "GB",
            "phone": "",
            "place_id": "",
            "latitude": None,
            "longitude": None,
            "website": "",
            "opening_hours": [],
        }
    ]


def test_locations_list_json_carries_what_google_places_filled_in(
    cli: Cli, clinic: SmallClinic
) -> None:
    hours = ("Monday: 8:00 AM – 6:00 PM", "Sunday: Closed")
    saved = setup.save_location(
        clinic.ctx,
        Location(
            name="Harley Street Practice",
            zone="Europe/London",
            address_line1="10 Harley Street",
            city="London",
            country="GB",
            place_id="ChIJ-harley-street-clinic",
            latitude=51.5186,
            longitude=-0.1477,
            website="https://harley.example.org/",
            opening_hours=hours,
        ),
    )
    result = cli("locations", "list", "--json")
    assert result.code == 0, result.err
    [found] = [loc for loc in result.json if loc["id"] == saved.id]
    assert found["place_id"] == "ChIJ-harley-street-clinic"
    assert (found["latitude"], found["longitude"]) == (51.5186, -0.1477)
    assert found["website"] == "https://harley.example.org/"
    assert found["opening_hours"] == list(hours)


def test_providers_list_json(cli: Cli, clinic: SmallClinic) -> None:
    result = cli("providers", "list", "--json")
    assert result.code == 0, result.err
    by_id = {p["id"]: p for p in result.json}
    assert set(by_id) == {clinic.dr_a.id, clinic.dr_b.id}
    berg = by_id[clinic.dr_b.id]
    assert berg["name"] == "Lars Berg"
    assert berg["title"] == "Dr"
    assert berg["colour"] == "#7a3db8"
    assert berg["location_ids"] == [clinic.london.id]
    assert berg["service_ids"] == [clinic.checkup.id]
    assert set(by_id[clinic.dr_a.id]["service_ids"]) == {
        clinic.consultation.id,
        clinic.checkup.id,
        clinic.video.id,
    }


def test_services_list_json(cli: Cli, clinic: SmallClinic) -> None:
    result = cli("services", "list", "--json")
    assert result.code == 0, result.err
    by_name = {s["name"]: s for s in result.json}
    assert set(by_name) == {"Consultation", "Check-up", "Video consultation"}
    consultation = by_name["Consultation"]
    assert consultation["id"] == clinic.consultation.id
    assert consultation["duration_minutes"] == 30
    assert consultation["buffer_before_minutes"] == 0
    assert consultation["buffer_after_minutes"] == 5
    assert consultation["price_cents"] == 6000
    assert consultation["deposit_cents"] == 1000
    assert consultation["currency"] == "GBP"
    assert consultation["online"] is False
    assert by_name["Video consultation"]["online"] is True


def test_lists_without_json_print_readable_tables(cli: Cli) -> None:
    locations = cli("locations", "list")
    providers = cli("providers", "list")
    services = cli("services", "list")
    assert locations.code == providers.code == services.code == 0
    assert "Riverside" in locations.out and "Europe/London" in locations.out
    assert "Dr Thandi Mokoena" in providers.out and "Check-up" in providers.out
    assert "Video consultation" in services.out and "60.00 GBP" in services.out


def test_empty_database_lists_nothing(
    sqlite_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("MEDBOOKINGS_HOME", str(tmp_path / "home"))
    cli = Cli(sqlite_url, capsys)
    assert cli("providers", "list", "--json").json == []
    assert "(none)" in cli("services", "list").out
