"""The locations page keeps what the address lookup finds: type, pick a suggestion, save, and
the stored location has the place id, coordinates, phone, website and opening hours; the
page shows them (hours read-only, "from Google"; an "Open in Maps" link) and a location
typed by hand, offline, saves without any of them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from medbookings_desktop.domain.clinic import Location
from medbookings_desktop.integrations.google_places import (
    DETAILS_FIELD_MASK,
    DETAILS_FIELDS,
    PlaceDetails,
    PlacesClient,
    details_from_json,
)
from medbookings_desktop.services import clinic_admin, setup
from medbookings_desktop.ui.settings_pages.locations import LocationsPage
from medbookings_desktop.ui.tasks import TaskRunner
from tests.fakes.google_places_server import API_KEY, KNOWN_FIELDS, PLACES, FakePlaces
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

HARLEY = "ChIJ-harley-street-clinic"


@dataclass
class Opened:
    page: LocationsPage
    tasks: TaskRunner
    clinic: SmallClinic


@pytest.fixture
def clinic(sqlite_url: str, clock: Clock) -> Iterator[SmallClinic]:
    small = build_small_clinic(sqlite_url, clock)
    yield small
    small.engine.dispose()


@pytest.fixture
def places() -> Iterator[FakePlaces]:
    fake = FakePlaces()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def _open(qtbot: QtBot, clinic: SmallClinic, client: PlacesClient | None) -> Iterator[Opened]:
    tasks = TaskRunner()
    page = LocationsPage(clinic.ctx, tasks, setup.clinic_settings(clinic.ctx), places=client)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: not tasks.busy())
    yield Opened(page, tasks, clinic)
    tasks.shutdown()


@pytest.fixture
def online(qtbot: QtBot, clinic: SmallClinic, places: FakePlaces) -> Iterator[Opened]:
    client = PlacesClient(api_key=API_KEY, base_url=places.url, timeout=5)
    yield from _open(qtbot, clinic, client)
    client.close()


@pytest.fixture
def offline(qtbot: QtBot, clinic: SmallClinic) -> Iterator[Opened]:
    yield from _open(qtbot, clinic, None)


def _stored(opened: Opened, name: str) -> Location:
    return {loc.name: loc for loc in clinic_admin.locations(opened.clinic.ctx)}[name]


def _save(opened: Opened, qtbot: QtBot) -> None:
    page = opened.page
    with qtbot.waitSignals([page.saved, page.loaded]):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)


def _pick_harley(opened: Opened, qtbot: QtBot, qtlog: Any) -> None:
    picker = opened.page.places
    qtbot.waitUntil(lambda: picker.enabled)
    # the popup makes the offscreen platform complain it cannot raise a window: not ours
    with qtlog.disabled(), qtbot.waitSignal(picker.suggestions_shown) as shown:
        qtbot.keyClicks(picker.edit, "Harley")
    assert shown.args == [1]
    with qtbot.waitSignal(picker.picked):
        qtbot.keyClick(picker.popup, Qt.Key.Key_Down)
        qtbot.keyClick(picker.popup, Qt.Key.Key_Return)


def test_type_pick_save_stores_every_place_detail(
    online: Opened, places: FakePlaces, qtbot: QtBot, qtlog: Any, qtmodeltester: Any
) -> None:
    page = online.page
    page.new_location()
    _pick_harley(online, qtbot, qtlog)

    # the details call asked exactly the fields the form uses, and the fake knows them all
    assert places.field_masks == [DETAILS_FIELD_MASK]
    assert set(DETAILS_FIELDS) <= KNOWN_FIELDS

    # the form: editable phone and website, read-only hours "from Google", a Maps link
    assert page.name_edit.text() == "Harley Street Practice"
    assert page.phone_edit.text() == "020 7946 0123"
    assert page.website_edit.text() == "https://harley.example.org/"
    assert not page.website_edit.isReadOnly() and not page.phone_edit.isReadOnly()
    assert page.hours_label.isVisible()
    assert page.hours_label.text().splitlines()[0] == "Monday: 8:00 AM – 6:00 PM"
    assert "from Google" in page.hours_caption.text()
    assert page.place_label.isVisible()
    assert "10 Harley St, London W1G 9PF, UK" in page.place_label.text()  # formatted address
    assert "51.51860" in page.place_label.text()
    assert page.maps_link.isVisible()
    link = urlsplit(page.maps_url())
    assert parse_qs(link.query)["query_place_id"] == [HARLEY]
    assert page.maps_url().replace("&", "&amp;") in page.maps_link.text()

    _save(online, qtbot)
    qtmodeltester.check(page.model)
    saved = _stored(online, "Harley Street Practice")
    assert saved.place_id == HARLEY
    assert saved.coordinates == pytest.approx((51.5186, -0.1477))
    assert saved.phone == "020 7946 0123"
    assert saved.website == "https://harley.example.org/"
    assert saved.opening_hours == tuple(
        PLACES[HARLEY]["regularOpeningHours"]["weekdayDescriptions"]
    )
    assert saved.address == "10 Harley Street, London, Greater London, W1G 9PF, GB"
    assert saved.maps_url == page.maps_url()


def test_a_saved_place_shows_again_and_edits_keep_it(
    online: Opened, qtbot: QtBot, qtlog: Any
) -> None:
    page = online.page
    page.new_location()
    _pick_harley(online, qtbot, qtlog)
    _save(online, qtbot)
    saved = _stored(online, "Harley Street Practice")

    # another location, then back: the stored details come back into the form
    page.new_location()
    assert not page.hours_label.isVisible() and not page.maps_link.isVisible()
    row = page.model.row_of(saved.id)
    page.list_view.setCurrentIndex(page.model.index(row))
    assert page.hours_label.isVisible()
    assert "Saturday: Closed" in page.hours_label.text()
    assert page.maps_link.isVisible()
    assert page.website_edit.text() == "https://harley.example.org/"

    # the phone and website are the desk's to change; the Google data stays
    page.phone_edit.setText("020 7946 0999")
    page.website_edit.setText("harley-new.example.org")  # no scheme typed: https is meant
    _save(online, qtbot)
    changed = _stored(online, "Harley Street Practice")
    assert (changed.phone, changed.website) == ("020 7946 0999", "https://harley-new.example.org")
    assert changed.place_id == HARLEY and changed.opening_hours == saved.opening_hours

    # forgetting the place keeps the address as typed, without Google's data
    qtbot.mouseClick(page.forget_button, Qt.MouseButton.LeftButton)
    assert not page.hours_label.isVisible() and not page.maps_link.isVisible()
    _save(online, qtbot)
    forgot = _stored(online, "Harley Street Practice")
    assert (forgot.place_id, forgot.coordinates, forgot.opening_hours) == ("", None, ())
    assert forgot.address == saved.address and forgot.website == changed.website


def test_a_place_without_hours_or_website_leaves_those_empty(
    online: Opened, qtbot: QtBot, qtlog: Any
) -> None:
    page, picker = online.page, online.page.places
    page.new_location()
    page.website_edit.setText("https://typed.example.org/")
    with qtlog.disabled(), qtbot.waitSignal(picker.suggestions_shown):
        qtbot.keyClicks(picker.edit, "Mare St")
    with qtbot.waitSignal(picker.picked):
        picker.pick("ChIJ-hackney-health-centre")
    assert not page.hours_label.isVisible()
    assert page.maps_link.isVisible()
    assert page.website_edit.text() == "https://typed.example.org/"  # Google had none
    _save(online, qtbot)
    saved = _stored(online, "Hackney Health Centre")
    assert saved.place_id == "ChIJ-hackney-health-centre"
    assert saved.opening_hours == () and saved.coordinates == pytest.approx((51.545, -0.0553))


def test_offline_plain_fields_save_without_google_data(offline: Opened, qtbot: QtBot) -> None:
    page = offline.page
    assert not page.places.enabled
    page.new_location()
    assert not page.hours_label.isVisible() and not page.maps_link.isVisible()
    page.name_edit.setText("Hillside")
    page.address_edits["address_line1"].setText("2 Hill Road")
    page.address_edits["city"].setText("Leeds")
    page.phone_edit.setText("0113 496 0000")
    page.website_edit.setText("https://hillside.example.org/")
    _save(offline, qtbot)
    saved = _stored(offline, "Hillside")
    assert saved.phone == "0113 496 0000"
    assert saved.website == "https://hillside.example.org/"
    assert (saved.place_id, saved.coordinates, saved.opening_hours) == ("", None, ())
    assert saved.maps_url == ""


@pytest.mark.parametrize(
    ("field", "typed", "words"),
    [
        ("phone", "12", "not a valid phone number (read as GB)"),
        ("website", "ftp://files.example.org/", "web address"),
    ],
)
def test_a_bad_phone_or_website_is_refused_next_to_it(
    offline: Opened, qtbot: QtBot, field: str, typed: str, words: str
) -> None:
    page = offline.page
    page.new_location()
    page.name_edit.setText("Hillside")
    edit = page.phone_edit if field == "phone" else page.website_edit
    edit.setText(typed)
    with qtbot.waitSignal(page.refused) as refused:
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert words in str(refused.args[0])
    assert page.problems[field].isVisible()
    assert words in page.problems[field].text()
    assert page.save_button.isEnabled()
    assert "Hillside" not in {loc.name for loc in clinic_admin.locations(offline.clinic.ctx)}


def test_a_place_abroad_gets_its_phone_with_the_country_code() -> None:
    data = {
        "id": "ChIJ-hudson",
        "displayName": {"text": "Hudson"},
        "addressComponents": [{"longText": "US", "shortText": "US", "types": ["country"]}],
        "nationalPhoneNumber": "(212) 555-0100",
        "internationalPhoneNumber": "+1 212-555-0100",
        "location": {"latitude": 40.7, "longitude": -74.0},
    }
    place = details_from_json(data)
    assert place.phone_for("GB") == "+1 212-555-0100"
    assert place.phone_for("US") == "(212) 555-0100"
    assert PlaceDetails(place_id="x", phone="020 7946 0123").phone_for("US") == "020 7946 0123"


def test_every_alt_key_on_the_page_is_used_once(offline: Opened) -> None:
    import re

    from PySide6.QtWidgets import QAbstractButton, QLabel

    page = offline.page
    texts = [w.text() for w in page.findChildren(QLabel) if w.buddy() is not None]
    texts += [w.text() for w in page.findChildren(QAbstractButton)]
    keys = [m.group(1).lower() for t in texts if (m := re.search(r"&(\w)", t))]
    assert len(keys) == len(set(keys)), sorted(keys)
    assert "b" in keys and "g" in keys  # website, forget the Google place
