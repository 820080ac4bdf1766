"""Alerts in the real main window over a real SQLite file: failing vendor calls in the
integration log (written through the repository, or by the real engine against the Twilio
fake answering 401) put a banner above the calendar; Dismiss hides it until something new
goes wrong; a recovery takes it away."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from medbookings_desktop.services import attention, booking, health
from medbookings_desktop.services.alerts import Alert, AlertKind
from medbookings_desktop.storage.repositories.attention import CREDENTIALS_REJECTED
from medbookings_desktop.storage.repositories.integration_log import CallRecord
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from medbookings_desktop.ui.alerts import AlertBanner, AlertNotifier
from medbookings_desktop.ui.main_window import MainWindow
from tests.gui.test_desk_window import MON_1000, open_window
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

TWILIO_DOWN = (
    "Text and WhatsApp messages are not going out: Twilio is not responding (the last 3 tries "
    "failed) and 1 message is waiting."
)
TWILIO_REJECTED = (
    "Text and WhatsApp messages are not going out: Twilio rejected the clinic's credentials. "
    "Check them in Settings → Messaging"
)


@pytest.fixture
def clinic_at_ten(sqlite_url: str) -> Iterator[SmallClinic]:
    c = build_small_clinic(sqlite_url, Clock(MON_1000))
    yield c
    c.engine.dispose()


@pytest.fixture
def window(
    clinic_at_ten: SmallClinic, qtbot: QtBot, qt_settings: QSettings
) -> Iterator[MainWindow]:
    w = open_window(clinic_at_ten, qtbot, qt_settings)
    yield w
    w.close()


def _book_ada(c: SmallClinic) -> None:
    """Ada prefers SMS: her confirmation waits for Twilio."""
    booking.book(
        c.ctx,
        patient_id=c.ada.id or 0,
        provider_id=c.dr_a.id or 0,
        service_id=c.consultation.id or 0,
        start=datetime(2026, 6, 2, 9, 0, tzinfo=UTC),
    )


def _log(c: SmallClinic, service: str, *outcomes: str) -> None:
    """Calls a minute apart, the last one now."""
    now = c.clock.now
    n = len(outcomes)
    with SqlUnitOfWork(c.engine) as uow:
        uow.integration_log.record(
            CallRecord(
                service,
                "send_sms",
                now - timedelta(minutes=n - 1 - i),
                25,
                outcome,
                None if outcome == "ok" else "HTTP 503",
            )
            for i, outcome in enumerate(outcomes)
        )
        uow.commit()


def _banner_says(window: MainWindow, text: str) -> bool:
    banner = window.alert_banner
    return banner.isVisible() and any(text in m for m in banner.messages())


def test_a_down_service_shows_the_banner_and_details_opens_the_health_dock(
    window: MainWindow, clinic_at_ten: SmallClinic, qtbot: QtBot
) -> None:
    banner = window.alert_banner
    assert banner.isHidden()
    _book_ada(clinic_at_ten)
    _log(clinic_at_ten, "twilio", "retry", "retry", "retry")
    window.refresh()  # what live refresh calls after another connection wrote
    qtbot.waitUntil(lambda: _banner_says(window, TWILIO_DOWN))
    assert banner.text.text().startswith(TWILIO_DOWN)
    assert banner.accessibleName() == "Service alert"
    assert banner.accessibleDescription() == banner.text.text()
    # above the pages, in the window's middle
    assert window.centralWidget().layout().indexOf(banner) == 0
    assert window.alert_notifier is not None and window.alert_notifier.tray is None  # offscreen

    assert not window.health_dock.isVisible()
    banner.details_button.click()
    assert window.health_dock.isVisible()
    qtbot.waitUntil(lambda: window.health.model.rowCount() == len(health.SERVICES))


def test_dismiss_hides_until_a_new_kind_and_a_recovery_takes_it_away(
    window: MainWindow, clinic_at_ten: SmallClinic, qtbot: QtBot
) -> None:
    c = clinic_at_ten
    banner = window.alert_banner
    _book_ada(c)
    _log(c, "twilio", "retry", "retry", "retry")
    window.refresh()
    qtbot.waitUntil(lambda: _banner_says(window, TWILIO_DOWN))

    with qtbot.waitSignal(banner.dismissed):
        banner.dismiss_button.click()
    assert banner.isHidden()
    # still down, read again: the same alert stays dismissed
    with qtbot.waitSignal(window.health.alerts_changed) as seen:
        window.health.refresh()
    assert [a.kind for a in seen.args[0]] == [AlertKind.DOWN]
    assert banner.isHidden()

    # Twilio now refuses the credentials: a new kind of alert, the banner is back
    with SqlUnitOfWork(c.engine) as uow:
        item = uow.attention.add(CREDENTIALS_REJECTED, "rejected", c.clock.now, service="twilio")
        uow.commit()
    window.refresh()
    qtbot.waitUntil(lambda: _banner_says(window, TWILIO_REJECTED))

    # fixed in Settings, the item resolved, and a text went through: the banner goes by itself
    attention.resolve(c.ctx, item)
    _log(c, "twilio", "ok")
    window.refresh()
    qtbot.waitUntil(lambda: banner.isHidden() and not banner.alerts)


def test_the_engine_meeting_a_401_from_twilio_raises_the_alert_through_live_refresh(
    window: MainWindow, clinic_at_ten: SmallClinic, sqlite_url: str, qtbot: QtBot
) -> None:
    from medbookings_desktop.ui import live_refresh
    from tests.engine.conftest import CrashySendGrid, CrashyTwilio, Fakes, make_engine
    from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN

    c = clinic_at_ten
    fakes = Fakes(CrashySendGrid(), CrashyTwilio(ACCOUNT_SID, AUTH_TOKEN))
    fakes.sendgrid.start()
    fakes.twilio.start()
    watcher = live_refresh.follow(window, sqlite_url)
    try:
        _book_ada(c)
        fakes.twilio_fails(401)
        report = make_engine(c, fakes).run_once()
        assert report.retried  # Ada's confirmation waits for the credentials
        qtbot.waitUntil(lambda: _banner_says(window, TWILIO_REJECTED), timeout=10_000)
        [alert] = window.alert_banner.alerts
        assert (alert.service, alert.kind) == ("twilio", AlertKind.CREDENTIALS_REJECTED)
    finally:
        watcher.stop()
        fakes.sendgrid.stop()
        fakes.twilio.stop()
    assert fakes.sendgrid.violations == [] and fakes.twilio.violations == []


def _alert(service: str, kind: AlertKind) -> Alert:
    return Alert(service, kind, f"{service} {kind.value}")


def test_the_tray_tells_each_alert_once_and_again_after_it_went_away(qtbot: QtBot) -> None:
    notifier = AlertNotifier()
    assert notifier.tray is None  # the offscreen platform has no tray: the banner alone tells
    down = _alert("twilio", AlertKind.DOWN)
    spike = _alert("sendgrid", AlertKind.ERROR_SPIKE)
    assert notifier.set_alerts([down]) == [down]
    assert notifier.set_alerts([down, spike]) == [spike]
    assert notifier.set_alerts([spike]) == []
    assert notifier.set_alerts([down, spike]) == [down]  # Twilio went down again
    rejected = _alert("twilio", AlertKind.CREDENTIALS_REJECTED)
    assert notifier.set_alerts([rejected, spike]) == [rejected]


def test_a_dismissed_banner_comes_back_for_another_service(qtbot: QtBot) -> None:
    banner = AlertBanner()
    qtbot.addWidget(banner)
    banner.show()
    down = _alert("twilio", AlertKind.DOWN)
    banner.set_alerts([down])
    assert banner.isVisible() and banner.text.text() == "twilio down"
    banner.dismiss_button.click()
    banner.set_alerts([down])
    assert banner.isHidden()
    spike = _alert("sendgrid", AlertKind.ERROR_SPIKE)
    banner.set_alerts([down, spike])
    assert banner.isVisible() and banner.messages() == ["twilio down", "sendgrid error_spike"]
    with qtbot.waitSignal(banner.details_requested):
        banner.details_button.click()
    banner.set_alerts([])
    assert banner.isHidden()
