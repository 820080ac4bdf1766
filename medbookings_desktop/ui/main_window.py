"""The desk's main window: the day calendar, the day it shows, and the status changes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from PySide6.QtCore import QByteArray, QDate, QItemSelectionModel, QLocale, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import QInputDialog, QLabel, QMainWindow, QToolBar, QWidget

from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.services import booking, setup
from medbookings_desktop.services.booking import Outcome
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.day_model import DayModel, status_word
from medbookings_desktop.ui.day_view import DayView
from medbookings_desktop.ui.tasks import TaskRunner

ORGANIZATION = "MedBookings"
APPLICATION = "MedBookings Desktop"


class MainWindow(QMainWindow):
    """`today` (a date) pins the first day shown; otherwise it is the clinic's today.

    `clinic` (read from the database when not given) sets the zone, the locale of dates and
    the title; `zone` overrides its zone.
    """

    def __init__(
        self,
        ctx: Context,
        *,
        database: str = "",
        zone: str | None = None,
        clinic: ClinicSettings | None = None,
        today: date | None = None,
        settings: QSettings | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._settings = settings or QSettings(ORGANIZATION, APPLICATION)
        self.tasks = TaskRunner(self)
        self.clinic = clinic or setup.clinic_settings(ctx)
        # dates read as the clinic writes them, whatever this desk's system locale is
        self.clinic_locale = QLocale(self.clinic.locale)
        zone = zone or self.clinic.zone
        self.model = DayModel(ctx, self.tasks, zone, self)
        self.view = DayView(ctx.now, self)
        self.view.setModel(self.model)
        self.setCentralWidget(self.view)
        self.setWindowTitle(self.tr("{clinic} — MedBookings").format(clinic=self.clinic.name))
        self._day = today or self.clinic_today()
        self._pending_select: int | None = None
        self._scroll_pending = True

        self._build_actions()
        self._build_bars(database)
        self.model.loaded.connect(self._on_loaded)
        self.model.failed.connect(self._show_problem)
        self.view.selectionModel().selectionChanged.connect(self._update_actions)
        self.model.modelReset.connect(self._update_actions)
        self._restore()
        self._update_actions()
        self.view.setFocus()  # arrows and the status keys work from the first moment
        self.show_day(self._day)

    # -- building ----------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | str,
        slot: Callable[[], Any],
        *,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        action.setShortcut(QKeySequence(shortcut))
        keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        action.setToolTip(f"{tip or text.replace('&', '')} ({keys})")
        action.triggered.connect(slot)
        return action

    def _build_actions(self) -> None:
        self.today_action = self._action(self.tr("&Today"), "Ctrl+T", self.go_today)
        self.previous_action = self._action(
            self.tr("&Previous day"), "Alt+Left", lambda: self.show_day(self._day - timedelta(1))
        )
        self.next_action = self._action(
            self.tr("&Next day"), "Alt+Right", lambda: self.show_day(self._day + timedelta(1))
        )
        self.cancelled_action = QAction(self.tr("Show &cancelled"), self)
        self.cancelled_action.setCheckable(True)
        self.cancelled_action.setToolTip(self.tr("Show cancelled appointments, faded"))
        self.cancelled_action.toggled.connect(self.model.set_show_cancelled)
        # spelled out: Windows and some Linux themes bind no key to QKeySequence.Quit
        self.quit_action = self._action(self.tr("&Quit"), "Ctrl+Q", self.close)

        # letters act on the selected tile only while the calendar has the focus
        self.check_in_action = self._status_action(self.tr("Check &in"), "I", "check_in")
        self.start_action = self._status_action(self.tr("&Start"), "S", "start")
        self.complete_action = self._status_action(self.tr("&Complete"), "C", "complete")
        self.no_show_action = self._status_action(self.tr("&No-show"), "N", "no_show")
        self.cancel_action = self._action(
            self.tr("C&ancel appointment…"),
            QKeySequence.StandardKey.Delete,
            self.cancel_selected,
            tip=self.tr("Cancel the selected appointment, giving a reason"),
        )
        self.cancel_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.view.addAction(self.cancel_action)
        self.undo_action = self._action(
            self.tr("&Undo status change"),
            QKeySequence.StandardKey.Undo,
            self.undo_status_change,
            tip=self.tr("Undo your last status change"),
        )
        # right-click on a tile offers what the keys do
        separator = QAction(self)
        separator.setSeparator(True)
        self.view.addAction(separator)
        self.view.addAction(self.undo_action)
        self.view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.addAction(self.quit_action)
        view_menu = bar.addMenu(self.tr("&View"))
        for action in (self.today_action, self.previous_action, self.next_action):
            view_menu.addAction(action)
        view_menu.addSeparator()
        view_menu.addAction(self.cancelled_action)
        appt_menu = bar.addMenu(self.tr("&Appointment"))
        for action in (
            self.check_in_action,
            self.start_action,
            self.complete_action,
            self.no_show_action,
        ):
            appt_menu.addAction(action)
        appt_menu.addSeparator()
        appt_menu.addAction(self.cancel_action)
        appt_menu.addSeparator()
        appt_menu.addAction(self.undo_action)

    def _status_action(self, text: str, key: str, change: str) -> QAction:
        action = self._action(text, key, lambda: self.change_status(change))
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.view.addAction(action)
        return action

    def _build_bars(self, database: str) -> None:
        tools = QToolBar(self.tr("Day"), self)
        tools.setObjectName("day-toolbar")
        tools.setAccessibleName(self.tr("Day navigation"))
        tools.addAction(self.previous_action)
        tools.addAction(self.today_action)
        tools.addAction(self.next_action)
        tools.addSeparator()
        self.date_label = QLabel(self)
        self.date_label.setObjectName("date-label")
        self.date_label.setAccessibleName(self.tr("Day shown"))
        self.date_label.setContentsMargins(12, 0, 12, 0)
        font = self.date_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.date_label.setFont(font)
        tools.addWidget(self.date_label)
        tools.addSeparator()
        tools.addAction(self.cancelled_action)
        self.addToolBar(tools)

        self.database_label = QLabel(database, self)
        self.database_label.setAccessibleName(self.tr("Database in use"))
        self.database_label.setToolTip(self.tr("Database in use"))
        self.statusBar().addPermanentWidget(self.database_label)
        # reminders and calendar sync have no engine in this version yet: say so plainly
        self.engine_label = QLabel(self.tr("Engine: not running"), self)
        self.engine_label.setAccessibleName(self.tr("Background engine"))
        self.engine_label.setContentsMargins(12, 0, 4, 0)
        self.engine_label.setToolTip(
            self.tr("No background engine runs: reminders are not sent and calendars not synced")
        )
        self.statusBar().addPermanentWidget(self.engine_label)
        self.statusBar().setAccessibleName(self.tr("Status"))

    # -- days --------------------------------------------------------------------------------

    def clinic_today(self) -> date:
        return self.model.local(self._ctx.now()).date()

    @property
    def day(self) -> date:
        return self._day

    def go_today(self) -> None:
        self._scroll_pending = True
        self.show_day(self.clinic_today())

    def show_day(self, on: date) -> None:
        self._day = on
        self.date_label.setText(self._format_day(on))
        self.model.load(on)

    def _format_day(self, on: date) -> str:
        text = self.clinic_locale.toString(
            QDate(on.year, on.month, on.day), QLocale.FormatType.LongFormat
        )
        if on == self.clinic_today():
            return self.tr("{day} (today)").format(day=text)
        return text

    def _on_loaded(self) -> None:
        if self._pending_select is not None:
            index = self.model.find(self._pending_select)
            self._pending_select = None
            if index.isValid():
                self.view.selectionModel().setCurrentIndex(
                    index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                )
        elif self._scroll_pending:
            # on opening and on Today: show the present; other days keep the scroll position
            self._scroll_pending = False
            if self.model.day == self.clinic_today():
                self.view.scroll_to_time(self.model.local(self._ctx.now()))
        self._update_actions()

    # -- status changes ------------------------------------------------------------------------

    def selected_id(self) -> int | None:
        line = self.model.line(self.view.currentIndex())
        selected = self.view.selectionModel().hasSelection()
        return line.appointment.id if line is not None and selected else None

    def _update_actions(self, *_: Any) -> None:
        has = self.selected_id() is not None
        for action in (
            self.check_in_action,
            self.start_action,
            self.complete_action,
            self.no_show_action,
            self.cancel_action,
        ):
            action.setEnabled(has)

    def change_status(self, change: str) -> None:
        appointment_id = self.selected_id()
        if appointment_id is None:
            return
        use_case = {
            "check_in": booking.check_in,
            "start": booking.start,
            "complete": booking.complete,
            "no_show": booking.no_show,
        }[change]
        ctx = self._ctx
        self.tasks.run(
            lambda: use_case(ctx, appointment_id),
            lambda outcome: self._changed(outcome, change),
            self._refused,
            write=True,
        )

    def cancel_selected(self) -> None:
        """Ask why (a reason is required), then cancel; Ctrl+Z brings it back."""
        appointment_id = self.selected_id()
        line = self.model.line(self.view.currentIndex())
        if appointment_id is None or line is None:
            return
        ask = QInputDialog(self)
        ask.setWindowTitle(self.tr("Cancel appointment"))
        ask.setLabelText(
            self.tr("Why is {name}'s appointment at {time} cancelled?").format(
                name=line.patient_name,
                time=self.model.local(line.appointment.start).strftime("%H:%M"),
            )
        )
        ask.setOkButtonText(self.tr("Cancel appointment"))
        ask.setCancelButtonText(self.tr("Keep it"))
        if ask.exec() != QInputDialog.DialogCode.Accepted or not ask.textValue().strip():
            return
        reason = ask.textValue().strip()
        ctx = self._ctx
        self.tasks.run(
            lambda: booking.cancel(ctx, appointment_id, reason=reason),
            lambda outcome: self._changed(outcome, "cancel"),
            self._refused,
            write=True,
        )

    def undo_status_change(self) -> None:
        ctx = self._ctx
        self.tasks.run(
            lambda: booking.undo_status_change(ctx),
            lambda outcome: self._changed(outcome, "undo"),
            self._refused,
            write=True,
        )

    def _changed(self, outcome: Outcome, change: str) -> None:
        appt = outcome.appointment
        line = self.model.line(self.model.find(appt.id or -1))
        if line is None:
            who = self.tr("appointment #{id}").format(id=appt.id)
        else:
            when = self.model.local(appt.start).strftime("%H:%M")
            who = self.tr("{name} ({time}, {provider})").format(
                name=line.patient_name, time=when, provider=line.provider_name
            )
        done = {
            "check_in": self.tr("Checked in {who}"),
            "start": self.tr("Started the visit of {who}"),
            "complete": self.tr("Completed the visit of {who}"),
            "no_show": self.tr("Marked {who} as a no-show"),
            "cancel": self.tr("Cancelled {who} (Ctrl+Z brings it back)"),
            "undo": self.tr("Undone: {who} is {status} again"),
        }[change]
        message = done.format(who=who, status=status_word(appt.status).lower())
        self.statusBar().showMessage(message, 10_000)
        self._pending_select = appt.id
        self.model.reload()

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, DomainError):
            self._show_problem(exc.message)
        else:
            self._show_problem(self.tr("Could not change the status: {error}").format(error=exc))

    def _show_problem(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)

    # -- window state --------------------------------------------------------------------------

    def _restore(self) -> None:
        geometry = self._settings.value("main/geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(1200, 800)
        state = self._settings.value("main/state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        shown = self._settings.value("main/show_cancelled", False, type=bool)
        self.cancelled_action.setChecked(bool(shown))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._settings.setValue("main/geometry", self.saveGeometry())
        self._settings.setValue("main/state", self.saveState())
        self._settings.setValue("main/show_cancelled", self.cancelled_action.isChecked())
        self._settings.sync()
        self.tasks.shutdown()
        super().closeEvent(event)
