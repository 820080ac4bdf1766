"""The providers view's Google Calendar tab: the real sign-in flow (google-auth-oauthlib)
against the local OAuth fake, with a test "browser" that follows the consent URL."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from medbookings_desktop.integrations.google_auth import (
    CONNECTED,
    DISCONNECTED,
    NEEDS_RECONNECT,
    CalendarLinkStore,
    GoogleAccounts,
    GoogleConfig,
    Link,
    refresh_token_key,
)
from medbookings_desktop.services import setup
from medbookings_desktop.settings import KEYRING_SERVICE
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.repositories.attention import CREDENTIALS_REJECTED
from medbookings_desktop.storage.repositories.calendars import CalendarRepository
from medbookings_desktop.ui.providers_view import ProvidersView
from medbookings_desktop.ui.tasks import TaskRunner
from tests.fakes.google_oauth_server import (
    ACCOUNT,
    CLIENT_ID,
    CLIENT_SECRET,
    FakeBrowser,
    FakeGoogleOAuth,
)
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring

WAIT = 10_000


class Links:
    """The calendar_links table as the test reads it: `links[pid]` through the real store."""

    def __init__(self, store: CalendarLinkStore) -> None:
        self.store = store

    @property
    def links(self) -> dict[int, Link]:
        with self.store.ctx.read() as uow:
            rows = CalendarRepository(uow.conn).links()
        return {
            r.provider_id: Link(r.provider_id, r.state, r.account_email, r.calendar_id)
            for r in rows
        }


@dataclass
class Desk:
    clinic: SmallClinic
    tasks: TaskRunner
    view: ProvidersView
    accounts: GoogleAccounts
    browser: FakeBrowser
    links: Links
    keyring: MemoryKeyring
    oauth: FakeGoogleOAuth
    db_path: Path


@pytest.fixture
def oauth_fake() -> Iterator[FakeGoogleOAuth]:
    fake = FakeGoogleOAuth()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.problems == []


@pytest.fixture
def desk(
    sqlite_url: str,
    clock: Clock,
    qtbot: QtBot,
    oauth_fake: FakeGoogleOAuth,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[Desk]:
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")  # the fake speaks http on loopback
    clinic = build_small_clinic(sqlite_url, clock)
    tasks = TaskRunner()
    browser = FakeBrowser()
    store = CalendarLinkStore(clinic.ctx)
    links = Links(store)
    config = GoogleConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        auth_url=oauth_fake.auth_url,
        token_url=oauth_fake.token_url,
        revoke_url=oauth_fake.revoke_url,
        api_url=oauth_fake.url,
    )
    accounts = GoogleAccounts(config, store, opener=browser, timeout=20)
    with memory_keyring() as store:
        view = ProvidersView(clinic.ctx, tasks, setup.clinic_settings(clinic.ctx), google=accounts)
        qtbot.addWidget(view)
        view.resize(1000, 650)
        with qtbot.waitSignals([view.loaded, view.google_box.shown], timeout=WAIT):
            view.show()
        view.tabs.setCurrentIndex(view.tabs.count() - 1)
        db_path = Path(sqlite_url.removeprefix("sqlite:///"))
        yield Desk(clinic, tasks, view, accounts, browser, links, store, oauth_fake, db_path)
        view.google_box.cancel_sign_in()
        tasks.shutdown()
    clinic.engine.dispose()


def _connect(qtbot: QtBot, desk: Desk) -> None:
    box = desk.view.google_box
    with qtbot.waitSignals([box.changed, box.shown], timeout=WAIT):
        qtbot.mouseClick(box.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.dialog is None, timeout=WAIT)


def _open_reconnect_items(desk: Desk) -> list[str | None]:
    with desk.clinic.ctx.read() as uow:
        items: Any = uow
        return [i.service for i in items.attention.open_items() if i.kind == CREDENTIALS_REJECTED]


def _port_closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


def _files_hold(root: Path, secret: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_connect_keeps_the_token_in_the_keyring_only_and_shows_the_calendars(
    desk: Desk, qtbot: QtBot, tmp_path: Path
) -> None:
    box = desk.view.google_box
    pid = desk.view.selected_provider_id
    assert pid is not None
    assert box.connect_button.isVisible() and box.connect_button.isEnabled()
    assert "Not connected" in box.status.text()
    _connect(qtbot, desk)

    assert box.account.text() == ACCOUNT
    assert box.calendar_combo.count() == 4
    assert box.calendar_combo.currentData() == ACCOUNT
    assert "(primary)" in box.calendar_combo.currentText()
    assert box.disconnect_button.isVisible() and not box.connect_button.isVisible()
    assert desk.links.links == {pid: Link(pid, CONNECTED, ACCOUNT, ACCOUNT)}

    token = desk.keyring.store[(KEYRING_SERVICE, refresh_token_key(pid))]
    assert list(desk.keyring.store) == [(KEYRING_SERVICE, refresh_token_key(pid))]
    # neither the database nor any settings or log file under the test's folders holds it
    assert token.encode() not in desk.db_path.read_bytes()
    assert _files_hold(tmp_path, token) == []
    home = Path(str(Path.cwd() / ".pytest-home"))
    assert not home.exists() or _files_hold(home, token) == []

    with desk.clinic.engine.connect() as conn:
        audit = conn.execute(
            select(t.audit_log.c.action, t.audit_log.c.after).where(
                t.audit_log.c.action.like("google.%")
            )
        ).all()
    assert [(a.action, a.after["account"]) for a in audit] == [("google.connected", ACCOUNT)]

    # another calendar of the same account for this provider
    with qtbot.waitSignal(box.changed, timeout=WAIT):
        box.calendar_combo.setCurrentIndex(1)
        box.calendar_combo.activated.emit(1)
    assert desk.links.links[pid].calendar_id == box.calendar_combo.itemData(1)
    assert "Calendar saved" in box.note.text()


def test_a_read_only_calendar_cannot_be_chosen(desk: Desk, qtbot: QtBot) -> None:
    _connect(qtbot, desk)
    combo = desk.view.google_box.calendar_combo
    row = combo.findData("holidays@group.v.calendar.google.com")
    model: Any = combo.model()
    assert "read only" in combo.itemText(row)
    assert not model.item(row).isEnabled()


def test_cancel_stops_waiting_and_the_loopback_server(desk: Desk, qtbot: QtBot) -> None:
    box = desk.view.google_box
    desk.browser.follow = False  # the person never finishes in the browser
    qtbot.mouseClick(box.connect_button, Qt.MouseButton.LeftButton)
    dialog = box.dialog
    assert dialog is not None and dialog.isVisible()
    assert "Waiting for the browser" in dialog.message.text()
    qtbot.waitUntil(lambda: bool(desk.browser.opened), timeout=WAIT)
    loopback = dialog._sign_in.loopback
    assert loopback is not None
    port = loopback.port
    assert not _port_closed(port)
    with qtbot.waitSignal(box.sign_in_tasks.finished, timeout=WAIT):
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert not loopback.running
    assert _port_closed(port)
    assert box.dialog is None
    assert desk.keyring.store == {}
    assert desk.links.links == {}
    assert box.connect_button.isVisible()


def test_a_browser_that_never_comes_back_times_out(desk: Desk, qtbot: QtBot) -> None:
    box = desk.view.google_box
    desk.browser.follow = False
    desk.accounts.timeout = 0.3
    qtbot.mouseClick(box.connect_button, Qt.MouseButton.LeftButton)
    dialog = box.dialog
    assert dialog is not None
    with qtbot.waitSignal(dialog.failed, timeout=WAIT) as failed:
        pass
    assert "timed out" in str(failed.args[0])
    assert "timed out" in dialog.message.text()
    close = dialog.buttons.button(QDialogButtonBox.StandardButton.Close)
    assert close is not None and close.isVisible()
    qtbot.mouseClick(close, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: box.dialog is None, timeout=WAIT)
    assert desk.keyring.store == {}


def test_closing_the_desk_mid_sign_in_does_not_wait_for_the_browser(
    desk: Desk, qtbot: QtBot
) -> None:
    box = desk.view.google_box
    desk.browser.follow = False
    qtbot.mouseClick(box.connect_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(desk.browser.opened), timeout=WAIT)
    dialog = box.dialog
    assert dialog is not None
    loopback = dialog._sign_in.loopback
    box.cancel_sign_in()  # returns once the sign-in stopped
    assert loopback is not None and not loopback.running
    assert not box.sign_in_tasks.busy()


def test_disconnect_revokes_the_token(desk: Desk, qtbot: QtBot) -> None:
    box = desk.view.google_box
    pid = desk.view.selected_provider_id or 0
    _connect(qtbot, desk)
    token = desk.keyring.store[(KEYRING_SERVICE, refresh_token_key(pid))]
    with qtbot.waitSignals([box.changed, box.shown], timeout=WAIT):
        qtbot.mouseClick(box.disconnect_button, Qt.MouseButton.LeftButton)
    assert token in desk.oauth.state.revoked
    assert [r.path for r in desk.oauth.requests].count("/revoke") == 1
    assert desk.keyring.store == {}
    assert desk.links.links[pid].state == DISCONNECTED
    assert box.connect_button.isVisible()
    assert "revoked" in box.note.text()


def test_invalid_grant_shows_reconnect_and_reconnect_works(
    desk: Desk, qtbot: QtBot, qtmodeltester: Any
) -> None:
    box = desk.view.google_box
    pid = desk.view.selected_provider_id or 0
    _connect(qtbot, desk)
    desk.oauth.expire_refresh_tokens()  # revoked in the Google account, or expired
    with qtbot.waitSignal(box.shown, timeout=WAIT):
        box.reload()
    assert desk.links.links[pid].state == NEEDS_RECONNECT
    assert _open_reconnect_items(desk) == [f"google:{pid}"]
    assert box.reconnect_button.isVisible()
    assert not box.connect_button.isVisible()
    assert "reconnect" in box.status.text()
    assert not box.calendar_combo.isEnabled()
    # the provider is marked in the list too
    model = desk.view.model
    row = model.row_of(pid)
    assert "reconnect Google" in model.index(row).data()
    assert "sync paused" in model.index(row).data(Qt.ItemDataRole.ToolTipRole)
    qtmodeltester.check(model)

    with qtbot.waitSignals([box.changed, box.shown], timeout=WAIT):
        qtbot.mouseClick(box.reconnect_button, Qt.MouseButton.LeftButton)
    assert desk.links.links[pid].state == CONNECTED
    assert _open_reconnect_items(desk) == []  # sync for them resumes
    assert "reconnect" not in model.index(row).data()
    assert box.calendar_combo.isEnabled()
    assert not box.reconnect_button.isVisible()


def test_providers_needing_reconnect_are_marked_when_the_list_is_read(
    desk: Desk, qtbot: QtBot, qtmodeltester: Any
) -> None:
    pid = desk.clinic.dr_b.id or 0
    CalendarLinkStore(desk.clinic.ctx).save(
        Link(pid, NEEDS_RECONNECT, ACCOUNT, ACCOUNT)
    )  # e.g. the sync was refused by Google on another desk
    model = desk.view.model
    with qtbot.waitSignal(model.dataChanged, timeout=WAIT):
        desk.view.refresh()
    assert model.reconnect_ids == {pid}
    assert "reconnect Google" in model.index(model.row_of(pid)).data()
    other = desk.clinic.dr_a.id or 0
    assert "reconnect" not in model.index(model.row_of(other)).data()
    qtmodeltester.check(model)


def test_each_provider_has_their_own_link(desk: Desk, qtbot: QtBot) -> None:
    box = desk.view.google_box
    _connect(qtbot, desk)
    first = desk.view.selected_provider_id
    other = next(p.id or 0 for p in (desk.clinic.dr_a, desk.clinic.dr_b) if p.id != first)
    with qtbot.waitSignals([desk.view.loaded, box.shown], timeout=WAIT):
        desk.view.select_provider(other)
    assert box.connect_button.isVisible()
    assert (KEYRING_SERVICE, refresh_token_key(other)) not in desk.keyring.store
    with qtbot.waitSignals([desk.view.loaded, box.shown], timeout=WAIT):
        desk.view.select_provider(first or 0)
    assert box.account.text() == ACCOUNT


def test_without_a_client_id_connect_is_off(sqlite_url: str, clock: Clock, qtbot: QtBot) -> None:
    clinic = build_small_clinic(sqlite_url, clock)
    tasks = TaskRunner()
    accounts = GoogleAccounts(GoogleConfig(client_id=""), CalendarLinkStore(clinic.ctx))
    view = ProvidersView(clinic.ctx, tasks, setup.clinic_settings(clinic.ctx), google=accounts)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.show()
    assert not view.google_box.connect_button.isEnabled()
    assert "not set up" in view.google_box.status.text()
    tasks.shutdown()
    clinic.engine.dispose()


def test_the_last_sync_is_shown_in_the_clinic_zone(desk: Desk, qtbot: QtBot) -> None:
    box = desk.view.google_box
    pid = desk.view.selected_provider_id or 0
    _connect(qtbot, desk)
    assert box.last_sync.text() == "not yet"
    with desk.clinic.ctx.write() as uow:
        work: Any = uow
        repo = CalendarRepository(work.conn)
        repo.record_sync(pid, datetime(2026, 6, 3, 8, 5, tzinfo=UTC))
        repo.record_error(
            pid, "Google is busy; trying again.", datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
        )
        uow.commit()
    with qtbot.waitSignal(box.shown, timeout=WAIT):
        box.reload()
    text = box.last_sync.text()
    assert "09:05" in text  # 08:05 UTC is 09:05 in London in June
    assert "Europe/London" in text
    assert "Google is busy" in text
