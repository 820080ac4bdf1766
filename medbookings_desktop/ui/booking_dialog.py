"""The booking dialog: a phone booking, a walk-in, or a new time for a booking, by keyboard.

Focus starts in the patient field; Down and Enter pick; Tab reaches the next free slots, the
first one selected; Enter books it. A refusal (another desk took the time meanwhile) is said
in the dialog and the slots are asked for again; nothing is saved until a booking succeeds.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractListModel,
    QDate,
    QEvent,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.clinic import ClinicSettings, Provider, Service
from medbookings_desktop.domain.errors import DomainError, InvalidInput
from medbookings_desktop.domain.messages import OutboxKind
from medbookings_desktop.domain.patients import Channel, Patient, normalize_email, normalize_phone
from medbookings_desktop.domain.search import parse_birth_date
from medbookings_desktop.services import booking, patients, setup, slots, walk_ins
from medbookings_desktop.services.booking import Outcome
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.slots import FreeSlot
from medbookings_desktop.ui.patient_picker import PatientPicker, run_for
from medbookings_desktop.ui.patients_model import phone_text
from medbookings_desktop.ui.tasks import TaskRunner

_Index = QModelIndex | QPersistentModelIndex
SLOT_LIMIT = 12


class Mode(Enum):
    PHONE = "phone"
    WALK_IN = "walk_in"
    RESCHEDULE = "reschedule"


@dataclass(frozen=True)
class _Setup:
    services: list[Service]
    providers: list[Provider]
    appointment: Appointment | None = None
    patient: Patient | None = None
    phone: str | None = None


def _message(exc: BaseException) -> str:
    return exc.message if isinstance(exc, DomainError) else str(exc)


class SlotsModel(QAbstractListModel):
    """The next free slots, in the clinic's zone and locale, with the provider's name."""

    def __init__(
        self, clinic: ClinicSettings, locale: QLocale, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._zone = clinic.zone
        self._locale = locale
        self._names: dict[int, str] = {}
        self._rows: list[FreeSlot] = []

    def set_provider_names(self, names: dict[int, str]) -> None:
        self._names = dict(names)

    def set_slots(self, found: list[FreeSlot]) -> None:
        """A new answer replaces the list (a dozen rows, asked for again on each change)."""
        self.beginResetModel()
        self._rows = list(found)
        self.endResetModel()

    def slot(self, row: int) -> FreeSlot | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractListModel.rowCount: a flat list."""
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractListModel.data: the slot as the desk reads it."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if role in (
            Qt.ItemDataRole.DisplayRole,
            Qt.ItemDataRole.ToolTipRole,
            Qt.ItemDataRole.AccessibleTextRole,
        ):
            return self.describe(self._rows[index.row()])
        return None

    def describe(self, s: FreeSlot) -> str:
        zone = ZoneInfo(self._zone)
        start, end = s.start.astimezone(zone), s.end.astimezone(zone)
        day = self._locale.toString(QDate(start.year, start.month, start.day), "ddd d MMM")
        fmt = QLocale.FormatType.ShortFormat
        begin = self._locale.toString(QTime(start.hour, start.minute), fmt)
        until = self._locale.toString(QTime(end.hour, end.minute), fmt)
        text = f"{day}  {begin}–{until}  {self._names.get(s.provider_id, '')}".rstrip()
        if s.zone != self._zone:
            local = s.local_start()
            text += f"  ({local:%H:%M} {s.zone})"
        return text


