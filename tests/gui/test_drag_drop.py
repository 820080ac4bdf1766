"""Rescheduling by dragging a tile on the day view, over a real SQLite clinic.

The drag is the view's own (press, move past the drag distance, release on the viewport), so
QTest's mouse events drive it offscreen as a hand would; the ghost shows the snapped target
while the button is down, and the drop goes to booking.reschedule on the write pool.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QColor
from pytestqt.qtbot import QtBot

from medbookings_desktop.ui.main_window import MainWindow
from tests.gui.test_day_view import Desk, open_desk
from tests.helpers.clinic import Clock

LONDON_JUNE = timedelta(hours=1)


@pytest.fixture
def desk(sqlite_url: str, clock: Clock, qtbot: QtBot, qt_settings: QSettings) -> Iterator[Desk]:
    opened = open_desk(sqlite_url, clock, qtbot, qt_settings)
    yield opened
    opened.clinic.engine.dispose()


def _local(window: MainWindow, hour: int, minute: int = 0) -> datetime:
    return window.model.local(datetime(2026, 6, 1, hour, minute, tzinfo=UTC) - LONDON_JUNE)


def _start(desk: Desk, appointment_id: int) -> tuple[datetime, int]:
    with desk.clinic.ctx.read() as uow:
        appt = uow.appointments.get(appointment_id)
    return appt.start, appt.provider_id


def _column_of(window: MainWindow, provider_id: int) -> int:
    return next(i for i, c in enumerate(window.model.columns()) if c.provider_id == provider_id)


def _drag(
    qtbot: QtBot,
    window: MainWindow,
    appointment_id: int,
    column: int,
    hour: int,
    minute: int = 0,
    *,
    release: bool = True,
) -> None:
    """Take the tile 6 px below its top and let go where its top lands on hour:minute."""
    view = window.view
    viewport = view.viewport()
    view.scroll_to_time(_local(window, 9, 30))
    rect = view.visualRect(window.model.find(appointment_id))
    grab = QPoint(rect.left() + 20, rect.top() + 6)
    target = QPoint(
        view.column_rect(column).center().x(), view.y_of(_local(window, hour, minute)) + 6
    )
    assert viewport.rect().contains(grab) and viewport.rect().contains(target)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=grab)
    qtbot.mouseMove(viewport, grab + QPoint(0, 12))
    qtbot.mouseMove(viewport, target)
    if release:
        qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=target)


def _ready(window: MainWindow, qtbot: QtBot) -> None:
    window.resize(900, 700)
    qtbot.waitExposed(window)


def test_a_good_drop_moves_the_appointment(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _ready(window, qtbot)
    dr_a = desk.clinic.dr_a.id or 0
    with qtbot.waitSignal(window.model.loaded):
        _drag(qtbot, window, desk.ben_10, _column_of(window, dr_a), 11)
    start, provider = _start(desk, desk.ben_10)
    assert start == datetime(2026, 6, 1, 10, 0, tzinfo=UTC) and provider == dr_a
    tile = window.model.find(desk.ben_10)
    assert window.model.line(tile).appointment.start == start  # type: ignore[union-attr]
    assert window.selected_id() == desk.ben_10
    assert window.statusBar().currentMessage().startswith("Moved Ben Adams")


def test_the_ghost_shows_the_snapped_target_while_dragging(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _ready(window, qtbot)
    column = _column_of(window, desk.clinic.dr_a.id or 0)
    _drag(qtbot, window, desk.ben_10, column, 11, 7, release=False)  # between grid lines
    assert window.view.dragging()
    target = window.view.drop_target()
    assert target is not None
    assert target[0] == column and target[1].strftime("%H:%M") == "11:00"  # 15-minute grid
    assert window.view.drop_warning() is None
    qtbot.keyClick(window.view, Qt.Key.Key_Escape)
    assert not window.view.dragging()
    qtbot.mouseRelease(window.view.viewport(), Qt.MouseButton.LeftButton)
    assert not window.tasks.busy()
    assert _start(desk, desk.ben_10)[0] == datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def test_a_clashing_drop_is_refused_with_the_reason(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _ready(window, qtbot)
    before = _start(desk, desk.ben_10)
    with qtbot.waitSignal(window.tasks.finished):
        _drag(qtbot, window, desk.ben_10, _column_of(window, desk.clinic.dr_a.id or 0), 9, 15)
    assert _start(desk, desk.ben_10) == before
    message = window.statusBar().currentMessage()
    assert message.startswith("Not moved:") and f"#{desk.ada_9}" in message
    tile = window.view.visualRect(window.model.find(desk.ben_10))
    assert tile.top() - 1 == window.view.y_of(_local(window, 10))  # back where it was


def test_a_drop_outside_hours_is_refused(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _ready(window, qtbot)
    before = _start(desk, desk.ben_10)
    berg = _column_of(window, desk.clinic.dr_b.id or 0)
    with qtbot.waitSignal(window.tasks.finished):
        _drag(qtbot, window, desk.ben_10, berg, 9, 0)  # Dr Berg starts at 10:00
    assert _start(desk, desk.ben_10) == before
    message = window.statusBar().currentMessage()
    assert "outside Dr Lars Berg's working hours" in message


def test_a_drop_on_another_providers_column_moves_it_to_them(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _ready(window, qtbot)
    berg = desk.clinic.dr_b.id or 0
    with qtbot.waitSignal(window.model.loaded):
        _drag(qtbot, window, desk.ben_10, _column_of(window, berg), 11, 30)
    assert _start(desk, desk.ben_10) == (datetime(2026, 6, 1, 10, 30, tzinfo=UTC), berg)
    assert window.model.find(desk.ben_10).column() == _column_of(window, berg)


def test_ctrl_down_moves_the_selected_tile_one_grid_step(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _ready(window, qtbot)
    index = window.model.find(desk.ben_10)
    window.view.setFocus()
    window.view.selectionModel().setCurrentIndex(
        index, window.view.selectionModel().SelectionFlag.ClearAndSelect
    )
    with qtbot.waitSignal(window.model.loaded):
        qtbot.keyClick(window.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ControlModifier)
    assert _start(desk, desk.ben_10)[0] == datetime(2026, 6, 1, 9, 15, tzinfo=UTC)
    assert window.selected_id() == desk.ben_10


def test_a_started_visit_does_not_drag(desk: Desk, qtbot: QtBot) -> None:
    from medbookings_desktop.services import booking

    window = desk.window
    _ready(window, qtbot)
    booking.check_in(desk.clinic.ctx, desk.ada_9)
    with qtbot.waitSignal(window.model.loaded):
        window.reload_calendar()
    index = window.model.find(desk.ada_9)
    assert not window.model.flags(index) & Qt.ItemFlag.ItemIsDragEnabled
    with desk.clinic.ctx.read() as uow:
        before = uow.appointments.get(desk.ada_9)
    _drag(qtbot, window, desk.ada_9, 0, 11, release=False)
    assert not window.view.dragging()
    qtbot.mouseRelease(window.view.viewport(), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.tasks.busy())  # the days read ahead, nothing else
    with desk.clinic.ctx.read() as uow:
        after = uow.appointments.get(desk.ada_9)
    assert (after.start, after.revision) == (before.start, before.revision)


def test_move_earlier_from_the_menu(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    index = window.model.find(desk.ben_10)
    window.view.selectionModel().setCurrentIndex(
        index, window.view.selectionModel().SelectionFlag.ClearAndSelect
    )
    assert window.earlier_action.isEnabled()
    assert window.earlier_action.shortcut().toString() == "Ctrl+Up"
    with qtbot.waitSignal(window.model.loaded):
        window.earlier_action.trigger()
    assert _start(desk, desk.ben_10)[0] == datetime(2026, 6, 1, 8, 45, tzinfo=UTC)


def test_a_drag_held_at_the_bottom_edge_scrolls_the_grid(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _ready(window, qtbot)
    view, viewport = window.view, window.view.viewport()
    view.scroll_to_time(_local(window, 9, 30))
    rect = view.visualRect(window.model.find(desk.ben_10))
    grab = QPoint(rect.left() + 20, rect.top() + 6)
    edge = QPoint(grab.x(), viewport.height() - 3)
    qtbot.mousePress(viewport, Qt.MouseButton.LeftButton, pos=grab)
    qtbot.mouseMove(viewport, grab + QPoint(0, 12))
    qtbot.mouseMove(viewport, edge)
    before = view.verticalScrollBar().value()
    first = view.drop_target()
    qtbot.waitUntil(lambda: view.verticalScrollBar().value() > before + 40)
    later = view.drop_target()
    assert first is not None and later is not None and later[1] > first[1]  # the ghost follows
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.mouseRelease(viewport, Qt.MouseButton.LeftButton, pos=edge)
    assert not window.tasks.busy()


def test_the_ghost_warns_before_a_drop_that_would_be_refused(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _ready(window, qtbot)
    view = window.view
    dr_a = _column_of(window, desk.clinic.dr_a.id or 0)
    berg = _column_of(window, desk.clinic.dr_b.id or 0)
    _drag(qtbot, window, desk.ben_10, dr_a, 9, 15, release=False)
    assert view.drop_warning() == "Overlaps Ada Okafor"
    image = view.viewport().grab().toImage()
    ghost_top = view.y_of(_local(window, 9, 15))
    assert any(
        image.pixel(x, ghost_top + 2) == QColor("#e11d48").rgb()
        for x in range(view.column_rect(dr_a).left(), view.column_rect(dr_a).right())
    )  # a red edge, not the highlight
    qtbot.mouseMove(view.viewport(), QPoint(view.column_rect(berg).center().x(), ghost_top + 6))
    assert view.drop_warning() == "Outside working hours"  # Dr Berg starts at 10:00
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    qtbot.mouseRelease(view.viewport(), Qt.MouseButton.LeftButton)


def test_ctrl_z_moves_a_dropped_appointment_back(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _ready(window, qtbot)
    berg = desk.clinic.dr_b.id or 0
    before = _start(desk, desk.ben_10)
    with qtbot.waitSignal(window.model.loaded):
        _drag(qtbot, window, desk.ben_10, _column_of(window, berg), 11, 30)
    assert _start(desk, desk.ben_10) != before
    with qtbot.waitSignal(window.model.loaded):
        qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _start(desk, desk.ben_10) == before
    assert window.model.find(desk.ben_10).column() == _column_of(window, before[1])
    assert window.statusBar().currentMessage().startswith("Undone: Ben Adams")


def test_undo_walks_back_a_check_in_and_a_move_newest_first(desk: Desk, qtbot: QtBot) -> None:
    from medbookings_desktop.domain.appointments import Status
    from tests.gui.test_day_view import _select, _status

    window = desk.window
    _ready(window, qtbot)
    dr_a = desk.clinic.dr_a.id or 0
    before = _start(desk, desk.ben_10)
    with qtbot.waitSignal(window.model.loaded):
        _drag(qtbot, window, desk.ben_10, _column_of(window, dr_a), 11)
    _select(window, desk.ben_10)
    with qtbot.waitSignal(window.model.loaded):
        window.check_in_action.trigger()
    assert _status(desk, desk.ben_10) is Status.ARRIVED

    with qtbot.waitSignal(window.model.loaded):
        window.undo_action.trigger()
    assert _status(desk, desk.ben_10) is Status.BOOKED
    assert _start(desk, desk.ben_10) == (datetime(2026, 6, 1, 10, 0, tzinfo=UTC), dr_a)
    with qtbot.waitSignal(window.model.loaded):
        window.undo_action.trigger()
    assert _start(desk, desk.ben_10) == before


def test_a_move_changed_since_cannot_be_undone_and_says_why(desk: Desk, qtbot: QtBot) -> None:
    from medbookings_desktop.services import booking

    window = desk.window
    _ready(window, qtbot)
    dr_a = desk.clinic.dr_a.id or 0
    with qtbot.waitSignal(window.model.loaded):
        _drag(qtbot, window, desk.ben_10, _column_of(window, dr_a), 11)
    booking.reschedule(  # another desk moves it again meanwhile
        desk.clinic.ctx, desk.ben_10, start=datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
    )
    window.undo_action.trigger()
    qtbot.waitUntil(lambda: "cannot be undone" in window.statusBar().currentMessage())
    assert _start(desk, desk.ben_10)[0] == datetime(2026, 6, 1, 11, 0, tzinfo=UTC)
