"""The main window over a real SQLite clinic: the day's tiles, day switching, status keys."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from PySide6.QtCore import QItemSelectionModel, QSettings, Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QInputDialog
from pytestqt.qtbot import QtBot

from medbookings_desktop.bootstrap import context_for, open_engine
from medbookings_desktop.domain.appointments import Status
from medbookings_desktop.services import booking
from medbookings_desktop.ui.app import database_label
from medbookings_desktop.ui.day_model import DayModel, Role
from medbookings_desktop.ui.main_window import MainWindow
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

MONDAY = date(2026, 6, 1)


@dataclass
class Desk:
    clinic: SmallClinic
    window: MainWindow
    ada_9: int  # Ada with Dr Mokoena 09:00 London
    ben_10: int  # Ben with Dr Mokoena 10:00
    ben_berg: int  # Ben with Dr Berg 10:30
    cancelled: int  # Ada with Dr Mokoena 11:00, cancelled


def _at(hour: int, minute: int = 0) -> datetime:
    # June: London is UTC+1
    return datetime(2026, 6, 1, hour - 1, minute, tzinfo=UTC)


def open_desk(sqlite_url: str, clock: Clock, qtbot: QtBot, qt_settings: QSettings) -> Desk:
    """The small clinic with four bookings on Monday 1 June, and the window open on it."""
    clinic = build_small_clinic(sqlite_url, clock)
    ctx = clinic.ctx

    def book(patient: int, provider: int, service: int, start: datetime) -> int:
        outcome = booking.book(
            ctx, patient_id=patient, provider_id=provider, service_id=service, start=start
        )
        assert outcome.appointment.id is not None
        return outcome.appointment.id

    a, b = clinic.ada.id or 0, clinic.ben.id or 0
    dr_a, dr_b = clinic.dr_a.id or 0, clinic.dr_b.id or 0
    consult, checkup = clinic.consultation.id or 0, clinic.checkup.id or 0
    ada_9 = book(a, dr_a, consult, _at(9))
    ben_10 = book(b, dr_a, checkup, _at(10))
    ben_berg = book(b, dr_b, checkup, _at(10, 30))
    cancelled = book(a, dr_a, checkup, _at(11))
    booking.cancel(ctx, cancelled, reason="Patient rang to cancel")

    window = MainWindow(ctx, database="SQLite: test.sqlite3", settings=qt_settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.model.loaded):
        window.show()
    qtbot.waitUntil(lambda: not window.tasks.busy())  # the filters' choices too
    return Desk(clinic, window, ada_9, ben_10, ben_berg, cancelled)


@pytest.fixture
def desk(sqlite_url: str, clock: Clock, qtbot: QtBot, qt_settings: QSettings) -> Iterator[Desk]:
    opened = open_desk(sqlite_url, clock, qtbot, qt_settings)
    yield opened
    opened.clinic.engine.dispose()


def _ids(model: DayModel) -> set[int]:
    found = set()
    for c in range(model.columnCount()):
        for r in range(model.rowCount()):
            appointment_id = model.data(model.index(r, c), Role.APPOINTMENT_ID)
            if appointment_id is not None:
                found.add(appointment_id)
    return found


def _select(window: MainWindow, appointment_id: int) -> None:
    index = window.model.find(appointment_id)
    assert index.isValid()
    window.view.setFocus()
    window.view.selectionModel().setCurrentIndex(
        index, QItemSelectionModel.SelectionFlag.ClearAndSelect
    )


def _status(desk: Desk, appointment_id: int) -> Status:
    with desk.clinic.ctx.read() as uow:
        return uow.appointments.get(appointment_id).status


def test_window_opens_on_the_clinics_today_with_its_bookings(desk: Desk) -> None:
    window, model = desk.window, desk.window.model
    assert window.day == MONDAY and model.day == MONDAY
    assert _ids(model) == {desk.ada_9, desk.ben_10, desk.ben_berg}
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == ["Dr Lars Berg", "Dr Thandi Mokoena"]
    assert [model.count(c) for c in range(model.columnCount())] == [1, 2]
    tile = model.find(desk.ada_9)
    assert model.data(tile) == "Ada Okafor"
    assert model.data(tile, Role.START).strftime("%H:%M") == "09:00"
    assert "Consultation" in model.data(tile, Qt.ItemDataRole.ToolTipRole)
    assert "(today)" in window.date_label.text()
    assert window.database_label.text() == "SQLite: test.sqlite3"


def test_the_day_view_paints_tiles(desk: Desk) -> None:
    view = desk.window.view
    view.scrollTo(desk.window.model.find(desk.ada_9))
    image = view.viewport().grab().toImage()
    colours = {
        image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, image.height(), 7)
    }
    assert len(colours) > 3
    # the tile's left edge carries the status colour
    rect = view.visualRect(desk.window.model.find(desk.ada_9))
    assert not rect.isEmpty()
    edge = QColor(image.pixel(rect.left() + 2, rect.center().y()))
    assert edge.name() == "#3b82f6"


def test_next_previous_and_today_reload_the_day(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    with qtbot.waitSignal(window.model.loaded):
        window.next_action.trigger()
    assert window.model.day == MONDAY + timedelta(days=1)
    assert _ids(window.model) == set()
    assert "(today)" not in window.date_label.text()
    with qtbot.waitSignal(window.model.loaded):
        window.previous_action.trigger()
    with qtbot.waitSignal(window.model.loaded):
        window.previous_action.trigger()
    assert window.model.day == MONDAY - timedelta(days=1)
    with qtbot.waitSignal(window.model.loaded):
        window.today_action.trigger()
    assert window.model.day == MONDAY
    assert _ids(window.model) == {desk.ada_9, desk.ben_10, desk.ben_berg}


def test_day_keys_and_quit_work_from_the_keyboard(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    window.activateWindow()
    qtbot.waitActive(window)
    assert window.view.hasFocus()
    with qtbot.waitSignal(window.model.loaded):
        qtbot.keyClick(window.view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert window.model.day == MONDAY + timedelta(days=1)
    with qtbot.waitSignal(window.model.loaded):
        qtbot.keyClick(window.view, Qt.Key.Key_T, Qt.KeyboardModifier.ControlModifier)
    assert window.model.day == MONDAY
    qtbot.keyClick(window.view, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert not window.isVisible()


def test_key_i_checks_in_and_ctrl_z_undoes(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    assert not window.check_in_action.isEnabled()
    _select(window, desk.ada_9)
    assert window.check_in_action.isEnabled()
    with qtbot.waitSignal(window.model.loaded):
        qtbot.keyClick(window.view, Qt.Key.Key_I)
    assert _status(desk, desk.ada_9) is Status.ARRIVED
    index = window.model.find(desk.ada_9)
    assert window.model.data(index, Role.STATUS) is Status.ARRIVED
    assert window.selected_id() == desk.ada_9  # the tile stays selected after the reload
    assert window.statusBar().currentMessage().startswith("Checked in Ada Okafor (09:00")

    with qtbot.waitSignal(window.model.loaded):
        qtbot.keyClick(window.view, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert _status(desk, desk.ada_9) is Status.BOOKED
    assert "Undone" in window.statusBar().currentMessage()


def test_key_n_marks_a_no_show(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _select(window, desk.ben_10)
    with qtbot.waitSignal(window.model.loaded):
        qtbot.keyClick(window.view, Qt.Key.Key_N)
    assert _status(desk, desk.ben_10) is Status.NO_SHOW
    assert window.model.data(window.model.find(desk.ben_10), Role.STATUS) is Status.NO_SHOW
    assert window.view.viewport().grab().toImage().width() > 0  # a struck-through tile paints


def test_arrow_keys_move_between_tiles(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _select(window, desk.ada_9)
    qtbot.keyClick(window.view, Qt.Key.Key_Down)
    assert window.selected_id() == desk.ben_10
    qtbot.keyClick(window.view, Qt.Key.Key_Left)  # Dr Berg's column, nearest in time
    assert window.selected_id() == desk.ben_berg


def test_a_newer_day_wins_over_a_load_still_running(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    window.next_action.trigger()
    window.next_action.trigger()
    qtbot.waitUntil(lambda: window.model.day == MONDAY + timedelta(days=2))
    assert not window.tasks.busy() or window.model.day == MONDAY + timedelta(days=2)
    qtbot.waitUntil(lambda: not window.tasks.busy())
    assert window.model.day == MONDAY + timedelta(days=2)


def test_delete_asks_why_then_cancels_and_ctrl_z_brings_it_back(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _select(window, desk.ben_10)

    def give_reason() -> None:
        ask = QApplication.activeModalWidget()
        assert isinstance(ask, QInputDialog)
        ask.setTextValue("Feeling better")
        ask.accept()

    QTimer.singleShot(0, give_reason)
    with qtbot.waitSignal(window.model.loaded):
        qtbot.keyClick(window.view, Qt.Key.Key_Delete)
    assert _status(desk, desk.ben_10) is Status.CANCELLED
    assert desk.ben_10 not in _ids(window.model)
    assert window.statusBar().currentMessage().startswith("Cancelled Ben Adams (10:00")
    with qtbot.waitSignal(window.model.loaded):
        window.undo_action.trigger()
    assert _status(desk, desk.ben_10) is Status.BOOKED
    assert desk.ben_10 in _ids(window.model)


def test_closing_the_reason_box_keeps_the_appointment(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _select(window, desk.ben_10)
    QTimer.singleShot(0, lambda: QApplication.activeModalWidget().reject())
    window.cancel_action.trigger()
    assert not window.tasks.busy()
    assert _status(desk, desk.ben_10) is Status.BOOKED


def test_a_tiles_context_menu_offers_the_status_changes(desk: Desk) -> None:
    view = desk.window.view
    assert view.contextMenuPolicy() is Qt.ContextMenuPolicy.ActionsContextMenu
    offered = [a.text() for a in view.actions() if not a.isSeparator()]
    assert offered == [
        "Check &in",
        "&Start",
        "&Complete",
        "&No-show",
        "C&ancel appointment…",
        "&Reschedule…",
        "&Undo",
    ]


def test_a_red_line_marks_now_on_today_only(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    now_red = QColor("#e11d48").rgb()

    def red_rows() -> int:
        image = window.view.viewport().grab().toImage()
        x = image.width() // 2
        return sum(1 for y in range(image.height()) if image.pixel(x, y) == now_red)

    window.view.scroll_to_time(window.model.local(desk.clinic.clock()))
    assert red_rows() > 0  # 08:00 London on the clinic's clock
    with qtbot.waitSignal(window.model.loaded):
        window.next_action.trigger()
    assert red_rows() == 0


def test_a_refused_change_says_why_in_the_status_bar(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    _select(window, desk.ben_10)
    with qtbot.waitSignal(window.tasks.finished):
        qtbot.keyClick(window.view, Qt.Key.Key_S)  # booked -> in progress is not allowed
    assert _status(desk, desk.ben_10) is Status.BOOKED
    assert window.statusBar().currentMessage()


def test_clicking_a_tile_selects_it(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    index = window.model.find(desk.ben_berg)
    window.view.scrollTo(index)
    rect = window.view.visualRect(index)
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.selected_id() == desk.ben_berg


def test_cancelled_hidden_by_default_and_shown_with_the_toggle(desk: Desk) -> None:
    window = desk.window
    assert desk.cancelled not in _ids(window.model)
    window.cancelled_action.setChecked(True)
    assert desk.cancelled in _ids(window.model)
    index = window.model.find(desk.cancelled)
    assert window.model.data(index, Role.STATUS) is Status.CANCELLED
    assert [window.model.count(c) for c in range(window.model.columnCount())] == [1, 2]
    window.cancelled_action.setChecked(False)
    assert desk.cancelled not in _ids(window.model)


def test_a_cancelled_tile_and_its_rebooking_sit_side_by_side(desk: Desk, qtbot: QtBot) -> None:
    clinic, window = desk.clinic, desk.window
    rebooked = booking.book(
        clinic.ctx,
        patient_id=clinic.ben.id or 0,
        provider_id=clinic.dr_a.id or 0,
        service_id=clinic.checkup.id or 0,
        start=_at(11),
    ).appointment.id
    window.cancelled_action.setChecked(True)
    with qtbot.waitSignal(window.model.loaded):
        window.model.reload()
    old = window.view.visualRect(window.model.find(desk.cancelled))
    new = window.view.visualRect(window.model.find(rebooked or 0))
    assert old.top() == new.top() and not old.intersects(new)
    window.cancelled_action.setChecked(False)
    alone = window.view.visualRect(window.model.find(rebooked or 0))
    assert alone.width() > new.width()


def test_day_model_passes_the_model_tester(desk: Desk, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    desk.window.cancelled_action.setChecked(True)
    qtmodeltester.check(desk.window.model)


def test_window_remembers_its_geometry(desk: Desk, qt_settings: QSettings, qtbot: QtBot) -> None:
    desk.window.resize(700, 500)  # the offscreen screen is 800 x 600
    desk.window.close()
    again = MainWindow(desk.clinic.ctx, settings=qt_settings)
    qtbot.addWidget(again)
    assert (again.width(), again.height()) == (700, 500)


def test_an_empty_clinic_opens_and_says_what_to_do(
    sqlite_url: str, clock: Clock, qtbot: QtBot, qt_settings: QSettings
) -> None:
    engine, _ = open_engine(sqlite_url, backup_dir=None)
    window = MainWindow(context_for(engine, clock=clock), settings=qt_settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.model.loaded):
        window.show()
    assert window.model.columnCount() == 0
    image = window.view.viewport().grab().toImage()
    assert (
        len({image.pixel(x, y) for x in range(0, image.width(), 5) for y in (image.height() // 2,)})
        > 1
    )
    window.close()
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "label"),
    [
        ("sqlite:////home/desk/clinic.sqlite3", "SQLite: clinic.sqlite3"),
        (
            "postgresql+psycopg://desk:secret@db.example.org:5433/clinic",
            "PostgreSQL: db.example.org:5433/clinic",
        ),
        ("postgresql://desk:secret@localhost/clinic", "PostgreSQL: localhost/clinic"),
    ],
)
def test_status_bar_names_the_database_without_a_password(url: str, label: str) -> None:
    assert database_label(url) == label


def test_status_bar_says_the_engine_is_not_running(desk: Desk) -> None:
    label = desk.window.engine_label
    assert label.text() == "Engine: not running"
    assert label.isVisible() and label.accessibleName()


def test_dates_follow_the_clinics_locale_and_the_title_its_name(desk: Desk) -> None:
    # en_GB writes the day before the month, whatever this machine's locale is
    assert desk.window.date_label.text() == "Monday, 1 June 2026 (today)"
    assert desk.window.windowTitle().startswith("Riverside Clinic")


def test_the_corner_names_the_zone_of_the_times(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    assert window.view.zone_abbreviation() == "BST"
    with qtbot.waitSignal(window.model.loaded):
        window.show_day(date(2026, 12, 7))
    assert window.view.zone_abbreviation() == "GMT"


# -- working hours, breaks, time off and busy blocks --------------------------------------------


def _column(window: MainWindow, provider_id: int) -> int:
    return next(i for i, c in enumerate(window.model.columns()) if c.provider_id == provider_id)


def _pixel(window: MainWindow, column: int, hour: int, minute: int = 0) -> QColor:
    """The colour painted in a column's free space (its right edge) at a London time."""
    view = window.view
    local = window.model.local(_at(hour, minute))
    view.scroll_to_time(local)
    image = view.viewport().grab().toImage()
    x = view.column_rect(column).right() - 4
    return QColor(image.pixel(x, view.y_of(local) + 8))


