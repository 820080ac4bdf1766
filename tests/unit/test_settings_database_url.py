"""This desk's database URL: the password goes to the OS keyring, never to settings.toml."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail

from medbookings_desktop.settings import (
    DATABASE_PASSWORD_KEY,
    KEYRING_SERVICE,
    SettingsError,
    database_url_with_password,
    load_settings,
    save_database_url,
    save_settings,
    split_database_password,
)
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring

PG = "postgresql+psycopg://desk:s3cr%40t@db.example.org:5433/clinic"
BARE = "postgresql+psycopg://desk@db.example.org:5433/clinic"


@pytest.fixture
def store() -> Iterator[MemoryKeyring]:
    with memory_keyring() as backend:
        yield backend


def test_split_takes_the_password_out_decoded() -> None:
    assert split_database_password(PG) == (BARE, "s3cr@t")
    assert split_database_password(BARE) == (BARE, None)
    assert split_database_password("sqlite:///tmp/x.sqlite3") == ("sqlite:///tmp/x.sqlite3", None)


def test_the_password_goes_to_the_keyring_and_the_file_has_none(
    tmp_path: Path, store: MemoryKeyring
) -> None:
    config = tmp_path / "settings.toml"
    assert save_database_url(PG, config) == BARE
    text = config.read_text(encoding="utf-8")
    assert "s3cr" not in text and BARE in text
    assert store.store == {(KEYRING_SERVICE, DATABASE_PASSWORD_KEY): "s3cr@t"}
    settings = load_settings(config, env={})
    assert settings.database_url == BARE
    # read back merged: what the desk connects with has the password again
    assert database_url_with_password(settings.database_url) == (
        "postgresql+psycopg://desk:s3cr%40t@db.example.org:5433/clinic"
    )


def test_other_settings_in_the_file_are_kept(tmp_path: Path, store: MemoryKeyring) -> None:
    config = tmp_path / "settings.toml"
    save_settings({"sendgrid_base_url": "http://127.0.0.1:9000"}, config)
    save_database_url(PG, config)
    assert load_settings(config, env={}).sendgrid_base_url == "http://127.0.0.1:9000"


def test_an_sqlite_file_clears_a_stored_password(tmp_path: Path, store: MemoryKeyring) -> None:
    config = tmp_path / "settings.toml"
    save_database_url(PG, config)
    url = f"sqlite:///{(tmp_path / 'clinic.sqlite3').as_posix()}"
    save_database_url(url, config)
    assert store.store == {}
    assert load_settings(config, env={}).database_url == url
    assert database_url_with_password(url) == url


def test_a_url_with_its_own_password_or_no_user_is_left_alone(store: MemoryKeyring) -> None:
    store.set_password(KEYRING_SERVICE, DATABASE_PASSWORD_KEY, "other")
    assert database_url_with_password(PG) == PG
    assert database_url_with_password("postgresql://db.example.org/clinic") == (
        "postgresql://db.example.org/clinic"
    )


def test_without_a_keyring_a_password_is_refused_and_nothing_written(tmp_path: Path) -> None:
    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        config = tmp_path / "settings.toml"
        with pytest.raises(SettingsError, match="pgpass"):
            save_database_url(PG, config)
        assert not config.exists()
        # a URL without a password still saves, and reads back as it is
        save_database_url(BARE, config)
        assert database_url_with_password(load_settings(config, env={}).database_url) == BARE
    finally:
        keyring.set_keyring(before)


def test_not_a_url_is_refused(tmp_path: Path, store: MemoryKeyring) -> None:
    with pytest.raises(SettingsError):
        save_database_url("just words", tmp_path / "settings.toml")
    assert not (tmp_path / "settings.toml").exists()


def test_the_same_url_again_without_password_keeps_the_stored_one(
    tmp_path: Path, store: MemoryKeyring
) -> None:
    config = tmp_path / "settings.toml"
    save_database_url(PG, config)
    save_database_url(BARE, config)
    assert store.store == {(KEYRING_SERVICE, DATABASE_PASSWORD_KEY): "s3cr@t"}
    save_database_url("postgresql+psycopg://desk@other.example.org/clinic", config)
    assert store.store == {}
