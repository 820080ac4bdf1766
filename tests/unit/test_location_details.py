"""Validation of a location's place details: coordinates, website, phone, opening hours, and
the Maps link built from the place id."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from medbookings_desktop.domain.clinic import (
    Location,
    check_location_phone,
    check_website,
)
from medbookings_desktop.domain.errors import InvalidInput


def _loc(**kw: object) -> Location:
    return Location(name="Harley", zone="Europe/London", **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("lat", "lng"), [(90.0, 180.0), (-90.0, -180.0), (0.0, 0.0), (51.5186, -0.1477)]
)
def test_coordinates_on_the_globe_are_accepted(lat: float, lng: float) -> None:
    assert _loc(latitude=lat, longitude=lng).coordinates == (lat, lng)


@pytest.mark.parametrize(
    ("lat", "lng", "words"),
    [
        (90.0001, 0.0, "Latitude"),
        (-91.0, 0.0, "Latitude"),
        (0.0, 180.5, "Longitude"),
        (0.0, -181.0, "Longitude"),
        (51.5, None, "both"),
        (None, -0.1, "both"),
    ],
)
def test_coordinates_off_the_globe_are_refused(
    lat: float | None, lng: float | None, words: str
) -> None:
    with pytest.raises(InvalidInput, match=words) as refused:
        _loc(latitude=lat, longitude=lng)
    assert refused.value.field == "coordinates"


@pytest.mark.parametrize(
    "url",
    ["https://harley.example.org/", "http://example.org", "https://example.org/a?b=c#d"],
)
def test_web_addresses_are_accepted(url: str) -> None:
    assert _loc(website=url).website == url
    assert check_website(f"  {url} ") == url


@pytest.mark.parametrize(
    "url",
    [
        "harley.example.org",
        "ftp://example.org/",
        "javascript:alert(1)",
        "https://",
        "https://exa mple.org/",
        "mailto:desk@example.org",
    ],
)
def test_other_websites_are_refused(url: str) -> None:
    with pytest.raises(InvalidInput, match="web address") as refused:
        _loc(website=url)
    assert refused.value.field == "website"


def test_phone_in_the_clinics_region() -> None:
    assert check_location_phone("02079460123", "GB") == "020 7946 0123"
    assert check_location_phone(" +44 20 7946 0123 ", "GB") == "020 7946 0123"
    assert check_location_phone("+1 212 555 0100", "GB") == "+1 212-555-0100"
    assert check_location_phone("(212) 555-0100", "US") == "(212) 555-0100"
    assert check_location_phone("", "GB") == ""


@pytest.mark.parametrize(
    ("raw", "words"), [("12", "not a valid phone number \\(read as GB\\)"), ("ring us", "not a")]
)
def test_bad_phones_are_refused(raw: str, words: str) -> None:
    with pytest.raises(InvalidInput, match=words) as refused:
        check_location_phone(raw, "GB")
    assert refused.value.field == "phone"
    with pytest.raises(InvalidInput):
        _loc(phone=raw).checked("GB")


def test_checked_reads_the_phone_and_trims_the_website() -> None:
    loc = _loc(phone="02079460123", website="https://harley.example.org/ ")
    checked = loc.checked("GB")
    assert (checked.phone, checked.website) == ("020 7946 0123", "https://harley.example.org/")


def test_opening_hours_are_kept_as_a_tuple_of_lines() -> None:
    loc = _loc(opening_hours=["Monday: Closed", "Tuesday: 9:00 AM – 5:00 PM"])
    assert loc.opening_hours == ("Monday: Closed", "Tuesday: 9:00 AM – 5:00 PM")
    hash(loc)  # still a value
    with pytest.raises(InvalidInput, match="lines of text"):
        _loc(opening_hours=("Monday", 9))


def test_maps_link_needs_a_place_id() -> None:
    assert _loc().maps_url == ""
    url = _loc(place_id="ChIJ-harley", latitude=51.5186, longitude=-0.1477).maps_url
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.google.com", "/maps/search/")
    assert parse_qs(parts.query) == {
        "api": ["1"],
        "query": ["51.5186,-0.1477"],
        "query_place_id": ["ChIJ-harley"],
    }
    by_name = _loc(place_id="ChIJ-harley", address_line1="10 Harley Street").maps_url
    assert parse_qs(urlsplit(by_name).query)["query"] == ["Harley, 10 Harley Street"]


def test_the_clinic_vcard_carries_the_locations_website_and_coordinates() -> None:
    import vobject

    from medbookings_desktop.domain.clinic import ClinicSettings
    from medbookings_desktop.services.vcards import clinic_card

    location = _loc(
        phone="020 7946 0123",
        website="https://harley.example.org/a;b",
        place_id="ChIJ-harley",
        latitude=51.5186,
        longitude=-0.1477,
    )
    card = vobject.readOne(clinic_card(ClinicSettings(name="Clinic"), location))
    assert card.tel.value == "020 7946 0123"
    assert card.url.value == "https://harley.example.org/a;b"
    assert card.geo.value == "51.518600;-0.147700"
    plain = vobject.readOne(clinic_card(ClinicSettings(name="Clinic"), _loc()))
    assert "url" not in plain.contents and "geo" not in plain.contents


def test_message_templates_offer_the_locations_website_and_maps_link() -> None:
    from datetime import UTC, datetime, timedelta

    from medbookings_desktop.domain.appointments import Appointment
    from medbookings_desktop.domain.clinic import ClinicSettings, Provider, Service
    from medbookings_desktop.domain.patients import Patient
    from medbookings_desktop.messaging.render import MessageFacts, check_template, render
    from medbookings_desktop.services.templates import sample_facts

    text = "{{ location_website }} | {{ location_maps_url }}"
    assert check_template(text, "confirmation") is None
    sample = sample_facts("confirmation")
    assert sample["location_website"].startswith("https://")
    assert "query_place_id=" in sample["location_maps_url"]

    location = _loc(
        website="https://harley.example.org/",
        place_id="ChIJ-harley",
        latitude=51.5186,
        longitude=-0.1477,
        id=1,
    )
    start = datetime(2026, 6, 15, 8, 0, tzinfo=UTC)

    def facts(where: Location | None, online: bool = False) -> MessageFacts:
        appt = Appointment(
            patient_id=1,
            provider_id=1,
            service_id=1,
            start=start,
            end=start + timedelta(minutes=30),
            location_id=None if where is None else where.id,
            online=online,
            id=41,
        )
        return MessageFacts(
            clinic=ClinicSettings(name="Clinic", zone="Europe/London"),
            patient=Patient("Ada", "Okafor", email="ada@example.org", id=1),
            appointment=appt,
            provider=Provider(name="Thandi Mokoena", title="Dr", id=1),
            service=Service(name="Consultation", duration=timedelta(minutes=30), id=1),
            location=where,
        )

    overrides = {"confirmation": {"sms": text}}
    sms = render("confirmation", "sms", facts(location), overrides=overrides)
    assert sms.text == f"https://harley.example.org/ | {location.maps_url}"
    plain = render("confirmation", "sms", facts(_loc(id=2)), overrides=overrides)
    assert plain.text.strip() == "|"
