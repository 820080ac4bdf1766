"""`medbookings` with no subcommand: open the database and show the desk's window."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any, cast
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import QCoreApplication, Qt, QTimer
from PySide6.QtWidgets import QApplication

from medbookings_desktop.bootstrap import DeferredDatabase, default_actor
from medbookings_desktop.services import setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.ports import UnitOfWork
from medbookings_desktop.storage.quick_read import QuickReader
from medbookings_desktop.ui import first_paint
from medbookings_desktop.ui.main_window import APPLICATION, ORGANIZATION, MainWindow

log = logging.getLogger(__name__)

CANNOT_START = 2
# the desk around the calendar starts at its first paint, or this long after its first day
LATEST_START_MS = 3000


def database_label(url: str) -> str:
    """What the status bar says about the database: never a user name or password."""
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        path = unquote(parts.path)
        name = PurePosixPath(path).name if path.strip("/") else ":memory:"
        return f"SQLite: {name}"
    if scheme.startswith("postgres"):
        host = parts.hostname or "localhost"
        port = f":{parts.port}" if parts.port else ""
        db = unquote(parts.path.lstrip("/")) or "postgres"
        return f"PostgreSQL: {host}{port}/{db}"
    return scheme or "?"


def _why(exc: Exception) -> str:
    """A database error's own words (the driver's), else the error's message."""
    orig = getattr(exc, "orig", None)
    return str(orig).strip() if orig is not None else str(exc)


