"""How subcommands are declared, parsed, run and how their errors become exit codes.

A command module exposes `COMMANDS`, a list of `Command`; the path ("patients", "add")
places it in the parser. Handlers get the parsed args and a `Runtime`, print their result and
return an exit code; they raise domain errors and this module reports them.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, NamedTuple, TextIO, cast

from medbookings_desktop.domain.errors import DomainError, InvalidInput, NotFound, Refused

if TYPE_CHECKING:
    # argparse is loaded when a command is given: a bare start (the window) parses by hand
    import argparse

    Args = argparse.Namespace | SimpleNamespace

OK, REFUSED, BAD_INPUT = 0, 1, 2

# Modules that contribute subcommands, in the order they appear in --help.
COMMAND_MODULES = (
    "medbookings_desktop.cli.db",
    "medbookings_desktop.cli.demo",
    "medbookings_desktop.cli.setup",
    "medbookings_desktop.cli.lists",
    "medbookings_desktop.cli.patients",
    "medbookings_desktop.cli.patient_import",
    "medbookings_desktop.cli.booking",
    "medbookings_desktop.cli.export",
    "medbookings_desktop.cli.bench",
    "medbookings_desktop.cli.sync",
    "medbookings_desktop.cli.diagnostics",
)

log = logging.getLogger(__name__)


# a NamedTuple: a tenth of a frozen dataclass's cost to define, on every start
class Command(NamedTuple):
    path: tuple[str, ...]
    help: str
    handler: Callable[[argparse.Namespace, Runtime], int]
    arguments: Callable[[argparse.ArgumentParser], None] = lambda p: None


class CliError(Exception):
    def __init__(self, message: str, code: int = BAD_INPUT) -> None:
        super().__init__(message)
        self.code = code


@dataclass(eq=False)  # one per process: compared by identity
class Runtime:
    """What a handler needs: settings, the database (opened on first use) and the output."""

    database_url: str | None
    actor: str | None
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    _logging: bool = field(default=False, init=False, repr=False)  # the log file is open

    @classmethod
    def from_args(cls, args: Args) -> Runtime:
        return cls(database_url=args.database, actor=args.user)

    @cached_property
    def settings(self) -> Any:
        from medbookings_desktop.settings import load_settings

        return load_settings()

    @property
    def url(self) -> str:
        if self.database_url:
            return self.database_url
        from medbookings_desktop.settings import database_url_with_password

        self.settings.make_dirs()
        # a PostgreSQL password saved from the settings dialog lives in the OS keyring
        return database_url_with_password(str(self.settings.database_url))

    @cached_property
    def engine(self) -> Any:
        """The database as it is, not upgraded: for commands that manage the schema."""
        from medbookings_desktop.storage.engine import create_db_engine

        return create_db_engine(self.url)

    @cached_property
    def app(self) -> Any:
        """The database upgraded to this version's schema, and the services over it."""
        from medbookings_desktop.bootstrap import open_app

        return open_app(self.url, backup_dir=self.settings.backup_dir, actor=self.actor)

    @property
    def ctx(self) -> Any:
        return self.app.ctx

    def print_json(self, value: Any) -> None:
        import json

        json.dump(value, self.out, indent=2, ensure_ascii=False, default=str)
        self.out.write("\n")

    def start_logging(self) -> None:
        """The log file, opened once; what `hold_logging` kept goes into it first."""
        if self._logging:
            return
        from medbookings_desktop.logging_setup import configure_logging

        configure_logging(self.settings.log_dir)
        self._logging = True

    def hold_logging(self) -> None:
        """Keep what is logged in memory until `start_logging` (the window's start)."""
        from medbookings_desktop.logging_setup import hold_logs

        hold_logs()

    def close(self) -> None:
        if "app" in self.__dict__:
            self.app.engine.dispose()
        if "engine" in self.__dict__:
            self.engine.dispose()


