"""What the desk runs on, for a support request: versions, folders, database, keyring, TLS.

`collect()` returns plain JSON-ready data and never patient data: no names, no numbers, no
addresses, no database password (the database is described by kind, host and name only).
Every probe reports its own failure instead of raising, so a half-broken desk still gets a
report. Qt is described only when the caller already loaded it (the core runs without Qt).
"""

from __future__ import annotations

import importlib
import os
import platform
import sqlite3
import ssl
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from medbookings_desktop.services import health
from medbookings_desktop.services.context import Context

# the one Google API the desk calls (integrations/google_auth.py builds it from this document)
DISCOVERY_API = ("calendar", "v3")

DISTRIBUTIONS = (
    "PySide6-Essentials",
    "SQLAlchemy",
    "alembic",
    "psycopg",
    "keyring",
    "platformdirs",
    "certifi",
    "google-api-python-client",
    "sendgrid",
    "twilio",
)


def collect(
    ctx: Context | None,
    *,
    app_version: str,
    database_url: str,
    paths: Mapping[str, Path],
    engine: Engine | None = None,
) -> dict[str, Any]:
    """The whole report; `paths` names the desk's folders and files (config, data, logs ...)."""
    return {
        "versions": versions(app_version, engine),
        "frozen": bool(getattr(sys, "frozen", False)),
        "platform": platform.platform(),
        "paths": {name: _path(path) for name, path in paths.items()},
        "database": database(database_url, engine),
        "clinic": clinic(ctx),
        "engine_health": engine_health(ctx),
        "keyring": keyring_backend(),
        "tls": tls(),
        "google_discovery": google_discovery(),
    }


def _path(path: Path) -> dict[str, Any]:
    return {"path": str(path), "exists": path.exists()}


