"""The window's background engine in a child process: `EngineProcess`, the window's side, and
what `medbookings sync --forever --supervised` (cli/sync.py) uses to talk back to it.

Why a process: on a thread of the window's process, the engine's Python work holds the GIL
while the UI thread waits for it; sending 1,000 messages blocked the UI thread for 22-48 ms at
a time. In a child process of its own, the UI thread's longest block was about 5 ms.

The child is `medbookings sync --forever --supervised`; the database URL reaches it in the
environment (`MEDBOOKINGS_DATABASE_URL`), never on its command line (a PostgreSQL URL may hold
a password, and command lines are visible to every user of the computer). It talks over pipes:
- window -> engine, on stdin, one word a line: `wake`, `reconfigure`, `stop`; a closed stdin
  (the window's process ended) stops it too;
- engine -> window, on stdout, one JSON object a line after each state change and each pass:
  `{"state": "idle", "report": {...} | null, "passes": N}`; the report holds outbox row ids
  and counts, never patient data;
- its log records, as JSON lines on stderr, which the window writes to the desk's log.

No Qt here: the window adapts the state callback to signals (ui/health_panel.py EngineSignals).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from pathlib import Path
from typing import IO, Any

from medbookings_desktop.sync.engine import RunReport
from medbookings_desktop.sync.runner import (
    ERROR_PAUSES_S,
    RunnerState,
    StateCallback,
    StateReports,
)

log = logging.getLogger(__name__)

URL_ENV = "MEDBOOKINGS_DATABASE_URL"
WAKE, RECONFIGURE, STOP = "wake", "reconfigure", "stop"
NICE = 5  # the child's CPU priority, lowered by this much where the OS allows
STOP_KILL_AFTER_S = 5.0  # after `terminate`, how long a child has before it is killed
_ID_LISTS = ("sent", "retried", "failed", "superseded", "deferred", "released")


# -- the reports, as they cross the pipe ---------------------------------------------------------


def report_json(report: RunReport) -> dict[str, Any]:
    """A pass's report as JSON: outbox row ids and counts (RunReport holds nothing else)."""
    return {
        "claimed": report.claimed,
        **{name: list(getattr(report, name)) for name in _ID_LISTS},
        "recovered": [[item, outcome] for item, outcome in report.recovered],
        "statuses": report.statuses,
        "replies": report.replies,
        "more": report.more,
        "calendars": report.calendars,
    }


def report_from_json(data: Mapping[str, Any]) -> RunReport:
    """The RunReport `report_json` made, as the engine's thread would have passed it on."""
    return RunReport(
        claimed=int(data.get("claimed", 0)),
        **{name: [int(i) for i in data.get(name, [])] for name in _ID_LISTS},
        recovered=[(int(item), str(outcome)) for item, outcome in data.get("recovered", [])],
        statuses=int(data.get("statuses", 0)),
        replies=int(data.get("replies", 0)),
        more=bool(data.get("more", False)),
        calendars=data.get("calendars"),
    )


# -- the child's side ----------------------------------------------------------------------------


class StateWriter:
    """Writes the child's state lines to the window (any thread; one line, flushed, each)."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._lock = threading.Lock()

    def __call__(self, state: RunnerState, report: RunReport | None, passes: int) -> None:
        line = json.dumps(
            {
                "state": state.value,
                "report": report_json(report) if report is not None else None,
                "passes": passes,
            },
            default=str,
        )
        with self._lock:
            try:
                self.out.write(line + "\n")
                self.out.flush()
            except (OSError, ValueError):
                pass  # the window is gone: a closed stdin stops this process


def read_commands(
    fd: int, *, wake: Callable[[], None], reconfigure: Callable[[], None], stop: threading.Event
) -> None:
    """The window's words from `fd` (the child's stdin) until `stop` or the end of the input.

    Reads the file descriptor itself, not sys.stdin: a daemon thread blocked inside the
    buffered sys.stdin would hold its lock while the interpreter shuts down."""
    pending = b""
    while not stop.is_set():
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            chunk = b""
        if not chunk:
            break  # the window closed the pipe, or its process ended
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for raw in lines:
            word = raw.decode("ascii", "replace").strip()
            if word == WAKE:
                wake()
            elif word == RECONFIGURE:
                reconfigure()
            elif word == STOP:
                stop.set()
                return
            elif word:
                log.warning("the engine was sent an unknown command; ignored")
    stop.set()


class LogToParent(logging.Handler):
    """A log record as one JSON line on the child's stderr; the window logs it as its own."""

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            line = json.dumps(
                {
                    "name": record.name,
                    "levelno": record.levelno,
                    "levelname": record.levelname,
                    "msg": record.getMessage(),
                    "created": record.created,
                    "msecs": record.msecs,
                    "exc_text": record.exc_text,
                    "stack_info": record.stack_info,
                    "threadName": record.threadName,
                    "processName": "engine",
                }
            )
            self.stream.write(line + "\n")
            self.stream.flush()
        except Exception:
            self.handleError(record)