class NewPatientForm(QGroupBox):
    """A new patient typed inline; each field says what is wrong next to it as you leave it."""

    registered = Signal(object)
    refused = Signal(str)

    def __init__(
        self, ctx: Context, tasks: TaskRunner, clinic: ClinicSettings, parent: QWidget | None
    ) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("New patient"))
        self._ctx = ctx
        self._tasks = tasks
        self._region = clinic.phone_region
        self._day_first = (
            not QLocale(clinic.locale)
            .dateFormat(QLocale.FormatType.ShortFormat)
            .lower()
            .startswith("m")
        )
        self.saving = False
        self.phone_text = ""  # the registered patient's number as the desk writes it

        self.first = QLineEdit(self)
        self.first.setAccessibleName(self.tr("First name"))
        self.last = QLineEdit(self)
        self.last.setAccessibleName(self.tr("Last name"))
        self.phone = QLineEdit(self)
        self.phone.setAccessibleName(self.tr("Phone"))
        self.email = QLineEdit(self)
        self.email.setAccessibleName(self.tr("E-mail"))
        self.dob = QLineEdit(self)
        self.dob.setAccessibleName(self.tr("Date of birth"))
        self.dob.setPlaceholderText(self.tr("e.g. 1984-02-29"))
        self.channel = QComboBox(self)
        self.channel.setAccessibleName(self.tr("Preferred channel"))
        for label, value in (
            (self.tr("SMS"), Channel.SMS),
            (self.tr("WhatsApp"), Channel.WHATSAPP),
            (self.tr("E-mail"), Channel.EMAIL),
            (self.tr("No messages"), Channel.NONE),
        ):
            self.channel.addItem(label, value.value)
        self.errors: dict[str, QLabel] = {}
        form = QFormLayout(self)
        for name, label, edit in (
            ("first_name", self.tr("&First name"), self.first),
            ("last_name", self.tr("&Last name"), self.last),
            ("phone", self.tr("P&hone"), self.phone),
            ("email", self.tr("E-&mail"), self.email),
            ("date_of_birth", self.tr("Date of &birth"), self.dob),
            ("preferred_channel", self.tr("Pre&ferred channel"), self.channel),
        ):
            error = QLabel(self)
            error.setAccessibleName(self.tr("Problem with {field}").format(field=name))
            error.setTextFormat(Qt.TextFormat.PlainText)
            error.setWordWrap(True)
            error.hide()
            self.errors[name] = error
            row = QHBoxLayout()
            row.addWidget(edit, 1)
            row.addWidget(error, 1)
            form.addRow(label, row)
        self.save = QPushButton(self.tr("&Save patient"), self)
        self.save.setAccessibleName(self.tr("Save the new patient"))
        self.save.setAutoDefault(False)
        self.save.clicked.connect(self.submit)
        self.cancel = QPushButton(self.tr("Cancel new patient"), self)
        self.cancel.setAutoDefault(False)
        self.cancel.clicked.connect(self.hide)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.save)
        form.addRow(buttons)
        self.general = QLabel(self)
        self.general.setAccessibleName(self.tr("New patient problem"))
        self.general.setWordWrap(True)
        self.general.hide()
        form.addRow(self.general)

        self.phone.editingFinished.connect(self._check_phone)
        self.email.editingFinished.connect(self._check_email)
        self.dob.editingFinished.connect(self._check_dob)
        for edit in (self.first, self.last):
            edit.editingFinished.connect(self._check_name)
        for edit in (self.first, self.last, self.phone, self.email, self.dob):
            edit.returnPressed.connect(self.submit)

    def start(self, typed: str) -> None:
        """Show the form with what was typed in the patient field already in place."""
        for edit in (self.first, self.last, self.phone, self.email, self.dob):
            edit.clear()
        for label in self.errors.values():
            label.hide()
        self.general.hide()
        compact = "".join(ch for ch in typed if ch not in " ()+.-")
        if compact.isdigit():
            self.phone.setText(typed)
        elif parse_birth_date(typed, self._day_first) is not None:
            self.dob.setText(typed)
        else:
            words = typed.split()
            if len(words) >= 2:
                self.first.setText(words[0])
                self.last.setText(" ".join(words[1:]))
            elif words:
                self.last.setText(words[0])
        self.show()
        empty = [e for e in (self.first, self.last, self.phone) if not e.text()]
        (empty[0] if empty else self.first).setFocus()

    def _show_error(self, name: str, message: str | None) -> None:
        label = self.errors[name]
        label.setText(message or "")
        label.setVisible(bool(message))

    def _check_name(self) -> None:
        if self.first.text().strip() or self.last.text().strip():
            self._show_error("last_name", None)

    def _check_off_thread(self, name: str, fn: Callable[[], object]) -> None:
        """phonenumbers and email_validator load slowly the first time: not on the UI thread."""

        def done(_: object) -> None:
            self._show_error(name, None)

        def failed(exc: BaseException) -> None:
            self._show_error(name, _message(exc))

        run_for(self, self._tasks, fn, done, failed)

    def _check_phone(self) -> None:
        text, region = self.phone.text().strip(), self._region
        if not text:
            self._show_error("phone", None)
            return
        self._check_off_thread("phone", lambda: normalize_phone(text, region))

    def _check_email(self) -> None:
        text = self.email.text().strip()
        if not text:
            self._show_error("email", None)
            return
        self._check_off_thread("email", lambda: normalize_email(text))

    def _birth_date(self) -> date | None:
        text = self.dob.text().strip()
        if not text:
            return None
        found = parse_birth_date(text, self._day_first)
        if found is None:
            raise InvalidInput(
                self.tr("Type the date of birth as a date, e.g. 1984-02-29."), "date_of_birth"
            )
        return found

    def _check_dob(self) -> None:
        try:
            self._birth_date()
        except InvalidInput as exc:
            self._show_error("date_of_birth", exc.message)
        else:
            self._show_error("date_of_birth", None)

    def submit(self) -> None:
        """Register through the service; a refusal is shown next to its field, nothing saved."""
        if self.saving:
            return
        try:
            dob = self._birth_date()
        except InvalidInput as exc:
            self._show_error("date_of_birth", exc.message)
            self.dob.setFocus()
            return
        ctx, region = self._ctx, self._region
        fields = {
            "first_name": self.first.text(),
            "last_name": self.last.text(),
            "phone": self.phone.text().strip() or None,
            "email": self.email.text().strip() or None,
            "date_of_birth": dob,
            "preferred_channel": str(self.channel.currentData()),
        }
        channel = fields["preferred_channel"]
        consent = {
            "consent_sms": channel == Channel.SMS.value,
            "consent_whatsapp": channel == Channel.WHATSAPP.value,
            "consent_email": channel == Channel.EMAIL.value,
        }
        self.saving = True
        self.save.setEnabled(False)
        run_for(
            self,
            self._tasks,
            lambda: _registered_with_phone(
                patients.register(ctx, **fields, **consent),  # type: ignore[arg-type]
                region,
            ),
            self._saved,
            self._refused,
            write=True,
        )

    def _saved(self, answer: tuple[Patient, str]) -> None:
        patient, phone = answer
        self.phone_text = phone
        self.saving = False
        self.save.setEnabled(True)
        for label in self.errors.values():
            label.hide()
        self.hide()
        self.registered.emit(patient)

    def _refused(self, exc: BaseException) -> None:
        self.saving = False
        self.save.setEnabled(True)
        name = exc.field if isinstance(exc, InvalidInput) else None
        if name in self.errors:
            assert name is not None
            self._show_error(name, _message(exc))
            edit = {
                "first_name": self.first,
                "last_name": self.last,
                "phone": self.phone,
                "email": self.email,
                "date_of_birth": self.dob,
            }.get(name)
            if edit is not None:
                edit.setFocus()
        else:
            self.general.setText(_message(exc))
            self.general.show()
        self.refused.emit(_message(exc))


