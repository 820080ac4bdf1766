"""The walk-in queue panel and the booking dialog's walk-in mode over a real SQLite clinic:
book the earliest slot now, queue a patient, take them from the queue, waiting minutes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from medbookings_desktop.domain.appointments import Source
from medbookings_desktop.domain.walk_ins import WalkInState
from medbookings_desktop.services import setup, walk_ins
from medbookings_desktop.ui.booking_dialog import BookingDialog
from medbookings_desktop.ui.tasks import TaskRunner
from medbookings_desktop.ui.walk_in_panel import MINUTE_MS, WaitingModel, WalkInPanel
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

MON_1005 = datetime(2026, 6, 1, 9, 5, tzinfo=UTC)  # Mon 10:05 London (BST)


@dataclass
class Desk:
    clinic: SmallClinic
    tasks: TaskRunner
    panel: WalkInPanel


@pytest.fixture
def desk(sqlite_url: str, qtbot: QtBot) -> Iterator[Desk]:
    clinic = build_small_clinic(sqlite_url, Clock(MON_1005))
    tasks = TaskRunner()
    panel = WalkInPanel(clinic.ctx, tasks, setup.clinic_settings(clinic.ctx))
    qtbot.addWidget(panel)
    with qtbot.waitSignal(panel.loaded):
        panel.show()
    yield Desk(clinic, tasks, panel)
    tasks.shutdown()
    clinic.engine.dispose()


def _texts(model: WaitingModel) -> list[list[str]]:
    return [
        [str(model.index(r, c).data()) for c in range(model.columnCount())]
        for r in range(model.rowCount())
    ]


def _walk_in_dialog(desk: Desk, qtbot: QtBot, typed: str) -> BookingDialog:
    dialog = desk.panel.new_walk_in()
    qtbot.waitUntil(lambda: dialog.service.count() > 0)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    edit = dialog.picker.edit
    with qtbot.waitSignal(dialog.picker.results_shown, check_params_cb=bool):
        qtbot.keyClicks(edit, typed)
    with qtbot.waitSignal(dialog.picker.picked):
        qtbot.keyClick(edit, Qt.Key.Key_Return)
    return dialog


def test_walk_in_book_now_takes_the_earliest_slot_today(desk: Desk, qtbot: QtBot) -> None:
    dialog = _walk_in_dialog(desk, qtbot, "Oka")
    assert not dialog.slot_list.isVisible() and dialog.earliest_button.isVisible()
    i = dialog.service.findText("Check-up")
    dialog.service.setCurrentIndex(i)
    dialog.service.activated.emit(i)
    with qtbot.waitSignal(desk.panel.booked) as done:
        qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Return)  # Enter again: book it
    appt = done.args[0].appointment
    assert appt.source is Source.WALK_IN and appt.patient_id == desk.clinic.ada.id
    assert appt.start == datetime(2026, 6, 1, 9, 15, tzinfo=UTC)  # the next quarter, 10:15
    assert desk.panel.model.rowCount() == 0


def test_queue_then_take_books_them_and_empties_the_queue(
    desk: Desk, qtbot: QtBot, qtmodeltester
) -> None:  # type: ignore[no-untyped-def]
    panel, model = desk.panel, desk.panel.model
    assert panel.empty.isVisible()
    dialog = _walk_in_dialog(desk, qtbot, "Oka")
    with qtbot.waitSignal(panel.loaded, check_params_cb=lambda n: n == 1):
        qtbot.mouseClick(dialog.queue_button, Qt.MouseButton.LeftButton)
    assert not panel.empty.isVisible()
    desk.clinic.clock.advance(timedelta(minutes=4))
    walk_ins.add_to_queue(
        desk.clinic.ctx,
        patient_id=desk.clinic.ben.id or 0,
        service_id=desk.clinic.checkup.id,
        provider_id=desk.clinic.dr_b.id,
    )
    with qtbot.waitSignal(panel.loaded):
        panel.reload()
    qtmodeltester.check(model)
    assert _texts(model) == [
        ["Ada Okafor", "Consultation", "4 min", "10:05"],
        ["Ben Adams", "Check-up · Dr Lars Berg", "0 min", "10:09"],
    ]

    # the minutes move on each minute, without a reload
    assert panel.minute_timer.interval() == MINUTE_MS and panel.minute_timer.isActive()
    desk.clinic.clock.advance(timedelta(minutes=7))
    with qtbot.waitSignal(model.dataChanged):
        panel.minute_timer.timeout.emit()
    assert [row[2] for row in _texts(model)] == ["11 min", "7 min"]

    panel.table.setFocus()
    panel.table.selectRow(0)
    with qtbot.waitSignal(panel.booked) as done, qtbot.waitSignal(panel.loaded):
        qtbot.keyClick(panel.table, Qt.Key.Key_Return)
    appt = done.args[0].appointment
    assert appt.patient_id == desk.clinic.ada.id and appt.source is Source.WALK_IN
    assert panel.summary == "Booked Ada Okafor from the walk-in queue at 10:30"
    assert [row[0] for row in _texts(model)] == ["Ben Adams"]
    qtmodeltester.check(model)
    with desk.clinic.ctx.read() as uow:
        assert uow.appointments.get(appt.id).patient_id == desk.clinic.ada.id

    panel.table.selectRow(0)
    with qtbot.waitSignal(panel.loaded, check_params_cb=lambda n: n == 0):
        qtbot.keyClick(panel.table, Qt.Key.Key_Delete)
    assert model.rowCount() == 0 and panel.empty.isVisible()
    assert walk_ins.waiting(desk.clinic.ctx) == []


def test_a_refused_take_says_why_and_keeps_them_waiting(desk: Desk, qtbot: QtBot) -> None:
    c = desk.clinic
    c.clock.now = datetime(2026, 6, 6, 9, 0, tzinfo=UTC)  # Saturday: no free time for a day
    entry = walk_ins.add_to_queue(c.ctx, patient_id=c.ben.id or 0, service_id=c.checkup.id)
    with qtbot.waitSignal(desk.panel.loaded):
        desk.panel.reload()
    desk.panel.table.selectRow(0)
    with qtbot.waitSignal(desk.panel.refused) as refused, qtbot.waitSignal(desk.panel.loaded):
        qtbot.mouseClick(desk.panel.take_button, Qt.MouseButton.LeftButton)
    assert "No free time" in refused.args[0]
    assert desk.panel.problem.text() == refused.args[0]
    assert desk.panel.model.rowCount() == 1
    assert [w.entry.state for w in walk_ins.waiting(c.ctx)] == [WalkInState.WAITING]
    assert entry.id is not None
