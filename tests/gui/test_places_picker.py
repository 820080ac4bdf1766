"""The address lookup on the locations page, against the local Places fake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from medbookings_desktop.integrations.google_places import PLACES_API_KEY, PlacesClient
from medbookings_desktop.secrets import set_secret
from medbookings_desktop.services import clinic_admin, setup
from medbookings_desktop.settings import KEYRING_SERVICE
from medbookings_desktop.ui.settings_pages.locations import LocationsPage
from medbookings_desktop.ui.tasks import TaskRunner
from tests.fakes.google_places_server import API_KEY, FakePlaces
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring

# Opening the suggestion popup makes the offscreen platform say it cannot raise a window or
# grab the keyboard; nothing our code can change. Those steps run under `qtlog.disabled()`
# (tests/gui/conftest.py could list these two notices beside OFFSCREEN_NOISE instead).


@dataclass
class Page:
    page: LocationsPage
    tasks: TaskRunner
    clinic: SmallClinic


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


@pytest.fixture
def clinic(sqlite_url: str, clock: Clock) -> Iterator[SmallClinic]:
    small = build_small_clinic(sqlite_url, clock)
    yield small
    small.engine.dispose()


def _page(qtbot: QtBot, clinic: SmallClinic, places: PlacesClient | str | None) -> Iterator[Page]:
    tasks = TaskRunner()
    page = LocationsPage(
        clinic.ctx,
        tasks,
        setup.clinic_settings(clinic.ctx),
        places=places,  # type: ignore[arg-type]
    )
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: not tasks.busy())
    yield Page(page, tasks, clinic)
    tasks.shutdown()


@pytest.fixture
def online(
    qtbot: QtBot,
    clinic: SmallClinic,
    places: FakePlaces,
    keyring_store: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Page]:
    # the desk's own way: the key in the keyring, the endpoint by environment variable
    monkeypatch.delenv("MEDBOOKINGS_GOOGLE_PLACES_API_KEY", raising=False)
    monkeypatch.setenv("MEDBOOKINGS_GOOGLE_PLACES_URL", places.url)
    set_secret(PLACES_API_KEY, API_KEY)
    yield from _page(qtbot, clinic, "auto")


def test_typing_suggests_after_a_pause_and_picking_fills_the_form(
    online: Page, places: FakePlaces, qtbot: QtBot, qtlog: Any
) -> None:
    page, picker = online.page, online.page.places
    assert picker.enabled and picker.edit.isVisible()
    assert not picker.note.isVisible()
    page.new_location()
    with qtlog.disabled(), qtbot.waitSignal(picker.suggestions_shown) as shown:
        qtbot.keyClicks(picker.edit, "Harley")
    assert shown.args == [1]
    # one request for the whole word: the debounce waited for the typing to pause
    assert places.autocomplete_inputs == ["Harley"]
    assert picker.popup.isVisible()
    assert picker.model.rowCount() == 1
    assert "Harley Street Practice" in picker.model.item(0).text()

    token = picker.session_token
    assert token is not None
    with qtbot.waitSignal(picker.picked):
        qtbot.keyClick(picker.popup, Qt.Key.Key_Down)
        qtbot.keyClick(picker.popup, Qt.Key.Key_Return)

    # one session token across the suggestions and the details that ended the session
    assert dict(places.sessions) == {
        token: ["autocomplete:Harley", "details:ChIJ-harley-street-clinic"]
    }
    assert picker.session_token is None
    assert page.name_edit.text() == "Harley Street Practice"
    edits = page.address_edits
    assert edits["address_line1"].text() == "10 Harley Street"
    assert edits["city"].text() == "London"
    assert edits["region"].text() == "Greater London"
    assert edits["postal_code"].text() == "W1G 9PF"
    assert edits["country"].text() == "GB"
    assert page.phone_edit.text() == "020 7946 0123"
    assert page.picked_place is not None
    assert page.picked_place.place_id == "ChIJ-harley-street-clinic"
    assert page.place_label.isVisible()
    assert "51.51860" in page.place_label.text()
    assert page.website_edit.text() == "https://harley.example.org/"
    assert "Monday" in page.hours_label.text()

    with qtbot.waitSignals([page.saved, page.loaded]):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    saved = {loc.name: loc for loc in clinic_admin.locations(online.clinic.ctx)}
    assert saved["Harley Street Practice"].address == (
        "10 Harley Street, London, Greater London, W1G 9PF, GB"
    )

    # the next pick starts a new session
    with qtlog.disabled(), qtbot.waitSignal(picker.suggestions_shown):
        picker.edit.selectAll()
        qtbot.keyClicks(picker.edit, "Mare")
    assert picker.session_token not in (None, token)


def test_a_late_answer_to_older_typing_is_dropped(
    online: Page, places: FakePlaces, qtbot: QtBot, qtlog: Any
) -> None:
    picker = online.page.places
    gate = places.hold("Hackney")
    qtbot.keyClicks(picker.edit, "Hackney")
    qtbot.waitUntil(lambda: places.waiting == ["Hackney"])  # asked, and held back
    with qtlog.disabled(), qtbot.waitSignal(picker.suggestions_shown):
        picker.edit.selectAll()
        qtbot.keyClicks(picker.edit, "Harley")
    assert "Harley" in picker.model.item(0).text()
    shown: list[int] = []
    picker.suggestions_shown.connect(shown.append)
    gate.set()
    qtbot.waitUntil(lambda: not online.tasks.busy())
    assert shown == []
    assert picker.model.rowCount() == 1
    assert "Harley" in picker.model.item(0).text()
    assert places.autocomplete_inputs == ["Harley", "Hackney"]  # Hackney answered last


def test_without_a_key_the_address_fields_are_plain(
    qtbot: QtBot,
    clinic: SmallClinic,
    keyring_store: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MEDBOOKINGS_GOOGLE_PLACES_API_KEY", raising=False)
    for opened in _page(qtbot, clinic, "auto"):
        picker = opened.page.places
        assert not picker.enabled
        assert not picker.edit.isVisible()
        assert picker.note.isVisible()
        assert "lookup is off" in picker.note.text()
        assert "no Google Places API key" in picker.note.text()
        assert opened.page.address_edits["address_line1"].isEnabled()


def test_no_lookup_at_all(qtbot: QtBot, clinic: SmallClinic) -> None:
    for opened in _page(qtbot, clinic, None):
        assert not opened.page.places.enabled
        assert "lookup is off" in opened.page.places.note.text()


def test_no_network_turns_lookup_off_and_says_so(
    qtbot: QtBot, clinic: SmallClinic, keyring_store: MemoryKeyring
) -> None:
    gone = FakePlaces().start()
    url = gone.url
    gone.stop()
    client = PlacesClient(api_key=API_KEY, base_url=url, timeout=2)
    for opened in _page(qtbot, clinic, client):
        picker = opened.page.places
        assert picker.enabled
        with qtbot.waitSignal(picker.failed) as failed:
            qtbot.keyClicks(picker.edit, "Harley")
        assert "not reachable" in str(failed.args[0])
        assert not picker.enabled
        assert "lookup is off" in picker.note.text()
        # the plain fields still work
        opened.page.name_edit.setText("Hillside")
        opened.page.address_edits["city"].setText("Leeds")
        with qtbot.waitSignals([opened.page.saved, opened.page.loaded]):
            qtbot.mouseClick(opened.page.save_button, Qt.MouseButton.LeftButton)
    client.close()


def test_entering_a_key_turns_lookup_on_and_keeps_the_key_in_the_keyring(
    qtbot: QtBot,
    clinic: SmallClinic,
    places: FakePlaces,
    keyring_store: MemoryKeyring,
    monkeypatch: pytest.MonkeyPatch,
    qtlog: Any,
) -> None:
    monkeypatch.delenv("MEDBOOKINGS_GOOGLE_PLACES_API_KEY", raising=False)
    monkeypatch.setenv("MEDBOOKINGS_GOOGLE_PLACES_URL", places.url)
    for opened in _page(qtbot, clinic, "auto"):
        picker = opened.page.places
        assert not picker.enabled and picker.key_button.isVisible()
        qtbot.mouseClick(picker.key_button, Qt.MouseButton.LeftButton)
        dialog = picker.key_dialog
        assert dialog is not None and dialog.isVisible()
        dialog.setTextValue(API_KEY)
        with qtbot.waitSignal(picker.state_changed, timeout=5000) as changed:
            dialog.accept()
        assert changed.args == [True]
        assert picker.edit.isVisible() and not picker.key_button.isVisible()
        assert keyring_store.store == {(KEYRING_SERVICE, PLACES_API_KEY): API_KEY}
        with qtlog.disabled(), qtbot.waitSignal(picker.suggestions_shown) as shown:
            qtbot.keyClicks(picker.edit, "Mare")
        assert shown.args == [1]
