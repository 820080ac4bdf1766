"""The patients view over a real SQLite file: search, edit (and refused edits), consents,
appointments, vCard export, new patients; and a list of 200,000 patients."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import vobject
from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot
from sqlalchemy import literal_column, select

from medbookings_desktop.demo.bulk import patient_index_filled_once
from medbookings_desktop.demo.names import FIRST_NAMES, LAST_NAMES
from medbookings_desktop.domain.patients import Channel, Patient
from medbookings_desktop.services import booking, patients, setup
from medbookings_desktop.storage import tables as t
from medbookings_desktop.ui.patients_model import PAGE_SIZE, Column, Role
from medbookings_desktop.ui.patients_view import PatientsView
from medbookings_desktop.ui.tasks import TaskRunner
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic


@dataclass
class Desk:
    clinic: SmallClinic
    tasks: TaskRunner
    view: PatientsView

    def name(self, row: int) -> str:
        model = self.view.model
        return str(model.data(model.index(row, Column.NAME)))


def _open(clinic: SmallClinic, qtbot: QtBot) -> Desk:
    tasks = TaskRunner()
    view = PatientsView(clinic.ctx, tasks, setup.clinic_settings(clinic.ctx))
    qtbot.addWidget(view)
    view.resize(1000, 600)
    with qtbot.waitSignal(view.model.loaded):
        view.show()
    return Desk(clinic, tasks, view)


@pytest.fixture
def desk(sqlite_url: str, clock: Clock, qtbot: QtBot) -> Iterator[Desk]:
    clinic = build_small_clinic(sqlite_url, clock)
    patients.register(clinic.ctx, first_name="Zoë", last_name="Ødegård", email="zoe@example.org")
    opened = _open(clinic, qtbot)
    yield opened
    opened.tasks.shutdown()
    clinic.engine.dispose()


def _choose(desk: Desk, qtbot: QtBot, patient_id: int) -> None:
    row = desk.view.model.row_of(patient_id)
    assert row is not None
    with qtbot.waitSignal(desk.view.details_loaded):
        desk.view.table.selectionModel().setCurrentIndex(
            desk.view.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )


def _save(desk: Desk, qtbot: QtBot) -> None:
    with qtbot.waitSignal(desk.view.patient_saved), qtbot.waitSignal(desk.view.details_loaded):
        qtbot.keyClick(desk.view.first_name, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)


def test_the_list_shows_everyone_in_name_order(desk: Desk) -> None:
    assert desk.view.model.rowCount() == 3
    assert [desk.name(r) for r in range(3)] == ["Adams, Ben", "Ødegård, Zoë", "Okafor, Ada"]
    assert desk.view.count_label.text() == "3 patients"


def test_typing_narrows_the_list_and_shows_the_first_match(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    view.focus_search()  # what the window's Ctrl+F calls
    assert view.search.hasFocus()
    with qtbot.waitSignal(view.model.loaded), qtbot.waitSignal(view.details_loaded):
        qtbot.keyClicks(view.search, "zoe")
    assert view.model.rowCount() == 1
    assert desk.name(0) == "Ødegård, Zoë"
    assert view.count_label.text() == "1 patient"
    assert view.title.text() == "Zoë Ødegård"
    assert view.email.text() == "zoe@example.org"
    with qtbot.waitSignal(view.model.loaded):
        qtbot.keyClicks(view.search, "x")
    assert view.model.rowCount() == 0
    assert view.count_label.text() == (
        "No patient matches “zoex” — New patient (Ctrl+Shift+P) starts with it."
    )
    # an empty field lists everyone again
    with qtbot.waitSignal(view.model.loaded):
        view.search.clear()
    assert view.model.rowCount() == 3


def test_a_phone_search_and_enter_moves_into_the_list(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    view.search.setFocus()
    with qtbot.waitSignal(view.model.loaded):
        qtbot.keyClicks(view.search, "7946 0456")
        qtbot.keyClick(view.search, Qt.Key.Key_Return)
    assert view.model.rowCount() == 1
    assert desk.name(0) == "Adams, Ben"
    assert view.table.hasFocus()
    assert view.table.currentIndex().row() == 0


def test_an_edit_is_saved_and_the_list_follows(desk: Desk, qtbot: QtBot) -> None:
    view, ctx = desk.view, desk.clinic.ctx
    ada = desk.clinic.ada.id or 0
    _choose(desk, qtbot, ada)
    assert view.title.text() == "Ada Okafor"
    view.last_name.setText("Abara")
    view.phone.setText("020 7946 0777")
    view.date_of_birth.setText("02/03/1984")
    _save(desk, qtbot)
    stored = patients.get(ctx, ada)
    assert (stored.last_name, stored.phone) == ("Abara", "+442079460777")
    assert stored.date_of_birth is not None and stored.date_of_birth.isoformat() == "1984-03-02"
    assert view.saved_label.text() == "Saved Ada Abara."
    assert view.phone.text() == "020 7946 0777"  # written as the desk writes it
    # the list moved Ada to her new place and kept her selected
    qtbot.waitUntil(lambda: desk.name(0) == "Abara, Ada")
    assert view.table.currentIndex().row() == 0
    assert view.model.data(view.table.currentIndex(), Role.PATIENT_ID) == ada


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("phone", "12", "is not a valid phone number"),
        ("email", "ada@", "is not an e-mail address"),
        ("date_of_birth", "31/02/1984", "Type the date of birth as dd/mm/yyyy."),
        ("date_of_birth", "01/01/2099", "The date of birth is in the future."),
        ("date_of_birth", "01/01/1850", "That date of birth is too far in the past."),
        ("last_name", "", "A patient needs a first or a last name."),
    ],
)
def test_an_invalid_edit_is_refused_beside_its_field_and_nothing_is_saved(
    desk: Desk, qtbot: QtBot, field: str, typed: str, message: str
) -> None:
    view, ctx = desk.view, desk.clinic.ctx
    ada = desk.clinic.ada.id or 0
    _choose(desk, qtbot, ada)
    before = patients.get(ctx, ada)
    view.first_name.setText("Adanna")
    if field == "last_name":
        view.first_name.setText("")
    getattr(view, field).setText(typed)
    view.save()
    qtbot.waitUntil(lambda: view.field_error(field) != "")
    assert message in view.field_error(field)
    assert view._fields[field].error.isVisible()
    assert not desk.tasks.busy()
    assert patients.get(ctx, ada) == before
    # corrected, it saves and the message goes
    getattr(view, field).setText(
        {"phone": "020 7946 0123", "email": "", "date_of_birth": "", "last_name": "Okafor"}[field]
    )
    view.first_name.setText("Adanna")
    _save(desk, qtbot)
    assert view.field_error(field) == ""
    assert patients.get(ctx, ada).first_name == "Adanna"


def test_an_empty_clinic_says_what_to_do(sqlite_url: str, clock: Clock, qtbot: QtBot) -> None:
    clinic = build_small_clinic(sqlite_url, clock)
    with clinic.ctx.write() as uow:  # a clinic whose patients were never imported
        uow.conn.exec_driver_sql("DELETE FROM patients")  # type: ignore[attr-defined]
        uow.commit()
    desk = _open(clinic, qtbot)
    try:
        assert desk.view.count_label.text() == (
            "No patients yet — add one with New patient (Ctrl+Shift+P)."
        )
        assert desk.view.new_button.isEnabled()
        assert not desk.view.save_button.isEnabled()
    finally:
        desk.tasks.shutdown()
        clinic.engine.dispose()


def _answer(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """Answer the unsaved-changes question once it is open."""

    def press() -> None:
        ask = QApplication.activeModalWidget()
        assert isinstance(ask, QMessageBox)
        seen.append(ask.text())
        ask.button(button).click()

    QTimer.singleShot(0, press)


def _click_row(desk: Desk, patient_id: int) -> None:
    row = desk.view.model.row_of(patient_id)
    assert row is not None
    desk.view.table.selectionModel().setCurrentIndex(
        desk.view.model.index(row, 0),
        QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
    )


@pytest.mark.parametrize("answer", ["cancel", "discard", "save", "save refused"])
def test_moving_away_from_unsaved_changes_asks_first(desk: Desk, qtbot: QtBot, answer: str) -> None:
    view, ctx = desk.view, desk.clinic.ctx
    ada, ben = desk.clinic.ada.id or 0, desk.clinic.ben.id or 0
    _choose(desk, qtbot, ada)
    view.phone.setText("12" if answer == "save refused" else "020 7946 0777")
    seen: list[str] = []
    buttons = {
        "cancel": QMessageBox.StandardButton.Cancel,
        "discard": QMessageBox.StandardButton.Discard,
        "save": QMessageBox.StandardButton.Save,
        "save refused": QMessageBox.StandardButton.Save,
    }
    _answer(buttons[answer], seen)
    if answer in ("discard", "save"):
        with qtbot.waitSignal(view.details_loaded):
            _click_row(desk, ben)
        assert view.title.text() == "Ben Adams"
        assert view.current_patient_id() == ben
        assert view.model.data(view.table.currentIndex(), Role.PATIENT_ID) == ben
    else:
        _click_row(desk, ben)
        if answer == "save refused":  # the service refuses the phone: back on Ada
            qtbot.waitUntil(lambda: view.field_error("phone") != "")
        assert view.title.text() == "Ada Okafor"
        assert view.model.data(view.table.currentIndex(), Role.PATIENT_ID) == ada
    assert seen == ["Save the changes to Ada Okafor?"]
    saved = patients.get(ctx, ada).phone
    assert saved == ("+442079460777" if answer == "save" else "+442079460123")
    if answer == "cancel":
        assert view.phone.text() == "020 7946 0777"  # the typing is still there
    if answer == "save refused":
        assert "is not a valid phone number" in view.field_error("phone")


def test_channel_and_consents_are_saved(desk: Desk, qtbot: QtBot) -> None:
    view, ctx = desk.view, desk.clinic.ctx
    ben = desk.clinic.ben.id or 0
    _choose(desk, qtbot, ben)
    assert not view.consent_whatsapp.isChecked()
    view.channel.setCurrentIndex(view.channel.findData(Channel.WHATSAPP.value))
    view.consent_whatsapp.setChecked(True)
    view.consent_sms.setChecked(True)
    view.consent_email.setChecked(False)
    _save(desk, qtbot)
    stored = patients.get(ctx, ben)
    assert stored.preferred_channel is Channel.WHATSAPP
    assert (stored.consent_sms, stored.consent_whatsapp, stored.consent_email) == (
        True,
        True,
        False,
    )
    assert stored.consents_to(Channel.WHATSAPP)
    # shown again as saved
    _choose(desk, qtbot, desk.clinic.ada.id or 0)
    _choose(desk, qtbot, ben)
    assert view.channel.currentData() == "whatsapp"
    assert view.consent_whatsapp.isChecked()


def _at(day: int, hour: int, minute: int = 0) -> datetime:
    # June: London is UTC+1
    return datetime(2026, 6, day, hour - 1, minute, tzinfo=UTC)


def test_upcoming_and_past_appointments_and_no_shows(desk: Desk, qtbot: QtBot) -> None:
    clinic = desk.clinic
    ctx, ada = clinic.ctx, clinic.ada.id or 0
    dr_a, consult = clinic.dr_a.id or 0, clinic.consultation.id or 0

    def book(day: int, hour: int) -> int:
        outcome = booking.book(
            ctx, patient_id=ada, provider_id=dr_a, service_id=consult, start=_at(day, hour)
        )
        assert outcome.appointment.id is not None
        return outcome.appointment.id

    missed, seen, cancelled = book(1, 9), book(1, 10), book(4, 9)
    book(3, 11)
    clinic.clock.now = _at(1, 12)
    booking.no_show(ctx, missed)
    booking.check_in(ctx, seen)
    booking.complete(ctx, seen)
    booking.cancel(ctx, cancelled, reason="Away")
    _choose(desk, qtbot, ada)
    view = desk.view
    assert view.no_shows_label.text() == "1 no-show"
    # from now on, soonest first; a cancelled one stays there, marked so
    upcoming = [view.upcoming.topLevelItem(i) for i in range(view.upcoming.topLevelItemCount())]
    assert [i.text(1) for i in upcoming] == ["Booked", "Cancelled"]
    item = upcoming[0]
    assert "11:00" in item.text(0)  # clinic time, not UTC
    assert "03/06/2026" in item.text(0)  # the clinic's locale (en_GB)
    assert (item.text(1), item.text(2), item.text(3)) == (
        "Booked",
        "Consultation",
        "Dr Thandi Mokoena",
    )
    statuses = [view.past.topLevelItem(i).text(1) for i in range(view.past.topLevelItemCount())]
    assert statuses == ["Completed", "No-show"]  # latest first
    # the list shows the same count and the next appointment
    row = view.model.row_of(ada)
    assert row is not None
    view.model.refresh()
    qtbot.waitUntil(
        lambda: (
            view.model.data(view.model.index(row, Column.NO_SHOWS)) == "1"
            and "11:00" in str(view.model.data(view.model.index(row, Column.NEXT)))
        )
    )


def test_a_patient_without_appointments_says_so(desk: Desk, qtbot: QtBot) -> None:
    _choose(desk, qtbot, desk.clinic.ben.id or 0)
    assert desk.view.no_shows_label.text() == "0 no-shows"
    assert desk.view.upcoming.topLevelItem(0).text(0) == "None"


def test_the_vcard_is_exported_and_reads_back(desk: Desk, qtbot: QtBot, tmp_path: Path) -> None:
    view = desk.view
    ada = desk.clinic.ada.id or 0
    _choose(desk, qtbot, ada)
    qtbot.keyClick(
        view.table,
        Qt.Key.Key_E,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    dialog = view.export_dialog
    assert dialog is not None
    assert dialog.selectedFiles()[0].endswith("Ada Okafor.vcf")
    target = tmp_path / "ada.vcf"
    dialog.selectFile(str(target))
    with qtbot.waitSignal(view.exported) as done:
        dialog.accept()
    assert done.args == [str(target)]
    card = vobject.readOne(target.read_text(encoding="utf-8"))
    assert card.fn.value == "Ada Okafor"
    assert card.n.value.family == "Okafor"
    assert card.tel.value == "+442079460123"
    assert card.email.value == "ada@example.com"
    assert view.export_dialog is None


def test_a_new_patient_is_registered_and_selected(desk: Desk, qtbot: QtBot) -> None:
    view, ctx = desk.view, desk.clinic.ctx
    qtbot.keyClick(
        view.table,
        Qt.Key.Key_P,
        Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
    )
    assert view.title.text() == "New patient"
    assert view.first_name.hasFocus()
    assert not view.export_button.isEnabled()
    assert not view.book_button.isEnabled()
    qtbot.keyClicks(view.first_name, "Chidi")
    view.last_name.setText("Eze")
    view.phone.setText("bad")
    view.save()
    qtbot.waitUntil(lambda: view.field_error("phone") != "")
    assert patients.ids(ctx, "chidi") == []
    view.phone.setText("020 7946 0321")
    with qtbot.waitSignal(view.model.loaded):
        _save(desk, qtbot)
    new_ids = patients.ids(ctx, "chidi")
    assert len(new_ids) == 1
    assert view.saved_label.text() == "Registered Chidi Eze."
    assert view.model.rowCount() == 4
    assert view.model.data(view.table.currentIndex(), Role.PATIENT_ID) == new_ids[0]
    assert view.book_button.isEnabled()


def test_a_field_is_checked_as_it_is_left(desk: Desk, qtbot: QtBot) -> None:
    view, ctx = desk.view, desk.clinic.ctx
    ben = desk.clinic.ben.id or 0
    _choose(desk, qtbot, ben)
    before = patients.get(ctx, ben)
    view.phone.setFocus()
    view.phone.selectAll()
    qtbot.keyClicks(view.phone, "12")
    qtbot.keyClick(view.phone, Qt.Key.Key_Tab)  # leaves the field
    assert "is not a valid phone number" in view.field_error("phone")
    view.date_of_birth.setFocus()
    qtbot.keyClicks(view.date_of_birth, "2/13/1990")
    qtbot.keyClick(view.date_of_birth, Qt.Key.Key_Tab)
    assert view.field_error("date_of_birth") == "Type the date of birth as dd/mm/yyyy."
    assert not desk.tasks.busy()
    assert patients.get(ctx, ben) == before  # nothing saved
    view.date_of_birth.setText("13/2/1990")
    view.date_of_birth.setFocus()
    qtbot.keyClick(view.date_of_birth, Qt.Key.Key_Tab)
    assert view.field_error("date_of_birth") == ""


@pytest.mark.parametrize(
    ("typed", "first", "last", "phone", "birth"),
    [
        ("Chidi Eze", "Chidi", "Eze", "", ""),
        ("Nakamura", "", "Nakamura", "", ""),
        ("020 7946 0321", "", "", "020 7946 0321", ""),
        ("3/4/1999", "", "", "", "03/04/1999"),
    ],
)
def test_a_new_patient_starts_with_what_was_searched(
    desk: Desk, qtbot: QtBot, typed: str, first: str, last: str, phone: str, birth: str
) -> None:
    view = desk.view
    with qtbot.waitSignal(view.model.loaded):
        qtbot.keyClicks(view.search, typed)
    view.new_button.click()
    assert (view.first_name.text(), view.last_name.text()) == (first, last)
    assert (view.phone.text(), view.date_of_birth.text()) == (phone, birth)


def test_book_asks_for_the_shown_patient(desk: Desk, qtbot: QtBot) -> None:
    ben = desk.clinic.ben.id or 0
    _choose(desk, qtbot, ben)
    with qtbot.waitSignal(desk.view.book_requested) as asked:
        qtbot.keyClick(desk.view.table, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    assert asked.args == [ben]
    assert desk.view.current_patient_id() == ben
    with qtbot.waitSignal(desk.view.book_requested) as clicked:
        desk.view.book_button.click()
    assert clicked.args == [ben]


def test_a_change_from_another_desk_appears_on_refresh(desk: Desk, qtbot: QtBot) -> None:
    view, ctx = desk.view, desk.clinic.ctx
    ada = desk.clinic.ada.id or 0
    _choose(desk, qtbot, ada)
    patients.edit(ctx, ada, email="ada.okafor@example.org")
    with qtbot.waitSignal(view.details_loaded), qtbot.waitSignal(view.model.loaded):
        view.refresh()
    assert view.email.text() == "ada.okafor@example.org"
    row = view.model.row_of(ada)
    assert row is not None
    qtbot.waitUntil(
        lambda: view.model.data(view.model.index(row, Column.EMAIL)) == "ada.okafor@example.org"
    )
    # unsaved typing is not overwritten by a refresh
    view.phone.setText("020 7946 0555")
    patients.edit(ctx, ada, email="ada@example.com")
    with qtbot.waitSignal(view.model.loaded):
        view.refresh()
    assert view.phone.text() == "020 7946 0555"
    assert view.email.text() == "ada.okafor@example.org"


def test_controls_have_accessible_names(desk: Desk) -> None:
    view = desk.view
    for widget in (
        view.search,
        view.table,
        view.first_name,
        view.last_name,
        view.date_of_birth,
        view.phone,
        view.email,
        view.channel,
        view.consent_sms,
        view.consent_whatsapp,
        view.consent_email,
        view.notes,
        view.save_button,
        view.book_button,
        view.export_button,
        view.new_button,
        view.upcoming,
        view.past,
    ):
        assert widget.accessibleName(), widget


# -- 200,000 patients ----------------------------------------------------------------------------

MANY = 200_000


def _fill_with_many_patients(clinic: SmallClinic) -> None:
    """2,000 different names through the repository, then copied in one INSERT ... SELECT."""
    now = clinic.clock()
    names = [
        Patient(first_name=first, last_name=last)
        for last in LAST_NAMES[:100]
        for first in FIRST_NAMES[:20]
    ]
    copies = MANY // len(names)
    p = t.patients
    with clinic.ctx.write() as uow:
        first_new = uow.patients.count() + 1
        uow.patients.add_many(names, now)
        conn = uow.conn  # type: ignore[attr-defined]
        with patient_index_filled_once(conn):
            n = select(literal_column("1").label("n")).cte("n", recursive=True)
            n = n.union_all(select((n.c.n + 1).label("n")).where(n.c.n < copies - 1))
            columns = [c for c in p.c if c.name != "id"]
            template = (
                select(*columns)
                .where(p.c.id >= first_new)
                .join_from(p, n, literal_column("1") == literal_column("1"))
            )
            conn.execute(p.insert().from_select([c.name for c in columns], template))
        uow.commit()


@pytest.mark.slow
@pytest.mark.timeout(120)
def test_two_hundred_thousand_patients_stay_smooth(
    sqlite_url: str, clock: Clock, qtbot: QtBot
) -> None:
    clinic = build_small_clinic(sqlite_url, clock)
    _fill_with_many_patients(clinic)
    desk = _open(clinic, qtbot)
    view, model = desk.view, desk.view.model
    try:
        total = MANY + 2
        assert model.rowCount() == total
        assert model.cached_count() == PAGE_SIZE  # the first page came with the ids

        view.table.scrollToBottom()
        last = total - 1
        qtbot.waitUntil(lambda: model.cached_row(last) is not None)
        assert model.pages_read <= 3
        assert model.cached_count() <= 4 * PAGE_SIZE
        assert desk.name(last) != "Loading…"

        target = LAST_NAMES[57]
        with qtbot.waitSignal(model.loaded, timeout=10_000):
            qtbot.keyClicks(view.search, target[:4])
        found = model.rowCount()
        assert 0 < found < total
        assert desk.name(0).startswith(target[:4])
        assert model.cached_count() <= 5 * PAGE_SIZE
        view.table.scrollToBottom()
        qtbot.waitUntil(lambda: model.cached_row(found - 1) is not None)
        assert model.pages_read <= 5
        assert model.cached_count() <= 6 * PAGE_SIZE
    finally:
        desk.tasks.shutdown()
        clinic.engine.dispose()
