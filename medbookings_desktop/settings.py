"""Per-desk settings: where the data lives and which vendor endpoints to call.

Precedence, lowest first: built-in defaults, the TOML settings file, environment variables
`MEDBOOKINGS_<FIELD>` (DESIGN invariant 8). `MEDBOOKINGS_HOME` roots the data, config and log
folders under one directory (portable installs, tests). Secrets never live here (invariant 5):
they go to the OS keyring.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

APP_NAME = "MedBookings"
APP_AUTHOR = "MedBookings"
ENV_PREFIX = "MEDBOOKINGS_"
HOME_ENV = "MEDBOOKINGS_HOME"
SETTINGS_FILE_NAME = "settings.toml"
DATABASE_FILE_NAME = "medbookings.sqlite3"


class SettingsError(Exception):
    """A settings file or variable the app cannot use; the message is meant for a person."""


def _mask_url_password(url: str) -> str:
    # keeps a password given by environment variable out of reprs and logs
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1***@", url)


@dataclass(frozen=True, repr=False)
class DeskSettings:
    """What one desk needs to start; vendor endpoints can point at local servers."""

    database_url: str
    log_dir: Path
    data_dir: Path
    backup_dir: Path
    google_oauth_token_url: str = "https://oauth2.googleapis.com/token"
    google_oauth_auth_url: str = "https://accounts.google.com/o/oauth2/auth"
    google_calendar_base_url: str = "https://www.googleapis.com/"
    google_places_base_url: str = "https://places.googleapis.com/"
    sendgrid_base_url: str = "https://api.sendgrid.com"
    twilio_base_url: str = "https://api.twilio.com"
    twilio_content_base_url: str = "https://content.twilio.com"
    twilio_messaging_base_url: str = "https://messaging.twilio.com"
    stripe_base_url: str = "https://api.stripe.com"
    blob_base_url: str = "https://blob.vercel-storage.com"
    # where these settings were read from; not a setting itself
    config_file: Path | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        parts = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "database_url":
                value = _mask_url_password(value)
            parts.append(f"{f.name}={value!r}")
        return f"DeskSettings({', '.join(parts)})"

    def make_dirs(self) -> None:
        """Create the data, log and backup folders (loading settings never touches the disk)."""
        for path in (self.data_dir, self.log_dir, self.backup_dir):
            path.mkdir(parents=True, exist_ok=True)


PATH_FIELDS: frozenset[str] = frozenset({"data_dir", "log_dir", "backup_dir"})
URL_FIELDS: frozenset[str] = frozenset(
    f.name for f in dataclasses.fields(DeskSettings) if f.name.endswith("_url")
) - {"database_url"}
SETTING_NAMES: tuple[str, ...] = tuple(
    f.name for f in dataclasses.fields(DeskSettings) if f.name != "config_file"
)


def env_var_name(setting: str) -> str:
    """The environment variable that overrides `setting`, e.g. MEDBOOKINGS_DATABASE_URL."""
    return ENV_PREFIX + setting.upper()


def _home(env: Mapping[str, str]) -> Path | None:
    raw = env.get(HOME_ENV, "").strip()
    return Path(raw).expanduser().absolute() if raw else None


def default_config_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    home = _home(env)
    base = home / "config" if home else Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR))
    return base / SETTINGS_FILE_NAME


def _default_data_dir(home: Path | None) -> Path:
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))


def _default_log_dir(home: Path | None) -> Path:
    return home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR))


def sqlite_url(path: Path) -> str:
    # as_posix so a Windows path (C:\...) still forms a valid SQLAlchemy URL
    return f"sqlite:///{path.as_posix()}"


def _read_file(config_file: Path) -> dict[str, Any]:
    try:
        fh = config_file.open("rb")
    except FileNotFoundError:
        return {}  # a desk that never saved settings; no TOML parser to load (start-up)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SettingsError(f"Cannot read settings file {config_file}: {reason}") from None
    import tomllib

    try:
        with fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"Settings file {config_file} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise SettingsError(f"Settings file {config_file} is not UTF-8 text.") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SettingsError(f"Cannot read settings file {config_file}: {reason}") from None


def _check_known(name: str, source: str) -> None:
    if name not in SETTING_NAMES:
        known = ", ".join(SETTING_NAMES)
        raise SettingsError(f"Unknown setting {name!r} in {source}. Known settings: {known}.")


def _check_value(name: str, value: Any, source: str, *, from_file: bool) -> str:
    """Validate one raw value; `source` names where it came from, for the message."""
    _check_known(name, source)
    if not isinstance(value, str):
        raise SettingsError(
            f"Setting {name!r} in {source} must be a string, not {type(value).__name__}."
        )
    text = value.strip()
    if not text:
        raise SettingsError(f"Setting {name!r} in {source} is empty.")
    if name in URL_FIELDS:
        parts = urlsplit(text)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise SettingsError(
                f"Setting {name!r} in {source} must be an http(s) URL, got {text!r}."
            )
        if parts.username or parts.password:
            # credentials belong in the keyring (invariant 5), not in an endpoint URL
            raise SettingsError(
                f"Setting {name!r} in {source} must not contain a user name or password."
            )
    elif name == "database_url":
        if not re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", text):
            raise SettingsError(
                f"Setting 'database_url' in {source} is not a database URL "
                "(expected e.g. sqlite:///path/to/file or postgresql+psycopg://host/db)."
            )
        if from_file and urlsplit(text).password:
            raise SettingsError(
                f"Setting 'database_url' in {source} contains a password; settings files "
                "never hold secrets. Use ~/.pgpass or the MEDBOOKINGS_DATABASE_URL variable."
            )
    return text


def _as_path(text: str, relative_to: Path) -> Path:
    path = Path(text).expanduser()
    # relative paths in a file follow the file, so a portable folder can be moved as a whole
    return path if path.is_absolute() else (relative_to / path).absolute()


def load_settings(
    config_file: Path | None = None, env: Mapping[str, str] | None = None
) -> DeskSettings:
    """Defaults, then `config_file` (missing = defaults), then `MEDBOOKINGS_*` variables."""
    env = os.environ if env is None else env
    config_file = default_config_file(env) if config_file is None else Path(config_file)
    home = _home(env)

    values: dict[str, str | Path] = {}
    for name, raw in _read_file(config_file).items():
        text = _check_value(name, raw, f"settings file {config_file}", from_file=True)
        values[name] = _as_path(text, config_file.parent) if name in PATH_FIELDS else text

    for name in SETTING_NAMES:
        raw_env = env.get(env_var_name(name))
        # an empty variable counts as unset, as shells and CI systems often export blanks
        if raw_env is None or not raw_env.strip():
            continue
        text = _check_value(
            name, raw_env, f"environment variable {env_var_name(name)}", from_file=False
        )
        values[name] = _as_path(text, Path.cwd()) if name in PATH_FIELDS else text

    data_dir = Path(values.pop("data_dir", _default_data_dir(home)))
    log_dir = Path(values.pop("log_dir", _default_log_dir(home)))
    backup_dir = Path(values.pop("backup_dir", data_dir / "backups"))
    database_url = str(values.pop("database_url", sqlite_url(data_dir / DATABASE_FILE_NAME)))
    urls = {name: str(value) for name, value in values.items()}
    return DeskSettings(
        database_url=database_url,
        log_dir=log_dir,
        data_dir=data_dir,
        backup_dir=backup_dir,
        config_file=config_file,
        **urls,
    )


def save_settings(settings_changes: Mapping[str, Any], config_file: Path | None = None) -> None:
    """Merge `settings_changes` into the settings file, atomically.

    A value of None removes the key, so the setting goes back to its default.
    """
    config_file = default_config_file() if config_file is None else Path(config_file)
    source = f"changes for {config_file}"
    current: dict[str, Any] = _read_file(config_file)
    for name, value in current.items():
        # never rewrite a file that is already broken: the person should see why first
        _check_value(name, value, f"settings file {config_file}", from_file=True)
    for name, value in settings_changes.items():
        if value is None:
            _check_known(name, source)
            current.pop(name, None)
            continue
        if isinstance(value, os.PathLike):
            value = os.fspath(value)
        current[name] = _check_value(name, value, source, from_file=True)

    import tomli_w  # only a save writes TOML

    payload = tomli_w.dumps(dict(sorted(current.items())))
    try:
        config_file.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{config_file.name}.", suffix=".tmp", dir=config_file.parent
        )
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise SettingsError(f"Cannot write settings file {config_file}: {reason}") from None
    tmp_path = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(payload)
            fh.flush()
            # the rename must not expose a file whose content is still in flight
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            tmp_path.chmod(config_file.stat().st_mode & 0o777 if config_file.exists() else 0o644)
        tmp_path.replace(config_file)  # os.replace: atomic on POSIX and Windows
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp_path.unlink()
        reason = exc.strerror or str(exc)
        raise SettingsError(f"Cannot write settings file {config_file}: {reason}") from None


# -- this desk's database, with its password in the OS keyring ---------------------------------

KEYRING_SERVICE = "MedBookings Desktop"
DATABASE_PASSWORD_KEY = "database.password"


def split_database_password(url: str) -> tuple[str, str | None]:
    """(the URL without its password, the password or None)."""
    from sqlalchemy.engine import URL, make_url

    try:
        parsed = make_url(url.strip())
    except Exception:
        raise SettingsError(f"{url.strip()!r} is not a database URL.") from None
    if parsed.password is None:
        return url.strip(), None
    # URL.set() takes None as "leave as is": build the URL again without the password
    bare = URL.create(
        parsed.drivername,
        username=parsed.username,
        host=parsed.host,
        port=parsed.port,
        database=parsed.database,
        query=parsed.query,
    ).render_as_string(hide_password=False)
    return bare, str(parsed.password)


def save_database_url(url: str, config_file: Path | None = None) -> str:
    """Make `url` this desk's database from its next start; returns what the file now holds.

    A password moves to the OS keyring (service KEYRING_SERVICE, key DATABASE_PASSWORD_KEY)
    and the URL is written without it. Saving the same URL again without a password keeps
    the stored one; another database clears it. A desk without a usable keyring refuses a
    password: it would otherwise have to be written in clear.
    """
    bare, password = split_database_password(url)
    _check_value("database_url", bare, "the database setting", from_file=True)
    import keyring
    from keyring.errors import KeyringError, PasswordDeleteError

    if password is not None:
        try:
            keyring.set_password(KEYRING_SERVICE, DATABASE_PASSWORD_KEY, password)
        except KeyringError as exc:
            raise SettingsError(
                "This desk has no usable password store (keyring) for the database password "
                f"({exc}). Save the URL without the password and put it in ~/.pgpass, or set "
                "MEDBOOKINGS_DATABASE_URL."
            ) from None
    else:
        config = default_config_file() if config_file is None else Path(config_file)
        if _read_file(config).get("database_url") != bare:
            # a password kept for an earlier database must not be sent to another one
            with contextlib.suppress(PasswordDeleteError, KeyringError):
                keyring.delete_password(KEYRING_SERVICE, DATABASE_PASSWORD_KEY)
    save_settings({"database_url": bare}, config_file)
    return bare


def database_url_with_password(url: str) -> str:
    """`url` with the keyring's database password put back, where it names a user but no
    password; otherwise (or with no keyring, or nothing stored) `url` unchanged."""
    parts = urlsplit(url)
    if not parts.scheme.startswith("postgres") or not parts.username or parts.password:
        return url  # no keyring import on the usual SQLite start
    import keyring
    from keyring.errors import KeyringError
    from sqlalchemy.engine import make_url

    try:
        password = keyring.get_password(KEYRING_SERVICE, DATABASE_PASSWORD_KEY)
    except KeyringError:
        return url
    if not password:
        return url
    return make_url(url).set(password=password).render_as_string(hide_password=False)
