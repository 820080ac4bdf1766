"""Settings → Google over a real SQLite clinic and a memory keyring: the OAuth client and the
Places key go to the keyring only, the calendar choices to the clinic's settings, and the
all-day switch changes what the next import from the local Google Calendar blocks."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from medbookings_desktop import secrets
from medbookings_desktop.integrations import google_auth, google_places
from medbookings_desktop.integrations.google_auth import GoogleConfig
from medbookings_desktop.services import setup
from medbookings_desktop.settings import KEYRING_SERVICE, load_settings
from medbookings_desktop.storage import tables as t
from medbookings_desktop.sync.calendar_sync import OPTIONS_KEY
from medbookings_desktop.ui.settings_dialog import SettingsDialog
from medbookings_desktop.ui.settings_pages import google as page_module
from medbookings_desktop.ui.settings_pages.google import GooglePage
from medbookings_desktop.ui.tasks import TaskRunner
from tests.fakes.google_calendar_server import FakeGoogleCalendar
from tests.google.conftest import CAL_A, Sleeps, connect, desk_sync, rows
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring

WAIT = 10_000
CLIENT_ID = "1234-desk.apps.googleusercontent.example.org"
CLIENT_SECRET = "GOCSPX-test-secret-0001"
PLACES_KEY = "AIza-test-places-key-0001"


@dataclass
class Desk:
    clinic: SmallClinic
    tasks: TaskRunner
    keyring: MemoryKeyring
    db_path: Path


@pytest.fixture
def desk(sqlite_url: str, clock: Clock, monkeypatch: pytest.MonkeyPatch) -> Iterator[Desk]:
    for key in (*secrets.KNOWN, google_places.PLACES_API_KEY):
        monkeypatch.delenv(secrets.env_name(key), raising=False)
    clinic = build_small_clinic(sqlite_url, clock)
    tasks = TaskRunner()
    with memory_keyring() as store:
        yield Desk(clinic, tasks, store, Path(sqlite_url.removeprefix("sqlite:///")))
        tasks.shutdown()
    clinic.engine.dispose()


def open_page(desk: Desk, qtbot: QtBot) -> GooglePage:
    page = GooglePage(desk.clinic.ctx, desk.tasks, setup.clinic_settings(desk.clinic.ctx))
    qtbot.addWidget(page)
    with qtbot.waitSignal(page.loaded, timeout=WAIT):
        page.show()
    return page


def save(page: GooglePage, qtbot: QtBot) -> None:
    with qtbot.waitSignal(page.saved, timeout=WAIT):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)


def stored(desk: Desk, key: str) -> str | None:
    return desk.keyring.store.get((KEYRING_SERVICE, key))


def settings_rows(desk: Desk) -> dict[str, Any]:
    with desk.clinic.engine.connect() as conn:
        return {r.key: r.value for r in conn.execute(select(t.clinic_settings))}


def test_key_names_are_the_ones_the_integrations_read() -> None:
    assert secrets.GOOGLE_OAUTH_CLIENT_ID == google_auth.CLIENT_ID_KEY
    assert secrets.GOOGLE_OAUTH_CLIENT_SECRET == google_auth.CLIENT_SECRET_KEY
    assert page_module.PLACES_API_KEY == google_places.PLACES_API_KEY
    assert page_module.CLIENT_ID_ENV == "MEDBOOKINGS_GOOGLE_OAUTH_CLIENT_ID"


def test_values_are_saved_and_read_back_secrets_in_the_keyring_only(
    desk: Desk, qtbot: QtBot
) -> None:
    page = open_page(desk, qtbot)
    # off by default (DESIGN invariant 6), nothing set yet
    assert not page.names_check.isChecked() and not page.all_day_check.isChecked()
    assert page.client_id_edit.text() == ""
    assert page.secret_edit.placeholderText() == "Not set"
    assert "No key" in page.places_status.text()
    assert not page.clear_secret_button.isEnabled()
    # each setting says in a line what it does
    for help_label in (page.client_id_help, page.secret_help, page.names_help,
                       page.all_day_help, page.places_help):  # fmt: skip
        assert help_label.text()

    page.client_id_edit.setText(CLIENT_ID)
    page.secret_edit.setText(CLIENT_SECRET)
    page.names_check.setChecked(True)
    page.all_day_check.setChecked(True)
    page.places_edit.setText(PLACES_KEY)
    with qtbot.waitSignal(page.desk_changed, timeout=WAIT):
        save(page, qtbot)
    assert "Restart" in page.status.text()

    assert stored(desk, "google.oauth_client_id") == CLIENT_ID
    assert stored(desk, "google.oauth_client_secret") == CLIENT_SECRET
    assert stored(desk, "google.places_api_key") == PLACES_KEY
    values = settings_rows(desk)
    assert values[OPTIONS_KEY] == {"all_day_blocks": True}
    assert values["clinic"]["names_in_calendar"] is True
    text = repr(values)
    assert CLIENT_SECRET not in text and PLACES_KEY not in text
    desk.clinic.engine.dispose()  # the file as it is on disk
    raw = desk.db_path.read_bytes()
    assert CLIENT_SECRET.encode() not in raw and PLACES_KEY.encode() not in raw
    # the desk's sign-in now has its client without any environment variable
    config = GoogleConfig.load(None, env={})
    assert (config.client_id, config.client_secret) == (CLIENT_ID, CLIENT_SECRET)

    again = open_page(desk, qtbot)
    assert again.client_id_edit.text() == CLIENT_ID
    assert again.secret_edit.text() == ""  # never shown back
    assert again.secret_edit.placeholderText().startswith("Set")
    assert again.names_check.isChecked() and again.all_day_check.isChecked()
    assert "A key is set" in again.places_status.text()
    assert again.clear_secret_button.isEnabled() and again.clear_places_button.isEnabled()


def test_secrets_can_be_cleared_and_the_client_id_removed(desk: Desk, qtbot: QtBot) -> None:
    secrets.set_secret("google.oauth_client_id", CLIENT_ID)
    secrets.set_secret("google.oauth_client_secret", CLIENT_SECRET)
    secrets.set_secret("google.places_api_key", PLACES_KEY)
    page = open_page(desk, qtbot)
    with qtbot.waitSignal(page.desk_changed, timeout=WAIT):
        qtbot.mouseClick(page.clear_secret_button, Qt.MouseButton.LeftButton)
    assert stored(desk, "google.oauth_client_secret") is None
    assert page.secret_edit.placeholderText() == "Not set"
    with qtbot.waitSignal(page.desk_changed, timeout=WAIT):
        qtbot.mouseClick(page.clear_places_button, Qt.MouseButton.LeftButton)
    assert stored(desk, "google.places_api_key") is None
    assert "No key" in page.places_status.text()
    page.client_id_edit.clear()
    save(page, qtbot)
    assert stored(desk, "google.oauth_client_id") is None
    assert not GoogleConfig.load(None, env={}).configured


def test_a_client_id_that_is_not_one_is_refused_inline(desk: Desk, qtbot: QtBot) -> None:
    page = open_page(desk, qtbot)
    page.client_id_edit.setText("my client")
    page.secret_edit.setText(CLIENT_SECRET)
    with qtbot.waitSignal(page.refused, timeout=WAIT):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.client_id_problem.isVisible()
    assert "client id" in page.client_id_problem.text()
    assert desk.keyring.store == {}


def test_a_value_set_by_the_environment_is_shown_read_only(
    desk: Desk, qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDBOOKINGS_GOOGLE_OAUTH_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("MEDBOOKINGS_GOOGLE_PLACES_API_KEY", PLACES_KEY)
    page = open_page(desk, qtbot)
    assert page.client_id_edit.text() == CLIENT_ID and page.client_id_edit.isReadOnly()
    assert "MEDBOOKINGS_GOOGLE_OAUTH_CLIENT_ID" in page.client_id_help.text()
    assert not page.places_edit.isEnabled() and not page.clear_places_button.isEnabled()
    assert "MEDBOOKINGS_GOOGLE_PLACES_API_KEY" in page.places_status.text()
    page.names_check.setChecked(True)
    save(page, qtbot)
    assert desk.keyring.store == {}  # the environment's values are not copied anywhere


def test_without_a_keyring_only_the_calendar_choices_are_offered(desk: Desk, qtbot: QtBot) -> None:
    import keyring
    from keyring.backends.fail import Keyring as NoKeyring

    before = keyring.get_keyring()
    keyring.set_keyring(NoKeyring())
    try:
        page = open_page(desk, qtbot)
        assert page.keyring_note.isVisible() and "keyring" in page.keyring_note.text()
        assert page.client_id_edit.isReadOnly()
        assert not page.secret_edit.isEnabled() and not page.places_edit.isEnabled()
        assert page.events_box.isEnabled()
        page.all_day_check.setChecked(True)
        save(page, qtbot)
        assert settings_rows(desk)[OPTIONS_KEY] == {"all_day_blocks": True}
    finally:
        keyring.set_keyring(before)


def test_the_all_day_switch_changes_what_the_next_import_blocks(desk: Desk, qtbot: QtBot) -> None:
    clinic = desk.clinic
    fake = FakeGoogleCalendar()
    fake.start()
    try:
        assert clinic.dr_a.id is not None
        connect(clinic, fake, clinic.dr_a.id, CAL_A)
        sync = desk_sync(clinic, fake, Sleeps())
        fake.outside_insert(
            CAL_A,
            {"summary": "Leave", "start": {"date": "2026-06-02"}, "end": {"date": "2026-06-03"}},
        )
        sync.run_once()

        def blocks() -> list[tuple[datetime, datetime]]:
            return [
                (r.start_at, r.end_at)
                for r in rows(clinic, t.busy_blocks, t.busy_blocks.c.source == "google")
            ]

        assert blocks() == []  # off by default: the all-day event blocks nothing
        page = open_page(desk, qtbot)
        page.all_day_check.setChecked(True)
        save(page, qtbot)
        # the event is already known to the sync: the switch makes the next pass read it again
        sync.run_once()
        # the day in London (BST): 2 June 00:00 to 3 June 00:00
        assert blocks() == [
            (datetime(2026, 6, 1, 23, 0, tzinfo=UTC), datetime(2026, 6, 2, 23, 0, tzinfo=UTC))
        ]
        page.all_day_check.setChecked(False)
        save(page, qtbot)
        sync.run_once()
        assert blocks() == []
    finally:
        fake.stop()
    assert fake.violations == [] and fake.problems == []


def test_the_dialog_has_the_page_and_the_clinic_page_follows_its_names_choice(
    desk: Desk, qtbot: QtBot, tmp_path: Path
) -> None:
    desk_settings = load_settings(env={"MEDBOOKINGS_HOME": str(tmp_path / "home")})
    dialog = SettingsDialog(
        desk.clinic.ctx, desk.tasks, setup.clinic_settings(desk.clinic.ctx), desk_settings
    )
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.google_page.loaded, timeout=WAIT):
        dialog.show()
    dialog.show_page("Google")
    page = dialog.current_page()
    assert page is dialog.google_page
    page.names_check.setChecked(True)
    with qtbot.waitSignal(dialog.clinic_changed, timeout=WAIT):
        save(page, qtbot)
    assert dialog.clinic_page.names_check.isChecked()
    # a later save of the clinic page keeps the names choice
    dialog.show_page("Clinic")
    with qtbot.waitSignal(dialog.clinic_page.saved, timeout=WAIT):
        qtbot.mouseClick(dialog.clinic_page.save_button, Qt.MouseButton.LeftButton)
    assert setup.clinic_settings(desk.clinic.ctx).names_in_calendar is True
    # and the other way round
    dialog.clinic_page.names_check.setChecked(False)
    with qtbot.waitSignal(dialog.clinic_page.saved, timeout=WAIT):
        qtbot.mouseClick(dialog.clinic_page.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.google_page.names_check.isChecked()
