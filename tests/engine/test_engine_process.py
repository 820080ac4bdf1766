"""The window's engine in a child process (sync/engine_process.py): the real
`medbookings sync --forever --supervised` against the vendor fakes and a real database,
driven and supervised by EngineProcess as ui/app.py starts it."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # one test takes the window's signals

import json
import logging
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from medbookings_desktop.domain.messages import OutboxKind, OutboxState
from medbookings_desktop.sync import config as cfg
from medbookings_desktop.sync.engine import RunReport
from medbookings_desktop.sync.engine_process import (
    EngineProcess,
    report_from_json,
    report_json,
)
from medbookings_desktop.sync.runner import RunnerState
from tests.engine.conftest import SMS_FROM, Fakes
from tests.engine.support import book_many, outbox
from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import process_env

pytestmark = pytest.mark.slow

WAIT_S = 60.0


class Seen:
    """What the window's side is told (on the EngineProcess's thread), waited on by the test."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.states: list[RunnerState] = []
        self.reports: list[RunReport] = []

    def __call__(self, state: RunnerState, report: RunReport | None) -> None:
        with self.cond:
            self.states.append(state)
            if report is not None:
                self.reports.append(report)
            self.cond.notify_all()

    def wait(self, until: Callable[[], bool], timeout: float = WAIT_S) -> None:
        with self.cond:
            assert self.cond.wait_for(until, timeout), f"timed out; states seen: {self.states}"

    def sent(self) -> set[int]:
        return {i for r in self.reports for i in r.sent}

    def passes(self) -> int:
        return len(self.reports)


