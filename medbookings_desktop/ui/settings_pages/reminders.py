"""Reminders page: how long before a visit each reminder goes out."""

from __future__ import annotations

from datetime import timedelta

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.services import clinic_admin
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.settings_pages.common import (
    ProblemLabel,
    click_on,
    guarded,
    problem_text,
)
from medbookings_desktop.ui.tasks import TaskRunner

OFFSET = Qt.ItemDataRole.UserRole + 1
UNITS = (("minutes", timedelta(minutes=1)), ("hours", timedelta(hours=1)), ("days", timedelta(1)))


class RemindersPage(QWidget):
    """Edits ClinicSettings.reminder_offsets, which booking reads when it plans reminders."""

    saved = Signal(object)
    refused = Signal(str)

    def __init__(
        self, ctx: Context, tasks: TaskRunner, clinic: ClinicSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.clinic = clinic

        intro = QLabel(
            self.tr(
                "Patients get a reminder this long before each visit, by their preferred "
                "channel. A change applies to bookings made (or moved) from now on; reminders "
                "already queued for existing bookings keep their times."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.list_widget = QListWidget(self)
        self.list_widget.setAccessibleName(self.tr("Reminders before a visit"))
        self.empty_label = QLabel(self.tr("No reminders: patients will not be reminded."), self)
        self.amount_spin = QSpinBox(self)
        self.amount_spin.setRange(1, 999)
        self.amount_spin.setValue(1)
        self.amount_spin.setAccessibleName(self.tr("New reminder: how long before"))
        self.unit_combo = QComboBox(self)
        self.unit_combo.setAccessibleName(self.tr("New reminder: unit"))
        names = {"minutes": self.tr("minutes"), "hours": self.tr("hours"), "days": self.tr("days")}
        for key, step in UNITS:
            self.unit_combo.addItem(names[key], step)
        self.unit_combo.setCurrentIndex(1)
        self.add_button = QPushButton(self.tr("&Add reminder"), self)
        self.add_button.clicked.connect(self.add_from_fields)
        self.remove_button = QPushButton(self.tr("&Remove"), self)
        click_on(
            QKeySequence.StandardKey.Delete,
            self.remove_button,
            self.list_widget,
            Qt.ShortcutContext.WidgetShortcut,
        )
        self.remove_button.setToolTip(self.tr("Remove the selected reminder (Delete)"))
        self.remove_button.clicked.connect(self.remove_selected)
        self.problem = ProblemLabel(self.tr("the reminders"), self)
        self.status = QLabel(self)
        self.status.setAccessibleName(self.tr("Reminders saved"))
        self.save_button = QPushButton(self.tr("&Save reminders"), self)
        click_on(QKeySequence.StandardKey.Save, self.save_button, self)
        self.save_button.setToolTip(self.tr("Save the reminders (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)

        adder = QHBoxLayout()
        before = QLabel(self.tr("&New:"), self)
        before.setBuddy(self.amount_spin)
        adder.addWidget(before)
        adder.addWidget(self.amount_spin)
        adder.addWidget(self.unit_combo)
        adder.addWidget(QLabel(self.tr("before the visit"), self))
        adder.addWidget(self.add_button)
        adder.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.list_widget, 1)
        layout.addWidget(self.empty_label)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.remove_button)
        layout.addLayout(row)
        layout.addLayout(adder)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)

        self.list_widget.currentRowChanged.connect(lambda _: self._update_buttons())
        self.show_offsets(clinic.reminder_offsets)

    def describe(self, offset: timedelta) -> str:
        minutes = int(offset / timedelta(minutes=1))
        if minutes % (24 * 60) == 0 and minutes >= 2 * 24 * 60:
            return self.tr("{n} days before").format(n=minutes // (24 * 60))
        if minutes == 60:
            return self.tr("1 hour before")
        if minutes % 60 == 0:
            return self.tr("{n} hours before").format(n=minutes // 60)
        if minutes == 1:
            return self.tr("1 minute before")
        return self.tr("{n} minutes before").format(n=minutes)

    def offsets(self) -> tuple[timedelta, ...]:
        found = []
        for row in range(self.list_widget.count()):
            item = self.list_widget.item(row)
            found.append(item.data(OFFSET))
        return tuple(found)

    def show_offsets(self, offsets: tuple[timedelta, ...]) -> None:
        self.list_widget.clear()
        for offset in sorted(offsets, reverse=True):
            item = QListWidgetItem(self.describe(offset))
            item.setData(OFFSET, offset)
            self.list_widget.addItem(item)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.empty_label.setVisible(self.list_widget.count() == 0)
        self.remove_button.setEnabled(self.list_widget.currentRow() >= 0)

    def add_offset(self, offset: timedelta) -> bool:
        """Add one reminder to the list (not saved yet); False with the reason when refused."""
        self.problem.clear_problem()
        self.status.clear()
        try:
            clinic_admin.check_reminder_offsets((*self.offsets(), offset))
        except InvalidInput as exc:
            self.problem.show_problem(exc.message)
            return False
        self.show_offsets((*self.offsets(), offset))
        return True

    def add_from_fields(self) -> None:
        step = self.unit_combo.currentData()
        self.add_offset(self.amount_spin.value() * step)

    def remove_selected(self) -> None:
        row = self.list_widget.currentRow()
        if row >= 0:
            self.list_widget.takeItem(row)
            self.problem.clear_problem()
            self._update_buttons()

    def save(self) -> None:
        self.problem.clear_problem()
        self.status.clear()
        offsets = self.offsets()
        ctx = self._ctx
        self.save_button.setEnabled(False)
        self._tasks.run(
            lambda: clinic_admin.set_reminder_offsets(ctx, offsets),
            guarded(self, self._saved),
            guarded(self, self._show_refusal),
            write=True,
        )

    def _saved(self, clinic: ClinicSettings) -> None:
        self.save_button.setEnabled(True)
        self.clinic = clinic
        self.show_offsets(clinic.reminder_offsets)
        self.status.setText(self.tr("Saved: bookings from now on get these reminders."))
        self.saved.emit(clinic)

    def _show_refusal(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        message = problem_text(exc, self.tr("The reminders were not saved: {error}"))
        self.problem.show_problem(message)
        self.refused.emit(message)