def test_the_model_carries_each_providers_hours_for_the_day(desk: Desk) -> None:
    window, clinic = desk.window, desk.clinic
    hours = window.model.hours_for(_column(window, clinic.dr_a.id or 0))
    assert hours is not None
    assert [(iv.start, iv.end) for iv in hours.working] == [(_at(9), _at(17))]
    assert [(b.start, b.end, b.label) for b in hours.breaks] == [(_at(12, 30), _at(13), "Lunch")]
    berg = window.model.hours_for(_column(window, clinic.dr_b.id or 0))
    assert berg is not None and [(iv.start, iv.end) for iv in berg.working] == [(_at(10), _at(14))]


def test_outside_hours_are_shaded_and_working_hours_are_not(desk: Desk) -> None:
    window = desk.window
    base = window.view.palette().color(window.view.palette().ColorRole.Base)
    berg = _column(window, desk.clinic.dr_b.id or 0)
    assert _pixel(window, berg, 11) == base  # Dr Berg works 10:00-14:00
    assert _pixel(window, berg, 9) != base
    assert _pixel(window, berg, 15) != base
    kinds = {s.kind for s in window.view.shades(berg)}
    assert kinds == {"outside"}


def test_a_break_is_hatched_and_labelled(desk: Desk) -> None:
    window = desk.window
    column = _column(window, desk.clinic.dr_a.id or 0)
    lunch = [s for s in window.view.shades(column) if s.kind == "break"]
    assert [s.label for s in lunch] == ["Lunch"]
    base = window.view.palette().color(window.view.palette().ColorRole.Base)
    assert _pixel(window, column, 12, 40) != base
    window.view.scroll_to_time(window.model.local(_at(12, 30)))
    lunch = [s for s in window.view.shades(column) if s.kind == "break"]  # where it is now
    shade = window.view.shade_at(lunch[0].rect.center())
    assert shade is not None and shade.label == "Lunch"


