"""Provider links in calendar_links through GoogleAccounts, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from medbookings_desktop.integrations.google_auth import (
    CONNECTED,
    DISCONNECTED,
    NEEDS_RECONNECT,
    CalendarLinkStore,
    GoogleAccounts,
    GoogleConfig,
    Link,
    SignInResult,
    stored_refresh_token,
)
from medbookings_desktop.storage.repositories.attention import CREDENTIALS_REJECTED
from tests.fakes.google_oauth_server import ACCOUNT, FakeBrowser, FakeGoogleOAuth
from tests.helpers.clinic import SmallClinic
from tests.helpers.memory_keyring import MemoryKeyring


def _open_items(clinic: SmallClinic) -> list[tuple[str, str | None]]:
    with clinic.ctx.read() as uow:
        items: Any = uow
        return [(i.kind, i.service) for i in items.attention.open_items()]


def test_connect_reconnect_and_disconnect_are_kept(
    clinic: SmallClinic,
    google_config: GoogleConfig,
    oauth_fake: FakeGoogleOAuth,
    keyring_store: MemoryKeyring,
) -> None:
    store = CalendarLinkStore(clinic.ctx)
    accounts = GoogleAccounts(google_config, store, opener=FakeBrowser(), timeout=20)
    pid = clinic.dr_a.id or 0
    assert accounts.view(pid).link == Link(pid, DISCONNECTED)

    result = accounts.sign_in(pid).run()
    assert accounts.connected(result).link == Link(pid, CONNECTED, ACCOUNT, ACCOUNT)
    other = result.calendars[1].id
    accounts.choose_calendar(pid, other)
    view = accounts.view(pid)
    assert view.link == Link(pid, CONNECTED, ACCOUNT, other)
    assert len(view.calendars) == 4

    oauth_fake.expire_refresh_tokens()
    assert accounts.view(pid).link.state == NEEDS_RECONNECT
    assert store.read(pid) == Link(pid, NEEDS_RECONNECT, ACCOUNT, other)
    assert _open_items(clinic) == [(CREDENTIALS_REJECTED, f"google:{pid}")]
    accounts.view(pid)  # seen again: still one item
    assert len(_open_items(clinic)) == 1

    # reconnecting keeps the calendar chosen before and resolves the item
    again = accounts.sign_in(pid).run()
    assert accounts.connected(again).link == Link(pid, CONNECTED, ACCOUNT, other)
    assert _open_items(clinic) == []

    assert accounts.disconnect(pid) is True
    assert store.read(pid) == Link(pid, DISCONNECTED, ACCOUNT, other)
    assert stored_refresh_token(pid) is None


def test_a_connect_for_a_calendar_gone_from_the_account_takes_the_primary(
    clinic: SmallClinic, keyring_store: MemoryKeyring
) -> None:
    store = CalendarLinkStore(clinic.ctx)
    pid = clinic.dr_b.id or 0
    store.save(Link(pid, DISCONNECTED, "old@example.org", "gone@group.calendar.google.com"))
    accounts = GoogleAccounts(GoogleConfig(client_id="x"), store)
    view = accounts.connected(SignInResult(pid, ACCOUNT, ()))
    assert view.link == Link(pid, CONNECTED, ACCOUNT, ACCOUNT)
