"""Fixtures for the Google sign-in tests: the local OAuth fake, a memory keyring, a config."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from medbookings_desktop.integrations.google_auth import GoogleConfig
from tests.fakes.google_oauth_server import CLIENT_ID, CLIENT_SECRET, FakeGoogleOAuth
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring


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
def keyring_store() -> Iterator[MemoryKeyring]:
    with memory_keyring() as store:
        yield store


@pytest.fixture
def google_config(oauth_fake: FakeGoogleOAuth, monkeypatch: pytest.MonkeyPatch) -> GoogleConfig:
    # the fake speaks plain http on 127.0.0.1; oauthlib's own switch lets it
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")
    return GoogleConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        auth_url=oauth_fake.auth_url,
        token_url=oauth_fake.token_url,
        revoke_url=oauth_fake.revoke_url,
        api_url=oauth_fake.url,
    )