def test_busy_blocks_and_time_off_are_shown_as_such(desk: Desk, qtbot: QtBot) -> None:
    from medbookings_desktop.domain.clinic import BusyBlock, TimeOff

    window, clinic = desk.window, desk.clinic
    dr_a, dr_b = clinic.dr_a.id or 0, clinic.dr_b.id or 0
    with clinic.ctx.write() as uow:
        uow.schedule.add_busy_block(BusyBlock(dr_a, _at(14), _at(15)))
        uow.schedule.add_time_off(TimeOff(dr_b, _at(11), _at(12), "Training"))
        uow.commit()
    with qtbot.waitSignal(window.model.loaded):
        window.reload_calendar()
    busy = [s for s in window.view.shades(_column(window, dr_a)) if s.kind == "busy"]
    assert [s.label for s in busy] == ["Busy (Google)"]
    off = [s for s in window.view.shades(_column(window, dr_b)) if s.kind == "time_off"]
    assert [s.label for s in off] == ["Time off: Training"]
    # a busy block is not an appointment: no tile, nothing to select
    assert _ids(window.model) == {desk.ada_9, desk.ben_10, desk.ben_berg}
    window.view.scroll_to_time(window.model.local(_at(14, 30)))
    assert not window.view.indexAt(busy[0].rect.center()).isValid()
    colour = _pixel(window, _column(window, dr_a), 14, 30)
    assert colour.blue() > colour.red()  # the blue hatch of a Google entry


