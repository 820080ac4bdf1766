"""One provider's week: seven day columns, hours shaded per day, opened from the day view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from PySide6.QtCore import QItemSelectionModel, QPoint, QSettings, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from medbookings_desktop.services import booking
from medbookings_desktop.ui.main_window import MainWindow
from medbookings_desktop.ui.week_model import week_start
from tests.gui.test_day_view import Desk, open_desk
from tests.helpers.clinic import Clock

MONDAY = date(2026, 6, 1)


@pytest.fixture
def desk(sqlite_url: str, clock: Clock, qtbot: QtBot, qt_settings: QSettings) -> Iterator[Desk]:
    opened = open_desk(sqlite_url, clock, qtbot, qt_settings)
    yield opened
    opened.clinic.engine.dispose()


def _week_of_berg(desk: Desk, qtbot: QtBot) -> MainWindow:
    window = desk.window
    index = window.model.find(desk.ben_berg)
    window.view.setFocus()
    window.view.selectionModel().setCurrentIndex(
        index, QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    with qtbot.waitSignal(window.week_model.loaded):
        qtbot.keyClick(window.view, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    return window


@pytest.fixture
def wednesday(desk: Desk) -> int:
    """Ada with Dr Berg on Wednesday 3 June, 11:00 London."""
    clinic = desk.clinic
    return (
        booking.book(
            clinic.ctx,
            patient_id=clinic.ada.id or 0,
            provider_id=clinic.dr_b.id or 0,
            service_id=clinic.checkup.id or 0,
            start=datetime(2026, 6, 3, 10, 0, tzinfo=UTC),
        ).appointment.id
        or 0
    )


def test_ctrl_2_opens_the_selected_providers_week(desk: Desk, wednesday: int, qtbot: QtBot) -> None:
    window = _week_of_berg(desk, qtbot)
    model = window.week_model
    assert window.in_week_view() and window.week_view.hasFocus()
    assert model.provider_id == desk.clinic.dr_b.id
    assert [model.column_day(c) for c in range(7)] == [date(2026, 6, d) for d in range(1, 8)]
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Mon 1 Jun"
    assert model.find(desk.ben_berg).column() == 0
    assert model.find(wednesday).column() == 2
    assert [model.count(c) for c in range(7)] == [1, 0, 1, 0, 0, 0, 0]
    assert window.date_label.text().startswith("Dr Lars Berg · week of 1 Jun")


def test_the_week_model_passes_the_model_tester(
    desk: Desk, wednesday: int, qtbot: QtBot, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    window = _week_of_berg(desk, qtbot)
    qtmodeltester.check(window.week_model)
    booking.cancel(desk.clinic.ctx, wednesday, reason="Away")
    with qtbot.waitSignal(window.week_model.loaded):
        window.reload_calendar()
    qtmodeltester.check(window.week_model)
    assert window.week_model.find(wednesday).isValid() is False


def test_hours_are_shaded_per_day(desk: Desk, qtbot: QtBot) -> None:
    window = _week_of_berg(desk, qtbot)
    view = window.week_view
    # Dr Berg works Monday and Wednesday 10:00-14:00: Tuesday is all outside hours
    assert {s.kind for s in view.shades(1)} == {"outside"}
    assert len(view.shades(1)) == 1
    monday = view.shades(0)
    assert len([s for s in monday if s.kind == "outside"]) == 2  # before 10:00 and after 14:00
    base = view.palette().color(view.palette().ColorRole.Base)
    at_eleven = window.model.local(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    view.scroll_to_time(at_eleven)
    image = view.viewport().grab().toImage()
    y = view.y_of(at_eleven) + 8
    assert QColor(image.pixel(view.column_rect(2).right() - 4, y)) == base  # Wednesday 11:00
    assert QColor(image.pixel(view.column_rect(1).right() - 4, y)) != base  # Tuesday


def test_the_now_line_is_in_todays_column_only(desk: Desk, qtbot: QtBot) -> None:
    window = _week_of_berg(desk, qtbot)
    view = window.week_view
    view.scroll_to_time(window.model.local(desk.clinic.clock()))
    image = view.viewport().grab().toImage()
    red = QColor("#e11d48").rgb()

    def reds(column: int) -> int:
        x = view.column_rect(column).center().x()
        return sum(1 for y in range(image.height()) if image.pixel(x, y) == red)

    assert reds(0) > 0 and reds(3) == 0


def test_alt_right_moves_a_week_and_ctrl_1_goes_back_to_the_day(desk: Desk, qtbot: QtBot) -> None:
    window = _week_of_berg(desk, qtbot)
    with qtbot.waitSignal(window.week_model.loaded):
        qtbot.keyClick(window.week_view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert window.week_model.day == date(2026, 6, 8)
    assert window.next_action.text() == "&Next week"
    with qtbot.waitSignal(window.model.loaded):
        qtbot.keyClick(window.week_view, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert not window.in_week_view()
    assert window.model.day == date(2026, 6, 8)
    assert window.next_action.text() == "&Next day"


def test_double_click_on_a_day_opens_it(desk: Desk, wednesday: int, qtbot: QtBot) -> None:
    window = _week_of_berg(desk, qtbot)
    view = window.week_view
    header = QPoint(view.column_rect(2).center().x(), 5)
    with qtbot.waitSignal(window.model.loaded):
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=header)
    assert not window.in_week_view()
    assert window.model.day == date(2026, 6, 3)
    assert window.model.find(wednesday).isValid()


def test_dragging_to_another_day_moves_it_there(desk: Desk, wednesday: int, qtbot: QtBot) -> None:
    window = _week_of_berg(desk, qtbot)
    window.resize(900, 700)
    qtbot.waitExposed(window)
    view = window.week_view
    viewport = view.viewport()
    eleven = window.model.local(datetime(2026, 6, 1, 10, 0, tzinfo=UTC))
    view.scroll_to_time(eleven)
    rect = view.visualRect(window.week_model.find(desk.ben_berg))
    grab = QPoint(rect.left() + 10, rect.top() + 6)
    # 12:00 on Wednesday: an hour below where it was
    target = QPoint(view.column_rect(2).center().x(), view.y_of(eleven.replace(hour=12)) + 6)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=grab)
    qtbot.mouseMove(viewport, grab + QPoint(0, 12))
    qtbot.mouseMove(viewport, target)
    with qtbot.waitSignal(window.week_model.loaded):
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=target)
    with desk.clinic.ctx.read() as uow:
        moved = uow.appointments.get(desk.ben_berg)
    assert moved.start == datetime(2026, 6, 3, 11, 0, tzinfo=UTC)
    assert window.week_model.find(desk.ben_berg).column() == 2


def test_week_start_is_the_monday() -> None:
    assert week_start(date(2026, 6, 7)) == MONDAY
    assert week_start(MONDAY) == MONDAY