def _wait_for(condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
    """What the vendor fakes and the database show has no signal: looked at every 20 ms."""
    done = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        done.wait(0.02)
    raise AssertionError("timed out waiting for the engine's process")


def _env(home: Path, fakes: Fakes, *, drop: tuple[str, ...] = ()) -> dict[str, str]:
    env = {
        **process_env(home),
        **fakes.env(),
        "MEDBOOKINGS_QUIET_HOURS": "off",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }
    for name in drop:
        env.pop(name)
    return env


@pytest.fixture
def started() -> Iterator[list[EngineProcess]]:
    """Engines a test starts are stopped after it, whatever its outcome."""
    made: list[EngineProcess] = []
    yield made
    for engine in made:
        engine.stop(timeout=10)


def _start(
    made: list[EngineProcess], url: str, env: dict[str, str], seen: Seen, **options: object
) -> EngineProcess:
    engine = EngineProcess(
        url,
        on_state=seen,
        env=env,
        interval=timedelta(minutes=10),  # no timer passes during a test: wakes only
        **options,  # type: ignore[arg-type]
    )
    made.append(engine)
    engine.start()
    return engine


def test_a_report_crosses_the_pipe_whole() -> None:
    report = RunReport(
        claimed=4,
        sent=[1, 2],
        retried=[3],
        failed=[],
        superseded=[4],
        deferred=[5],
        released=[6],
        recovered=[(7, "found at the vendor: marked sent")],
        statuses=2,
        replies=1,
        more=True,
        calendars={"pushed": 1},
    )
    assert report_from_json(report_json(report)) == report


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_booking_made_elsewhere_is_sent_by_the_child_and_the_window_sees_the_pass(
    db: str,
    request: pytest.FixtureRequest,
    fakes: Fakes,
    tmp_path: Path,
    real_clinic: Callable[[str], SmallClinic],
    started: list[EngineProcess],
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = str(request.getfixturevalue("sqlite_url" if db == "sqlite" else "pg_url"))
    c = real_clinic(url)
    seen = Seen()
    caplog.set_level(logging.INFO)
    engine = _start(started, url, _env(tmp_path, fakes), seen)
    seen.wait(lambda: RunnerState.IDLE in seen.states)  # built, a first pass done

    # the URL (a PostgreSQL one holds a password) is not on the child's command line
    pid = engine.pid
    assert pid is not None
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    assert argv[-6:-1] == ["sync", "--forever", "--supervised", "--interval", "600"]
    assert not [a for a in argv if url in a or "clinic" in a or "postgres" in a]

    [appt] = book_many(c, 1, c.ada.id or 0)  # another connection commits: the child wakes
    [item] = outbox(c.engine, appointment_id=appt.id, kind=OutboxKind.CONFIRMATION.value)
    seen.wait(lambda: item.id in seen.sent())
    assert [t.to for t in fakes.texts()] == [c.ada.phone]
    assert item.id in engine.totals.sent and engine.passes >= 2
    assert RunnerState.RUNNING in seen.states
    # no patient data from the child in the window's log (its records relayed: the test below)
    assert (c.ada.phone or "+44") not in caplog.text


def test_the_childs_log_records_reach_the_window_masked(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import io

    from medbookings_desktop.sync import engine_process

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    pipe = io.StringIO()
    try:
        engine_process.log_to_parent(pipe)  # as the child sets up its log
        logging.getLogger("medbookings_desktop.sync.engine").warning(
            "Twilio refused +44 20 7946 0321 (ada@example.org)"
        )
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)
    line = pipe.getvalue()
    assert "7946" not in line and "ada@example.org" not in line

    caplog.set_level(logging.INFO)
    caplog.clear()
    engine_process._relay_log(io.StringIO(line + "the child's last words\n"))
    [record, words] = caplog.records
    assert record.getMessage() == "Twilio refused [phone] ([email])"
    assert (record.name, record.levelno, record.processName) == (
        "medbookings_desktop.sync.engine",
        logging.WARNING,
        "engine",
    )
    assert words.getMessage() == "the engine's process: the child's last words"


def test_wake_runs_a_pass_now(
    fakes: Fakes,
    sqlite_url: str,
    tmp_path: Path,
    real_clinic: Callable[[str], SmallClinic],
    started: list[EngineProcess],
) -> None:
    real_clinic(sqlite_url)
    seen = Seen()
    engine = _start(started, sqlite_url, _env(tmp_path, fakes), seen, actor="Front desk")
    seen.wait(lambda: seen.passes() >= 1)
    # it opens the database as the window's staff user
    argv = Path(f"/proc/{engine.pid}/cmdline").read_bytes().decode().split("\0")
    assert argv[argv.index("--user") + 1] == "Front desk" and argv.index("--user") < argv.index(
        "sync"
    )
    before = seen.passes()
    engine.wake()  # nothing committed, the timer ten minutes away: only the word wakes it
    seen.wait(lambda: seen.passes() > before)


def test_with_no_sending_service_it_stays_up_until_reconfigured_with_one(
    fakes: Fakes,
    sqlite_url: str,
    tmp_path: Path,
    real_clinic: Callable[[str], SmallClinic],
    started: list[EngineProcess],
) -> None:
    c = real_clinic(sqlite_url)
    no_senders = ("MEDBOOKINGS_TWILIO_SMS_FROM", "MEDBOOKINGS_SENDGRID_FROM_EMAIL")
    seen = Seen()
    engine = _start(started, sqlite_url, _env(tmp_path, fakes, drop=no_senders), seen)
    seen.wait(lambda: seen.passes() >= 1)
    assert engine.state == RunnerState.NOT_CONFIGURED
    assert engine.running() and engine.pid is not None
    [appt] = book_many(c, 1, c.ada.id or 0)
    seen.wait(lambda: seen.passes() >= 2)  # it woke for the booking, and had no one to send
    assert fakes.texts() == []

    # Settings -> Messaging saves the clinic's number and the window says `reconfigure`
    cfg.save(c.ctx, cfg.MessagingConfig(sms_from=SMS_FROM))
    pid = engine.pid
    engine.reconfigure()
    [item] = outbox(c.engine, appointment_id=appt.id, kind=OutboxKind.CONFIRMATION.value)
    seen.wait(lambda: item.id in seen.sent())
    assert engine.state == RunnerState.IDLE
    assert engine.pid == pid and engine.starts == 1  # the same process: no restart
    assert [t.to for t in fakes.texts()] == [c.ada.phone]


def test_stop_lets_the_message_in_hand_finish_and_hands_back_the_rest(
    fakes: Fakes,
    sqlite_url: str,
    tmp_path: Path,
    real_clinic: Callable[[str], SmallClinic],
    started: list[EngineProcess],
) -> None:
    c = real_clinic(sqlite_url)
    seen = Seen()
    engine = _start(started, sqlite_url, _env(tmp_path, fakes), seen)
    seen.wait(lambda: seen.passes() >= 1)
    book_many(c, 40, c.ada.id or 0)
    _wait_for(lambda: len(fakes.texts()) >= 2)  # a batch is being sent
    engine.stop()
    assert engine.exit_codes == [0]
    assert engine.state == RunnerState.STOPPED and not engine.running()
    assert engine.pid is None
    assert seen.states[-1] == RunnerState.STOPPED
    items = outbox(c.engine, kind=OutboxKind.CONFIRMATION.value)
    assert not [i for i in items if i.state == OutboxState.SENDING]
    sent = [i for i in items if i.state == OutboxState.SENT]
    assert len(sent) == len(fakes.texts())  # what reached Twilio is recorded as sent
    assert len(sent) < len(items)  # the rest of the batch went back to the queue


def test_killed_child_is_started_again_and_every_text_goes_once(
    fakes: Fakes,
    sqlite_url: str,
    tmp_path: Path,
    real_clinic: Callable[[str], SmallClinic],
    started: list[EngineProcess],
) -> None:
    c = real_clinic(sqlite_url)
    appointments = book_many(c, 6, c.ada.id or 0)
    fakes.twilio.hang_after_create = True  # the first text goes out, its answer never comes
    seen = Seen()
    engine = _start(started, sqlite_url, _env(tmp_path, fakes), seen, pauses=(0.1,))
    _wait_for(lambda: len(fakes.texts()) == 1)
    first = engine.pid
    assert first is not None
    os.kill(first, signal.SIGKILL)
    fakes.twilio.hang_after_create = False
    seen.wait(lambda: RunnerState.ERROR in seen.states)
    wanted = {a.id for a in appointments}

    def all_sent() -> bool:
        items = outbox(c.engine, kind=OutboxKind.CONFIRMATION.value)
        mine = [i for i in items if i.appointment_id in wanted]
        return {i.state for i in mine} == {OutboxState.SENT}

    _wait_for(all_sent)
    assert engine.starts == 2 and engine.exit_codes == [-signal.SIGKILL]
    assert engine.pid not in (None, first)
    # the text in Twilio's hands was found there, not sent again; the others went once each
    bodies = Counter(t.body for t in fakes.texts())
    assert len(bodies) == len(wanted) and set(bodies.values()) == {1}
    # the restarted child's pass that resolved them reached the window
    seen.wait(lambda: any(r.recovered for r in seen.reports))
    recovered = [o for r in seen.reports for _, o in r.recovered]
    assert "found at the vendor: marked sent" in recovered


def _child(url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """`medbookings sync --forever --supervised` as EngineProcess starts it, read by the test."""
    return subprocess.Popen(
        [sys.executable, "-m", "medbookings_desktop", "sync", "--forever", "--supervised"],
        env={**env, "MEDBOOKINGS_DATABASE_URL": url},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_the_child_stops_cleanly_when_its_window_is_gone(
    fakes: Fakes, sqlite_url: str, tmp_path: Path, real_clinic: Callable[[str], SmallClinic]
) -> None:
    real_clinic(sqlite_url)
    child = _child(sqlite_url, _env(tmp_path, fakes))
    try:
        assert child.stdout is not None and child.stdin is not None
        first = json.loads(child.stdout.readline())
        assert first["state"] == "running" and first["report"] is None
        while (line := json.loads(child.stdout.readline()))["report"] is None:
            pass
        assert line["state"] == "idle" and line["passes"] == 1
        child.stdin.close()  # the window's process ended: nobody writes to the pipe any more
        rest = child.stdout.read()  # to its end: the child closes it as it exits
        err = child.stderr.read() if child.stderr is not None else ""
        child.wait(WAIT_S)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait()
        for pipe in (child.stdin, child.stdout, child.stderr):
            if pipe is not None:
                pipe.close()
    assert child.returncode == 0
    assert json.loads(rest.splitlines()[-1])["state"] == "stopped"
    # its log went to stderr as JSON records, for the window to write; no log file of its own
    records = [json.loads(line) for line in err.splitlines()]
    assert "command 'sync' finished with exit code 0" in [r["msg"] for r in records]
    assert not (tmp_path / "logs" / "medbookings.log").exists() or not (
        (tmp_path / "logs" / "medbookings.log").read_text(encoding="utf-8")
    )


def test_unsupervised_sync_forever_still_refuses_without_a_sending_service(
    fakes: Fakes, sqlite_url: str, tmp_path: Path, real_clinic: Callable[[str], SmallClinic]
) -> None:
    real_clinic(sqlite_url)
    env = _env(
        tmp_path, fakes, drop=("MEDBOOKINGS_TWILIO_SMS_FROM", "MEDBOOKINGS_SENDGRID_FROM_EMAIL")
    )
    done = subprocess.run(
        [sys.executable, "-m", "medbookings_desktop", "sync", "--forever"],
        env={**env, "MEDBOOKINGS_DATABASE_URL": sqlite_url},
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert done.returncode == 1 and "no sending service" in done.stderr


def test_a_child_that_cannot_set_up_the_engine_is_started_again_and_shows_the_error(
    fakes: Fakes, tmp_path: Path, started: list[EngineProcess], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    unreachable = f"sqlite:///{tmp_path / 'no such folder' / 'clinic.sqlite3'}"
    seen = Seen()
    engine = _start(started, unreachable, _env(tmp_path, fakes), seen, pauses=(0.05, 0.1))
    _wait_for(lambda: len(engine.exit_codes) >= 2)  # it failed, and failed again after a pause
    assert set(engine.exit_codes[:2]) == {1}
    assert engine.state == RunnerState.ERROR and engine.running()
    assert RunnerState.ERROR in seen.states
    # why, in the window's log: the child's own account and the supervisor's
    assert "the engine could not be set up" in caplog.text
    assert "the engine's process ended unexpectedly (exit code 1)" in caplog.text
    engine.stop()
    assert engine.state == RunnerState.STOPPED and not engine.running()


def test_the_window_gets_each_pass_as_a_signal_with_its_report(
    fakes: Fakes,
    sqlite_url: str,
    tmp_path: Path,
    real_clinic: Callable[[str], SmallClinic],
    started: list[EngineProcess],
    qtbot,  # type: ignore[no-untyped-def]
) -> None:
    from medbookings_desktop.ui.health_panel import EngineSignals

    c = real_clinic(sqlite_url)
    signals = EngineSignals()
    states: list[str] = []
    signals.stateChanged.connect(states.append)
    engine = EngineProcess(
        sqlite_url,
        on_state=signals.relay,
        env=_env(tmp_path, fakes),
        interval=timedelta(minutes=10),
    )
    started.append(engine)
    with qtbot.waitSignal(signals.passFinished, timeout=int(WAIT_S * 1000)):
        engine.start()
    reports: list[RunReport] = []
    signals.passFinished.connect(reports.append)
    [appt] = book_many(c, 1, c.ada.id or 0)
    [item] = outbox(c.engine, appointment_id=appt.id, kind=OutboxKind.CONFIRMATION.value)
    engine.wake()  # as the window does after a booking
    qtbot.waitUntil(lambda: any(item.id in r.sent for r in reports), timeout=int(WAIT_S * 1000))
    assert all(isinstance(r, RunReport) for r in reports)
    engine.stop()
    qtbot.waitUntil(lambda: states[-1] == "stopped", timeout=5000)
    assert "running" in states and "idle" in states
