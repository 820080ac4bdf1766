"""The whole desk in one window, driven from the keyboard as at a real front desk: book a phone
call, book a walk-in, move between the views, deal with Needs attention, settings, help."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from medbookings_desktop.domain.appointments import Source
from medbookings_desktop.ui.booking_dialog import BookingDialog
from medbookings_desktop.ui.main_window import MainWindow
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

MON_1000 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 in London (BST), open


@dataclass
class Desk:
    clinic: SmallClinic
    window: MainWindow
    qtbot: QtBot

    def key(
        self, key: Qt.Key, modifier: Qt.KeyboardModifier = Qt.KeyboardModifier.NoModifier
    ) -> None:
        self.qtbot.keyClick(self.window.focusWidget() or self.window, key, modifier)

    def dialog(self) -> BookingDialog:
        found: list[BookingDialog] = []

        def shown() -> bool:
            found[:] = [w for w in QApplication.topLevelWidgets() if isinstance(w, BookingDialog)]
            return bool(found) and found[0].isVisible()

        self.qtbot.waitUntil(shown)
        return found[0]


def open_window(clinic: SmallClinic, qtbot: QtBot, settings: QSettings) -> MainWindow:
    window = MainWindow(
        clinic.ctx,
        database="SQLite: test.sqlite3",
        database_url=str(clinic.engine.url),
        settings=settings,
    )
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.model.loaded):
        window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: not window.tasks.busy())
    window.start_desk()
    qtbot.waitUntil(lambda: not window.tasks.busy())
    return window


@pytest.fixture
def desk(sqlite_url: str, qtbot: QtBot, qt_settings: QSettings) -> Iterator[Desk]:
    clinic = build_small_clinic(sqlite_url, Clock(MON_1000))
    window = open_window(clinic, qtbot, qt_settings)
    yield Desk(clinic, window, qtbot)
    window.close()
    clinic.engine.dispose()


def _appointments(clinic: SmallClinic, patient_id: int) -> list:  # type: ignore[type-arg]
    with clinic.ctx.read() as uow:
        return uow.appointments.for_patient(patient_id)


def test_phone_booking_from_the_window_by_keyboard_alone(desk: Desk, qtbot: QtBot) -> None:
    desk.window.view.setFocus()
    desk.key(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = desk.dialog()
    qtbot.waitUntil(lambda: dialog.focusWidget() is dialog.picker.edit)
    with qtbot.waitSignal(dialog.picker.results_shown, check_params_cb=bool):
        qtbot.keyClicks(dialog.picker.edit, "Oka")
    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Down)
    with qtbot.waitSignal(dialog.picker.picked):
        qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.slots_model.rowCount() > 0 and not desk.window.tasks.busy())
    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Tab)
    with qtbot.waitSignal(desk.window.model.loaded, timeout=10_000):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)

    booked = _appointments(desk.clinic, desk.clinic.ada.id or 0)
    assert len(booked) == 1 and booked[0].source is Source.PHONE
    assert desk.window.model.find(booked[0].id).isValid()  # the tile is on the calendar
    assert desk.window.statusBar().currentMessage().startswith("Booked Ada Okafor")


def test_walk_in_books_the_earliest_slot_today(desk: Desk, qtbot: QtBot) -> None:
    desk.window.view.setFocus()
    desk.key(Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    dialog = desk.dialog()
    with qtbot.waitSignal(dialog.picker.results_shown, check_params_cb=bool):
        qtbot.keyClicks(dialog.picker.edit, "Adams")
    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Down)
    with qtbot.waitSignal(dialog.picker.picked):
        qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Return)
    with qtbot.waitSignal(desk.window.model.loaded, timeout=10_000):
        dialog.earliest_button.click()

    booked = _appointments(desk.clinic, desk.clinic.ben.id or 0)
    assert len(booked) == 1 and booked[0].source is Source.WALK_IN
    assert booked[0].start.date() == MON_1000.date()
    assert desk.window.model.find(booked[0].id).isValid()


def test_ctrl_1_to_5_move_between_the_views(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    ctrl = Qt.KeyboardModifier.ControlModifier
    desk.key(Qt.Key.Key_3, ctrl)
    assert window.pages.currentWidget() is window.patients_view()
    assert window.current_view_name() == "patients"
    desk.key(Qt.Key.Key_4, ctrl)
    assert window.current_view_name() == "providers"
    desk.key(Qt.Key.Key_2, ctrl)
    assert window.current_view_name() == "week"
    desk.key(Qt.Key.Key_5, ctrl)
    assert window.current_view_name() == "my-day"
    qtbot.waitUntil(lambda: window.my_day_view().provider_id is not None)
    desk.key(Qt.Key.Key_1, ctrl)
    assert window.current_view_name() == "day"
    desk.key(Qt.Key.Key_F, ctrl)
    assert window.current_view_name() == "patients"
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    assert window.patients_view().isAncestorOf(QApplication.focusWidget())


def test_the_window_reopens_on_the_view_it_was_left_on(
    desk: Desk, qtbot: QtBot, qt_settings: QSettings
) -> None:
    desk.key(Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    desk.window.close()
    again = open_window(desk.clinic, qtbot, qt_settings)
    assert again.current_view_name() == "providers"
    again.close()


def test_needs_attention_count_list_and_resolve(desk: Desk, qtbot: QtBot) -> None:
    window = desk.window
    assert window.attention_button.text() == "Nothing needs attention"
    with desk.clinic.ctx.write() as uow:
        uow.attention.add("reply", "A reply was not understood", MON_1000, service="twilio")
        uow.commit()
    with qtbot.waitSignal(window.attention.loaded):
        window.refresh()
    assert window.attention_button.text() == "Needs attention: 1"
    window.attention_button.click()
    assert window.attention_dock.isVisible()
    window.attention.table.selectRow(0)
    assert not window.attention.send_again_button.isEnabled()  # not about a message
    with qtbot.waitSignal(window.attention.loaded):
        window.attention.resolve_button.click()
    assert window.attention_button.text() == "Nothing needs attention"
    with desk.clinic.ctx.read() as uow:
        assert uow.attention.count_open() == 0


def test_settings_open_with_ctrl_comma(desk: Desk, qtbot: QtBot) -> None:
    from medbookings_desktop.ui.settings_dialog import SettingsDialog

    desk.key(Qt.Key.Key_Comma, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(
        lambda: any(isinstance(w, SettingsDialog) for w in QApplication.topLevelWidgets())
    )
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, SettingsDialog))
    dialog.close()


def test_copy_diagnostics_holds_versions_and_no_patient_data(
    desk: Desk, qtbot: QtBot, tmp_path: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDBOOKINGS_HOME", str(tmp_path))
    QApplication.clipboard().clear()
    desk.window.copy_diagnostics()
    qtbot.waitUntil(lambda: QApplication.clipboard().text() != "", timeout=10_000)
    text = QApplication.clipboard().text()
    report = json.loads(text)
    assert report["versions"]["medbookings"]
    assert "Okafor" not in text and "Adams" not in text
    assert "copied" in desk.window.statusBar().currentMessage()


def test_reschedule_key_opens_the_booking_dialog_for_a_new_time(desk: Desk, qtbot: QtBot) -> None:
    from medbookings_desktop.services import booking

    outcome = booking.book(
        desk.clinic.ctx,
        patient_id=desk.clinic.ada.id or 0,
        provider_id=desk.clinic.dr_a.id or 0,
        service_id=desk.clinic.consultation.id or 0,
        start=datetime(2026, 6, 1, 13, 0, tzinfo=UTC),
    )
    with qtbot.waitSignal(desk.window.model.loaded):
        desk.window.reload_calendar()
    index = desk.window.model.find(outcome.appointment.id or 0)
    desk.window.view.setFocus()
    desk.window.view.setCurrentIndex(index)
    desk.key(Qt.Key.Key_R)
    dialog = desk.dialog()
    assert dialog.windowTitle() == "Reschedule"
    dialog.close()
