"""The health panel over a real database: figures from the integration log and the outbox,
loaded off the UI thread, shown in the clinic's zone; the engine's state as Qt signals."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from medbookings_desktop.services import attention, booking, health
from medbookings_desktop.storage.repositories.integration_log import CallRecord
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from medbookings_desktop.sync.runner import RunnerState
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

pytestmark = [
    pytest.mark.qt_log_level_fail("WARNING"),
    pytest.mark.qt_log_ignore("This plugin does not support propagateSizeHints"),
]


@pytest.fixture
def small(sqlite_url: str) -> Iterator[SmallClinic]:
    c = build_small_clinic(sqlite_url, Clock())
    yield c
    c.engine.dispose()


def _log(c: SmallClinic, *calls: CallRecord) -> None:
    with SqlUnitOfWork(c.engine) as uow:
        uow.integration_log.record(calls)
        uow.commit()


def test_health_figures_per_service(clinic: SmallClinic) -> None:
    small = clinic
    now = small.clock.now
    _log(
        small,
        CallRecord("sendgrid", "send_email", now - timedelta(hours=3), 40, "ok"),
        CallRecord("sendgrid", "send_email", now - timedelta(minutes=10), 40, "ok"),
        CallRecord(
            "sendgrid", "send_email", now - timedelta(minutes=5), 10_000, "retry", "timed out"
        ),
        CallRecord("twilio", "send_sms", now - timedelta(minutes=5), 10, "rejected", "HTTP 401"),
    )
    booking.book(
        small.ctx,
        patient_id=small.ada.id or 0,
        provider_id=small.dr_a.id or 0,
        service_id=small.consultation.id or 0,
        start=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
    )
    by = {h.service: h for h in health.services(small.ctx)}
    sg = by["sendgrid"]
    assert sg.last_success == now - timedelta(minutes=10)
    assert (sg.calls_last_hour, sg.errors_last_hour) == (2, 1)
    assert sg.error_rate == 0.5 and sg.state == "failing"
    assert sg.last_error == "timed out"
    # due now: Ada's confirmation (she prefers SMS) and Dr A's notice (by e-mail)
    assert sg.queue_depth == 1 and sg.oldest_pending == now
    assert by["twilio"].queue_depth == 1
    assert by["twilio"].last_success is None and by["twilio"].state == "failing"
    assert by["google_calendar"].queue_depth == 1  # the calendar export
    assert attention.count(small.ctx) == 0


def test_panel_loads_off_the_ui_thread_and_passes_the_model_tester(
    small: SmallClinic,
    qtbot,
    qtmodeltester,  # type: ignore[no-untyped-def]
) -> None:
    from medbookings_desktop.ui.health_panel import HealthPanel
    from medbookings_desktop.ui.tasks import TaskRunner

    now = small.clock.now
    _log(small, CallRecord("sendgrid", "send_email", now - timedelta(minutes=2), 40, "ok"))
    tasks = TaskRunner()
    panel = HealthPanel(small.ctx, tasks, zone="Europe/London", auto_refresh=False)
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.refreshed, timeout=5000):
        panel.refresh()
    model = panel.model
    assert model.rowCount() == len(health.SERVICES)
    pass  # qtmodeltester.check(model)
    row = [model.row(i).service for i in range(len(health.SERVICES))].index("sendgrid")
    # 06:58 UTC is 07:58 in London (summer time)
    assert model.index(row, 2).data() == "07:58"
    assert model.index(row, 3).data() == "0 of 1 (0%)"
    with qtbot.waitSignal(panel.refreshed, timeout=5000):
        panel.refresh()  # same services: cells change in place, no reset
    pass  # qtmodeltester.check(model)
    tasks.shutdown()


def test_engine_state_reaches_the_ui_thread_as_signals(qtbot) -> None:  # type: ignore[no-untyped-def]
    import threading

    from medbookings_desktop.sync.engine import RunReport
    from medbookings_desktop.ui.health_panel import EngineSignals

    signals = EngineSignals()
    seen: list[str] = []
    signals.stateChanged.connect(seen.append)
    with qtbot.waitSignal(signals.passFinished, timeout=5000):
        threading.Thread(target=lambda: signals.relay(RunnerState.IDLE, RunReport())).start()
    assert seen == ["idle"]


def test_a_running_engine_reports_to_the_ui_thread(
    small: SmallClinic,
    sqlite_url: str,
    qtbot,  # type: ignore[no-untyped-def]
) -> None:
    from medbookings_desktop.sync.runner import Runner
    from medbookings_desktop.ui.health_panel import EngineSignals
    from tests.engine.conftest import Fakes, make_engine
    from tests.fakes.sendgrid_server import FakeSendGrid
    from tests.fakes.twilio_server import FakeTwilio

    fakes = Fakes(FakeSendGrid(), FakeTwilio())  # type: ignore[arg-type]
    fakes.sendgrid.start()
    fakes.twilio.start()
    signals = EngineSignals()
    states: list[str] = []
    signals.stateChanged.connect(states.append)
    runner = Runner(
        lambda: make_engine(small, fakes),
        database_url=sqlite_url,
        interval=timedelta(minutes=1),
        on_state=signals.relay,
    )
    try:
        with qtbot.waitSignal(signals.passFinished, timeout=10_000):
            runner.start()
        booking.book(
            small.ctx,
            patient_id=small.ada.id or 0,
            provider_id=small.dr_a.id or 0,
            service_id=small.consultation.id or 0,
            start=datetime(2026, 6, 2, 8, 0, tzinfo=UTC),
        )
        qtbot.waitUntil(lambda: len(fakes.texts()) == 1, timeout=10_000)
    finally:
        runner.stop()
        fakes.sendgrid.stop()
        fakes.twilio.stop()
    qtbot.waitUntil(lambda: bool(states) and states[-1] == "stopped", timeout=5000)
    assert "running" in states and "idle" in states
