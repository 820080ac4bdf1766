"""The patients view: a search field, the lazily read patient list, and the chosen patient's
details (edit with validation, channel and consents, appointments, no-shows, vCard export).

Every read and write runs on the task helper; the widgets change only when a result arrives.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QDate,
    QDateTime,
    QItemSelectionModel,
    QLocale,
    QModelIndex,
    QObject,
    Qt,
    QTime,
    QTimer,
    QTimeZone,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import DomainError, InvalidInput
from medbookings_desktop.domain.patients import Channel, Patient, normalize_email, normalize_phone
from medbookings_desktop.domain.search import parse_birth_date, parse_query
from medbookings_desktop.services import patients, setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.vcards import patient_card
from medbookings_desktop.ui.day_model import status_word
from medbookings_desktop.ui.patients_model import Column, PatientsModel, Role, phone_text
from medbookings_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 150  # typing pauses this long before the list narrows

FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "phone",
    "email",
    "preferred_channel",
    "notes",
)


@dataclass(frozen=True)
class HistoryLine:
    appointment: Appointment
    service_name: str
    provider_name: str


@dataclass(frozen=True)
class PatientDetails:
    patient: Patient
    upcoming: tuple[HistoryLine, ...]  # from now on, any status, soonest first
    past: tuple[HistoryLine, ...]  # started before now, latest first
    no_shows: int
    phone: str  # as the desk writes it


def load_details(ctx: Context, patient_id: int, region: str = "GB") -> PatientDetails:
    """Runs on a pool thread: the patient, their appointments with names, the no-show count."""
    patient = patients.get(ctx, patient_id)
    history = patients.history(ctx, patient_id)
    services = {s.id: s.name for s in setup.all_services(ctx)}
    providers = {p.id: p.display_name for p in setup.all_providers(ctx)}
    now = ctx.now()
    lines = [
        HistoryLine(a, services.get(a.service_id, ""), providers.get(a.provider_id, ""))
        for a in history
    ]
    # a future appointment stays under "upcoming" when cancelled, marked so
    upcoming = sorted(
        (ln for ln in lines if ln.appointment.start >= now), key=lambda ln: ln.appointment.start
    )
    past = sorted(
        (ln for ln in lines if ln.appointment.start < now),
        key=lambda ln: ln.appointment.start,
        reverse=True,
    )
    return PatientDetails(
        patient,
        tuple(upcoming),
        tuple(past),
        patients.no_show_count(history),
        phone_text(patient.phone, region),
    )


class _Field(QObject):
    """A labelled control with the message of the last refusal shown beside it."""

    def __init__(self, control: QWidget, parent: QObject) -> None:
        super().__init__(parent)
        self.control = control
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: palette(highlight); font-weight: 600;")
        self.error.setVisible(False)

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))
        self.error.setAccessibleName(message)


class PatientsView(QWidget):
    """`book_requested(patient_id)` when the receptionist asks to book for the shown patient;
    `patient_saved(patient_id)` after a registration or an edit was saved."""

    book_requested = Signal(int)
    patient_saved = Signal(int)
    details_loaded = Signal(int)
    exported = Signal(str)

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        clinic: ClinicSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._clinic = clinic
        self._zone = ZoneInfo(clinic.zone)
        self._qzone = QTimeZone(clinic.zone.encode())
        self._locale = QLocale(clinic.locale)
        self._day_first = (
            not self._locale.dateFormat(QLocale.FormatType.ShortFormat)
            .lstrip("'")
            .upper()
            .startswith("M")
        )
        self._patient: Patient | None = None  # shown in the form; None while a new one is typed
        self._creating = False
        self._shown_values: dict[str, Any] = {}
        self._details_request = 0
        self._select_after_load: int | None = None
        self._started = False
        self._reselecting = False
        self._then_show: int | None = None  # the patient chosen while a save was asked for
        self._export_dialog: QFileDialog | None = None

        self.model = PatientsModel(ctx, tasks, clinic, self)
        self._build()
        self._build_actions()
        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(SEARCH_DELAY_MS)
        self._debounce.timeout.connect(self._apply_search)
        self.search.textChanged.connect(self._debounce.start)
        self.search.returnPressed.connect(self._search_now)
        for name in ("first_name", "last_name", "date_of_birth", "phone", "email"):
            edit = getattr(self, name)
            edit.editingFinished.connect(lambda name=name: self._check_field(name))
        self.model.loaded.connect(self._on_list_loaded)
        self.model.failed.connect(self._show_problem)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row)
        self._show_nothing()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Search by name, phone, e-mail or date of birth"))
        self.search.setAccessibleName(self.tr("Search patients"))
        self.search.setClearButtonEnabled(True)
        self.count_label = QLabel()
        self.count_label.setAccessibleName(self.tr("Patients listed"))

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Patients"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        rows = self.table.verticalHeader()
        rows.setVisible(False)
        # fixed heights: the view never measures 200,000 rows
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        columns = self.table.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        columns.setStretchLastSection(False)
        # widths from sample text in the clinic's formats: never measured over the rows
        metrics = self.table.fontMetrics()
        samples = {
            Column.NAME: "Abernathy-Whitfield, Alexandra",
            Column.BIRTH_DATE: self.model.date_text(date(2000, 12, 28)),
            Column.PHONE: "+1 202-555-0142",
            Column.EMAIL: "alexandra.abernathy@example.org",
            Column.NEXT: self.model.datetime_text(datetime(2000, 12, 28, 23, 59, tzinfo=UTC)),
            Column.NO_SHOWS: "99",
        }
        for column, sample in samples.items():
            title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
            width = max(metrics.horizontalAdvance(sample), metrics.horizontalAdvance(title))
            self.table.setColumnWidth(column, width + 3 * metrics.averageCharWidth())

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.search)
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count_label)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(self._build_details())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        # the list gets room for all its columns first; the details take what is left
        list_width = sum(self.table.columnWidth(c) for c in range(len(Column)))
        splitter.setSizes([list_width + 2 * self.fontMetrics().averageCharWidth(), 420])
        self.splitter = splitter
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    def _line(self, name: str) -> QLineEdit:
        edit = QLineEdit()
        edit.setAccessibleName(name)
        edit.returnPressed.connect(self.save)
        return edit

    def _build_details(self) -> QWidget:
        pane = QWidget()
        pane.setAccessibleName(self.tr("Patient details"))
        self.title = QLabel()
        self.title.setAccessibleName(self.tr("Patient shown"))
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)

        self.first_name = self._line(self.tr("First name"))
        self.last_name = self._line(self.tr("Last name"))
        self.date_of_birth = self._line(self.tr("Date of birth"))
        self.date_of_birth.setPlaceholderText(self._date_pattern())
        self.phone = self._line(self.tr("Phone"))
        self.email = self._line(self.tr("E-mail"))
        self.channel = QComboBox()
        self.channel.setAccessibleName(self.tr("Preferred channel"))
        for channel, text in (
            (Channel.SMS, self.tr("SMS")),
            (Channel.WHATSAPP, self.tr("WhatsApp")),
            (Channel.EMAIL, self.tr("E-mail")),
            (Channel.NONE, self.tr("No messages")),
        ):
            self.channel.addItem(text, channel.value)
        self.consent_sms = QCheckBox(self.tr("&SMS"))
        self.consent_sms.setAccessibleName(self.tr("Consents to SMS"))
        self.consent_whatsapp = QCheckBox(self.tr("&WhatsApp"))
        self.consent_whatsapp.setAccessibleName(self.tr("Consents to WhatsApp"))
        self.consent_email = QCheckBox(self.tr("E-&mail"))
        self.consent_email.setAccessibleName(self.tr("Consents to e-mail"))
        self.notes = QPlainTextEdit()
        self.notes.setAccessibleName(self.tr("Notes"))
        self.notes.setTabChangesFocus(True)
        self.notes.setMaximumHeight(self.fontMetrics().height() * 4)

        self._fields = {
            "first_name": _Field(self.first_name, self),
            "last_name": _Field(self.last_name, self),
            "date_of_birth": _Field(self.date_of_birth, self),
            "phone": _Field(self.phone, self),
            "email": _Field(self.email, self),
            "preferred_channel": _Field(self.channel, self),
            "notes": _Field(self.notes, self),
        }
        form = QFormLayout()
        for key, label in (
            ("first_name", self.tr("&First name")),
            ("last_name", self.tr("&Last name")),
            ("date_of_birth", self.tr("&Date of birth")),
            ("phone", self.tr("&Phone")),
            ("email", self.tr("&E-mail")),
            ("preferred_channel", self.tr("Preferred c&hannel")),
        ):
            field = self._fields[key]
            buddy = QLabel(label)
            buddy.setBuddy(field.control)
            form.addRow(buddy, self._with_error(field))
        consents = QHBoxLayout()
        consents.addWidget(self.consent_sms)
        consents.addWidget(self.consent_whatsapp)
        consents.addWidget(self.consent_email)
        consents.addStretch(1)
        form.addRow(QLabel(self.tr("Consents to")), consents)
        notes_label = QLabel(self.tr("N&otes"))
        notes_label.setBuddy(self.notes)
        form.addRow(notes_label, self._with_error(self._fields["notes"]))

        self.form_error = QLabel()
        self.form_error.setWordWrap(True)
        self.form_error.setAccessibleName(self.tr("Problem"))
        self.form_error.setVisible(False)
        self.saved_label = QLabel()
        self.saved_label.setAccessibleName(self.tr("Save state"))

        self.save_button = QPushButton(self.tr("Save"))
        self.save_button.setAccessibleName(self.tr("Save patient"))
        self.save_button.clicked.connect(lambda: self.save())
        self.revert_button = QPushButton(self.tr("Revert"))
        self.revert_button.setAccessibleName(self.tr("Revert changes"))
        self.revert_button.clicked.connect(self.revert)
        self.book_button = QPushButton(self.tr("Book appointment…"))
        self.book_button.setAccessibleName(self.tr("Book an appointment for this patient"))
        self.book_button.clicked.connect(self._book)
        self.export_button = QPushButton(self.tr("Export vCard…"))
        self.export_button.setAccessibleName(self.tr("Export this patient's vCard"))
        self.export_button.clicked.connect(self.export_vcard)
        self.new_button = QPushButton(self.tr("New patient"))
        self.new_button.setAccessibleName(self.tr("Register a new patient"))
        self.new_button.clicked.connect(self.new_patient)
        buttons = QHBoxLayout()
        for button in (self.save_button, self.revert_button, self.book_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        more = QHBoxLayout()
        more.addWidget(self.export_button)
        more.addWidget(self.new_button)
        more.addStretch(1)

        self.no_shows_label = QLabel()
        self.no_shows_label.setAccessibleName(self.tr("No-shows"))
        self.upcoming = self._history_list(self.tr("Upcoming appointments"))
        self.past = self._history_list(self.tr("Past appointments"))
        history = QGroupBox(self.tr("Appointments"))
        history_layout = QVBoxLayout(history)
        history_layout.addWidget(self.no_shows_label)
        upcoming_label = QLabel(self.tr("&Upcoming"))
        upcoming_label.setBuddy(self.upcoming)
        history_layout.addWidget(upcoming_label)
        history_layout.addWidget(self.upcoming, 1)
        past_label = QLabel(self.tr("P&ast"))
        past_label.setBuddy(self.past)
        history_layout.addWidget(past_label)
        history_layout.addWidget(self.past, 2)

        layout = QVBoxLayout(pane)
        layout.addWidget(self.title)
        layout.addLayout(form)
        layout.addWidget(self.form_error)
        layout.addLayout(buttons)
        layout.addWidget(self.saved_label)
        layout.addLayout(more)
        layout.addWidget(history, 1)
        return pane

    def _with_error(self, field: _Field) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(field.control)
        column.addWidget(field.error)
        return box

    def _history_list(self, name: str) -> QTreeWidget:
        tree = QTreeWidget()
        tree.setAccessibleName(name)
        tree.setRootIsDecorated(False)
        tree.setUniformRowHeights(True)
        tree.setHeaderLabels(
            [self.tr("When"), self.tr("Status"), self.tr("Service"), self.tr("With")]
        )
        return tree

    def _build_actions(self) -> None:
        def action(text: str, keys: str, slot: Any) -> QAction:
            act = QAction(text, self)
            act.setShortcut(QKeySequence(keys))
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        # Ctrl+F (find patient) belongs to the window: it shows this view and calls focus_search
        self.save_action = action(self.tr("&Save patient"), "Ctrl+S", self.save)
        # not Ctrl+Shift+N: the window's walk-in
        self.new_action = action(self.tr("&New patient"), "Ctrl+Shift+P", self.new_patient)
        self.book_action = action(self.tr("&Book appointment…"), "Ctrl+B", self._book)
        self.export_action = action(self.tr("&Export vCard…"), "Ctrl+Shift+E", self.export_vcard)
        for act, button in (
            (self.save_action, self.save_button),
            (self.new_action, self.new_button),
            (self.book_action, self.book_button),
            (self.export_action, self.export_button),
        ):
            keys = act.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            button.setToolTip(f"{button.text()} ({keys})")

    # -- the list ----------------------------------------------------------------------------

    def showEvent(self, event: Any) -> None:
        """Overrides QWidget.showEvent: the list is first read when the view is first shown."""
        super().showEvent(event)
        if not self._started:
            self._started = True
            self.model.set_filter(self.search.text())

    def refresh(self) -> None:
        """Read again after a change elsewhere (another desk, the engine): the list keeps its
        place, and the shown patient is read again unless the form holds unsaved typing."""
        if not self._started:
            return
        self.model.refresh()
        if self._patient is not None and self._patient.id is not None and not self._dirty():
            self.show_patient(self._patient.id)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def keyPressEvent(self, event: Any) -> None:
        """Overrides QWidget.keyPressEvent: Down from the search field moves into the list."""
        if event.key() == Qt.Key.Key_Down and self.search.hasFocus():
            self._focus_list()
            return
        super().keyPressEvent(event)

    def _search_now(self) -> None:
        self._debounce.stop()
        if self.search.text() != self.model.text:
            self._apply_search()
        self._focus_list()

    def _apply_search(self) -> None:
        self._started = True
        self.model.set_filter(self.search.text())

    def _focus_list(self) -> None:
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.table.currentIndex().isValid() and self.model.rowCount() > 0:
            self.table.setCurrentIndex(self.model.index(0, 0))

    def _on_list_loaded(self) -> None:
        count = self.model.rowCount()
        keys = self.new_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if count == 0 and self.model.text:
            self.count_label.setText(
                self.tr(
                    "No patient matches “{text}” — New patient ({keys}) starts with it."
                ).format(text=self.model.text, keys=keys)
            )
        elif count == 0:
            self.count_label.setText(
                self.tr("No patients yet — add one with New patient ({keys}).").format(keys=keys)
            )
        elif count == 1:
            self.count_label.setText(self.tr("1 patient"))
        else:
            self.count_label.setText(
                self.tr("{count} patients").format(count=self._locale.toString(count))
            )
        wanted = self._select_after_load
        self._select_after_load = None
        if wanted is not None:
            row = self.model.row_of(wanted)
            if row is not None:
                self._select_row(row)
                return
        searching = bool(self.model.text)
        if searching and count and not self.table.currentIndex().isValid() and not self._dirty():
            self._select_row(0)

    def _select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def _on_current_row(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._reselecting:
            return
        patient_id = self.model.data(current, Role.PATIENT_ID) if current.isValid() else None
        if patient_id is None:
            return
        if patient_id != self._select_after_load:
            self._select_after_load = None  # chosen since the save: the list must not jump back
        if self._patient is not None and self._patient.id == patient_id and not self._creating:
            return
        if self._dirty():
            answer = self._ask_about_changes()
            if answer == QMessageBox.StandardButton.Cancel:
                self._reselect_shown()
                return
            if answer == QMessageBox.StandardButton.Save:
                if not self._save(then_show=patient_id):
                    self._reselect_shown()
                return
        self.show_patient(patient_id)

    def _ask_about_changes(self) -> QMessageBox.StandardButton:
        name = self._patient.full_name if self._patient is not None else self.tr("the new patient")
        ask = QMessageBox(self)
        ask.setIcon(QMessageBox.Icon.Question)
        ask.setWindowTitle(self.tr("Unsaved changes"))
        ask.setText(self.tr("Save the changes to {name}?").format(name=name))
        ask.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        ask.setDefaultButton(QMessageBox.StandardButton.Save)
        return QMessageBox.StandardButton(ask.exec())

    def _reselect_shown(self) -> None:
        """Put the list's selection back on the patient the form shows."""
        shown = self.current_patient_id()
        row = self.model.row_of(shown) if shown is not None else None
        self._reselecting = True
        try:
            if row is None:
                self.table.selectionModel().clear()
            else:
                self._select_row(row)
        finally:
            self._reselecting = False

    # -- the details -------------------------------------------------------------------------

    def show_patient(self, patient_id: int) -> None:
        """Read the patient and their appointments in the background, then fill the pane."""
        self._details_request += 1
        request, ctx, region = self._details_request, self._ctx, self._clinic.phone_region
        self._tasks.run(
            lambda: load_details(ctx, patient_id, region),
            lambda details: self._fill(request, details),
            lambda exc: self._details_failed(request, exc),
        )

    def _details_failed(self, request: int, exc: BaseException) -> None:
        if request == self._details_request:
            self._show_problem(getattr(exc, "message", None) or str(exc))

    def _fill(self, request: int, details: PatientDetails) -> None:
        if request != self._details_request:
            return
        p = details.patient
        if self._creating or self._patient is None or self._patient.id != p.id:
            self.saved_label.clear()  # "Saved …" stays while the same patient is shown
        self._patient = p
        self._creating = False
        self.title.setText(p.full_name)
        self.first_name.setText(p.first_name)
        self.last_name.setText(p.last_name)
        self.date_of_birth.setText(self._date_input(p.date_of_birth))
        self.phone.setText(details.phone)
        self.email.setText(p.email or "")
        self.channel.setCurrentIndex(max(self.channel.findData(p.preferred_channel.value), 0))
        self.consent_sms.setChecked(p.consent_sms)
        self.consent_whatsapp.setChecked(p.consent_whatsapp)
        self.consent_email.setChecked(p.consent_email)
        self.notes.setPlainText(p.notes)
        self._shown_values = self._form_values()
        self._clear_errors()
        self._fill_history(self.upcoming, details.upcoming)
        self._fill_history(self.past, details.past)
        if details.no_shows == 1:
            self.no_shows_label.setText(self.tr("1 no-show"))
        else:
            self.no_shows_label.setText(
                self.tr("{count} no-shows").format(count=self._locale.toString(details.no_shows))
            )
        self._set_enabled(True)
        if p.id is not None:
            self.details_loaded.emit(p.id)

    def _fill_history(self, tree: QTreeWidget, lines: tuple[HistoryLine, ...]) -> None:
        tree.clear()
        items = []
        for line in lines:
            a = line.appointment
            items.append(
                QTreeWidgetItem(
                    [
                        self.datetime_text(a.start),
                        status_word(a.status),
                        line.service_name,
                        line.provider_name,
                    ]
                )
            )
        tree.addTopLevelItems(items)
        if not items:
            placeholder = QTreeWidgetItem([self.tr("None")])
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            tree.addTopLevelItem(placeholder)
        for column in range(tree.columnCount()):
            tree.resizeColumnToContents(column)

    def _show_nothing(self) -> None:
        self.title.setText(self.tr("No patient chosen"))
        self._set_enabled(False)
        self.new_button.setEnabled(True)

    def _set_enabled(self, on: bool) -> None:
        for field in self._fields.values():
            field.control.setEnabled(on)
        for widget in (
            self.consent_sms,
            self.consent_whatsapp,
            self.consent_email,
            self.save_button,
            self.revert_button,
        ):
            widget.setEnabled(on)
        has_patient = on and not self._creating
        for widget in (self.book_button, self.export_button):
            widget.setEnabled(has_patient)
        self.book_action.setEnabled(has_patient)
        self.export_action.setEnabled(has_patient)
        self.save_action.setEnabled(on)

    def new_patient(self) -> None:
        """Empty the form to register a new patient; Save registers them."""
        self._details_request += 1  # a details read still on its way must not fill the form
        self._patient = None
        self._creating = True
        self.title.setText(self.tr("New patient"))
        for edit in (self.first_name, self.last_name, self.date_of_birth, self.phone, self.email):
            edit.clear()
        self.channel.setCurrentIndex(0)
        for box in (self.consent_sms, self.consent_whatsapp, self.consent_email):
            box.setChecked(False)
        self.notes.clear()
        self._shown_values = self._form_values()
        self._fill_from_search(self.search.text().strip())
        self._clear_errors()
        self.saved_label.clear()
        self.upcoming.clear()
        self.past.clear()
        self.no_shows_label.clear()
        self._set_enabled(True)
        self.first_name.setFocus(Qt.FocusReason.OtherFocusReason)

    def _fill_from_search(self, typed: str) -> None:
        """What was typed in the search starts the new patient: a name, phone or birth date."""
        if not typed:
            return
        query = parse_query(typed, day_first=self._day_first)
        if query.birth_date is not None:
            self.date_of_birth.setText(self._date_input(query.birth_date))
        elif query.substrings and not query.words and typed.replace(" ", "").lstrip("+").isdigit():
            self.phone.setText(typed)
        elif query.words:
            words = typed.split()
            if len(words) == 1:
                self.last_name.setText(words[0])
            else:
                self.first_name.setText(words[0])
                self.last_name.setText(" ".join(words[1:]))

    def revert(self) -> None:
        if self._creating:
            self.new_patient()
        elif self._patient is not None and self._patient.id is not None:
            self.show_patient(self._patient.id)

    # -- saving ------------------------------------------------------------------------------

    def _form_values(self) -> dict[str, Any]:
        return {
            "first_name": self.first_name.text(),
            "last_name": self.last_name.text(),
            "date_of_birth": self.date_of_birth.text().strip(),
            "phone": self.phone.text().strip(),
            "email": self.email.text().strip(),
            "preferred_channel": self.channel.currentData(),
            "consent_sms": self.consent_sms.isChecked(),
            "consent_whatsapp": self.consent_whatsapp.isChecked(),
            "consent_email": self.consent_email.isChecked(),
            "notes": self.notes.toPlainText(),
        }

    def _dirty(self) -> bool:
        return (self._creating or self._patient is not None) and (
            self._form_values() != self._shown_values
        )

    def _check_field(self, name: str) -> None:
        """Validation as the field is left (nothing is saved): the message shows beside it."""
        if not (self._creating or self._patient is not None):
            return
        field = self._fields[name]
        try:
            if name == "date_of_birth":
                self._birth_date(self.date_of_birth.text().strip())
            elif name == "phone" and self.phone.text().strip():
                normalize_phone(self.phone.text().strip(), self._clinic.phone_region)
            elif name == "email" and self.email.text().strip():
                normalize_email(self.email.text().strip())
            elif name in ("first_name", "last_name"):
                if not (self.first_name.text().strip() or self.last_name.text().strip()):
                    raise InvalidInput(self.tr("A patient needs a first or a last name."), name)
                self._fields["first_name"].show_error("")
                self._fields["last_name"].show_error("")
        except InvalidInput as exc:
            field.show_error(exc.message)
            return
        field.show_error("")

    def _birth_date(self, typed: str) -> date | None:
        if not typed:
            return None
        birth = parse_birth_date(typed, self._day_first)
        if birth is None:
            raise InvalidInput(
                self.tr("Type the date of birth as {pattern}.").format(
                    pattern=self._date_pattern()
                ),
                "date_of_birth",
            )
        if birth > self._ctx.now().astimezone(self._zone).date():
            raise InvalidInput(self.tr("The date of birth is in the future."), "date_of_birth")
        if birth.year < 1880:
            raise InvalidInput(
                self.tr("That date of birth is too far in the past."), "date_of_birth"
            )
        return birth

    def _changes(self) -> dict[str, Any]:
        """What to save, or raises InvalidInput for what the form itself can tell is wrong."""
        values = self._form_values()
        values["date_of_birth"] = self._birth_date(values["date_of_birth"])
        values["phone"] = values["phone"] or None
        values["email"] = values["email"] or None
        return values

    def save(self) -> None:
        """Register or edit in the background; a refusal is shown beside its field."""
        self._save()

    def _save(self, then_show: int | None = None) -> bool:
        """Start saving (False: the form itself refused); `then_show` is shown once saved."""
        if not (self._creating or self._patient is not None):
            return False
        self._clear_errors()
        try:
            changes = self._changes()
        except InvalidInput as exc:
            self._show_refusal(exc)
            return False
        self._then_show = then_show
        ctx = self._ctx
        if self._creating:
            job = lambda: patients.register(ctx, **changes)  # noqa: E731
        else:
            assert self._patient is not None and self._patient.id is not None
            patient_id = self._patient.id
            job = lambda: patients.edit(ctx, patient_id, **changes)  # noqa: E731
        self.save_button.setEnabled(False)
        self.saved_label.setText(self.tr("Saving…"))
        self._tasks.run(job, self._saved, self._save_failed, write=True)
        return True

    def _saved(self, patient: Patient) -> None:
        self.save_button.setEnabled(True)
        assert patient.id is not None
        created = self._creating
        self._creating = False
        self._patient = patient
        done = self.tr("Registered {name}.") if created else self.tr("Saved {name}.")
        self.saved_label.setText(done.format(name=patient.full_name))
        then_show, self._then_show = self._then_show, None
        self._select_after_load = None if then_show is not None else patient.id
        self.model.refresh()
        self.show_patient(then_show if then_show is not None else patient.id)
        self.patient_saved.emit(patient.id)

    def _save_failed(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        self.saved_label.clear()
        if self._then_show is not None:
            self._then_show = None
            self._reselect_shown()  # the form keeps the patient whose save was refused
        if isinstance(exc, DomainError):
            self._show_refusal(exc)
        else:
            log.error("saving a patient failed", exc_info=exc)
            self._show_problem(self.tr("The patient could not be saved: {error}").format(error=exc))

    def _show_refusal(self, exc: DomainError) -> None:
        field = self._fields.get(getattr(exc, "field", None) or "")
        if field is None:
            self._show_problem(exc.message)
            return
        field.show_error(exc.message)
        field.control.setFocus(Qt.FocusReason.OtherFocusReason)

    def _clear_errors(self) -> None:
        for field in self._fields.values():
            field.show_error("")
        self.form_error.clear()
        self.form_error.setVisible(False)

    def _show_problem(self, message: str) -> None:
        self.form_error.setText(message)
        self.form_error.setVisible(True)

    def field_error(self, name: str) -> str:
        """The message shown beside a field ('' when there is none)."""
        return self._fields[name].error.text()

    # -- actions on the shown patient ----------------------------------------------------------

    def current_patient_id(self) -> int | None:
        """The patient shown in the details (None while a new one is typed or none is chosen)."""
        if self._creating or self._patient is None:
            return None
        return self._patient.id

    def _book(self) -> None:
        if self._patient is not None and self._patient.id is not None and not self._creating:
            self.book_requested.emit(self._patient.id)

    def export_vcard(self) -> None:
        """Ask where to save the shown patient's vCard, then write it."""
        patient = self._patient
        if patient is None or self._creating:
            return
        dialog = QFileDialog(self, self.tr("Export vCard"))
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilter(self.tr("vCard (*.vcf)"))
        dialog.setDefaultSuffix("vcf")
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, True)
        dialog.selectFile(f"{patient.full_name}.vcf")
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.fileSelected.connect(lambda path: self._write_card(patient, path))
        self._export_dialog = dialog
        dialog.open()

    @property
    def export_dialog(self) -> QFileDialog | None:
        """The file dialog `export_vcard` opened, while it is open."""
        dialog = self._export_dialog
        try:
            return dialog if dialog is not None and dialog.isVisible() else None
        except RuntimeError:  # deleted on close
            return None

    def _write_card(self, patient: Patient, path: str) -> None:
        self._export_dialog = None
        try:
            Path(path).write_text(patient_card(patient), encoding="utf-8", newline="")
        except OSError as exc:
            self._show_problem(
                self.tr("The vCard could not be written: {error}").format(error=exc.strerror)
            )
            return
        self.saved_label.setText(self.tr("vCard saved to {path}.").format(path=path))
        self.exported.emit(path)

    # -- formatting ----------------------------------------------------------------------------

    def _date_pattern(self) -> str:
        return self.tr("dd/mm/yyyy") if self._day_first else self.tr("mm/dd/yyyy")

    def _date_input(self, on: date | None) -> str:
        if on is None:
            return ""
        if self._day_first:
            return f"{on.day:02d}/{on.month:02d}/{on.year:04d}"
        return f"{on.month:02d}/{on.day:02d}/{on.year:04d}"

    def datetime_text(self, at: datetime) -> str:
        local = at.astimezone(self._zone)
        moment = QDateTime(
            QDate(local.year, local.month, local.day),
            QTime(local.hour, local.minute),
            self._qzone,
        )
        return self._locale.toString(moment, QLocale.FormatType.ShortFormat)
