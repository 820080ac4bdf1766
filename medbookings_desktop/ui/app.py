"""`medbookings` with no subcommand: open the database and show the desk's window."""

from __future__ import annotations

import logging
import sys
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from medbookings_desktop.services import setup
from medbookings_desktop.ui import first_paint, live_refresh
from medbookings_desktop.ui.main_window import APPLICATION, ORGANIZATION, MainWindow

log = logging.getLogger(__name__)

CANNOT_START = 2


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
    window = MainWindow(
        ctx,
        database=label,
        clinic=clinic,
        desk_settings=runtime.settings,
        database_url=runtime.url,
    )
    # the queue and Needs attention are read once the calendar is up: it paints first
    window.model.loaded.connect(window.start_desk, Qt.ConnectionType.SingleShotConnection)
    if first_paint.wanted():
        painted = first_paint.FirstPaint(window.view.viewport())
        window.model.loaded.connect(painted.arm)
        painted.painted.connect(first_paint.report_and_quit)
    # another desk's bookings and the engine's changes appear without a restart
    watcher = live_refresh.follow(window, runtime.url)
    window.show()
    try:
        return int(app.exec())
    finally:
        watcher.stop()
        window.tasks.shutdown()
