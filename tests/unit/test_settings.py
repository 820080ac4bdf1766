"""Per-desk settings: defaults, the TOML file, environment overrides, errors, saving."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import platformdirs
import pytest

from medbookings_desktop.settings import (
    SETTING_NAMES,
    DeskSettings,
    SettingsError,
    default_config_file,
    env_var_name,
    load_settings,
    save_settings,
)

VENDOR_DEFAULTS = {
    "google_oauth_token_url": "https://oauth2.googleapis.com/token",
    "google_oauth_auth_url": "https://accounts.google.com/o/oauth2/auth",
    "google_calendar_base_url": "https://www.googleapis.com/",
    "google_places_base_url": "https://places.googleapis.com/",
    "sendgrid_base_url": "https://api.sendgrid.com",
    "twilio_base_url": "https://api.twilio.com",
    "twilio_content_base_url": "https://content.twilio.com",
    "twilio_messaging_base_url": "https://messaging.twilio.com",
    "stripe_base_url": "https://api.stripe.com",
    "blob_base_url": "https://blob.vercel-storage.com",
}


def test_defaults_follow_platformdirs(tmp_path: Path) -> None:
    settings = load_settings(config_file=tmp_path / "missing.toml", env={})

    data_dir = Path(platformdirs.user_data_dir("MedBookings", "MedBookings"))
    assert settings.data_dir == data_dir
    assert settings.backup_dir == data_dir / "backups"
    assert settings.log_dir == Path(platformdirs.user_log_dir("MedBookings", "MedBookings"))
    assert settings.database_url == f"sqlite:///{data_dir.as_posix()}/medbookings.sqlite3"
    for name, url in VENDOR_DEFAULTS.items():
        assert getattr(settings, name) == url
    assert settings.config_file == tmp_path / "missing.toml"


def test_every_setting_has_an_env_var_and_the_expected_names() -> None:
    assert set(SETTING_NAMES) == {
        "database_url",
        "log_dir",
        "data_dir",
        "backup_dir",
        *VENDOR_DEFAULTS,
    }
    assert env_var_name("database_url") == "MEDBOOKINGS_DATABASE_URL"
    assert env_var_name("sendgrid_base_url") == "MEDBOOKINGS_SENDGRID_BASE_URL"


def test_default_config_file_is_in_user_config_dir() -> None:
    expected = Path(platformdirs.user_config_dir("MedBookings", "MedBookings")) / "settings.toml"
    assert default_config_file(env={}) == expected


def test_medbookings_home_roots_every_folder(tmp_path: Path) -> None:
    env = {"MEDBOOKINGS_HOME": str(tmp_path)}
    settings = load_settings(env=env)

    assert settings.config_file == tmp_path / "config" / "settings.toml"
    assert settings.data_dir == tmp_path / "data"
    assert settings.log_dir == tmp_path / "logs"
    assert settings.backup_dir == tmp_path / "data" / "backups"
    assert (
        settings.database_url == f"sqlite:///{(tmp_path / 'data').as_posix()}/medbookings.sqlite3"
    )
    # loading has no side effects on disk
    assert list(tmp_path.iterdir()) == []


def test_medbookings_home_config_file_is_read(tmp_path: Path) -> None:
    config = tmp_path / "config" / "settings.toml"
    config.parent.mkdir()
    config.write_text('stripe_base_url = "http://127.0.0.1:9999"\n', encoding="utf-8")

    settings = load_settings(env={"MEDBOOKINGS_HOME": str(tmp_path)})

    assert settings.stripe_base_url == "http://127.0.0.1:9999"


def test_file_values_are_used(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    data_dir = tmp_path / "desk-data"
    config.write_text(
        f"""
