"""The desk's main window: the day and week calendars, what they show, and the changes made
from them (status keys, drag and drop to reschedule, the context menu)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QDate,
    QItemSelectionModel,
    QLocale,
    QSettings,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QInputDialog,
    QLabel,
    QMainWindow,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.appointments import UPCOMING_STATUSES
from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.services import booking, clinic_admin, setup
from medbookings_desktop.services.booking import Outcome
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.calendar_filters import ColourBy, FilterBar, Filters
from medbookings_desktop.ui.day_model import CalendarModel, DayModel, status_word
from medbookings_desktop.ui.day_view import DayView
from medbookings_desktop.ui.tasks import TaskRunner
from medbookings_desktop.ui.week_model import WeekModel, week_start
from medbookings_desktop.ui.week_view import WeekView

ORGANIZATION = "MedBookings"
APPLICATION = "MedBookings Desktop"


class MainWindow(QMainWindow):
    """`today` (a date) pins the first day shown; otherwise it is the clinic's today.

    `clinic` (read from the database when not given) sets the zone, the locale of dates and
    the title; `zone` overrides its zone.

    `reschedule_requested(appointment_id)` asks for the booking dialog's reschedule mode.
    """

    reschedule_requested = Signal(int)

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
        self.week_model = WeekModel(ctx, self.tasks, zone, self)
        self.week_model.locale = self.clinic_locale
        self.week_view = WeekView(ctx.now, self)
        self.week_view.setModel(self.week_model)
        for view in (self.view, self.week_view):
            view.set_slot_grid(self.clinic.slot_grid)
            view.move_requested.connect(self.move_appointment)
        self.week_view.day_activated.connect(self.open_day)
        self.filter_bar = FilterBar(self)
        self.calendar_stack = QStackedWidget(self)
        self.calendar_stack.addWidget(self.view)
        self.calendar_stack.addWidget(self.week_view)
        # the calendar as one widget (filters above the day or week), for the window's views
        self.calendar = QWidget(self)
        self.calendar.setObjectName("calendar")
        layout = QVBoxLayout(self.calendar)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.calendar_stack, 1)
        self.setCentralWidget(self.calendar)
        self.setWindowTitle(self.tr("{clinic} — MedBookings").format(clinic=self.clinic.name))
        self._day = today or self.clinic_today()
        self._pending_select: int | None = None
        self._scroll_pending = True
        self._week_scroll: int | None = None

        self._build_actions()
        self._build_bars(database)
        for model, view in ((self.model, self.view), (self.week_model, self.week_view)):
            model.loaded.connect(partial(self._on_loaded, model))
            model.failed.connect(self._show_problem)
            view.selectionModel().selectionChanged.connect(self._update_actions)
            model.modelReset.connect(self._update_actions)
        self.filter_bar.changed.connect(self._filters_changed)
        self.filter_bar.colour_by_changed.connect(self._colour_by_changed)
        self._restore()
        self._update_actions()
        self.view.setFocus()  # arrows and the status keys work from the first moment
        self._choices_asked = False  # after the first day is in: start-up paints first
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
            self.tr("&Previous day"), "Alt+Left", lambda: self.step(-1)
        )
        self.next_action = self._action(self.tr("&Next day"), "Alt+Right", lambda: self.step(1))
        self.cancelled_action = QAction(self.tr("Show &cancelled"), self)
        self.cancelled_action.setCheckable(True)
        self.cancelled_action.setToolTip(self.tr("Show cancelled appointments, faded"))
        self.cancelled_action.toggled.connect(self.model.set_show_cancelled)
        self.cancelled_action.toggled.connect(self.week_model.set_show_cancelled)
        self.day_view_action = self._action(self.tr("&Day view"), "Ctrl+1", self.show_day_view)
        self.week_view_action = self._action(
            self.tr("&Week view"),
            "Ctrl+2",
            lambda: self.show_week_view(),
            tip=self.tr("One provider's week: the selected tile's, or the filtered provider's"),
        )
        modes = QActionGroup(self)
        for action in (self.day_view_action, self.week_view_action):
            action.setCheckable(True)
            modes.addAction(action)
        self.day_view_action.setChecked(True)
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
        self._on_calendars(self.cancel_action)
        self.reschedule_action = self._action(
            self.tr("&Reschedule…"),
            "R",
            self.reschedule_selected,
            tip=self.tr("Move the selected appointment to another free slot"),
        )
        self._on_calendars(self.reschedule_action)
        self.earlier_action = self._action(
            self.tr("Move &earlier"),
            "Ctrl+Up",
            lambda: self.active_view().nudge(-1),
            tip=self.tr("Move the selected appointment one slot earlier"),
        )
        self.later_action = self._action(
            self.tr("Move &later"),
            "Ctrl+Down",
            lambda: self.active_view().nudge(1),
            tip=self.tr("Move the selected appointment one slot later"),
        )
        for action in (self.earlier_action, self.later_action):
            # in the menu for the keys; the views handle the keys themselves
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.undo_action = self._action(
            self.tr("&Undo status change"),
            QKeySequence.StandardKey.Undo,
            self.undo_status_change,
            tip=self.tr("Undo your last status change"),
        )
        # right-click on a tile offers what the keys do
        for view in (self.view, self.week_view):
            separator = QAction(self)
            separator.setSeparator(True)
            view.addAction(separator)
            view.addAction(self.undo_action)
            view.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)

        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.addAction(self.quit_action)
        view_menu = bar.addMenu(self.tr("&View"))
        view_menu.addAction(self.day_view_action)
        view_menu.addAction(self.week_view_action)
        view_menu.addSeparator()
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
        appt_menu.addAction(self.reschedule_action)
        appt_menu.addAction(self.earlier_action)
        appt_menu.addAction(self.later_action)
        appt_menu.addSeparator()
        appt_menu.addAction(self.undo_action)

    def _status_action(self, text: str, key: str, change: str) -> QAction:
        action = self._action(text, key, lambda: self.change_status(change))
        self._on_calendars(action)
        return action

    def _on_calendars(self, action: QAction) -> None:
        """Keys that act on the selected tile, while a calendar has the focus."""
        action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.view.addAction(action)
        self.week_view.addAction(action)

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
        tools.addAction(self.day_view_action)
        tools.addAction(self.week_view_action)
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

    # -- days and weeks ------------------------------------------------------------------------

    def clinic_today(self) -> date:
        return self.model.local(self._ctx.now()).date()

    @property
    def day(self) -> date:
        return self._day

    def in_week_view(self) -> bool:
        return self.calendar_stack.currentWidget() is self.week_view

    def active_view(self) -> DayView:
        return self.week_view if self.in_week_view() else self.view

    def active_model(self) -> CalendarModel:
        return self.week_model if self.in_week_view() else self.model

    def go_today(self) -> None:
        self._scroll_pending = True
        self.show_day(self.clinic_today())

    def step(self, steps: int) -> None:
        """A day back or on; a week in the week view."""
        self.show_day(self._day + timedelta(days=steps * (7 if self.in_week_view() else 1)))

    def show_day(self, on: date) -> None:
        self._day = on
        self.date_label.setText(self._format_day(on))
        if self.in_week_view() and self.week_model.provider_id is not None:
            self.week_model.show_week(self.week_model.provider_id, on)
        else:
            self.model.load(on)

    def open_day(self, on: date) -> None:
        """The day view on `on` (a double-click on a week's day)."""
        self.show_day_view()
        self.show_day(on)

    def show_day_view(self) -> None:
        self.day_view_action.setChecked(True)
        if self.in_week_view():
            self.calendar_stack.setCurrentWidget(self.view)
            self._set_nav_texts()
            self.show_day(self._day)
        self.view.setFocus()

    def show_week_view(self, provider_id: int | None = None) -> None:
        """One provider's week: `provider_id`, else the selected tile's, the filtered one's,
        the week shown before, or the first column's."""
        line = self.model.line(self.view.currentIndex()) if not self.in_week_view() else None
        chosen = (
            provider_id
            or (line.appointment.provider_id if line is not None else None)
            or self.filter_bar.filters().provider_id
            or self.week_model.provider_id
            or (self.model.columns()[0].provider_id if self.model.columns() else None)
        )
        if chosen is None:
            self.day_view_action.setChecked(True)
            self._show_problem(self.tr("No provider to show a week of yet."))
            return
        self.week_view_action.setChecked(True)
        if not self.in_week_view():
            # the same time of day stays in view, once the week is in
            self._week_scroll = self.view.verticalScrollBar().value()
        self.calendar_stack.setCurrentWidget(self.week_view)
        self._set_nav_texts()
        self.week_model.provider_id = chosen
        self.show_day(self._day)
        self.week_view.setFocus()

    def _set_nav_texts(self) -> None:
        week = self.in_week_view()
        self.previous_action.setText(
            self.tr("&Previous week") if week else self.tr("&Previous day")
        )
        self.next_action.setText(self.tr("&Next week") if week else self.tr("&Next day"))

    def _format_day(self, on: date) -> str:
        if self.in_week_view():
            first = week_start(on)
            last = first + timedelta(days=6)
            return self.tr("{provider} · week of {first} – {last}").format(
                provider=self._week_provider_name(),
                first=self.clinic_locale.toString(
                    QDate(first.year, first.month, first.day), "d MMM"
                ),
                last=self.clinic_locale.toString(
                    QDate(last.year, last.month, last.day), "d MMM yyyy"
                ),
            )
        text = self.clinic_locale.toString(
            QDate(on.year, on.month, on.day), QLocale.FormatType.LongFormat
        )
        if on == self.clinic_today():
            return self.tr("{day} (today)").format(day=text)
        return text

    def _week_provider_name(self) -> str:
        pid = self.week_model.provider_id
        for column in (*self.week_model.columns()[:1], *self.model.columns()):
            if column.provider_id == pid:
                return column.name
        return ""

    def _on_loaded(self, loaded: CalendarModel) -> None:
        if not self._choices_asked:
            self._choices_asked = True
            self._load_filter_choices()
        model, view = self.active_model(), self.active_view()
        if loaded is not model:
            return
        if loaded is self.week_model:
            self.date_label.setText(self._format_day(self._day))  # with the provider's name
            if self._week_scroll is not None:
                self.week_view.verticalScrollBar().setValue(self._week_scroll)
                self._week_scroll = None
        if self._pending_select is not None:
            index = model.find(self._pending_select)
            self._pending_select = None
            if index.isValid():
                view.selectionModel().setCurrentIndex(
                    index, QItemSelectionModel.SelectionFlag.ClearAndSelect
                )
        elif self._scroll_pending:
            # on opening and on Today: show the present; other days keep the scroll position
            self._scroll_pending = False
            if self.model.day == self.clinic_today():
                self.view.scroll_to_time(self.model.local(self._ctx.now()))
        self._update_actions()

    def reload_calendar(self) -> None:
        """Read what is shown again (after a change here or at another desk), in place."""
        self.model.reload()
        if self.week_model.provider_id is not None and self.week_model.day != date.min:
            self.week_model.reload()

    def refresh(self) -> None:
        """For changes made elsewhere: the calendars in place, and the filters' choices."""
        self.reload_calendar()
        self._load_filter_choices()

    # -- filters -------------------------------------------------------------------------------

    def _load_filter_choices(self) -> None:
        ctx = self._ctx
        self.tasks.run(
            lambda: (
                clinic_admin.locations(ctx),
                setup.active_providers(ctx),
                [s for s in setup.all_services(ctx) if s.active],
            ),
            lambda found: self.filter_bar.set_choices(*found),
            lambda exc: self._show_problem(getattr(exc, "message", None) or str(exc)),
        )

    def _filters_changed(self, filters: Filters) -> None:
        self.model.set_filters(filters)
        self.week_model.set_filters(Filters(filters.location_id, None, filters.service_id))
        if (
            self.in_week_view()
            and filters.provider_id is not None
            and filters.provider_id != self.week_model.provider_id
        ):
            self.show_week_view(filters.provider_id)

    def _colour_by_changed(self, colour_by: ColourBy) -> None:
        self.model.set_colour_by(colour_by)
        self.week_model.set_colour_by(colour_by)

    # -- status changes ------------------------------------------------------------------------

    def selected_id(self) -> int | None:
        view, model = self.active_view(), self.active_model()
        line = model.line(view.currentIndex())
        selected = view.selectionModel().hasSelection()
        return line.appointment.id if line is not None and selected else None

    def _selected_line(self) -> Any:
        return self.active_model().line(self.active_view().currentIndex())

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
        line = self._selected_line()
        movable = has and line is not None and line.appointment.status in UPCOMING_STATUSES
        for action in (self.reschedule_action, self.earlier_action, self.later_action):
            action.setEnabled(movable)

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
        line = self._selected_line()
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

    def reschedule_selected(self) -> None:
        """Ask for the booking dialog's reschedule mode (`reschedule_requested`)."""
        appointment_id = self.selected_id()
        if appointment_id is not None and self.reschedule_action.isEnabled():
            self.reschedule_requested.emit(appointment_id)

    def undo_status_change(self) -> None:
        ctx = self._ctx
        self.tasks.run(
            lambda: booking.undo_status_change(ctx),
            lambda outcome: self._changed(outcome, "undo"),
            self._refused,
            write=True,
        )

    def _who(self, appointment_id: int | None, start: datetime) -> str:
        model = self.active_model()
        line = model.line(model.find(appointment_id or -1))
        if line is None:
            return self.tr("appointment #{id}").format(id=appointment_id)
        return self.tr("{name} ({time}, {provider})").format(
            name=line.patient_name,
            time=self.model.local(start).strftime("%H:%M"),
            provider=line.provider_name,
        )

    def _changed(self, outcome: Outcome, change: str) -> None:
        appt = outcome.appointment
        who = self._who(appt.id, appt.start)
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
        self.reload_calendar()

    def _refused(self, exc: BaseException) -> None:
        if isinstance(exc, DomainError):
            self._show_problem(exc.message)
        else:
            self._show_problem(self.tr("Could not change the status: {error}").format(error=exc))

    def _show_problem(self, message: str) -> None:
        self.statusBar().showMessage(message, 15_000)

    # -- moving (drag and drop, Ctrl+Up/Down) ----------------------------------------------

    def move_appointment(self, appointment_id: int, provider_id: int, start: datetime) -> None:
        """Reschedule on the write pool; a refusal says why and the tile stays where it was."""
        model = self.active_model()
        line = model.line(model.find(appointment_id))
        who = self._who(appointment_id, line.appointment.start) if line else ""
        ctx = self._ctx
        self.statusBar().showMessage(
            self.tr("Moving {who} to {time}…").format(who=who, time=start.strftime("%H:%M"))
        )
        self.tasks.run(
            lambda: booking.reschedule(ctx, appointment_id, start=start, provider_id=provider_id),
            lambda outcome: self._moved(outcome, who),
            self._move_refused,
            write=True,
        )

    def _moved(self, outcome: Outcome, who: str) -> None:
        appt = outcome.appointment
        when = self.clinic_locale.toString(
            QDate(*self.model.local(appt.start).timetuple()[:3]), "ddd d MMM"
        )
        provider = next(
            (c.name for c in self.model.columns() if c.provider_id == appt.provider_id), ""
        )
        message = (
            self.tr("Moved {who} to {day} {time} with {provider}")
            if provider
            else self.tr("Moved {who} to {day} {time}")
        )
        self.statusBar().showMessage(
            message.format(
                who=who or self.tr("appointment #{id}").format(id=appt.id),
                day=when,
                time=self.model.local(appt.start).strftime("%H:%M"),
                provider=provider,
            ),
            10_000,
        )
        self._pending_select = appt.id
        self.reload_calendar()

    def _move_refused(self, exc: BaseException) -> None:
        if isinstance(exc, DomainError):
            self._show_problem(self.tr("Not moved: {reason}").format(reason=exc.message))
        else:
            self._show_problem(self.tr("Could not move the appointment: {error}").format(error=exc))

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
        colour_by = self._settings.value("main/colour_by", ColourBy.PROVIDER.value)
        if colour_by in {c.value for c in ColourBy}:
            self.filter_bar.set_colour_by(ColourBy(colour_by))

    def closeEvent(self, event: QCloseEvent) -> None:
        self._settings.setValue("main/geometry", self.saveGeometry())
        self._settings.setValue("main/state", self.saveState())
        self._settings.setValue("main/show_cancelled", self.cancelled_action.isChecked())
        self._settings.setValue("main/colour_by", self.filter_bar.colour_by().value)
        self._settings.sync()
        self.tasks.shutdown()
        super().closeEvent(event)
