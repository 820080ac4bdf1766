"""The days either side of the one shown are read ahead: Alt+Right shows the next day at
once (then reads it again behind), and a change anywhere drops what was read ahead."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from medbookings_desktop.services import booking
from tests.gui.test_day_view import MONDAY, Desk, open_desk
from tests.helpers.clinic import Clock


@pytest.fixture
def desk(sqlite_url: str, clock: Clock, qtbot: QtBot, qt_settings: QSettings) -> Iterator[Desk]:
    opened = open_desk(sqlite_url, clock, qtbot, qt_settings)
    yield opened
    opened.clinic.engine.dispose()


def _loaded_during(desk: Desk, act: object) -> bool:
    """Whether the day was on screen before `act` returned (no database read waited for)."""
    seen: list[bool] = []
    desk.window.model.loaded.connect(lambda: seen.append(True))
    act()  # type: ignore[operator]
    return bool(seen)


def test_the_next_and_previous_days_show_at_once(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    qtbot.waitUntil(lambda: not window.tasks.busy())  # the neighbours are read
    assert _loaded_during(desk, window.next_action.trigger)
    assert window.model.day == MONDAY + timedelta(days=1)
    qtbot.waitUntil(lambda: not window.tasks.busy())
    assert _loaded_during(desk, window.previous_action.trigger)
    assert window.model.day == MONDAY
    assert window.model.find(desk.ada_9).isValid()


def test_a_change_drops_the_days_read_ahead_and_the_fresh_read_wins(
    desk: Desk, qtbot: QtBot
) -> None:
    window = desk.window
    qtbot.waitUntil(lambda: not window.tasks.busy())
    tuesday_10 = datetime(2026, 6, 2, 9, 0, tzinfo=UTC)
    made = booking.book(
        desk.clinic.ctx,
        patient_id=desk.clinic.ada.id or 0,
        provider_id=desk.clinic.dr_a.id or 0,
        service_id=desk.clinic.consultation.id or 0,
        start=tuesday_10,
    )
    with qtbot.waitSignal(window.model.loaded):
        window.refresh()  # as live refresh does after another desk's write
    qtbot.waitUntil(lambda: not window.tasks.busy())
    window.next_action.trigger()
    qtbot.waitUntil(lambda: window.model.find(made.appointment.id or 0).isValid())