database_url = "postgresql+psycopg://desk@db.clinic.local/medbookings"
data_dir = "{data_dir.as_posix()}"
log_dir = "logs"
sendgrid_base_url = "http://127.0.0.1:8025"
twilio_base_url = "http://127.0.0.1:8026"
""",
        encoding="utf-8",
    )

    settings = load_settings(config_file=config, env={})

    assert settings.database_url == "postgresql+psycopg://desk@db.clinic.local/medbookings"
    assert settings.data_dir == data_dir
    assert settings.backup_dir == data_dir / "backups"
    # a relative folder in the file is relative to the file, so a portable folder can move
    assert settings.log_dir == tmp_path / "logs"
    assert settings.sendgrid_base_url == "http://127.0.0.1:8025"
    assert settings.twilio_base_url == "http://127.0.0.1:8026"
    assert settings.stripe_base_url == VENDOR_DEFAULTS["stripe_base_url"]


def test_database_defaults_to_a_file_in_the_configured_data_dir(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(f'data_dir = "{(tmp_path / "d").as_posix()}"\n', encoding="utf-8")

    settings = load_settings(config_file=config, env={})

    assert settings.database_url == f"sqlite:///{(tmp_path / 'd').as_posix()}/medbookings.sqlite3"


def test_env_overrides_file(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(
        'database_url = "sqlite:///from-file.sqlite3"\n'
        'sendgrid_base_url = "http://127.0.0.1:1111"\n'
        'stripe_base_url = "http://127.0.0.1:2222"\n',
        encoding="utf-8",
    )
    env = {
        "MEDBOOKINGS_DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:5432/x",
        "MEDBOOKINGS_SENDGRID_BASE_URL": "http://127.0.0.1:3333",
        "MEDBOOKINGS_BACKUP_DIR": str(tmp_path / "elsewhere"),
        "MEDBOOKINGS_STRIPE_BASE_URL": "",  # blank counts as unset
        "MEDBOOKINGS_SOMETHING_ELSE": "ignored: other tools share the prefix",
    }

    settings = load_settings(config_file=config, env=env)

    assert settings.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/x"
    assert settings.sendgrid_base_url == "http://127.0.0.1:3333"
    assert settings.backup_dir == tmp_path / "elsewhere"
    assert settings.stripe_base_url == "http://127.0.0.1:2222"


def test_every_setting_can_be_overridden_by_env(tmp_path: Path) -> None:
    env = {}
    for name in SETTING_NAMES:
        if name.endswith("_dir"):
            env[env_var_name(name)] = str(tmp_path / name)
        elif name == "database_url":
            env[env_var_name(name)] = "sqlite:///" + (tmp_path / "x.sqlite3").as_posix()
        else:
            env[env_var_name(name)] = f"http://127.0.0.1:8000/{name}"

    settings = load_settings(config_file=tmp_path / "none.toml", env=env)

    for name in SETTING_NAMES:
        value = getattr(settings, name)
        assert str(value) == env[env_var_name(name)], name


def test_load_settings_reads_os_environ_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDBOOKINGS_HOME", str(tmp_path))
    monkeypatch.setenv("MEDBOOKINGS_TWILIO_BASE_URL", "http://127.0.0.1:4444")

    settings = load_settings()

    assert settings.data_dir == tmp_path / "data"
    assert settings.twilio_base_url == "http://127.0.0.1:4444"


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text('sendgrid_url = "http://127.0.0.1"\n', encoding="utf-8")

    with pytest.raises(SettingsError) as info:
        load_settings(config_file=config, env={})

    message = str(info.value)
    assert "sendgrid_url" in message
    assert str(config) in message
    # a clean message, not a chained traceback
    assert info.value.__cause__ is None
    assert info.value.__context__ is None


def test_unknown_table_is_an_unknown_key(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text('[google]\nclient_id = "x"\n', encoding="utf-8")

    with pytest.raises(SettingsError, match="'google'"):
        load_settings(config_file=config, env={})


def test_malformed_toml_reports_line(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(
        'sendgrid_base_url = "http://127.0.0.1"\nstripe_base_url = http://oops\n',
        encoding="utf-8",
    )

    with pytest.raises(SettingsError) as info:
        load_settings(config_file=config, env={})

    message = str(info.value)
    assert str(config) in message
    assert "line 2" in message
    assert info.value.__suppress_context__


def test_not_utf8_is_a_settings_error(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_bytes(b'log_dir = "\xff\xfe"\n')

    with pytest.raises(SettingsError, match=r"settings\.toml"):
        load_settings(config_file=config, env={})


def test_config_file_that_is_a_folder_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="Cannot read settings file"):
        load_settings(config_file=tmp_path, env={})


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("sendgrid_base_url = 5", "must be a string"),
        ('sendgrid_base_url = "ftp://127.0.0.1"', "http"),
        ('sendgrid_base_url = "not a url"', "http"),
        ('stripe_base_url = "https://sk_live_x:@api.stripe.com"', "password"),
        ('database_url = "just-a-path.sqlite3"', "database URL"),
        ('database_url = ""', "empty"),
    ],
)
def test_bad_values_are_settings_errors(tmp_path: Path, line: str, expected: str) -> None:
    config = tmp_path / "settings.toml"
    config.write_text(line + "\n", encoding="utf-8")

    with pytest.raises(SettingsError, match=expected):
        load_settings(config_file=config, env={})


def test_bad_env_value_names_the_variable(tmp_path: Path) -> None:
    env = {"MEDBOOKINGS_TWILIO_BASE_URL": "twilio.local"}

    with pytest.raises(SettingsError, match="MEDBOOKINGS_TWILIO_BASE_URL"):
        load_settings(config_file=tmp_path / "none.toml", env=env)


def test_password_in_file_is_refused_but_allowed_from_env(tmp_path: Path) -> None:
    url = "postgresql+psycopg://desk:hunter2@db.clinic.local/medbookings"
    config = tmp_path / "settings.toml"
    config.write_text(f'database_url = "{url}"\n', encoding="utf-8")

    with pytest.raises(SettingsError) as info:
        load_settings(config_file=config, env={})
    assert "hunter2" not in str(info.value)

    settings = load_settings(
        config_file=tmp_path / "none.toml", env={env_var_name("database_url"): url}
    )
    assert settings.database_url == url
    assert "hunter2" not in repr(settings)


def test_settings_are_frozen(tmp_path: Path) -> None:
    settings = load_settings(config_file=tmp_path / "none.toml", env={})
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.database_url = "sqlite:///other.sqlite3"  # type: ignore[misc]


def test_make_dirs_creates_the_folders(tmp_path: Path) -> None:
    settings = load_settings(env={"MEDBOOKINGS_HOME": str(tmp_path)})
    settings.make_dirs()
    assert settings.data_dir.is_dir()
    assert settings.log_dir.is_dir()
    assert settings.backup_dir.is_dir()


def test_save_round_trip(tmp_path: Path) -> None:
    config = tmp_path / "config" / "settings.toml"
    save_settings(
        {
            "sendgrid_base_url": "http://127.0.0.1:8025",
            "data_dir": tmp_path / "data",
        },
        config,
    )
    save_settings({"stripe_base_url": "http://127.0.0.1:8030"}, config)

    settings = load_settings(config_file=config, env={})

    assert settings.sendgrid_base_url == "http://127.0.0.1:8025"
    assert settings.stripe_base_url == "http://127.0.0.1:8030"
    assert settings.data_dir == tmp_path / "data"
    # no temp files left behind
    assert sorted(p.name for p in config.parent.iterdir()) == ["settings.toml"]


def test_save_none_removes_a_key(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    save_settings({"sendgrid_base_url": "http://127.0.0.1:8025"}, config)
    save_settings({"sendgrid_base_url": None}, config)

    settings = load_settings(config_file=config, env={})

    assert settings.sendgrid_base_url == VENDOR_DEFAULTS["sendgrid_base_url"]


def test_save_rejects_unknown_keys_and_secrets_and_leaves_file_alone(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    save_settings({"sendgrid_base_url": "http://127.0.0.1:8025"}, config)
    before = config.read_bytes()

    with pytest.raises(SettingsError, match="sendgrid_api_key"):
        save_settings({"sendgrid_api_key": "SG.secret"}, config)
    with pytest.raises(SettingsError, match="password"):
        save_settings({"database_url": "postgresql+psycopg://u:pw@h/db"}, config)

    assert config.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["settings.toml"]


def test_save_refuses_to_rewrite_a_broken_file(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    config.write_text("this is = = not toml\n", encoding="utf-8")

    with pytest.raises(SettingsError, match="line 1"):
        save_settings({"sendgrid_base_url": "http://127.0.0.1:8025"}, config)

    assert config.read_text(encoding="utf-8") == "this is = = not toml\n"


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_save_keeps_file_mode(tmp_path: Path) -> None:
    config = tmp_path / "settings.toml"
    save_settings({"sendgrid_base_url": "http://127.0.0.1:8025"}, config)
    assert config.stat().st_mode & 0o777 == 0o644
    config.chmod(0o600)

    save_settings({"stripe_base_url": "http://127.0.0.1:8030"}, config)

    assert config.stat().st_mode & 0o777 == 0o600


def test_desk_settings_repr_masks_password(tmp_path: Path) -> None:
    settings = DeskSettings(
        database_url="postgresql+psycopg://desk:s3cret@db/medbookings",
        log_dir=tmp_path,
        data_dir=tmp_path,
        backup_dir=tmp_path,
    )
    assert "s3cret" not in repr(settings)
    assert "desk:***@db" in repr(settings)
