"""Patients as typed at the desk: validation, normal forms, consent and the search text."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.domain.patients import Channel, Patient, fold, new_patient


def _new(**changes: object) -> Patient:
    values: dict[str, object] = {"first_name": "Ada", "last_name": "Okafor", "region": "GB"}
    values.update(changes)
    return new_patient(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("020 7946 0123", "GB", "+442079460123"),
        ("(020) 7946-0123", "GB", "+442079460123"),
        ("+44 20 7946 0123", "US", "+442079460123"),  # a country code wins over the region
        ("(202) 555-0142", "US", "+12025550142"),
        ("+1 202 555 0142", "GB", "+12025550142"),
    ],
)
def test_phones_are_stored_in_e164(typed: str, region: str, e164: str) -> None:
    assert _new(phone=typed, region=region).phone == e164


@pytest.mark.parametrize("typed", ["12345", "not a phone", "020 7946", "+44 20 7946 01234567"])
def test_bad_phones_are_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as err:
        _new(phone=typed)
    assert err.value.field == "phone"


@pytest.mark.parametrize("blank", [None, "", "   "])
def test_a_blank_phone_or_email_is_none(blank: str | None) -> None:
    p = _new(phone=blank, email=blank)
    assert p.phone is None and p.email is None


def test_emails_are_normalized_without_a_network_lookup() -> None:
    # example.org has no mail server: the desk may be offline, so deliverability is not asked
    assert _new(email="  Ada.Okafor@Example.ORG ").email == "Ada.Okafor@example.org"


@pytest.mark.parametrize("typed", ["nope@", "@example.com", "ada at example.com", "a@b@c.org"])
def test_bad_emails_are_refused_naming_the_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as err:
        _new(email=typed)
    assert err.value.field == "email"


def test_names_are_trimmed_and_one_of_them_is_needed() -> None:
    assert _new(first_name="  Ada ", last_name=" Okafor ").full_name == "Ada Okafor"
    assert _new(first_name="", last_name="Okafor").full_name == "Okafor"
    with pytest.raises(InvalidInput) as err:
        _new(first_name="  ", last_name="")
    assert err.value.field == "last_name"


def test_an_implausible_birth_date_is_refused() -> None:
    assert _new(date_of_birth=date(1931, 2, 28)).date_of_birth == date(1931, 2, 28)
    with pytest.raises(InvalidInput) as err:
        _new(date_of_birth=date(1879, 12, 31))
    assert err.value.field == "date_of_birth"


def test_channels_by_name_and_unknown_channels_refused() -> None:
    assert _new(preferred_channel="whatsapp").preferred_channel is Channel.WHATSAPP
    with pytest.raises(InvalidInput) as err:
        _new(preferred_channel="pigeon")
    assert err.value.field == "preferred_channel"
    assert "sms, whatsapp, email, none" in err.value.message


def test_consent_needs_both_the_yes_and_the_address() -> None:
    p = _new(phone="020 7946 0123", consent_sms=True, consent_email=True)
    assert p.consents_to(Channel.SMS)
    assert not p.consents_to(Channel.WHATSAPP)  # no consent given
    assert not p.consents_to(Channel.EMAIL)  # consent, but no address
    assert not p.consents_to(Channel.NONE)
    q = _new(email="ada@example.com", consent_email=True, consent_whatsapp=True)
    assert q.consents_to(Channel.EMAIL) and not q.consents_to(Channel.WHATSAPP)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Zoë", "zoe"),
        ("ÉLODIE", "elodie"),
        ("Núñez", "nunez"),
        ("Straße", "strasse"),
        ("Ødegård", "odegard"),
        ("Łukasz", "lukasz"),
        ("O'Brien-Smith", "o'brien-smith"),
    ],
)
def test_fold_drops_case_and_accents(text: str, folded: str) -> None:
    assert fold(text) == folded


@given(st.text(max_size=30))
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


def test_search_text_holds_names_phone_forms_email_and_birth_date() -> None:
    p = _new(
        first_name="Zoë",
        last_name="Ødegård",
        phone="020 7946 0123",
        email="Zoe.O@example.org",
        date_of_birth=date(1990, 7, 4),
    )
    parts = p.search_text.split(" | ")
    assert parts == [
        "zoe",
        "odegard",
        "zoe odegard",
        "442079460123",  # international digits
        "02079460123",  # national digits, as a receptionist reads them off a card
        "zoe.o@example.org",
        "1990-07-04",
    ]
    assert p.phone_digits == "442079460123"


def test_search_text_of_a_bare_patient_is_just_the_names() -> None:
    assert _new(first_name="Ben", last_name="Adams").search_text == "ben | adams | ben adams"