def log_to_parent(stream: IO[str]) -> None:
    """The child's log goes to the window (one writer of the desk's log file, which rotates),
    masked as the desk's own log is."""
    from medbookings_desktop.logging_setup import (
        CONSOLE_HANDLER_NAME,
        FILE_HANDLER_NAME,
        RedactPatientData,
        quiet_chatty_vendors,
    )

    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() in (FILE_HANDLER_NAME, CONSOLE_HANDLER_NAME):
            root.removeHandler(handler)
            handler.close()
    relay = LogToParent(stream)
    relay.addFilter(RedactPatientData())
    root.addHandler(relay)
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    quiet_chatty_vendors()


def lower_priority() -> None:
    """Background work: let the window's process have the CPU first (best effort)."""
    nice = getattr(os, "nice", None)
    if nice is None:
        return  # Windows: the window starts the process below normal priority
    with contextlib.suppress(OSError):
        nice(NICE)


# -- the window's side ---------------------------------------------------------------------------


def child_command(interval: timedelta, actor: str | None = None) -> list[str]:
    """`medbookings [--user NAME] sync --forever --supervised`: from a source checkout or an
    installed package through this Python, from a frozen build through its console program
    `medbookings`. The window's staff name, so the child opens the database as the same user."""
    args = ["--user", actor] if actor else []
    args += ["sync", "--forever", "--supervised", "--interval", f"{interval.total_seconds():g}"]
    if getattr(sys, "frozen", False):
        exe = Path(sys.executable)
        # on Windows the window may be "MedBookings Desktop.exe" (no console, no std handles)
        console = exe.with_name("medbookings.exe" if sys.platform == "win32" else "medbookings")
        return [str(console if console.exists() else exe), *args]
    return [sys.executable, "-m", "medbookings_desktop", *args]