def _error(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


def versions(app_version: str, engine: Engine | None = None) -> dict[str, str | None]:
    found: dict[str, str | None] = {
        "medbookings": app_version,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    for dist in DISTRIBUTIONS:
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = None
    qt_core = sys.modules.get("PySide6.QtCore")
    found["qt"] = str(qt_core.qVersion()) if qt_core is not None else None
    found["postgresql_server"] = _postgres_version(engine)
    return found


def _postgres_version(engine: Engine | None) -> str | None:
    if engine is None or engine.dialect.name != "postgresql":
        return None
    try:
        with engine.connect() as conn:
            return str(conn.scalar(text("SHOW server_version")))
    except Exception as exc:
        return _error(exc)


def database(url: str, engine: Engine | None) -> dict[str, Any]:
    """Kind, where (file, or host/port/name: never the user or password) and schema version."""
    parts = urlsplit(url)
    kind = parts.scheme.split("+")[0] or "?"
    found: dict[str, Any] = {"kind": "postgresql" if kind.startswith("postgres") else kind}
    if kind == "sqlite":
        file = Path(make_url(url).database or "")
        found["file"] = str(file)
        found["file_exists"] = file.exists()
        found["file_bytes"] = file.stat().st_size if file.exists() else None
    else:
        found["host"] = parts.hostname or "localhost"
        found["port"] = parts.port
        found["name"] = unquote(parts.path.lstrip("/"))
    found["schema_version"] = None
    if engine is not None:
        try:
            with engine.connect() as conn:
                if inspect(conn).has_table("alembic_version"):
                    found["schema_version"] = conn.scalar(
                        text("SELECT version_num FROM alembic_version")
                    )
        except Exception as exc:
            found["error"] = _error(exc)
    return found


def clinic(ctx: Context | None) -> dict[str, Any] | None:
    """Counts and the clinic-wide zone and locale: enough to see the setup, nothing personal."""
    if ctx is None:
        return None
    try:
        with ctx.read() as uow:
            settings = uow.settings.clinic()
            return {
                "set_up": uow.settings.is_set_up(),
                "zone": settings.zone,
                "locale": settings.locale,
                "locations": len(uow.locations.list()),
                "providers": len(uow.providers.list()),
                "services": len(uow.services.list()),
                "patients": uow.patients.count(),
            }
    except Exception as exc:
        return {"error": _error(exc)}


def engine_health(ctx: Context | None) -> list[dict[str, Any]] | dict[str, str] | None:
    """Each vendor service's state and queue (the last error text is left out: it may quote
    an address)."""
    if ctx is None:
        return None
    try:
        return [
            {
                "service": s.service,
                "state": s.state,
                "calls_last_hour": s.calls_last_hour,
                "errors_last_hour": s.errors_last_hour,
                "queue_depth": s.queue_depth,
                "paused": s.paused,
            }
            for s in health.services(ctx)
        ]
    except Exception as exc:
        return {"error": _error(exc)}


def keyring_backend() -> dict[str, Any]:
    """The backend `keyring` picked, whether it can store secrets, and what it could choose."""
    try:
        import keyring
        from keyring.backend import get_all_keyring
    except Exception as exc:
        return {"backend": None, "usable": False, "error": _error(exc)}
    try:
        chosen = keyring.get_keyring()
        name = f"{type(chosen).__module__}.{type(chosen).__name__}"
        viable = sorted(
            f"{type(k).__module__}.{type(k).__name__}"
            for k in get_all_keyring()
            if not type(k).__module__.startswith(
                ("keyring.backends.fail", "keyring.backends.chainer")
            )
        )
    except Exception as exc:
        return {"backend": None, "usable": False, "error": _error(exc)}
    usable = not name.startswith("keyring.backends.fail")
    found: dict[str, Any] = {
        "backend": name,
        "usable": usable,
        "viable_backends": viable,
        "loaded_backend_modules": sorted(
            m for m in sys.modules if m.startswith("keyring.backends.") and m.count(".") == 2
        ),
    }
    if not usable:
        found["note"] = (
            "No password store is running (on Linux: Secret Service, e.g. GNOME Keyring or "
            "KWallet). Secrets cannot be saved on this desk; give them by environment "
            "variables (MEDBOOKINGS_SENDGRID_API_KEY, ...) or start a password store."
        )
    return found


def tls() -> dict[str, Any]:
    """Where TLS certificates come from and whether they load (stdlib, certifi, httplib2)."""
    paths = ssl.get_default_verify_paths()
    cert_file = os.environ.get("SSL_CERT_FILE")
    found: dict[str, Any] = {
        "openssl": ssl.OPENSSL_VERSION,
        "SSL_CERT_FILE": cert_file,
        "SSL_CERT_FILE_exists": bool(cert_file) and Path(cert_file or "").is_file(),
        "default_cafile": paths.cafile,
        "default_capath": paths.capath,
    }
    try:
        stats = ssl.create_default_context().cert_store_stats()
        found["default_context_ca_certs"] = stats.get("x509_ca", 0)
    except Exception as exc:
        found["default_context_error"] = _error(exc)
    try:
        import certifi

        where = certifi.where()
        found["certifi"] = where
        found["certifi_exists"] = Path(where).is_file()
    except Exception as exc:
        found["certifi"] = None
        found["certifi_error"] = _error(exc)
    return found


def google_discovery() -> dict[str, Any]:
    """Whether the calendar v3 discovery document is present and builds a service object."""
    api, version = DISCOVERY_API
    found: dict[str, Any] = {"api": f"{api}.{version}"}
    try:
        # by name: these packages carry no type information
        httplib2 = importlib.import_module("httplib2")
        discovery = importlib.import_module("googleapiclient.discovery")
        cache = importlib.import_module("googleapiclient.discovery_cache")
    except ImportError as exc:
        found["installed"] = False
        found["error"] = _error(exc)
        return found
    found["installed"] = True
    try:
        document = cache.get_static_doc(api, version)
        if document is None:
            found["loads"] = False
            found["error"] = "the discovery document is not in this build"
            return found
        # an explicit Http: without credentials build_from_document would look for them
        service = discovery.build_from_document(document, http=httplib2.Http())
        found["loads"] = hasattr(service, "events")
        service.close()
    except Exception as exc:
        found["loads"] = False
        found["error"] = _error(exc)
    return found
