"""`medbookings diagnostics [--json]`: versions, folders, database, keyring and TLS, for support.

Nothing about patients is printed. The database is opened as it is (not upgraded), so the
report also works on a database this version cannot use.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from medbookings_desktop.cli.framework import OK, Command, Runtime


def desk_paths(rt: Runtime) -> dict[str, Path]:
    """The desk's folders and files, as the report names them."""
    from medbookings_desktop.settings import default_config_file
    from medbookings_desktop.storage.engine import sqlite_path

    settings = rt.settings
    paths = {
        "config_file": settings.config_file or default_config_file(),
        "data": settings.data_dir,
        "logs": settings.log_dir,
        "backups": settings.backup_dir,
    }
    database_file = sqlite_path(rt.url)
    if database_file is not None:
        paths["database_file"] = database_file
    return paths


def report(rt: Runtime) -> dict[str, Any]:
    from medbookings_desktop import __version__
    from medbookings_desktop.bootstrap import context_for
    from medbookings_desktop.services import diagnostics
    from medbookings_desktop.storage import migrate, revisions

    ctx = None
    engine = None
    try:
        engine = rt.engine
        # read-only on a database whose schema this version knows; otherwise versions only
        if migrate.stored_revision(engine) in revisions.known_revisions():
            ctx = context_for(engine, actor=rt.actor)
    except Exception:
        ctx = None
    return diagnostics.collect(
        ctx,
        app_version=__version__,
        database_url=rt.url,
        paths=desk_paths(rt),
        engine=engine,
    )


def _lines(value: Any, indent: str = "") -> list[str]:
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{indent}{key}:")
                lines += _lines(item, indent + "  ")
            else:
                lines.append(f"{indent}{key}: {item}")
    elif isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                lines.append(f"{indent}- " + ", ".join(f"{k}={v}" for k, v in item.items()))
            else:
                lines.append(f"{indent}- {item}")
    else:
        lines.append(f"{indent}{value}")
    return lines


def _diagnostics(args: argparse.Namespace, rt: Runtime) -> int:
    found = report(rt)
    if args.json:
        rt.print_json(found)
    else:
        print("\n".join(_lines(found)), file=rt.out)
    return OK


def _arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print JSON for scripts")


COMMANDS = [
    Command(
        ("diagnostics",),
        "Versions, folders, database, keyring and TLS of this desk, for support (no patient data).",
        _diagnostics,
        _arguments,
    )
]
