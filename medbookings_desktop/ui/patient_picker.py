"""Find a patient as you type: name, phone digits or date of birth; arrows and Enter pick."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QDate,
    QEvent,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLabel, QLineEdit, QListView, QVBoxLayout, QWidget
from shiboken6 import isValid

from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.domain.patients import Patient
from medbookings_desktop.services import patients
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.patients_model import phone_text
from medbookings_desktop.ui.tasks import TaskRunner

PATIENT_ROLE = Qt.ItemDataRole.UserRole + 1
# patients found, and their phone numbers as the desk writes them (by patient id)
Found = tuple[list[Patient], dict[int | None, str]]


def run_for(
    widget: QObject,
    tasks: TaskRunner,
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    *,
    write: bool = False,
) -> int:
    """`tasks.run`, the answer dropped when `widget` is gone (a dialog closed meanwhile)."""

    def done(result: Any) -> None:
        if isValid(widget):
            on_done(result)

    def failed(exc: BaseException) -> None:
        if isValid(widget):
            on_error(exc)

    return tasks.run(fn, done, failed, write=write)


def found_with_phones(found: list[Patient], region: str) -> Found:
    """Format the numbers on the pool thread: phonenumbers is slow to load."""
    return found, {p.id: phone_text(p.phone, region) for p in found if p.phone}


_Index = QModelIndex | QPersistentModelIndex


class PatientResultsModel(QAbstractListModel):
    """The patients the last search found, one line each: name, date of birth, phone."""

    def __init__(self, locale: QLocale, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self._rows: list[Patient] = []
        self._phones: dict[int | None, str] = {}

    def set_patients(self, found: list[Patient], phones: dict[int | None, str]) -> None:
        """A new answer replaces the list (a handful of rows, asked for again on each key)."""
        self.beginResetModel()
        self._rows = list(found)
        self._phones.update(phones)
        self.endResetModel()

    def patient(self, row: int) -> Patient | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractListModel.rowCount: a flat list."""
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractListModel.data: the line shown, its tooltip, the patient."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        p = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self.describe(p)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.describe(p)
        if role == PATIENT_ROLE:
            return p.id
        return None

    def describe(self, p: Patient) -> str:
        parts = [p.full_name]
        if p.date_of_birth is not None:
            dob = p.date_of_birth
            parts.append(
                self._locale.toString(
                    QDate(dob.year, dob.month, dob.day), QLocale.FormatType.ShortFormat
                )
            )
        if p.phone:
            parts.append(self._phones.get(p.id) or p.phone)
        return " · ".join(parts)


class PatientPicker(QWidget):
    """`picked(Patient)` when Enter (or a click) chooses a patient from the results.

    The search waits `debounce_ms` after a key (0: until the keys already queued are read)
    and runs one at a time; an answer to older typing is dropped, never shown.
    """

    picked = Signal(object)
    results_shown = Signal(int)
    search_failed = Signal(str)
    # Enter with nothing to pick (a patient already chosen): the dialog moves on
    enter_pressed = Signal()

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        locale: QLocale,
        parent: QWidget | None = None,
        *,
        region: str = "GB",
        debounce_ms: int = 0,
        limit: int = 8,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._limit = limit
        self._region = region
        self._serial = itertools.count(1)
        self._latest = 0
        # one search at a time: keys typed while it runs are coalesced into the next one
        self._in_flight = False
        self._again = False
        self.patient: Patient | None = None

        self.edit = QLineEdit(self)
        self.edit.setAccessibleName(self.tr("Patient"))
        self.edit.setPlaceholderText(self.tr("Name, phone digits or date of birth…"))
        self.edit.setClearButtonEnabled(True)
        self.model = PatientResultsModel(locale, self)
        self.results = QListView(self)
        self.results.setAccessibleName(self.tr("Matching patients"))
        self.results.setModel(self.model)
        self.results.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # arrows from the field drive it
        self.results.setUniformItemSizes(True)
        self.results.clicked.connect(lambda index: self._pick_row(index.row()))
        self.results.hide()
        self.chosen = QLabel(self)
        self.chosen.setAccessibleName(self.tr("Chosen patient"))
        self.chosen.setTextFormat(Qt.TextFormat.PlainText)

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(debounce_ms)
        self.timer.timeout.connect(self._ask)
        self.edit.textEdited.connect(self._typed)
        self.edit.installEventFilter(self)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.results)
        layout.addWidget(self.chosen)

    # -- typing ------------------------------------------------------------------------------

    def _typed(self, _text: str) -> None:
        self._latest = next(self._serial)  # anything in flight is now stale
        if self.patient is not None:
            self.patient = None
            self.chosen.clear()
        self.timer.start()

    def _ask(self) -> None:
        if self._in_flight:
            self._again = True  # asked again once the running search answers
            return
        text = self.edit.text().strip()
        serial, ctx, limit, region = self._latest, self._ctx, self._limit, self._region
        if not text:
            self._show(serial, ([], {}))
            return
        self._in_flight = True
        run_for(
            self,
            self._tasks,
            lambda: found_with_phones(patients.search(ctx, text, limit=limit), region),
            lambda found: self._answered(serial, found, None),
            lambda exc: self._answered(serial, None, exc),
        )

    def _answered(self, serial: int, found: Found | None, exc: BaseException | None) -> None:
        self._in_flight = False
        if self._again:
            self._again = False
            if serial != self._latest:
                self._ask()
                return
        if exc is not None:
            self._failed(serial, exc)
        else:
            self._show(serial, found or ([], {}))

    def _show(self, serial: int, answer: Found) -> None:
        if serial != self._latest:
            return  # newer typing already asked again
        found, phones = answer
        self.model.set_patients(found, phones)
        if found:  # as tall as its rows: the form below moves by no more than it must
            row = max(self.results.sizeHintForRow(0), self.fontMetrics().height())
            self.results.setFixedHeight(row * len(found) + 2 * self.results.frameWidth())
        self.results.setVisible(bool(found))
        if found:
            self.results.setCurrentIndex(self.model.index(0, 0))
        self.results_shown.emit(len(found))

    def _failed(self, serial: int, exc: BaseException) -> None:
        if serial != self._latest:
            return
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        self.chosen.setText(message)
        self.search_failed.emit(message)

    # -- picking -----------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Overrides QObject.eventFilter: Up/Down move in the results, Enter picks."""
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            rows = self.model.rowCount()
            current = self.results.currentIndex().row()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and rows and self.results.isVisible():
                step = 1 if key == Qt.Key.Key_Down else -1
                row = min(max(current + step, 0), rows - 1)
                self.results.setCurrentIndex(self.model.index(row, 0))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self.timer.isActive():
                    self.timer.stop()
                    self._ask()  # Enter before the pause: search now, pick on the next Enter
                    return True
                if rows and self.results.isVisible():
                    self._pick_row(max(current, 0))
                elif self.patient is not None:
                    self.enter_pressed.emit()
                return True
        return super().eventFilter(watched, event)

    def _pick_row(self, row: int) -> None:
        p = self.model.patient(row)
        if p is not None:
            self.set_patient(p)

    def set_patient(self, p: Patient, phone: str | None = None) -> None:
        """Choose `p` (`phone`: its number as the desk writes it, when read off the UI thread)."""
        self._latest = next(self._serial)
        self.timer.stop()
        self.patient = p
        self.edit.setText(p.full_name)
        self.model.set_patients([], {p.id: phone} if phone else {})
        self.chosen.setText(self.model.describe(p))
        self.results.hide()
        self.picked.emit(p)

    def typed_text(self) -> str:
        return self.edit.text().strip()
