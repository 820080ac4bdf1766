"""The task helper: work on a pool thread, results and errors back on the UI thread."""

from __future__ import annotations

import threading

import pytest
from pytestqt.qtbot import QtBot

from medbookings_desktop.domain.errors import Refused
from medbookings_desktop.ui.tasks import TaskRunner


def test_a_job_runs_off_the_ui_thread_and_its_result_comes_back_on_it(qtbot: QtBot) -> None:
    runner = TaskRunner()
    seen: dict[str, int] = {}

    def on_done(worker: int) -> None:
        seen["worker"] = worker
        seen["callback"] = threading.get_ident()

    with qtbot.waitSignal(runner.finished):
        runner.run(threading.get_ident, on_done)
    assert seen["callback"] == threading.get_ident()
    assert seen["worker"] != threading.get_ident()
    assert not runner.busy()
    runner.shutdown()


def test_an_error_goes_to_on_error(qtbot: QtBot) -> None:
    runner = TaskRunner()
    errors: list[BaseException] = []

    def refuse() -> None:
        raise Refused("That slot was just taken.")

    with qtbot.waitSignal(runner.finished):
        runner.run(refuse, lambda _: pytest.fail("no result expected"), errors.append)
    assert [str(e) for e in errors] == ["That slot was just taken."]
    runner.shutdown()


def test_writes_run_in_the_order_asked(qtbot: QtBot) -> None:
    runner = TaskRunner()
    order: list[int] = []
    for n in range(5):
        runner.run(lambda n=n: n, order.append, write=True)
    qtbot.waitUntil(lambda: len(order) == 5)
    assert order == [0, 1, 2, 3, 4]
    runner.shutdown()


def test_after_shutdown_nothing_new_starts(qtbot: QtBot) -> None:
    runner = TaskRunner()
    runner.shutdown()
    ran: list[int] = []
    assert runner.closed
    assert runner.run(lambda: ran.append(1), ran.append) == 0  # a closing window may still ask
    qtbot.wait(50)
    assert ran == []
