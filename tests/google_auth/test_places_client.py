"""The Places client against the local Places fake: autocomplete, details, errors, offline."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from medbookings_desktop.integrations.google_places import (
    DETAILS_FIELD_MASK,
    PLACES_API_KEY,
    PlacesClient,
    PlacesError,
    PlacesOffline,
    new_session_token,
)
from medbookings_desktop.secrets import set_secret
from tests.fakes.google_places_server import API_KEY, FakePlaces
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring


@pytest.fixture
def places() -> Iterator[FakePlaces]:
    fake = FakePlaces()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def keyring_store() -> Iterator[MemoryKeyring]:
    with memory_keyring() as store:
        yield store


def test_one_session_token_across_autocomplete_and_details(
    places: FakePlaces, keyring_store: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MEDBOOKINGS_GOOGLE_PLACES_API_KEY", raising=False)
    set_secret(PLACES_API_KEY, API_KEY)
    client = PlacesClient(base_url=places.url)
    assert client.enabled
    token = new_session_token()
    assert client.autocomplete("Har", token)
    found = client.autocomplete("Harley", token)
    assert [s.place_id for s in found] == ["ChIJ-harley-street-clinic"]
    assert found[0].main_text == "Harley Street Practice"
    place = client.details(found[0].place_id, token)
    assert places.sessions[token] == [
        "autocomplete:Har",
        "autocomplete:Harley",
        "details:ChIJ-harley-street-clinic",
    ]
    assert places.field_masks == [DETAILS_FIELD_MASK]
    assert place.name == "Harley Street Practice"
    assert place.address_line1 == "10 Harley Street"
    assert place.city == "London"
    assert place.region == "Greater London"
    assert place.postal_code == "W1G 9PF"
    assert place.country == "GB"
    assert place.phone == "020 7946 0123"
    assert place.website == "https://harley.example.org/"
    assert (place.latitude, place.longitude) == (51.5186, -0.1477)
    assert place.opening_hours[0].startswith("Monday")
    assert place.place_id == "ChIJ-harley-street-clinic"


def test_the_base_url_comes_from_the_environment(
    places: FakePlaces, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDBOOKINGS_GOOGLE_PLACES_URL", places.url)
    client = PlacesClient(api_key=API_KEY)
    assert client.autocomplete("Mare", new_session_token())[0].place_id == (
        "ChIJ-hackney-health-centre"
    )


def test_no_key_is_offline(keyring_store: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MEDBOOKINGS_GOOGLE_PLACES_API_KEY", raising=False)
    client = PlacesClient(base_url="http://127.0.0.1:9/")
    assert not client.enabled
    with pytest.raises(PlacesOffline):
        client.autocomplete("Harley", new_session_token())


def test_no_network_is_offline() -> None:
    fake = FakePlaces().start()
    url = fake.url
    fake.stop()
    client = PlacesClient(api_key=API_KEY, base_url=url, timeout=2)
    with pytest.raises(PlacesOffline, match="not reachable"):
        client.autocomplete("Harley", new_session_token())


def test_errors_are_mapped(places: FakePlaces) -> None:
    bad = PlacesClient(api_key="wrong", base_url=places.url)
    with pytest.raises(PlacesError, match="refused") as info:
        bad.autocomplete("Harley", new_session_token())
    assert info.value.status == 403
    client = PlacesClient(api_key=API_KEY, base_url=places.url)
    places.fail_next(429)
    with pytest.raises(PlacesError, match="busy"):
        client.autocomplete("Harley", new_session_token())
    with pytest.raises(PlacesError) as info:
        client.details("ChIJ-nowhere", new_session_token())
    assert info.value.status == 404


def test_a_hanging_server_times_out(places: FakePlaces) -> None:
    client = PlacesClient(api_key=API_KEY, base_url=places.url, timeout=0.3)
    places.hang_next(seconds=5)
    with pytest.raises(PlacesOffline, match="timed out"):
        client.autocomplete("Harley", new_session_token())
