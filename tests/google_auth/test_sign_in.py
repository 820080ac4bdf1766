"""Sign-in with the real google-auth-oauthlib against the local OAuth fake."""

from __future__ import annotations

import socket
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from medbookings_desktop.integrations import google_auth
from medbookings_desktop.integrations.google_auth import (
    SCOPES,
    GoogleAuthError,
    GoogleConfig,
    NeedsReconnect,
    SignIn,
    SignInCancelled,
    SignInTimedOut,
    account_calendars,
    disconnect,
    refresh,
    refresh_token_key,
)
from medbookings_desktop.settings import KEYRING_SERVICE
from tests.fakes.google_oauth_server import ACCOUNT, FakeBrowser, FakeGoogleOAuth
from tests.helpers.memory_keyring import MemoryKeyring


def _port_closed(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex(("127.0.0.1", port)) != 0


def test_sign_in_keeps_only_the_refresh_token_in_the_keyring(
    google_config: GoogleConfig,
    oauth_fake: FakeGoogleOAuth,
    keyring_store: MemoryKeyring,
    tmp_path: Path,
) -> None:
    browser = FakeBrowser()
    result = SignIn(google_config, 7, opener=browser, timeout=20).run()
    browser.join()
    assert browser.final_status == 200
    assert "close this tab" in browser.final_text

    query = parse_qs(urlsplit(browser.opened[0]).query)
    assert set(query["scope"][0].split()) == set(SCOPES)
    assert query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"][0].startswith("http://127.0.0.1:")
    assert query["access_type"] == ["offline"]

    assert list(keyring_store.store) == [(KEYRING_SERVICE, "google.refresh_token.7")]
    token = keyring_store.store[(KEYRING_SERVICE, refresh_token_key(7))]
    assert token in oauth_fake.state.refresh_tokens
    assert not any(a in keyring_store.store.values() for a in oauth_fake.state.access_tokens)

    assert result.account_email == ACCOUNT
    assert result.calendars[0].summary == ACCOUNT
    assert len(result.calendars) == 4  # two pages
    assert [c.writable for c in result.calendars].count(False) == 1
    port = int(urlsplit(query["redirect_uri"][0]).port or 0)
    assert _port_closed(port)


def test_calendars_later_come_from_the_stored_token(
    google_config: GoogleConfig, oauth_fake: FakeGoogleOAuth, keyring_store: MemoryKeyring
) -> None:
    SignIn(google_config, 3, opener=FakeBrowser(), timeout=20).run()
    oauth_fake.expire_access_tokens()
    calendars = account_calendars(google_config, 3)
    assert calendars[0].primary and calendars[0].id == ACCOUNT


def test_cancel_stops_the_loopback_server(
    google_config: GoogleConfig, keyring_store: MemoryKeyring
) -> None:
    browser = FakeBrowser(follow=False)
    sign_in = SignIn(google_config, 1, opener=browser, timeout=60)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            sign_in.run()
        except BaseException as exc:
            errors.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    for _ in range(200):
        if browser.opened:
            break
        threading.Event().wait(0.02)
    assert sign_in.loopback is not None
    port = sign_in.loopback.port
    assert not _port_closed(port)
    sign_in.cancel()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert isinstance(errors[0], SignInCancelled)
    assert _port_closed(port)
    assert keyring_store.store == {}


def test_a_browser_that_never_comes_back_times_out(
    google_config: GoogleConfig, keyring_store: MemoryKeyring
) -> None:
    sign_in = SignIn(google_config, 1, opener=FakeBrowser(follow=False), timeout=0.3)
    with pytest.raises(SignInTimedOut, match="timed out"):
        sign_in.run()
    assert sign_in.loopback is not None and not sign_in.loopback.running
    assert keyring_store.store == {}


def test_access_denied_in_the_browser(
    google_config: GoogleConfig, oauth_fake: FakeGoogleOAuth, keyring_store: MemoryKeyring
) -> None:
    oauth_fake.deny_next = True
    with pytest.raises(GoogleAuthError, match="not granted"):
        SignIn(google_config, 1, opener=FakeBrowser(), timeout=20).run()
    assert keyring_store.store == {}


def test_no_client_id_says_so(keyring_store: MemoryKeyring) -> None:
    with pytest.raises(GoogleAuthError, match="client id"):
        SignIn(GoogleConfig(client_id=""), 1, opener=FakeBrowser()).run()


def test_disconnect_revokes_and_forgets(
    google_config: GoogleConfig, oauth_fake: FakeGoogleOAuth, keyring_store: MemoryKeyring
) -> None:
    SignIn(google_config, 5, opener=FakeBrowser(), timeout=20).run()
    token = keyring_store.store[(KEYRING_SERVICE, refresh_token_key(5))]
    assert disconnect(google_config, 5) is True
    assert token in oauth_fake.state.revoked
    assert keyring_store.store == {}
    revokes = [r for r in oauth_fake.requests if r.path == "/revoke"]
    assert len(revokes) == 1 and parse_qs(revokes[0].body.decode())["token"] == [token]


def test_disconnect_without_google_still_forgets(
    google_config: GoogleConfig, oauth_fake: FakeGoogleOAuth, keyring_store: MemoryKeyring
) -> None:
    SignIn(google_config, 5, opener=FakeBrowser(), timeout=20).run()
    offline = GoogleConfig(
        client_id=google_config.client_id, revoke_url="http://127.0.0.1:9/revoke"
    )
    assert disconnect(offline, 5) is False
    assert keyring_store.store == {}


def test_invalid_grant_needs_reconnect(
    google_config: GoogleConfig, oauth_fake: FakeGoogleOAuth, keyring_store: MemoryKeyring
) -> None:
    SignIn(google_config, 2, opener=FakeBrowser(), timeout=20).run()
    creds = google_auth.credentials_for(google_config, 2)
    refresh(creds)
    assert creds.token in oauth_fake.state.access_tokens
    oauth_fake.expire_refresh_tokens()
    with pytest.raises(NeedsReconnect):
        refresh(google_auth.credentials_for(google_config, 2))
    with pytest.raises(NeedsReconnect):
        account_calendars(google_config, 2)


def test_no_stored_token_needs_reconnect(
    google_config: GoogleConfig, keyring_store: MemoryKeyring
) -> None:
    with pytest.raises(NeedsReconnect):
        account_calendars(google_config, 99)


def test_config_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "MEDBOOKINGS_GOOGLE_OAUTH_CLIENT_ID": "cid.example.org",
        "MEDBOOKINGS_GOOGLE_OAUTH_AUTH_URL": "http://127.0.0.1:1/auth",
        "MEDBOOKINGS_GOOGLE_OAUTH_TOKEN_URL": "http://127.0.0.1:1/token",
        "MEDBOOKINGS_GOOGLE_OAUTH_REVOKE_URL": "http://127.0.0.1:1/revoke",
        "MEDBOOKINGS_GOOGLE_API_URL": "http://127.0.0.1:1/",
        "MEDBOOKINGS_GOOGLE_OAUTH_CLIENT_SECRET": "s3",
    }
    config = GoogleConfig.load(None, env)
    assert config.client_id == "cid.example.org"
    assert config.client_secret == "s3"
    assert config.revoke_url.endswith("/revoke")
    assert config.calendar_endpoint == "http://127.0.0.1:1/calendar/v3/"
    assert "s3" not in repr(config)


def test_a_scope_left_unticked_is_refused(
    google_config: GoogleConfig, oauth_fake: FakeGoogleOAuth, keyring_store: MemoryKeyring
) -> None:
    oauth_fake.granted_scope = "https://www.googleapis.com/auth/calendar.events"
    with pytest.raises(GoogleAuthError, match="tick every box"):
        SignIn(google_config, 1, opener=FakeBrowser(), timeout=20).run()
    assert keyring_store.store == {}


def test_more_scopes_granted_than_asked_is_fine(
    google_config: GoogleConfig, oauth_fake: FakeGoogleOAuth, keyring_store: MemoryKeyring
) -> None:
    oauth_fake.granted_scope = " ".join([*SCOPES, "https://www.googleapis.com/auth/calendar"])
    result = SignIn(google_config, 1, opener=FakeBrowser(), timeout=20).run()
    assert result.account_email == ACCOUNT
    assert keyring_store.store[(KEYRING_SERVICE, refresh_token_key(1))]
