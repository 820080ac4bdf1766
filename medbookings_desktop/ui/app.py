"""`medbookings` with no subcommand: open the database and show the desk's window."""

from __future__ import annotations

import logging
import sys
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from medbookings_desktop.services import setup
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
    try:
        runtime.start_logging()
        ctx = runtime.ctx
        ready = setup.is_set_up(ctx)
        clinic = setup.clinic_settings(ctx)
        label = database_label(runtime.url)
    except Exception as exc:
        # a database that is too new, unreachable or unreadable: say so and stop
        log.exception("cannot open the database")
        QMessageBox.critical(
            None,
            app.translate("app", "MedBookings cannot start"),
            app.translate("app", "The database cannot be used:\n\n{reason}").format(
                reason=_why(exc)
            ),
        )
        return CANNOT_START
    if not ready and not first_paint.wanted():
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
    rest = _DeskRest(window, runtime)
    painted.painted.connect(rest.start)
    # a window that is never painted (started minimised) still gets its desk, a moment later
    window.model.loaded.connect(
        lambda: QTimer.singleShot(LATEST_START_MS, rest.start),
        Qt.ConnectionType.SingleShotConnection,
    )
    window.show()
    try:
        return int(app.exec())
    finally:
        rest.stop()
        window.tasks.shutdown()


class _DeskRest:
    """What the calendar does not need to paint: the queue and Needs attention, live refresh
    (another desk's bookings and the engine's changes appear without a restart) and the
    background engine. Started once, after the first paint."""

    def __init__(self, window: MainWindow, runtime: Any) -> None:
        self._window = window
        self._runtime = runtime
        self._started = False
        self._watcher: Any = None
        self._engine: Any = None

    def start(self) -> None:
        if self._started or self._window.tasks.closed:
            return
        self._started = True
        from medbookings_desktop.ui import live_refresh

        self._window.start_desk()
        self._watcher = live_refresh.follow(self._window, self._runtime.url)
        self._engine = _start_engine(self._window, self._runtime)

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


def _start_engine(window: MainWindow, runtime: Any) -> Any:
    """Messages, reminders, replies and calendars in the background, on a thread of their own;
    its state goes to the status bar, and a booking made here wakes it."""
    from medbookings_desktop.sync.engine import for_desk
    from medbookings_desktop.sync.runner import Runner
    from medbookings_desktop.ui.health_panel import EngineSignals

    signals = EngineSignals(window)
    signals.stateChanged.connect(window.set_engine_state)
    db, settings = runtime.app.engine, runtime.settings
    runner = Runner(
        lambda: for_desk(db, settings), database_url=runtime.url, on_state=signals.relay
    )
    window.engine_runner = runner
    # Needs attention's "Accept Google's change" uses the desk's calendar sync (built off the
    # UI thread: it reads the keyring)
    from medbookings_desktop.sync import calendar_sync

    window.attention.set_calendar_sync(lambda: calendar_sync.for_desk(db, settings))
    runner.start()
    return runner