def run(runtime: Any) -> int:
    """Open runtime's database (upgrading it), show the main window, run until it closes."""
    found = QApplication.instance()
    app = found if isinstance(found, QApplication) else QApplication(sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("MedBookings")
    quick: QuickStart | None = None
    try:
        runtime.hold_logging()  # the log file opens once the calendar is painted
        quick = quick_start(runtime)
        if quick is not None:
            ctx, ready, clinic = quick.ctx, True, quick.clinic
        else:
            ctx = runtime.ctx
            ready = setup.is_set_up(ctx)
            clinic = setup.clinic_settings(ctx)
        label = database_label(runtime.url)
    except Exception as exc:
        # a database that is too new, unreachable or unreadable: say so and stop
        _start_logging(runtime)
        log.exception("cannot open the database")
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.critical(
            None,
            app.translate("app", "MedBookings cannot start"),
            app.translate("app", "The database cannot be used:\n\n{reason}").format(
                reason=_why(exc)
            ),
        )
        return CANNOT_START
    if not ready and not first_paint.wanted():
        _start_logging(runtime)  # the wizard may take a while: log to the file meanwhile
        if not _first_run(ctx, runtime.app.engine):
            return 0  # closed before a clinic was set up: nothing to show yet
        clinic = setup.clinic_settings(ctx)
    window = MainWindow(
        ctx,
        database=label,
        clinic=clinic,
        desk_settings=runtime.settings,
        database_url=runtime.url,
    )
    # the calendar paints first; the rest of the desk starts once it is on screen
    painted = first_paint.FirstPaint(window.view.viewport())
    window.model.loaded.connect(painted.arm, Qt.ConnectionType.SingleShotConnection)
    if first_paint.wanted():
        painted.painted.connect(first_paint.report_and_quit)
    rest = _DeskRest(window, runtime, quick)
    painted.painted.connect(rest.start)
    # a window that is never painted (started minimised) still gets its desk, a moment later
    window.model.loaded.connect(
        lambda: QTimer.singleShot(LATEST_START_MS, rest.start),
        Qt.ConnectionType.SingleShotConnection,
    )
    if quick is not None:
        # a window closing before the engine opened: its waiting workers give up, so its
        # close (which waits for them) does not wait for ever (a signal: an event filter on
        # the window would take every event of its start through Python)
        window.closing.connect(quick.database.close)
        quick.show_first_day(window)
    window.show()
    try:
        return int(app.exec())
    finally:
        _start_logging(runtime)  # closed before the first paint: what was held is kept
        rest.stop()
        if quick is not None:
            quick.database.close()  # workers still waiting for it give up
        window.tasks.shutdown()
        if quick is not None:
            quick.database.dispose()


class QuickStart:
    """An SQLite file at this version's schema, set up, whose staff user exists: the first
    day is read with sqlite3 (storage/quick_read.py) and painted before SQLAlchemy loads; the
    window's Context opens the real engine (DeferredDatabase) once the calendar is painted."""

    def __init__(
        self, reader: QuickReader, database: DeferredDatabase, ctx: Context, clinic: Any
    ) -> None:
        self.reader = reader
        self.database = database
        self.ctx = ctx
        self.clinic = clinic

    def show_first_day(self, window: MainWindow) -> None:
        """The window's first day, read here, shown at once; its load (under way, waiting for
        the engine) updates it in place later."""
        from medbookings_desktop.ui.day_model import load_day

        quick = self.reader
        reader = Context(
            write=_no_writes,
            read=lambda: cast(UnitOfWork, quick()),
            actor_id=self.ctx.actor_id,
            actor_name=self.ctx.actor_name,
        )
        try:
            first = load_day(reader, window.day)
        except Exception:
            # the usual load shows it instead, as soon as the engine is open
            log.warning("the quick read of the first day failed", exc_info=True)
            self.database.allow()
            return
        finally:
            quick.close()
        window.model.show_first(first)


def _start_logging(runtime: Any) -> None:
    """The log file; a log folder that cannot be written loses the log, never the desk."""
    try:
        runtime.start_logging()
    except Exception as exc:
        print(f"medbookings: cannot write the log: {exc}", file=sys.stderr)


def _no_writes() -> Any:
    raise RuntimeError("the first day's reader does not write")


def quick_start(runtime: Any) -> QuickStart | None:
    """A QuickStart when runtime's database allows one, else None (the usual start)."""
    from medbookings_desktop.storage.quick_read import sqlite_file
    from medbookings_desktop.storage.revisions import known_revisions

    url = runtime.url
    path = sqlite_file(url)
    if path is None or not path.is_file():
        return None
    reader = QuickReader(path)
    try:
        if reader.revision() != known_revisions()[-1]:
            reader.close()
            return None  # new, or older: the usual start upgrades it (after a backup)
        with reader() as uow:
            user = uow.staff.by_name(runtime.actor or default_actor())
            ready = uow.settings.is_set_up() or bool(uow.providers.list())
            clinic = uow.settings.clinic()
    except Exception:
        reader.close()
        log.warning("no quick start: the database file could not be read", exc_info=True)
        return None
    if user is None or not ready:
        reader.close()
        return None  # a new staff user is added, or the first-run wizard opens: the usual way
    database = DeferredDatabase(url, backup_dir=runtime.settings.backup_dir)
    # the same units of work as SqlUnitOfWork's (the ports are structural)
    ctx = Context(
        write=cast("Callable[[], UnitOfWork]", database.write),
        read=cast("Callable[[], UnitOfWork]", database.read),
        actor_id=user.id,
        actor_name=user.name,
    )
    return QuickStart(reader, database, ctx, clinic)


class _DeskRest:
    """What the calendar does not need to paint: the queue and Needs attention, live refresh
    (another desk's bookings and the engine's changes appear without a restart) and the
    background engine. Started once, after the first paint; on a quick start, once the
    database's engine has opened on a worker (SQLAlchemy loads there, not on the UI thread)."""

    def __init__(self, window: MainWindow, runtime: Any, quick: QuickStart | None) -> None:
        self._window = window
        self._runtime = runtime
        self._quick = quick
        self._started = False
        self._watcher: Any = None
        self._engine: Any = None

    def start(self) -> None:
        if self._started or self._window.tasks.closed:
            return
        self._started = True
        _start_logging(self._runtime)
        if self._quick is None:
            self._start(self._runtime.app.engine)
            return
        database = self._quick.database
        database.allow()
        self._window.tasks.run(database.engine, self._start, self._failed)

    def _start(self, db: Any) -> None:
        from medbookings_desktop.ui import live_refresh

        self._window.start_desk()
        self._watcher = live_refresh.follow(self._window, self._runtime.url)
        self._engine = _start_engine(self._window, self._runtime, db)

    def _failed(self, exc: BaseException) -> None:
        log.error("the database did not open", exc_info=exc)
        self._window.statusBar().showMessage(
            QCoreApplication.translate("app", "The database cannot be used: {reason}").format(
                reason=_why(exc) if isinstance(exc, Exception) else str(exc)
            )
        )

    def stop(self) -> None:
        if self._watcher is not None:
            self._watcher.stop()
        if self._engine is not None:
            self._engine.stop()


def _first_run(ctx: Any, db: Any) -> bool:
    """The set-up wizard on an empty database; True once a clinic (or the demo) is saved."""
    from PySide6.QtWidgets import QDialog

    from medbookings_desktop.ui.first_run import FirstRunWizard
    from medbookings_desktop.ui.tasks import TaskRunner

    tasks = TaskRunner()
    try:
        return bool(FirstRunWizard(ctx, tasks, db).exec() == QDialog.DialogCode.Accepted)
    finally:
        tasks.shutdown()


def _start_engine(window: MainWindow, runtime: Any, db: Any) -> Any:
    """Messages, reminders, replies and calendars in the background, in a child process (its
    Python work never holds up the UI thread; sync/engine_process.py); its state goes to the
    status bar, a booking made here wakes it, saved messaging settings rebuild it."""
    from medbookings_desktop.sync.engine_process import EngineProcess
    from medbookings_desktop.ui.health_panel import EngineSignals

    signals = EngineSignals(window)
    signals.stateChanged.connect(window.set_engine_state)
    settings = runtime.settings
    runner = EngineProcess(runtime.url, on_state=signals.relay, actor=runtime.actor)
    window.engine_runner = runner
    # Needs attention's "Accept Google's change" uses the desk's calendar sync (built off the
    # UI thread: it reads the keyring)
    from medbookings_desktop.sync import calendar_sync

    window.attention.set_calendar_sync(lambda: calendar_sync.for_desk(db, settings))
    runner.start()
    return runner