def build_parser(version: str, *, with_commands: bool = True) -> argparse.ArgumentParser:
    """The whole command line; without commands, only what opening the window takes.

    Importing every command module costs the window's start a tenth of a second, so a bare
    `medbookings [--database URL] [--user NAME]` is parsed without them (see `window_args`).
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog="medbookings",
        description="MedBookings Desktop, the clinic's front desk. No command: open the app.",
    )
    parser.add_argument("--version", action="version", version=f"medbookings {version}")
    parser.add_argument(
        "--database",
        metavar="URL",
        help="SQLite file URL or PostgreSQL URL (default: MEDBOOKINGS_DATABASE_URL "
        "or the settings file, else an SQLite file in the user data folder)",
    )
    parser.add_argument(
        "--user",
        metavar="NAME",
        help="staff name recorded in the audit trail (default: the login name)",
    )
    parser.set_defaults(command=None)
    if not with_commands:
        return parser
    groups: dict[tuple[str, ...], argparse._SubParsersAction[Any]] = {}
    top = parser.add_subparsers(title="commands", metavar="COMMAND")
    groups[()] = top
    parsers: dict[tuple[str, ...], argparse.ArgumentParser] = {(): parser}
    for module_name in COMMAND_MODULES:
        module = importlib.import_module(module_name)
        for command in module.COMMANDS:
            for depth in range(1, len(command.path)):
                prefix = command.path[:depth]
                if prefix not in parsers:
                    sub = groups[prefix[:-1]].add_parser(prefix[-1], help=f"{prefix[-1]} commands")
                    sub.set_defaults(command=None, group_parser=sub)
                    parsers[prefix] = sub
                if prefix not in groups:
                    groups[prefix] = parsers[prefix].add_subparsers(metavar="COMMAND")
            sub = groups[command.path[:-1]].add_parser(
                command.path[-1], help=command.help, description=command.help
            )
            command.arguments(sub)
            sub.set_defaults(command=command)
            parsers[command.path] = sub
    return parser


# the options a bare start (the window, no command) takes, each with a value
WINDOW_OPTIONS = ("--database", "--user")


def window_args(given: Sequence[str]) -> SimpleNamespace | None:
    """`given` read without argparse when it only opens the window: `--database URL` and
    `--user NAME` (or `--option=value`), each at most once; else None, and argparse reads it
    (a command, --help, an abbreviation, a missing value: its messages and exit codes).

    argparse and its help formatter take the window's start several milliseconds."""
    found: dict[str, str] = {}
    words = iter(given)
    for word in words:
        name, equals, value = word.partition("=")
        if name not in WINDOW_OPTIONS or name in found:
            return None
        if not equals:
            value = next(words, "")
            if not value or value.startswith("-"):
                return None
        found[name] = value
    return SimpleNamespace(database=found.get("--database"), user=found.get("--user"), command=None)


def run(args: Args, runtime: Runtime) -> int:
    command: Command | None = args.command
    if command is None:
        group = getattr(args, "group_parser", None)
        if group is not None:
            group.print_help(runtime.err)
            return BAD_INPUT
        return _open_gui(runtime)
    name = " ".join(command.path)
    code = BAD_INPUT
    try:
        runtime.start_logging()
        code = command.handler(cast("argparse.Namespace", args), runtime)
        return code
    except CliError as exc:
        print(f"medbookings: {exc}", file=runtime.err)
        code = exc.code
        return code
    except Refused as exc:
        print(f"medbookings: refused: {exc.message}", file=runtime.err)
        code = REFUSED
        return code
    except (InvalidInput, NotFound) as exc:
        print(f"medbookings: {exc.message}", file=runtime.err)
        return BAD_INPUT
    except DomainError as exc:
        print(f"medbookings: {exc.message}", file=runtime.err)
        return BAD_INPUT
    except Exception as exc:
        message = _known_failure(exc)
        if message is None:
            raise
        print(f"medbookings: {message}", file=runtime.err)
        return BAD_INPUT
    finally:
        # the command's name and outcome only: arguments may carry patient details
        log.info("command %r finished with exit code %s", name, code)
        runtime.close()


def _known_failure(exc: Exception) -> str | None:
    """Errors of setup rather than of code: report them plainly, no traceback."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from medbookings_desktop.settings import SettingsError
    from medbookings_desktop.storage.migrate import DatabaseTooNew

    if isinstance(exc, DatabaseTooNew | SettingsError):
        return str(exc)
    if isinstance(exc, ArgumentError | ValueError) and "database" in str(exc).lower():
        return str(exc)
    if isinstance(exc, OperationalError):
        return f"cannot use the database: {str(exc.orig).strip()}"
    return None


# What the window uses below Qt, imported before PySide6: once PySide6 is in, it reads the
# source of every module imported after it (its __feature__ hook), a quarter of start-up.
# Only what the first paint needs: the queue's, Needs attention's, the alerts' and health's,
# the patients' and the booking and slot services load after it (ui/main_window.py builds
# those panels then; a booking's first change imports its service).
WINDOW_CORE_MODULES = (
    "medbookings_desktop.bootstrap",
    "medbookings_desktop.logging_setup",
    "medbookings_desktop.settings",
    "medbookings_desktop.services.agenda",
    "medbookings_desktop.services.clinic_admin",
    "medbookings_desktop.services.setup",
    "medbookings_desktop.storage.quick_read",
    "medbookings_desktop.storage.revisions",
)
# SQLAlchemy and the tables: before PySide6 too, unless an SQLite file lets the window paint
# its first day without them (ui/app.py quick_start); they then load once it is painted
DATABASE_MODULES = (
    "sqlalchemy.dialects.sqlite",
    "medbookings_desktop.storage.unit_of_work",
)


def _open_gui(runtime: Runtime) -> int:
    from medbookings_desktop.storage.quick_read import sqlite_file

    quick = sqlite_file(runtime.url) is not None
    for name in WINDOW_CORE_MODULES + (() if quick else DATABASE_MODULES):
        importlib.import_module(name)
    try:
        gui = importlib.import_module("medbookings_desktop.ui.app")
    except ModuleNotFoundError:
        print(
            "medbookings: the desktop window is not part of this build; "
            "use a subcommand (see `medbookings --help`).",
            file=runtime.err,
        )
        return BAD_INPUT
    return int(gui.run(runtime))
