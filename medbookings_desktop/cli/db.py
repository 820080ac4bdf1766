"""`medbookings db upgrade | downgrade REV | current`."""

from __future__ import annotations

import argparse

from medbookings_desktop.cli.framework import OK, Command, Runtime
from medbookings_desktop.storage import migrate


def _upgrade(args: argparse.Namespace, rt: Runtime) -> int:
    result = migrate.upgrade(rt.engine, args.revision, backup_dir=rt.settings.backup_dir)
    if result.before == result.after:
        print(f"Database already at {result.after}.", file=rt.out)
    else:
        print(f"Database upgraded from {result.before or 'empty'} to {result.after}.", file=rt.out)
    if result.backup:
        print(f"Backup: {result.backup}", file=rt.out)
    return OK


def _downgrade(args: argparse.Namespace, rt: Runtime) -> int:
    result = migrate.downgrade(rt.engine, args.revision, backup_dir=rt.settings.backup_dir)
    print(f"Database downgraded from {result.before} to {result.after}.", file=rt.out)
    if result.backup:
        print(f"Backup: {result.backup}", file=rt.out)
    return OK


def _current(args: argparse.Namespace, rt: Runtime) -> int:
    current = migrate.check_not_newer(rt.engine)
    head = migrate.head_revision()
    state = "up to date" if current == head else f"this version's schema is {head}"
    print(f"{current or 'empty'} ({state})", file=rt.out)
    return OK


COMMANDS = [
    Command(
        ("db", "upgrade"),
        "Upgrade the database schema (backs up an SQLite file first).",
        _upgrade,
        lambda p: p.add_argument("revision", nargs="?", default="head"),
    ),
    Command(
        ("db", "downgrade"),
        "Downgrade the schema to REV ('base' empties it).",
        _downgrade,
        lambda p: p.add_argument("revision", metavar="REV"),
    ),
    Command(("db", "current"), "Show the database's schema version.", _current),
]
