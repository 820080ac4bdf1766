"""Live refresh: tell the window when another desk (or the background engine) changed the data.

A watcher thread of its own, so the window never waits on it:
- SQLite: `PRAGMA data_version` on a connection of its own, read twice a second; the number
  moves whenever another connection commits to the file.
- PostgreSQL: `LISTEN medbookings_changes`; every writing unit of work NOTIFYs that channel as
  it commits. A lost server connection is retried with a growing pause, and one `changed`
  follows the reconnection, since notifications sent meanwhile are lost.

Bursts (a CSV import, a day of reminders) come out as one `changed` per quiet period, and
the window refreshes at most once every REFRESH_GAP_MS while the engine keeps committing (the
first change after a calm one shows at once).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QElapsedTimer, QObject, QTimer, Signal
from sqlalchemy.engine import make_url

from medbookings_desktop.storage.engine import sqlite_path
from medbookings_desktop.storage.unit_of_work import CHANGES_CHANNEL

log = logging.getLogger(__name__)

POLL_S = 0.5
QUIET_S = 0.15  # notifications this close together are one change
RETRY_S = (1.0, 2.0, 5.0, 10.0, 30.0)
REFRESH_GAP_MS = 1000  # a reload of every view costs the UI thread a few ms: not twice a second


def follow(window: Any, database_url: str) -> ChangeWatcher:
    """Keep `window`'s views current with the database; the watcher stops with the window."""
    watcher = ChangeWatcher(database_url, window)
    throttle = Throttle(window.refresh, REFRESH_GAP_MS, watcher)
    watcher.changed.connect(throttle.request)
    stop = watcher.stop_event  # touches no Qt object: safe while the window is going away
    window.destroyed.connect(lambda *_: stop.set())
    watcher.start()
    return watcher


class Throttle(QObject):
    """Call `action` at once, unless it ran less than `gap_ms` ago: then once when the gap
    is over, however many requests came meanwhile."""

    def __init__(self, action: Callable[[], None], gap_ms: int, parent: QObject) -> None:
        super().__init__(parent)
        self._action = action
        self._gap_ms = gap_ms
        self._since = QElapsedTimer()
        self._later = QTimer(self)
        self._later.setSingleShot(True)
        self._later.timeout.connect(self._run)

    def request(self) -> None:
        if self._later.isActive():
            return  # already due at the end of the gap
        if not self._since.isValid() or self._since.elapsed() >= self._gap_ms:
            self._run()
        else:
            self._later.start(self._gap_ms - int(self._since.elapsed()))

    def _run(self) -> None:
        self._since.start()
        self._action()


class ChangeWatcher(QObject):
    """`changed` is emitted on the UI thread (queued) after a commit from anywhere else."""

    changed = Signal()

    def __init__(self, database_url: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._url = database_url
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def stop_event(self) -> threading.Event:
        return self._stop

    def _tell(self) -> None:
        try:
            self.changed.emit()
        except RuntimeError:  # the window (and this watcher with it) is gone
            self._stop.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        path = sqlite_path(self._url)
        run: Callable[[], None]
        if path is not None:
            run = lambda: self._watch_sqlite(str(path))  # noqa: E731
        elif self._url.startswith("postgresql"):
            run = self._watch_postgres
        else:
            return  # an in-memory database has no other writers
        self._thread = threading.Thread(target=run, name="live-refresh", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ends the thread within one poll; safe to call twice."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # -- SQLite -----------------------------------------------------------------------------

    def _watch_sqlite(self, path: str) -> None:
        try:
            # read-only, so the watcher can never hold a write lock or create a file
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        except sqlite3.Error:
            log.warning("live refresh is off: the database file cannot be opened for reading")
            return
        try:
            seen = self._data_version(conn)
            while not self._stop.wait(POLL_S):
                now = self._data_version(conn)
                if now is not None and now != seen:
                    seen = now
                    self._tell()
        finally:
            conn.close()

    @staticmethod
    def _data_version(conn: sqlite3.Connection) -> int | None:
        try:
            row = conn.execute("PRAGMA data_version").fetchone()
        except sqlite3.Error:
            return None  # busy or briefly unreadable: look again at the next poll
        return int(row[0])

    # -- PostgreSQL -------------------------------------------------------------------------

    def _watch_postgres(self) -> None:
        import psycopg

        conninfo = (
            make_url(self._url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        failures = 0
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANGES_CHANNEL}")
                    if failures:
                        self._tell()  # whatever happened while we were away
                    failures = 0
                    self._listen(conn)
            except psycopg.Error:
                pause = RETRY_S[min(failures, len(RETRY_S) - 1)]
                failures += 1
                log.warning("live refresh lost the server; trying again in %.0f s", pause)
                self._stop.wait(pause)

    def _listen(self, conn: object) -> None:
        import psycopg

        assert isinstance(conn, psycopg.Connection)
        while not self._stop.is_set():
            got = False
            for _ in conn.notifies(timeout=POLL_S, stop_after=1):
                got = True
            if not got:
                continue
            # drain the rest of a burst (for at most a second) before saying anything
            for _ in range(int(1 / QUIET_S)):
                if not any(True for _ in conn.notifies(timeout=QUIET_S, stop_after=1)):
                    break
            self._tell()