def test_hours_follow_the_clocks_on_a_dst_day(desk: Desk, qtbot: QtBot) -> None:
    """On 25 Oct 2026 London goes back an hour: 09:00-17:00 is still 09:00-17:00 local."""
    window = desk.window
    with qtbot.waitSignal(window.model.loaded):
        window.show_day(date(2026, 10, 26))  # a Monday, the day after the change (GMT)
    hours = window.model.hours_for(_column(window, desk.clinic.dr_a.id or 0))
    assert hours is not None
    assert [(iv.start.hour, iv.end.hour) for iv in hours.working] == [(9, 17)]  # GMT = UTC


def test_a_whole_day_of_extra_hours_on_the_clocks_change_is_25_hours(
    desk: Desk, qtbot: QtBot
) -> None:
    """Sunday 25 Oct 2026, London goes back: 00:00-24:00 local is 25 hours, shaded none."""
    from medbookings_desktop.domain.clinic import ExtraHours
    from medbookings_desktop.services import setup

    window, clinic = desk.window, desk.clinic
    dr_a = clinic.dr_a.id or 0
    setup.add_extra_hours(
        clinic.ctx,
        ExtraHours(dr_a, clinic.london.id or 0, date(2026, 10, 25), time(0), time(0)),
    )
    with qtbot.waitSignal(window.model.loaded):
        window.show_day(date(2026, 10, 25))
    hours = window.model.hours_for(_column(window, dr_a))
    assert hours is not None
    assert [(iv.start, iv.end) for iv in hours.working] == [
        (datetime(2026, 10, 24, 23, tzinfo=UTC), datetime(2026, 10, 26, 0, tzinfo=UTC))
    ]
    assert [s.kind for s in window.view.shades(_column(window, dr_a))] == []
    assert {s.kind for s in window.view.shades(_column(window, clinic.dr_b.id or 0))} == {"outside"}


