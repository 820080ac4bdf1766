"""The booking dialog over a real SQLite clinic, driven from the keyboard: a phone booking,
a new patient typed inline, any provider, a slot taken by another desk, a new time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from medbookings_desktop.domain.appointments import Source
from medbookings_desktop.services import booking, setup
from medbookings_desktop.services.booking import Outcome
from medbookings_desktop.ui.booking_dialog import BookingDialog, Mode
from medbookings_desktop.ui.tasks import TaskRunner
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

MON_0900 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # Mon 09:00 London (BST)


@dataclass
class Desk:
    clinic: SmallClinic
    tasks: TaskRunner
    qtbot: QtBot

    def open(self, **kw: object) -> BookingDialog:
        dialog = BookingDialog(
            self.clinic.ctx,
            self.tasks,
            setup.clinic_settings(self.clinic.ctx),
            **kw,  # type: ignore[arg-type]
        )
        return self._shown(dialog)

    def _shown(self, dialog: BookingDialog) -> BookingDialog:
        self.qtbot.addWidget(dialog)
        with self.qtbot.waitSignal(
            dialog.slots_shown if dialog.mode is not Mode.WALK_IN else dialog.ready
        ):
            dialog.show()
        dialog.activateWindow()
        self.qtbot.waitUntil(dialog.isActiveWindow)
        return dialog

    def pick(self, dialog: BookingDialog, typed: str) -> None:
        edit = dialog.picker.edit
        with self.qtbot.waitSignal(dialog.picker.results_shown, check_params_cb=bool):
            self.qtbot.keyClicks(edit, typed)
        self.qtbot.keyClick(edit, Qt.Key.Key_Down)
        with self.qtbot.waitSignal(dialog.picker.picked):
            self.qtbot.keyClick(edit, Qt.Key.Key_Return)


@pytest.fixture
def desk(sqlite_url: str, clock: Clock, qtbot: QtBot) -> Iterator[Desk]:
    clinic = build_small_clinic(sqlite_url, clock)
    tasks = TaskRunner()
    yield Desk(clinic, tasks, qtbot)
    tasks.shutdown()
    clinic.engine.dispose()


def _appointments(clinic: SmallClinic, patient_id: int) -> list[booking.Appointment]:
    with clinic.ctx.read() as uow:
        return uow.appointments.for_patient(patient_id)


def test_phone_booking_by_keyboard_alone(desk: Desk, qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    dialog = desk.open()
    assert dialog.focusWidget() is dialog.picker.edit
    desk.pick(dialog, "Oka")
    assert dialog.picker.patient is not None
    assert dialog.picker.patient.id == desk.clinic.ada.id
    assert dialog.picker.chosen.text() == "Ada Okafor · 020 7946 0123"  # as the desk writes it
    qtmodeltester.check(dialog.slots_model)
    qtmodeltester.check(dialog.picker.model)
    assert dialog.service.currentText() == "Consultation"
    assert dialog.provider.currentText() == "Any provider"
    assert dialog.slot_list.currentIndex().row() == 0
    assert "09:00" in dialog.slot_list.currentIndex().data()

    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.slot_list
    with qtbot.waitSignal(dialog.booked) as done:
        qtbot.keyClick(dialog.slot_list, Qt.Key.Key_Return)
    outcome: Outcome = done.args[0]
    assert not dialog.isVisible()
    assert dialog.summary == (
        "Booked Ada Okafor with Dr Thandi Mokoena, Mon 1 Jun 09:00 — confirmation queued (SMS)"
    )
    [appt] = _appointments(desk.clinic, desk.clinic.ada.id or 0)
    assert appt.id == outcome.appointment.id
    assert appt.start == MON_0900 and appt.provider_id == desk.clinic.dr_a.id
    assert appt.source is Source.PHONE and appt.location_id == desk.clinic.london.id
    with desk.clinic.ctx.read() as uow:
        kinds = sorted(r.kind.value for r in uow.outbox.for_appointment(appt.id or 0))
    assert "confirmation" in kinds and kinds == sorted(k.value for k in outcome.queued)


def test_the_patient_can_be_found_by_phone_digits(desk: Desk) -> None:
    dialog = desk.open()
    desk.pick(dialog, "0456")
    assert dialog.picker.patient is not None
    assert dialog.picker.patient.id == desk.clinic.ben.id


def test_a_late_answer_to_older_typing_is_dropped(desk: Desk, qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    dialog = desk.open()
    picker = dialog.picker
    qtbot.keyClicks(picker.edit, "Ada")
    picker.timer.stop()
    picker._ask()  # an answer to "Ada" is now on its way
    qtbot.keyClicks(picker.edit, "ms")  # "Adams": Ben, asked for after the pause
    with qtbot.waitSignal(picker.results_shown):
        pass
    rows = [picker.model.patient(r) for r in range(picker.model.rowCount())]
    assert [p.id for p in rows if p] == [desk.clinic.ben.id]
    qtmodeltester.check(picker.model)
    assert picker.model.index(0, 0).data() == "Ben Adams · 020 7946 0456"
    qtbot.waitUntil(lambda: not desk.tasks.busy())
    rows = [picker.model.patient(r) for r in range(picker.model.rowCount())]
    assert [p.id for p in rows if p] == [desk.clinic.ben.id]


def test_new_patient_with_a_bad_phone_is_refused_next_to_the_field(
    desk: Desk, qtbot: QtBot
) -> None:
    dialog = desk.open()
    qtbot.keyClicks(dialog.picker.edit, "Nia Quinn")
    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_N, Qt.KeyboardModifier.AltModifier)
    form = dialog.new_patient
    assert form.isVisible()
    assert (form.first.text(), form.last.text()) == ("Nia", "Quinn")
    qtbot.keyClicks(form.phone, "12345")
    with qtbot.waitSignal(desk.tasks.finished):
        form.phone.editingFinished.emit()  # leaving the field checks it
    assert form.errors["phone"].isVisible()
    assert "not a valid phone number" in form.errors["phone"].text()

    with qtbot.waitSignal(form.refused) as refused:
        qtbot.keyClick(form.phone, Qt.Key.Key_Return)  # save anyway: the service refuses
    assert form.isVisible() and dialog.picker.patient is None
    assert form.errors["phone"].text() == refused.args[0]
    assert "not a valid phone number" in refused.args[0]
    with desk.clinic.ctx.read() as uow:
        assert uow.patients.count() == 2  # nothing saved

    form.phone.clear()
    qtbot.keyClicks(form.phone, "020 7946 0999")
    qtbot.keyClicks(form.dob, "1990-04-05")
    with qtbot.waitSignal(form.registered) as saved:
        qtbot.keyClick(form.phone, Qt.Key.Key_Return)
    patient = saved.args[0]
    assert patient.phone == "+442079460999" and str(patient.date_of_birth) == "1990-04-05"
    assert not form.isVisible()
    assert dialog.picker.chosen.text().endswith("020 7946 0999")
    assert dialog.picker.patient == patient
    with desk.clinic.ctx.read() as uow:
        assert uow.patients.count() == 3


def test_any_provider_lists_both_doctors_and_one_provider_only_theirs(
    desk: Desk, qtbot: QtBot
) -> None:
    dialog = desk.open()
    i = dialog.service.findText("Check-up")
    with qtbot.waitSignal(dialog.slots_shown):
        dialog.service.setCurrentIndex(i)
        dialog.service.activated.emit(i)
    model = dialog.slots_model
    names = {model.index(r, 0).data().split("  ")[-1] for r in range(model.rowCount())}
    assert names == {"Dr Thandi Mokoena", "Dr Lars Berg"}
    j = dialog.provider.findText("Dr Lars Berg")
    with qtbot.waitSignal(dialog.slots_shown):
        dialog.provider.setCurrentIndex(j)
        dialog.provider.activated.emit(j)
    slots = [model.slot(r) for r in range(model.rowCount())]
    assert {s.provider_id for s in slots if s} == {desk.clinic.dr_b.id}
    assert "10:00" in model.index(0, 0).data()


def test_a_slot_taken_by_another_desk_is_refused_and_the_list_refreshed(
    desk: Desk, qtbot: QtBot
) -> None:
    c = desk.clinic
    dialog = desk.open()
    desk.pick(dialog, "Oka")
    first = dialog.slots_model.slot(0)
    assert first is not None and first.start == MON_0900
    # another desk books that time for Ben meanwhile
    booking.book(
        c.ctx,
        patient_id=c.ben.id or 0,
        provider_id=c.dr_a.id or 0,
        service_id=c.consultation.id or 0,
        start=MON_0900,
    )
    qtbot.keyClick(dialog.picker.edit, Qt.Key.Key_Tab)
    with qtbot.waitSignal(dialog.refused) as refused, qtbot.waitSignal(dialog.slots_shown):
        qtbot.keyClick(dialog.slot_list, Qt.Key.Key_Return)
    assert "already has appointment" in refused.args[0]
    assert dialog.problem.isVisible() and dialog.problem.text() == refused.args[0]
    assert dialog.isVisible()
    assert _appointments(c, c.ada.id or 0) == []  # nothing half-saved
    fresh = dialog.slots_model.slot(0)
    assert fresh is not None and fresh.start > MON_0900
    with qtbot.waitSignal(dialog.booked):
        qtbot.keyClick(dialog.slot_list, Qt.Key.Key_Return)
    [appt] = _appointments(c, c.ada.id or 0)
    assert appt.start == fresh.start


def test_opened_on_a_time_offers_it_first(desk: Desk) -> None:
    start = datetime(2026, 6, 3, 13, 0, tzinfo=UTC)  # Wed 14:00 London
    dialog = desk.open(start=start, provider_id=desk.clinic.dr_a.id)
    assert dialog.provider.currentText() == "Dr Thandi Mokoena"
    first = dialog.slots_model.slot(0)
    assert first is not None and first.start == start


def test_reschedule_offers_new_times_for_the_same_booking(desk: Desk, qtbot: QtBot) -> None:
    c = desk.clinic
    old = booking.book(
        c.ctx,
        patient_id=c.ada.id or 0,
        provider_id=c.dr_a.id or 0,
        service_id=c.checkup.id or 0,
        start=MON_0900,
    ).appointment
    dialog = BookingDialog.reschedule(c.ctx, desk.tasks, setup.clinic_settings(c.ctx), old.id)
    desk._shown(dialog)
    assert dialog.windowTitle() == "Reschedule"
    assert dialog.picker.edit.text() == "Ada Okafor" and dialog.picker.edit.isReadOnly()
    assert dialog.service.currentText() == "Check-up" and not dialog.service.isEnabled()
    assert dialog.provider.currentText() == "Dr Thandi Mokoena"
    assert dialog.focusWidget() is dialog.slot_list
    qtbot.keyClick(dialog.slot_list, Qt.Key.Key_Down)
    target = dialog.slots_model.slot(dialog.slot_list.currentIndex().row())
    assert target is not None
    with qtbot.waitSignal(dialog.booked) as done:
        qtbot.keyClick(dialog.slot_list, Qt.Key.Key_Return)
    moved = done.args[0].appointment
    assert moved.id == old.id and moved.start == target.start
    [appt] = _appointments(c, c.ada.id or 0)
    assert appt.start == target.start


def test_reschedule_of_a_missing_booking_says_so(desk: Desk, qtbot: QtBot) -> None:
    c = desk.clinic
    dialog = BookingDialog.reschedule(c.ctx, desk.tasks, setup.clinic_settings(c.ctx), 999)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: bool(dialog.problem.text()))
    assert "999" in dialog.problem.text()  # the service's own message


def test_online_or_in_person_as_chosen(desk: Desk, qtbot: QtBot) -> None:
    c = desk.clinic
    dialog = desk.open()
    desk.pick(dialog, "Oka")
    i = dialog.service.findText("Video consultation")
    with qtbot.waitSignal(dialog.slots_shown):
        dialog.service.setCurrentIndex(i)
        dialog.service.activated.emit(i)
    assert dialog.where.currentText() == "Online"  # the service's own way, by default
    qtbot.keyClicks(dialog.notes, "Knee follow-up")
    with qtbot.waitSignal(dialog.booked) as done:
        qtbot.keyClick(dialog.notes, Qt.Key.Key_Return)  # Enter in the notes books too
    appt = done.args[0].appointment
    assert appt.online and appt.location_id is None and appt.notes == "Knee follow-up"

    dialog = desk.open()
    desk.pick(dialog, "Oka")
    qtbot.waitUntil(lambda: dialog.service.currentText() == "Video consultation")  # last one
    j = dialog.service.findText("Consultation")
    with qtbot.waitSignal(dialog.slots_shown):
        dialog.service.setCurrentIndex(j)
        dialog.service.activated.emit(j)
    assert dialog.where.currentText() == "In person"
    dialog.where.setCurrentIndex(dialog.where.findText("Online"))
    dialog.slot_list.setFocus()
    with qtbot.waitSignal(dialog.booked) as done:
        qtbot.keyClick(dialog.slot_list, Qt.Key.Key_Return)
    assert done.args[0].appointment.online
    assert len(_appointments(c, c.ada.id or 0)) == 2


def test_opened_for_a_patient_defaults_to_their_last_service(desk: Desk, qtbot: QtBot) -> None:
    c = desk.clinic
    booking.book(
        c.ctx,
        patient_id=c.ben.id or 0,
        provider_id=c.dr_b.id or 0,
        service_id=c.checkup.id or 0,
        start=datetime(2026, 6, 1, 9, 0, tzinfo=UTC),
    )
    dialog = BookingDialog(c.ctx, desk.tasks, setup.clinic_settings(c.ctx))
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.picker.picked):
        dialog.choose_patient(c.ben.id or 0)
        dialog.show()
    assert dialog.picker.chosen.text() == "Ben Adams · 020 7946 0456"
    qtbot.waitUntil(lambda: dialog.service.currentText() == "Check-up")
    qtbot.waitUntil(
        lambda: (
            (s := dialog.slots_model.slot(0)) is not None and s.end - s.start == c.checkup.duration
        )
    )
    assert dialog.provider.currentText() == "Any provider"


def test_closing_before_the_answers_arrive_leaves_no_error(desk: Desk, qtbot: QtBot) -> None:
    c = desk.clinic
    dialog = BookingDialog(c.ctx, desk.tasks, setup.clinic_settings(c.ctx))
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    dialog.choose_patient(c.ada.id or 0)
    with qtbot.waitSignal(dialog.destroyed):
        dialog.close()  # Esc: the setup, patient and slot answers are still on their way
    qtbot.waitUntil(lambda: not desk.tasks.busy())
