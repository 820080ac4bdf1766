"""Settings → Messaging saved: the running engine is built again and uses the new channels."""

from __future__ import annotations

import threading
from datetime import timedelta

from medbookings_desktop.sync.engine import Engine, RunReport
from medbookings_desktop.sync.runner import Runner, RunnerState
from tests.engine.conftest import Fakes, make_engine
from tests.helpers.clinic import SmallClinic


def test_reconfigure_builds_the_engine_again_before_the_next_pass(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    configured = threading.Event()
    builds: list[Engine] = []
    states: list[RunnerState] = []
    seen = threading.Event()

    def build() -> Engine:
        # the first build finds no service set up; after "saving the settings" it finds them
        engine = (
            make_engine(clinic, fakes)
            if configured.is_set()
            else Engine(clinic.engine, {}, clock=clinic.clock)
        )
        builds.append(engine)
        return engine

    def on_state(state: RunnerState, report: RunReport | None) -> None:
        states.append(state)
        seen.set()

    runner = Runner(build, interval=timedelta(minutes=5), on_state=on_state)
    runner.start()
    try:
        assert seen.wait(10)
        assert states[0] is RunnerState.NOT_CONFIGURED
        seen.clear()
        configured.set()
        runner.reconfigure()  # the timer alone would wait five minutes
        assert _wait_for(lambda: RunnerState.IDLE in states)
    finally:
        runner.stop()
    assert len(builds) == 2
    assert runner.engine is builds[1] and builds[1].channels


def test_a_runner_given_a_ready_engine_keeps_it(clinic: SmallClinic) -> None:
    engine = Engine(clinic.engine, {}, clock=clinic.clock)
    passes = threading.Event()
    runner = Runner(engine, on_state=lambda state, report: passes.set() if report else None)
    runner.start()
    try:
        assert passes.wait(10)
        passes.clear()
        runner.reconfigure()
        assert passes.wait(10)  # it still ran a pass at once
    finally:
        runner.stop()
    assert runner.engine is engine


def _wait_for(condition: object, timeout: float = 20) -> bool:
    done = threading.Event()
    for _ in range(int(timeout * 20)):
        if condition():  # type: ignore[operator]
            return True
        done.wait(0.05)
    return False
