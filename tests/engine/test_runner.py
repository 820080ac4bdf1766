"""The runner thread: woken by a booking committed elsewhere (SQLite data_version, PostgreSQL
NOTIFY), not by its timer; stops cleanly and reports its state."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from medbookings_desktop.services import booking
from medbookings_desktop.sync.engine import RunReport
from medbookings_desktop.sync.runner import Runner, RunnerState
from tests.engine.conftest import Fakes, make_engine
from tests.helpers.clinic import SmallClinic


def test_a_booking_wakes_the_runner_which_then_stops_cleanly(
    clinic: SmallClinic, db_url: str, fakes: Fakes
) -> None:
    states: list[RunnerState] = []
    idle, sent = threading.Event(), threading.Event()

    def on_state(state: RunnerState, report: RunReport | None) -> None:
        states.append(state)
        if state is RunnerState.IDLE:
            idle.set()
        if report is not None and report.sent:
            sent.set()

    # the timer alone would take a minute: only the database's change signal can be quick
    runner = Runner(
        lambda: make_engine(clinic, fakes),  # built on the engine's thread
        database_url=db_url,
        interval=timedelta(minutes=1),
        on_state=on_state,
    )
    runner.start()
    try:
        assert idle.wait(20)
        booking.book(
            clinic.ctx,
            patient_id=clinic.ada.id or 0,
            provider_id=clinic.dr_a.id or 0,
            service_id=clinic.checkup.id or 0,
            start=datetime(2026, 6, 2, 8, 0, tzinfo=UTC),
        )
        assert sent.wait(20), "the runner did not wake for the booking"
    finally:
        runner.stop()
    assert not runner.running()
    assert states[-1] is RunnerState.STOPPED
    assert RunnerState.RUNNING in states
    assert len(fakes.texts()) == 1
    assert runner.totals.sent and runner.passes >= 2


def test_a_runner_without_any_service_says_so(clinic: SmallClinic) -> None:
    from medbookings_desktop.sync.engine import Engine

    seen = threading.Event()
    states: list[RunnerState] = []

    def on_state(state: RunnerState, report: RunReport | None) -> None:
        states.append(state)
        seen.set()

    runner = Runner(Engine(clinic.engine, {}, clock=clinic.clock), on_state=on_state)
    runner.start()
    try:
        assert seen.wait(10)
    finally:
        runner.stop()
    assert states[0] is RunnerState.NOT_CONFIGURED