# -- filters and colours -------------------------------------------------------------------------


def test_the_provider_filter_keeps_one_column(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    bar = window.filter_bar
    qtbot.waitUntil(lambda: bar.provider_box.count() == 3)
    bar.provider_box.setCurrentIndex(bar.provider_box.findData(desk.clinic.dr_b.id))
    assert [c.name for c in window.model.columns()] == ["Dr Lars Berg"]
    assert _ids(window.model) == {desk.ben_berg}
    bar.provider_box.setCurrentIndex(0)
    assert window.model.columnCount() == 2


def test_the_service_filter_keeps_its_tiles_and_who_offers_it(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    bar = window.filter_bar
    qtbot.waitUntil(lambda: bar.service_box.count() == 4)
    bar.service_box.setCurrentIndex(bar.service_box.findData(desk.clinic.consultation.id))
    assert [c.name for c in window.model.columns()] == ["Dr Thandi Mokoena"]  # Berg: no
    assert _ids(window.model) == {desk.ada_9}
    bar.service_box.setCurrentIndex(bar.service_box.findData(desk.clinic.checkup.id))
    assert window.model.columnCount() == 2
    assert _ids(window.model) == {desk.ben_10, desk.ben_berg}


def test_the_location_filter(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    bar = window.filter_bar
    qtbot.waitUntil(lambda: bar.location_box.count() == 2)
    bar.location_box.setCurrentIndex(1)
    assert window.model.columnCount() == 2  # both work at Riverside
    assert _ids(window.model) == {desk.ada_9, desk.ben_10, desk.ben_berg}


def test_filters_pass_the_model_tester(desk: Desk, qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    from medbookings_desktop.ui.calendar_filters import Filters

    window = desk.window
    window.model.set_filters(Filters(service_id=desk.clinic.checkup.id))
    qtmodeltester.check(window.model)


def test_colour_by_service_repaints_tiles_in_the_services_colour(desk: Desk, qtbot: QtBot) -> None:
    from medbookings_desktop.ui.calendar_filters import ColourBy

    window = desk.window
    index = window.model.find(desk.ada_9)
    assert window.model.data(index, Role.TILE_COLOUR) == desk.clinic.dr_a.colour
    with qtbot.waitSignal(window.model.dataChanged):
        window.filter_bar.set_colour_by(ColourBy.SERVICE)
    assert window.model.data(index, Role.TILE_COLOUR) == desk.clinic.consultation.colour


# -- reloading in place --------------------------------------------------------------------------


def test_a_reload_updates_in_place_and_keeps_selection_and_scroll(desk: Desk, qtbot: QtBot) -> None:
    clinic, window = desk.clinic, desk.window
    _select(window, desk.ben_10)
    window.view.verticalScrollBar().setValue(120)
    resets: list[int] = []
    window.model.modelReset.connect(lambda: resets.append(1))
    # another desk: a new booking before Ben's (rows shift) and Ada checked in (data changes)
    booking.book(
        clinic.ctx,
        patient_id=clinic.ben.id or 0,
        provider_id=clinic.dr_a.id or 0,
        service_id=clinic.checkup.id or 0,
        start=_at(9, 45),
    )
    booking.check_in(clinic.ctx, desk.ada_9)
    changed: list[object] = []
    window.model.dataChanged.connect(lambda a, b, roles=(): changed.append(a.row()))
    with qtbot.waitSignal(window.model.loaded):
        window.model.reload()
    assert resets == []
    assert window.selected_id() == desk.ben_10  # moved a row down with its tile
    assert window.view.currentIndex().row() == 2
    assert window.view.verticalScrollBar().value() == 120
    assert window.model.data(window.model.find(desk.ada_9), Role.STATUS) is Status.ARRIVED
    assert changed  # Ada's tile told the view it changed


def test_a_reload_after_a_tile_went_away_drops_the_rows(desk: Desk, qtbot: QtBot) -> None:
    clinic, window = desk.clinic, desk.window
    _select(window, desk.ben_berg)
    booking.cancel(clinic.ctx, desk.ben_10, reason="Elsewhere")
    removed: list[tuple[int, int]] = []
    window.model.rowsRemoved.connect(lambda _p, first, last: removed.append((first, last)))
    with qtbot.waitSignal(window.model.loaded):
        window.model.reload()
    assert removed == [(1, 1)]
    assert window.model.rowCount() == 1
    assert window.selected_id() == desk.ben_berg


def test_the_reloaded_model_passes_the_model_tester(
    desk: Desk, qtbot: QtBot, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    clinic, window = desk.clinic, desk.window
    qtmodeltester.check(window.model)
    booking.cancel(clinic.ctx, desk.ada_9, reason="Elsewhere")
    with qtbot.waitSignal(window.model.loaded):
        window.model.reload()
    qtmodeltester.check(window.model)


def test_reschedule_in_the_context_menu_asks_for_the_booking_dialog(
    desk: Desk, qtbot: QtBot
) -> None:
    window = desk.window
    _select(window, desk.ben_10)
    assert window.reschedule_action.isEnabled()
    with qtbot.waitSignal(window.reschedule_requested) as asked:
        window.reschedule_action.trigger()
    assert asked.args == [desk.ben_10]


def test_refresh_brings_in_a_provider_added_elsewhere(desk: Desk, qtbot: QtBot) -> None:
    from medbookings_desktop.domain.clinic import Provider
    from medbookings_desktop.services import setup

    window, clinic = desk.window, desk.clinic
    bar = window.filter_bar
    qtbot.waitUntil(lambda: bar.provider_box.count() == 3)
    _select(window, desk.ben_10)
    setup.save_provider(
        clinic.ctx, Provider(name="Ada Lovelace", title="Dr", location_ids=frozenset({1}))
    )
    with qtbot.waitSignal(window.model.loaded):
        window.refresh()
    qtbot.waitUntil(lambda: bar.provider_box.count() == 4)
    assert window.model.columnCount() == 3  # new columns: the model was reset
    assert window.model.columns()[0].name == "Dr Ada Lovelace"
