"""vCards are read back with vobject, the library that wrote them."""

from __future__ import annotations

from datetime import date

import vobject

from medbookings_desktop.domain.clinic import ClinicSettings, Location
from medbookings_desktop.domain.patients import Patient
from medbookings_desktop.services.vcards import clinic_card, patient_card


def _read(text: str) -> vobject.base.Component:
    card = vobject.readOne(text)
    assert card.version.value == "3.0"
    return card


def test_patient_card_has_names_birth_date_phone_and_email() -> None:
    patient = Patient(
        first_name="Zoë",
        last_name="Ødegård",
        date_of_birth=date(1984, 2, 29),
        phone="+442079460123",
        email="zoe@example.org",
        notes="private: stays in the clinic",
        id=7,
    )
    text = patient_card(patient)
    card = _read(text)
    assert card.n.value.family == "Ødegård"
    assert card.n.value.given == "Zoë"
    assert card.fn.value == "Zoë Ødegård"
    assert card.bday.value == "1984-02-29"
    assert card.tel.value == "+442079460123"
    assert card.tel.params["TYPE"] == ["CELL"]
    assert card.email.value == "zoe@example.org"
    assert "private" not in text
    assert "note" not in card.contents


def test_patient_card_without_phone_email_or_birth_date() -> None:
    card = _read(patient_card(Patient(first_name="", last_name="Nakamura")))
    assert card.fn.value == "Nakamura"
    assert card.n.value.family == "Nakamura"
    for name in ("tel", "email", "bday"):
        assert name not in card.contents


def test_commas_and_semicolons_are_escaped_and_read_back() -> None:
    patient = Patient(first_name="Ann, Marie", last_name="Smith; Jones")
    text = patient_card(patient)
    assert "Smith\\; Jones" in text
    assert "Ann\\, Marie" in text
    card = _read(text)
    assert card.n.value.family == "Smith; Jones"
    assert card.n.value.given == "Ann, Marie"
    assert card.fn.value == "Ann, Marie Smith; Jones"


def test_clinic_card_without_location() -> None:
    card = _read(clinic_card(ClinicSettings(name="Harbour, Health; Care"), None))
    assert card.fn.value == "Harbour, Health; Care"
    assert card.org.value == ["Harbour, Health; Care"]
    assert "adr" not in card.contents
    assert "tel" not in card.contents


def test_clinic_card_with_location_address_and_phone() -> None:
    location = Location(
        name="Camden",
        zone="Europe/London",
        address_line1="12 Parkway, Unit 3",
        address_line2="Second floor",
        city="London",
        postal_code="NW1 7AA",
        country="United Kingdom",
        phone="+442079460999",
    )
    card = _read(clinic_card(ClinicSettings(name="Clinique Été"), location))
    assert card.fn.value == "Clinique Été – Camden"
    assert card.org.value == ["Clinique Été", "Camden"]
    assert card.adr.value.street == "12 Parkway, Unit 3\nSecond floor"
    assert card.adr.value.city == "London"
    assert card.adr.value.code == "NW1 7AA"
    assert card.adr.value.country == "United Kingdom"
    assert card.tel.value == "+442079460999"
    assert card.tel.params["TYPE"] == ["WORK"]


def test_clinic_card_location_without_address() -> None:
    card = _read(clinic_card(ClinicSettings(name="Clinic"), Location(name="Annex", zone="UTC")))
    assert card.fn.value == "Clinic – Annex"
    assert "adr" not in card.contents
