"""A thread that drives `Engine.run_once`: at once when a booking adds work, else on a timer.

Wakes:
- SQLite: `PRAGMA data_version` on a read-only connection of its own, polled twice a second
  (it moves whenever another connection commits to the file);
- PostgreSQL: `LISTEN medbookings_changes`, which every writing unit of work NOTIFYs;
- a timer (`interval`), for reminders that fall due and retries whose time came.

`stop()` lets the row in hand finish, hands back the rows claimed but not yet sent, and joins
the thread. The next start resumes from the database, where everything is.
No Qt here: the GUI adapts the state callback to a signal.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from datetime import timedelta
from enum import StrEnum

from sqlalchemy.engine import make_url

from medbookings_desktop.storage.engine import sqlite_path
from medbookings_desktop.storage.unit_of_work import CHANGES_CHANNEL
from medbookings_desktop.sync.engine import Engine, RunReport

log = logging.getLogger(__name__)

POLL_S = 0.5
ERROR_PAUSES_S = (2.0, 5.0, 15.0, 30.0, 60.0)


class RunnerState(StrEnum):
    STOPPED = "stopped"
    IDLE = "idle"  # waiting for work
    RUNNING = "running"  # a pass is under way
    ERROR = "error"  # the last pass raised (the database is unreachable ...); retrying
    NOT_CONFIGURED = "not_configured"  # no sending service set up on this desk


StateCallback = Callable[[RunnerState, "RunReport | None"], None]


class ChangeWaker:
    """Sets `wake` when another connection commits to the database."""

    def __init__(self, url: str, wake: threading.Event, stop: threading.Event) -> None:
        self.url = url
        self.wake = wake
        self.stop = stop
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        path = sqlite_path(self.url)
        if path is not None:
            conn = self._open_sqlite(str(path))
            if conn is None:
                return
            target: Callable[[], None] = lambda: self._sqlite(conn)  # noqa: E731
        elif make_url(self.url).get_backend_name() == "postgresql":
            target = self._postgres
        else:
            return
        self.thread = threading.Thread(target=target, name="engine-waker", daemon=True)
        self.thread.start()

    def join(self) -> None:
        if self.thread is not None:
            self.thread.join(timeout=5)

    def _open_sqlite(self, path: str) -> tuple[sqlite3.Connection, int] | None:
        """The watching connection and the version now, read before start() returns, so a
        commit right after it is never missed."""
        try:
            conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
            version = int(conn.execute("PRAGMA data_version").fetchone()[0])
        except sqlite3.Error:
            log.warning("the engine cannot watch the database file; it runs on its timer")
            return None
        return conn, version

    def _sqlite(self, opened: tuple[sqlite3.Connection, int]) -> None:
        conn, seen = opened
        try:
            while not self.stop.wait(POLL_S):
                try:
                    version = int(conn.execute("PRAGMA data_version").fetchone()[0])
                except sqlite3.Error:
                    continue
                if version != seen:
                    seen = version
                    self.wake.set()
        finally:
            conn.close()

    def _postgres(self) -> None:
        import psycopg

        conninfo = (
            make_url(self.url).set(drivername="postgresql").render_as_string(hide_password=False)
        )
        while not self.stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True, connect_timeout=10) as conn:
                    conn.execute(f"LISTEN {CHANGES_CHANNEL}")
                    self.wake.set()  # anything missed while away
                    while not self.stop.is_set():
                        for _ in conn.notifies(timeout=POLL_S, stop_after=1):
                            self.wake.set()
            except psycopg.Error:
                log.warning("the engine lost the database server's notifications; retrying")
                self.stop.wait(5)


class StateReports:
    """A runner's state, told to `on_state(state, report)` when it changes or a pass reports:
    the Runner below and sync/engine_process.py's EngineProcess share it."""

    def __init__(self, on_state: StateCallback | None) -> None:
        self.on_state = on_state
        self.state = RunnerState.STOPPED

    def _set(self, state: RunnerState, report: RunReport | None = None) -> None:
        changed = state != self.state
        self.state = state
        if self.on_state is not None and (changed or report is not None):
            try:
                self.on_state(state, report)
            except Exception:
                log.exception("the engine's state callback failed")


class Runner(StateReports):
    """Drives one Engine on a thread of its own.

    Give it the Engine, or a function that builds one: then the building (reading the
    messaging settings, the keyring, importing the vendors' packages) happens on the engine's
    thread too, and the window's start never waits for it.
    """

    def __init__(
        self,
        engine: Engine | Callable[[], Engine],
        *,
        database_url: str | None = None,
        interval: timedelta = timedelta(seconds=15),
        on_state: StateCallback | None = None,
    ) -> None:
        self._factory: Callable[[], Engine] | None = None
        self.engine: Engine | None = None
        if isinstance(engine, Engine):
            self.engine = engine
        else:
            self._factory = engine
        super().__init__(on_state)
        self.interval = interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._rebuild = threading.Event()
        self._thread: threading.Thread | None = None
        self._waker = ChangeWaker(database_url, self._wake, self._stop) if database_url else None
        self.totals = RunReport()
        self.passes = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        if self.engine is not None:
            self.engine.stop_requested.clear()
        if self._waker is not None:
            self._waker.start()
        self._thread = threading.Thread(target=self._loop, name="engine", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run a pass now (a booking was just made on this desk)."""
        self._wake.set()

    def reconfigure(self) -> None:
        """Build the engine again before its next pass (the clinic changed its messaging
        settings or keys); the pass runs now. A runner given a ready Engine keeps it."""
        if self._factory is not None:
            self._rebuild.set()
        self._wake.set()

    def stop(self, timeout: float | None = 30) -> None:
        """Finish the row in hand, hand back the rest of the batch, end the thread."""
        self._stop.set()
        if self.engine is not None:
            self.engine.stop_requested.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        if self._waker is not None:
            self._waker.join()
        self._set(RunnerState.STOPPED)

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _build(self) -> Engine | None:
        if self.engine is None and self._factory is not None:
            try:
                self.engine = self._factory()
            except Exception:
                log.exception("the engine could not be set up")
                self._set(RunnerState.ERROR)
                return None
            if self._stop.is_set():
                self.engine.stop_requested.set()
            else:
                self.engine.warm_up()  # its one-time pauses now, not at the first booking
        return self.engine

    def _loop(self) -> None:
        failures = 0
        engine = self._build()
        if engine is None:
            return
        if not engine.channels:
            self._set(RunnerState.NOT_CONFIGURED)
        while not self._stop.is_set():
            self._wake.clear()
            if self._rebuild.is_set():
                self._rebuild.clear()
                self.engine = None  # between passes: no row is in hand
                rebuilt = self._build()
                if rebuilt is None:  # the error is logged and shown; the old one is gone
                    self._stop.wait(ERROR_PAUSES_S[-1])
                    self._rebuild.set()
                    continue
                engine = rebuilt
            if engine.channels:
                self._set(RunnerState.RUNNING)
            try:
                report = engine.run_once()
            except Exception:
                pause = ERROR_PAUSES_S[min(failures, len(ERROR_PAUSES_S) - 1)]
                failures += 1
                log.exception("an engine pass failed; trying again in %.0f s", pause)
                self._set(RunnerState.ERROR)
                self._stop.wait(pause)
                continue
            failures = 0
            self.passes += 1
            self.totals.merge(report)
            idle = RunnerState.IDLE if engine.channels else RunnerState.NOT_CONFIGURED
            self._set(idle, report)
            if self._rebuild.is_set():
                continue
            if report.more and not self._stop.is_set():
                continue
            self._wake.wait(self.interval.total_seconds())