class EngineProcess(StateReports):
    """Runs the desk's engine as a child process and supervises it, with the surface of
    `Runner` that the window uses: start, wake, reconfigure, stop, running, state, passes,
    totals, and `on_state(state, report)`, called on a thread of this object's.

    A child that ends unasked for (it crashed, or was killed) is reported as ERROR and started
    again after a pause that grows with each failure in a row (runner.ERROR_PAUSES_S).
    """

    def __init__(
        self,
        database_url: str,
        *,
        on_state: StateCallback | None = None,
        interval: timedelta = timedelta(seconds=15),
        env: Mapping[str, str] | None = None,
        pauses: Sequence[float] = ERROR_PAUSES_S,
        actor: str | None = None,
        command: Sequence[str] | None = None,
    ) -> None:
        super().__init__(on_state)
        self.database_url = database_url
        self.interval = interval
        self.env = dict(os.environ if env is None else env)
        self.pauses = tuple(pauses) or ERROR_PAUSES_S
        self.command = list(command) if command is not None else child_command(interval, actor)
        self.totals = RunReport()
        self.passes = 0  # passes the engine finished since start(), over all its children
        self.starts = 0  # children started
        self.exit_codes: list[int | None] = []  # of the children that ended, in order
        self._child: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()  # the child, and writing to it
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # the window's calls ---------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._supervise, name="engine-process", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Run a pass now (a booking was just made on this desk)."""
        self._send(WAKE)

    def reconfigure(self) -> None:
        """Build the engine again (the clinic changed its messaging settings or keys)."""
        self._send(RECONFIGURE)

    def stop(self, timeout: float | None = 30) -> None:
        """The child lets the message in hand finish, hands back the rest of its batch and
        exits; after `timeout` it is terminated, then killed."""
        self._stopping.set()
        with self._lock:
            child = self._child
            if child is not None and child.stdin is not None:
                try:
                    child.stdin.write(STOP + "\n")
                    child.stdin.flush()
                    child.stdin.close()
                except (OSError, ValueError):
                    pass  # it has ended already
        if child is not None:
            self._end(child, timeout)
        if self._thread is not None:
            self._thread.join(timeout=STOP_KILL_AFTER_S)
            self._thread = None
        self._set(RunnerState.STOPPED)

    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def pid(self) -> int | None:
        """The child's process id while one runs."""
        child = self._child
        return child.pid if child is not None and child.poll() is None else None

    # the supervising thread -----------------------------------------------------------------

    def _send(self, word: str) -> None:
        with self._lock:
            child = self._child
            if child is None or child.stdin is None or child.poll() is not None:
                return  # none runs: the next one starts with a pass, on the settings saved
            try:
                child.stdin.write(word + "\n")
                child.stdin.flush()
            except (OSError, ValueError):
                pass  # it just ended: the supervisor starts another

    def _spawn(self) -> subprocess.Popen[str] | None:
        env = {**self.env, URL_ENV: self.database_url}
        options: dict[str, Any] = {}
        if sys.platform == "win32":
            options["creationflags"] = (
                subprocess.CREATE_NO_WINDOW | subprocess.BELOW_NORMAL_PRIORITY_CLASS
            )
        else:
            # the terminal's Ctrl+C is for the window, which stops its engine itself
            options["start_new_session"] = True
        with self._lock:
            if self._stopping.is_set():
                return None
            self._child = subprocess.Popen(
                self.command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                text=True,
                encoding="utf-8",
                errors="replace",
                **options,
            )
            self.starts += 1
            return self._child

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            try:
                child = self._spawn()
            except OSError:
                log.exception("the engine's process could not be started")
                child, code, passed = None, None, False
            if child is not None:
                code, passed = self._follow(child)
            elif self._stopping.is_set():
                break
            if self._stopping.is_set():
                break
            if passed:
                failures = 0
            pause = self.pauses[min(failures, len(self.pauses) - 1)]
            failures += 1
            log.error(
                "the engine's process ended unexpectedly (exit code %s); starting it again in "
                "%.0f s",
                code,
                pause,
            )
            self._set(RunnerState.ERROR)
            self._stopping.wait(pause)

    def _follow(self, child: subprocess.Popen[str]) -> tuple[int | None, bool]:
        """The child's state lines until it ends: (its exit code, whether it finished a pass)."""
        assert child.stdout is not None and child.stderr is not None
        logs = threading.Thread(
            target=_relay_log, args=(child.stderr,), name="engine-process-log", daemon=True
        )
        logs.start()
        passed = False
        for line in child.stdout:
            try:
                data = json.loads(line)
                state = RunnerState(data["state"])
                report = report_from_json(data["report"]) if data.get("report") else None
            except (ValueError, KeyError, TypeError):
                log.warning("the engine's process wrote a line that is not its state; ignored")
                continue
            if report is not None:
                passed = True
                self.passes += 1
                self.totals.merge(report)
            if state == RunnerState.STOPPED and not self._stopping.is_set():
                continue  # it was stopped by someone else: the supervisor says ERROR
            self._set(state, report)
        code = child.wait()
        self.exit_codes.append(code)
        logs.join(timeout=STOP_KILL_AFTER_S)
        with self._lock:
            if self._child is child:
                self._child = None
        for pipe in (child.stdin, child.stdout, child.stderr):
            if pipe is not None:
                with contextlib.suppress(OSError, ValueError):
                    pipe.close()
        return code, passed

    def _end(self, child: subprocess.Popen[str], timeout: float | None) -> None:
        try:
            child.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            log.warning("the engine's process did not stop in %s s; ending it", timeout)
        child.terminate()
        try:
            child.wait(STOP_KILL_AFTER_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


def _relay_log(stream: IO[str]) -> None:
    """The child's log records (JSON lines) into the window's log; any other line it wrote
    (Python's own last words) as a warning."""
    for line in stream:
        text = line.rstrip("\n")
        if not text:
            continue
        try:
            data = json.loads(text)
            if not isinstance(data, dict) or "levelno" not in data:
                raise ValueError(text)
            record = logging.makeLogRecord({**data, "args": None})
        except ValueError:
            log.warning("the engine's process: %s", text)
            continue
        logger = logging.getLogger(record.name)
        if logger.isEnabledFor(record.levelno):  # the window's own levels
            logger.handle(record)