class BookingDialog(QDialog):
    """`booked(Outcome)` after a booking (or a new time) is saved; `queued(WalkIn)` after a
    walk-in joins the queue. Reload the day on either."""

    booked = Signal(object)
    queued = Signal(object)
    patient_results_shown = Signal(int)
    slots_shown = Signal(int)
    refused = Signal(str)
    ready = Signal()

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        clinic: ClinicSettings,
        parent: QWidget | None = None,
        *,
        on: date | None = None,
        provider_id: int | None = None,
        start: datetime | None = None,
        mode: Mode = Mode.PHONE,
        appointment_id: int | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._clinic = clinic
        self._zone = ZoneInfo(clinic.zone)
        self.mode = mode
        self._appointment_id = appointment_id
        self._appointment: Appointment | None = None
        self._provider_wanted = provider_id
        self._start_from: datetime | None = start
        if start is None and on is not None:
            self._start_from = datetime.combine(on, time(0), self._zone)
        self._serial = itertools.count(1)
        self._latest = 0
        self._busy = False
        self._service_chosen_by_hand = False
        self.summary = ""  # the last success, for the window's banner
        self._pending_service: int | None = None  # the patient's last one, before setup loads
        self._services: list[Service] = []
        self._providers: list[Provider] = []
        locale = QLocale(clinic.locale)

        self.setWindowTitle(
            {
                Mode.PHONE: self.tr("New booking"),
                Mode.WALK_IN: self.tr("Walk-in"),
                Mode.RESCHEDULE: self.tr("Reschedule"),
            }[mode]
        )
        self.setAccessibleName(self.windowTitle())

        self.picker = PatientPicker(ctx, tasks, locale, self, region=clinic.phone_region)
        self.picker.picked.connect(self._patient_picked)
        self.picker.enter_pressed.connect(self._patient_enter)
        self.picker.results_shown.connect(self.patient_results_shown)
        # the names the GUI bench (ui/bench_probe.py) types into and watches
        self.patient_field = self.picker.edit
        self.patient_results = self.picker.results
        self.new_patient_button = QPushButton(self.tr("New patient"), self)
        self.new_patient_button.setAccessibleName(self.tr("New patient"))
        self.new_patient_button.setToolTip(self.tr("Register a new patient (Alt+N)"))
        self.new_patient_button.setAutoDefault(False)
        self.new_patient_button.clicked.connect(self.start_new_patient)
        self.new_patient = NewPatientForm(ctx, tasks, clinic, self)
        self.new_patient.registered.connect(self._registered)
        self.new_patient.hide()

        self.service = QComboBox(self)
        self.service.setAccessibleName(self.tr("Service"))
        self.service.activated.connect(self._service_activated)
        self.provider = QComboBox(self)
        self.provider.setAccessibleName(self.tr("Provider"))
        self.provider.activated.connect(lambda _: self.refresh_slots())
        self.where = QComboBox(self)
        self.where.setAccessibleName(self.tr("In person or online"))
        self.where.addItem(self.tr("In person"), False)
        self.where.addItem(self.tr("Online"), True)
        self.where.activated.connect(lambda _: self.refresh_slots())
        self.notes = QLineEdit(self)
        self.notes.setAccessibleName(self.tr("Notes"))
        self.notes.returnPressed.connect(self._notes_enter)

        self.slots_model = SlotsModel(clinic, locale, self)
        self.slot_list = QListView(self)
        self.slot_list.setAccessibleName(self.tr("Next free slots"))
        self.slot_list.setToolTip(self.tr("Enter books the selected slot"))
        self.slot_list.setModel(self.slots_model)
        self.slot_list.setUniformItemSizes(True)
        self.slot_list.installEventFilter(self)
        self.slot_list.doubleClicked.connect(lambda _: self.book_selected())
        self.slots_note = QLabel(self)
        self.slots_note.setAccessibleName(self.tr("Free slots"))
        self.slots_note.setTextFormat(Qt.TextFormat.PlainText)

        self.problem = QLabel(self)
        self.problem.setAccessibleName(self.tr("Why it was refused"))
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("font-weight: bold")
        self.problem.hide()

        self.book_button = QPushButton(self.tr("&Book"), self)
        self.book_button.setAccessibleName(self.tr("Book the selected slot"))
        self.book_button.setAutoDefault(False)
        self.book_button.clicked.connect(self.book_selected)
        self.earliest_button = QPushButton(self.tr("&Book the earliest slot"), self)
        self.earliest_button.setAccessibleName(self.tr("Book the earliest slot today"))
        self.earliest_button.setAutoDefault(False)
        self.earliest_button.clicked.connect(self.book_earliest)
        self.queue_button = QPushButton(self.tr("Add to &queue"), self)
        self.queue_button.setAccessibleName(self.tr("Add to the walk-in queue"))
        self.queue_button.setAutoDefault(False)
        self.queue_button.clicked.connect(self.add_to_queue)
        self.close_button = QPushButton(self.tr("Close"), self)
        self.close_button.setAutoDefault(False)
        self.close_button.clicked.connect(self.reject)

        form = QFormLayout()
        patient_label = QLabel(self.tr("&Patient"), self)
        patient_label.setBuddy(self.picker.edit)
        patient_row = QHBoxLayout()
        patient_row.addWidget(self.picker, 1)
        patient_row.addWidget(self.new_patient_button, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow(patient_label, patient_row)
        form.addRow(self.new_patient)
        for text, widget in (
            (self.tr("&Service"), self.service),
            (self.tr("Pro&vider"), self.provider),
            (self.tr("&Where"), self.where),
            (self.tr("N&otes"), self.notes),
        ):
            form.addRow(text, widget)
        slots_label = QLabel(self.tr("Ne&xt free slots"), self)
        slots_label.setBuddy(self.slot_list)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for b in (self.close_button, self.queue_button, self.earliest_button, self.book_button):
            buttons.addWidget(b)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(slots_label)
        layout.addWidget(self.slot_list, 1)
        layout.addWidget(self.slots_note)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)

        # the slots are one Tab away from the patient: the path taken on every call
        QWidget.setTabOrder(self.picker.edit, self.slot_list)
        QWidget.setTabOrder(self.slot_list, self.service)
        QWidget.setTabOrder(self.service, self.provider)
        QWidget.setTabOrder(self.provider, self.where)
        QWidget.setTabOrder(self.where, self.notes)
        # a shortcut, not a mnemonic: it must work on every platform, typed text kept
        QShortcut(QKeySequence(self.tr("Alt+N")), self, self.start_new_patient)

        walk_in = mode is Mode.WALK_IN
        self.slot_list.setVisible(not walk_in)
        slots_label.setVisible(not walk_in)
        self.slots_note.setVisible(not walk_in)
        self.book_button.setVisible(not walk_in)
        self.earliest_button.setVisible(walk_in)
        self.queue_button.setVisible(walk_in)
        if mode is Mode.RESCHEDULE:
            self.picker.edit.setReadOnly(True)
            self.new_patient_button.hide()
            self.service.setEnabled(False)
            self.where.setEnabled(False)
            self.notes.setEnabled(False)
            self.book_button.setText(self.tr("&Move here"))
            self.book_button.setAccessibleName(self.tr("Move the booking to the selected slot"))
        self._set_enabled(False)
        self.resize(self.sizeHint().expandedTo(self.fontMetrics().size(0, "M" * 60)))

        appointment, region = appointment_id, clinic.phone_region
        run_for(
            self,
            self._tasks,
            lambda: _load(ctx, appointment, region),
            self._loaded,
            self._load_failed,
        )
        self.picker.edit.setFocus()

    # -- constructors for the other modes ---------------------------------------------------

    @classmethod
    def reschedule(
        cls,
        ctx: Context,
        tasks: TaskRunner,
        clinic: ClinicSettings,
        appointment: Any,
        parent: QWidget | None = None,
    ) -> BookingDialog:
        """A new time for a booking: an id, an Appointment or a day line with `.appointment`."""
        appt = getattr(appointment, "appointment", appointment)
        appointment_id = appt if isinstance(appt, int) else appt.id
        return cls(ctx, tasks, clinic, parent, mode=Mode.RESCHEDULE, appointment_id=appointment_id)

    @classmethod
    def walk_in(
        cls, ctx: Context, tasks: TaskRunner, clinic: ClinicSettings, parent: QWidget | None = None
    ) -> BookingDialog:
        """Pick the patient and service, then book the earliest slot today or queue them."""
        return cls(ctx, tasks, clinic, parent, mode=Mode.WALK_IN)

    # -- loading -----------------------------------------------------------------------------

    def _set_enabled(self, on: bool) -> None:
        for w in (self.book_button, self.earliest_button, self.queue_button):
            w.setEnabled(on)

    def _loaded(self, loaded: _Setup) -> None:
        self._services = [s for s in loaded.services if s.active]
        self._providers = loaded.providers
        self.slots_model.set_provider_names(
            {p.id: p.display_name for p in loaded.providers if p.id is not None}
        )
        self.service.clear()
        for s in self._services:
            self.service.addItem(s.name, s.id)
        if not self._services:
            self.slots_note.setText(self.tr("No services yet — add one in Settings."))
        elif self._pending_service is not None and not self._service_chosen_by_hand:
            self._select_service(self._pending_service)
        self._appointment = loaded.appointment
        if loaded.appointment is not None:
            appt = loaded.appointment
            self._select_service(appt.service_id)
            self.where.setCurrentIndex(1 if appt.online else 0)
            self._provider_wanted = appt.provider_id
            if loaded.patient is not None:
                self.picker.set_patient(loaded.patient, loaded.phone)
        self._fill_providers()
        self._set_enabled(True)
        self.ready.emit()
        self.refresh_slots()
        if self.mode is Mode.RESCHEDULE:
            self.slot_list.setFocus()

    def _load_failed(self, exc: BaseException) -> None:
        self._show_problem(_message(exc))

    def _select_service(self, service_id: int | None) -> None:
        i = self.service.findData(service_id)
        if i >= 0:
            self.service.setCurrentIndex(i)
            s = self._current_service()
            if s is not None and self.mode is not Mode.RESCHEDULE:
                self.where.setCurrentIndex(1 if s.online else 0)

    def _current_service(self) -> Service | None:
        sid = self.service.currentData()
        return next((s for s in self._services if s.id == sid), None)

    def _fill_providers(self) -> None:
        wanted = self.provider.currentData() if self.provider.count() else self._provider_wanted
        self.provider.clear()
        self.provider.addItem(self.tr("Any provider"), None)
        service = self._current_service()
        for p in self._providers:
            if service is None or p.offers(service.id or -1):
                self.provider.addItem(p.display_name, p.id)
        i = self.provider.findData(wanted) if wanted is not None else 0
        self.provider.setCurrentIndex(max(i, 0))

    def _service_activated(self, _: int) -> None:
        self._service_chosen_by_hand = True
        self._select_service(self.service.currentData())
        self._fill_providers()
        self.refresh_slots()

    # -- the patient -------------------------------------------------------------------------

    def _patient_picked(self, p: Patient) -> None:
        self.problem.hide()
        if self.mode is Mode.RESCHEDULE or self._service_chosen_by_hand or p.id is None:
            return
        ctx, pid = self._ctx, p.id
        # the service defaults to the one the patient came for last time
        run_for(
            self,
            self._tasks,
            lambda: patients.history(ctx, pid),
            lambda past: self._last_service(pid, past),
            lambda exc: None,
        )

    def _last_service(self, patient_id: int, past: list[Appointment]) -> None:
        chosen = self.picker.patient
        if chosen is None or chosen.id != patient_id or self._service_chosen_by_hand:
            return
        if past:
            latest = max(past, key=lambda a: a.start)
            if not self._services:
                self._pending_service = latest.service_id  # applied once setup has loaded
            elif latest.service_id != self.service.currentData():
                self._select_service(latest.service_id)
                self._fill_providers()
                self.refresh_slots()

    def choose_patient(self, patient_id: int) -> None:
        """Start with this patient chosen (the patients view's "Book…"), read off the UI thread."""
        ctx, region = self._ctx, self._clinic.phone_region

        def job() -> tuple[Patient, str]:
            p = patients.get(ctx, patient_id)
            return p, phone_text(p.phone, region)

        def done(answer: tuple[Patient, str]) -> None:
            self.picker.set_patient(*answer)
            if self.mode is Mode.PHONE:
                self.slot_list.setFocus()

        run_for(self, self._tasks, job, done, lambda exc: self._show_problem(_message(exc)))

    def _patient_enter(self) -> None:
        if self.mode is Mode.WALK_IN:
            self.book_earliest()
        else:
            self.slot_list.setFocus()

    def _notes_enter(self) -> None:
        if self.mode is Mode.WALK_IN:
            self.book_earliest()
        else:
            self.book_selected()

    def start_new_patient(self) -> None:
        if self.mode is Mode.RESCHEDULE:
            return
        self.new_patient.start(self.picker.typed_text())

    def _registered(self, p: Patient) -> None:
        self.picker.set_patient(p, self.new_patient.phone_text)
        self.picker.edit.setFocus()

    # -- slots -------------------------------------------------------------------------------

    def refresh_slots(self) -> None:
        """Ask for the next free slots for the service and provider chosen; older answers drop."""
        if self.mode is Mode.WALK_IN:
            return
        self._latest = serial = next(self._serial)
        service = self._current_service()
        if service is None or service.id is None:
            self.slots_model.set_slots([])
            return
        ctx, sid = self._ctx, service.id
        pid = self.provider.currentData()
        start_from = self._start_from
        self.slots_note.setText(self.tr("Looking for free slots…"))
        run_for(
            self,
            self._tasks,
            lambda: slots.find_slots(
                ctx,
                service_id=sid,
                provider_ids=[pid] if pid else None,
                start_from=start_from,
                limit=SLOT_LIMIT,
            ),
            lambda found: self._show_slots(serial, found),
            lambda exc: self._slots_failed(serial, exc),
        )

    def _show_slots(self, serial: int, found: list[FreeSlot]) -> None:
        if serial != self._latest:
            return  # the service or provider changed since
        self.slots_model.set_slots(found)
        if found:
            self.slot_list.setCurrentIndex(self.slots_model.index(0, 0))
            self.slots_note.setText("")
        else:
            self.slots_note.setText(self.tr("No free slots in the next 90 days."))
        self.slots_shown.emit(len(found))

    def _slots_failed(self, serial: int, exc: BaseException) -> None:
        if serial != self._latest:
            return
        self.slots_model.set_slots([])
        self.slots_note.setText(_message(exc))
        self.slots_shown.emit(0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Overrides QObject.eventFilter: Enter on the slot list books the selected slot."""
        if watched is self.slot_list and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.book_selected()
                return True
        return super().eventFilter(watched, event)

    # -- booking -----------------------------------------------------------------------------

    def _show_problem(self, text: str) -> None:
        self.problem.setText(text)
        self.problem.setVisible(bool(text))

    def _patient_id(self) -> int | None:
        p = self.picker.patient
        if p is None or p.id is None:
            self._show_problem(self.tr("Choose a patient first (type a name, then Enter)."))
            self.picker.edit.setFocus()
            return None
        return p.id

    def book_selected(self) -> None:
        if self._busy or self.mode is Mode.WALK_IN:
            return
        slot = self.slots_model.slot(self.slot_list.currentIndex().row())
        if slot is None:
            self._show_problem(self.tr("Choose a free slot first."))
            return
        ctx = self._ctx
        if self.mode is Mode.RESCHEDULE:
            assert self._appointment_id is not None
            aid = self._appointment_id

            def job() -> Outcome:
                return booking.reschedule(
                    ctx,
                    aid,
                    start=slot.start,
                    provider_id=slot.provider_id,
                    location_id=slot.location_id,
                )

        else:
            patient_id = self._patient_id()
            service = self._current_service()
            if patient_id is None or service is None or service.id is None:
                return
            sid = service.id
            online = bool(self.where.currentData())
            notes = self.notes.text().strip()

            def job() -> Outcome:
                return booking.book(
                    ctx,
                    patient_id=patient_id,
                    provider_id=slot.provider_id,
                    service_id=sid,
                    start=slot.start,
                    location_id=None if online else slot.location_id,
                    online=online,
                    notes=notes,
                )

        self._write(job, self._booked)

    def _write(self, job: Callable[[], Any], done: Callable[[Any], None]) -> None:
        self._busy = True
        self._set_enabled(False)
        run_for(self, self._tasks, job, done, self._refused, write=True)

    def _booked(self, outcome: Outcome) -> None:
        self._busy = False
        self.summary = self.describe(outcome)
        self.booked.emit(outcome)
        self.accept()

    def describe(self, outcome: Outcome) -> str:
        """The quiet banner's text: "Booked Ada Okafor with Dr Mokoena, Tue 14:30 — …"."""
        appt = outcome.appointment
        p = self.picker.patient
        patient = p.full_name if p is not None else ""
        provider = next((x.display_name for x in self._providers if x.id == appt.provider_id), "")
        start = appt.start.astimezone(self._zone)
        locale = QLocale(self._clinic.locale)
        when = "{} {}".format(
            locale.toString(QDate(start.year, start.month, start.day), "ddd d MMM"),
            locale.toString(QTime(start.hour, start.minute), QLocale.FormatType.ShortFormat),
        )
        if self.mode is Mode.RESCHEDULE:
            text = self.tr("Moved {patient} to {when} with {provider}")
        else:
            text = self.tr("Booked {patient} with {provider}, {when}")
        text = text.format(patient=patient, provider=provider, when=when)
        told = {OutboxKind.CONFIRMATION, OutboxKind.CHANGE_NOTICE} & set(outcome.queued)
        if told and p is not None:
            channel = {
                Channel.SMS: self.tr("SMS"),
                Channel.WHATSAPP: self.tr("WhatsApp"),
                Channel.EMAIL: self.tr("e-mail"),
            }.get(p.preferred_channel)
            note = (
                self.tr("confirmation queued")
                if OutboxKind.CONFIRMATION in told
                else self.tr("change notice queued")
            )
            text += f" — {note}" + (f" ({channel})" if channel else "")
        return text

    def _queued(self, entry: object) -> None:
        self._busy = False
        self.queued.emit(entry)
        self.accept()

    def _refused(self, exc: BaseException) -> None:
        self._busy = False
        self._set_enabled(True)
        message = _message(exc)
        self._show_problem(message)
        self.refused.emit(message)
        self.refresh_slots()  # the time may be gone: offer the next ones

    def book_earliest(self) -> None:
        """Walk-in: the earliest free slot from now, across providers or with the one chosen."""
        if self._busy:
            return
        patient_id = self._patient_id()
        service = self._current_service()
        if patient_id is None or service is None or service.id is None:
            return
        ctx, sid = self._ctx, service.id
        pid, note = self.provider.currentData(), self.notes.text().strip()
        self._write(
            lambda: walk_ins.book_now(
                ctx, patient_id=patient_id, service_id=sid, provider_id=pid, note=note
            ),
            self._booked,
        )

    def add_to_queue(self) -> None:
        if self._busy:
            return
        patient_id = self._patient_id()
        if patient_id is None:
            return
        service = self._current_service()
        ctx, sid = self._ctx, service.id if service else None
        pid, note = self.provider.currentData(), self.notes.text().strip()
        self._write(
            lambda: walk_ins.add_to_queue(
                ctx, patient_id=patient_id, service_id=sid, provider_id=pid, note=note
            ),
            self._queued,
        )


def _registered_with_phone(patient: Patient, region: str) -> tuple[Patient, str]:
    return patient, phone_text(patient.phone, region)


def _load(ctx: Context, appointment_id: int | None, region: str) -> _Setup:
    services = setup.all_services(ctx)
    providers = setup.active_providers(ctx)
    if appointment_id is None:
        return _Setup(services, providers)
    with ctx.read() as uow:
        appt = uow.appointments.get(appointment_id)
        patient = uow.patients.get(appt.patient_id)
    return _Setup(services, providers, appt, patient, phone_text(patient.phone, region))
