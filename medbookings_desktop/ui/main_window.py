"""The desk's main window: the day and week calendars, what they show, and the changes made
from them (status keys, drag and drop to reschedule, the context menu)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QByteArray,
    QDate,
    QItemSelectionModel,
    QLocale,
    QSettings,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.appointments import UPCOMING_STATUSES
from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.services import clinic_admin, setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.calendar_filters import ColourBy, FilterBar, Filters
from medbookings_desktop.ui.day_model import CalendarModel, DayModel, status_word
from medbookings_desktop.ui.day_view import DayView
from medbookings_desktop.ui.tasks import TaskRunner
from medbookings_desktop.ui.week_model import WeekModel, week_start
from medbookings_desktop.ui.week_view import WeekView

if TYPE_CHECKING:
    # imported where first opened, not at start-up: the window paints before they load
    from medbookings_desktop.services.booking import Outcome
    from medbookings_desktop.ui.alerts import AlertBanner
    from medbookings_desktop.ui.attention_panel import AttentionPanel
    from medbookings_desktop.ui.booking_dialog import BookingDialog
    from medbookings_desktop.ui.my_day import MyDayView
    from medbookings_desktop.ui.patients_view import PatientsView
    from medbookings_desktop.ui.providers_view import ProvidersView
    from medbookings_desktop.ui.settings_dialog import SettingsDialog
    from medbookings_desktop.ui.walk_in_panel import WalkInPanel

ORGANIZATION = "MedBookings"
APPLICATION = "MedBookings Desktop"


class MainWindow(QMainWindow):
    """`today` (a date) pins the first day shown; otherwise it is the clinic's today.

    `clinic` (read from the database when not given) sets the zone, the locale of dates and
    the title; `zone` overrides its zone.

    `reschedule_requested(appointment_id)` asks for the booking dialog's reschedule mode;
    `closing()` says the window is about to close, before it saves its layout and waits for
    its workers.
    """

    reschedule_requested = Signal(int)
    closing = Signal()

    def __init__(
        self,
        ctx: Context,
        *,
        database: str = "",
        zone: str | None = None,
        clinic: ClinicSettings | None = None,
        today: date | None = None,
        settings: QSettings | None = None,
        desk_settings: Any = None,
        database_url: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._desk_settings = desk_settings
        self._database_url = database_url
        self.engine_runner: Any = None  # the background engine's runner, once started
        self._google_accounts: Any = None
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
        # the calendar, the patients, the providers and My day take turns in the middle
        self.pages = QStackedWidget(self)
        self.pages.addWidget(self.calendar)
        middle = QWidget(self)
        middle.setObjectName("middle")
        middle_layout = QVBoxLayout(middle)
        middle_layout.setContentsMargins(0, 0, 0, 0)
        middle_layout.setSpacing(0)
        middle_layout.addWidget(self.pages, 1)
        self._middle_layout = middle_layout
        self._alert_banner: AlertBanner | None = None  # built with the health panel
        self.setCentralWidget(middle)
        self.alert_notifier: Any = None  # the tray's, created after the first paint
        self._patients_view: PatientsView | None = None
        self._providers_view: ProvidersView | None = None
        self._my_day: MyDayView | None = None
        self._print_when_loaded = False
        self.setWindowTitle(self.tr("{clinic} — MedBookings").format(clinic=self.clinic.name))
        self._day = today or self.clinic_today()
        self._pending_select: int | None = None
        # what Ctrl+Z undoes, newest last: a move (its Outcome) or a status change (the id)
        self._undo_history: list[Outcome | int] = []
        self._scroll_pending = True
        self._week_scroll: int | None = None

        self._build_actions()
        self._build_bars(database)
        self._build_desk()
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
        self._open_saved_view()

    # -- building ----------------------------------------------------------------------------

    def _action(
        self,
        text: str,
        shortcut: QKeySequence | QKeySequence.StandardKey | str,
        slot: Callable[[], Any],
        *,
        tip: str = "",
    ) -> QAction:
        # by keyword: a positional (text, parent) is also tried against the (icon, text)
        # overload, which builds QIcon's enums (a millisecond of every start)
        action = QAction(text=text, parent=self)
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
        self.cancelled_action = QAction(text=self.tr("Show &cancelled"), parent=self)
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
            self.tr("&Undo"),
            QKeySequence.StandardKey.Undo,
            self.undo_last_change,
            tip=self.tr("Undo your last move or status change"),
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
        self.file_menu = file_menu
        file_menu.addAction(self.quit_action)
        view_menu = bar.addMenu(self.tr("&View"))
        self.view_menu = view_menu
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
        self.appointment_menu = appt_menu

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
        if self._my_day is not None and self.pages.currentWidget() is self._my_day:
            self._my_day.go_today()
            return
        self._scroll_pending = True
        self.show_day(self.clinic_today())

    def step(self, steps: int) -> None:
        """A day back or on; a week in the week view."""
        if self._my_day is not None and self.pages.currentWidget() is self._my_day:
            self._my_day.step(steps)
            return
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
        self.pages.setCurrentWidget(self.calendar)
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
        self.pages.setCurrentWidget(self.calendar)
        if not self.in_week_view():
            # the same time of day stays in view, once the week is in
            self._week_scroll = self.view.verticalScrollBar().value()
        self.calendar_stack.setCurrentWidget(self.week_view)
        self._set_nav_texts()
        if chosen != self.week_model.provider_id:
            self.week_model.forget_ahead()  # the weeks read ahead were another provider's
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
        """For changes made elsewhere: every view in place, the filters' choices, the queue
        and the Needs attention count."""
        self.reload_calendar()
        self._load_filter_choices()
        self.walk_ins.reload()
        self.attention.reload()
        if self._patients_view is not None:
            self._patients_view.refresh()
        if self._providers_view is not None:
            self._providers_view.refresh()
        if self._my_day is not None and self._my_day.provider_id is not None:
            self._my_day.reload()
        if hasattr(self, "health"):  # the engine's calls and queue: health and the alerts
            self.health.refresh_soon()

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
        from medbookings_desktop.services import booking  # with the first change, not at start

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
        from PySide6.QtWidgets import QInputDialog

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
        from medbookings_desktop.services import booking

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

    def undo_last_change(self) -> None:
        """Undo this desk's last move or status change; with none this session, the last status
        change this user made (it is in the database, so it survives a restart)."""
        from medbookings_desktop.services import booking

        ctx = self._ctx
        last = self._undo_history.pop() if self._undo_history else None
        if isinstance(last, booking.Outcome):
            move = last
            self.tasks.run(
                lambda: booking.undo_reschedule(ctx, move),
                lambda outcome: self._changed(outcome, "undo_move"),
                self._refused,
                write=True,
            )
            return
        appointment_id = last
        self.tasks.run(
            lambda: booking.undo_status_change(ctx, appointment_id),
            lambda outcome: self._changed(outcome, "undo"),
            self._refused,
            write=True,
        )

    def _remember(self, undoable: Outcome | int) -> None:
        self._undo_history = [*self._undo_history[-19:], undoable]  # the last 20 are enough

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
        self.wake_engine()
        appt = outcome.appointment
        who = self._who(appt.id, appt.start)
        done = {
            "check_in": self.tr("Checked in {who}"),
            "start": self.tr("Started the visit of {who}"),
            "complete": self.tr("Completed the visit of {who}"),
            "no_show": self.tr("Marked {who} as a no-show"),
            "cancel": self.tr("Cancelled {who} (Ctrl+Z brings it back)"),
            "undo": self.tr("Undone: {who} is {status} again"),
            "undo_move": self.tr("Undone: {who} is back at {time}"),
        }[change]
        if change not in ("undo", "undo_move") and appt.id is not None:
            self._remember(appt.id)
        message = done.format(
            who=who,
            status=status_word(appt.status).lower(),
            time=self.model.local(appt.start).strftime("%H:%M"),
        )
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
        from medbookings_desktop.services import booking

        self.tasks.run(
            lambda: booking.reschedule(ctx, appointment_id, start=start, provider_id=provider_id),
            lambda outcome: self._moved(outcome, who),
            self._move_refused,
            write=True,
        )

    def _moved(self, outcome: Outcome, who: str) -> None:
        self.wake_engine()
        self._remember(outcome)
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

    # -- the desk around the calendar: booking, views, queue, Needs attention ------------------

    def _build_desk(self) -> None:
        self.new_booking_action = self._action(
            self.tr("&New booking…"), "Ctrl+N", self.new_booking, tip=self.tr("Book by phone")
        )
        self.walk_in_action = self._action(
            self.tr("&Walk-in…"),
            "Ctrl+Shift+N",
            self.walk_in,
            tip=self.tr("Book the earliest slot today, or add to the walk-in queue"),
        )
        self.find_patient_action = self._action(
            self.tr("&Find patient"), "Ctrl+F", self.find_patient
        )
        self.patients_action = self._action(self.tr("&Patients"), "Ctrl+3", self.show_patients)
        self.providers_action = self._action(self.tr("P&roviders"), "Ctrl+4", self.show_providers)
        self.my_day_action = self._action(
            self.tr("&My day"),
            "Ctrl+5",
            lambda: self.show_my_day(),
            tip=self.tr("One provider's day sheet: the selected tile's or the filtered provider"),
        )
        self.print_action = self._action(
            self.tr("&Print day sheet…"),
            "Ctrl+P",
            self.print_day,
            tip=self.tr("Print one provider's day: the selected tile's or the filtered provider"),
        )
        self.pdf_action = self._action(
            self.tr("Save day sheet as P&DF…"), "Ctrl+Shift+P", self.save_day_pdf
        )
        self.settings_action = self._action(self.tr("&Settings…"), "Ctrl+,", self.open_settings)
        self.settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        for action in (self.patients_action, self.providers_action, self.my_day_action):
            action.setCheckable(True)
            self.day_view_action.actionGroup().addAction(action)

        first = self.file_menu.actions()[0]
        for action in (self.new_booking_action, self.walk_in_action):
            self.file_menu.insertAction(first, action)
        self.file_menu.insertSeparator(first)
        for action in (self.print_action, self.pdf_action):
            self.file_menu.insertAction(first, action)
        self.file_menu.insertSeparator(first)
        self.file_menu.insertAction(first, self.settings_action)
        self.file_menu.insertSeparator(first)
        views = self.view_menu.actions()[2]  # after day and week
        for action in (self.patients_action, self.providers_action, self.my_day_action):
            self.view_menu.insertAction(views, action)
        self.view_menu.insertAction(views, self.find_patient_action)

        # the walk-in queue and Needs attention sit beside the views, each can be closed; their
        # panels are built after the first paint (start_desk), or when first asked for
        self._walk_ins: WalkInPanel | None = None
        self._attention: AttentionPanel | None = None
        self.walk_in_dock = self._dock(self.tr("Walk-in queue"), "walk-in-dock")
        self.attention_dock = self._dock(self.tr("Needs attention"), "attention-dock")
        self.tabifyDockWidget(self.walk_in_dock, self.attention_dock)
        # closed until needed (a saved layout wins): the calendar gets the room; the queue
        # opens by itself when someone starts waiting, Needs attention from the status bar
        self.walk_in_dock.hide()
        self.attention_dock.hide()
        self._waiting = 0
        self.view_menu.addSeparator()
        for dock, key in (
            (self.walk_in_dock, "Ctrl+Shift+W"),
            (self.attention_dock, "Ctrl+Shift+A"),
        ):
            toggle = dock.toggleViewAction()
            toggle.setShortcut(QKeySequence(key))
            self.view_menu.addAction(toggle)

        self.attention_button = QPushButton(self)
        self.attention_button.setFlat(True)
        self.attention_button.setAccessibleName(self.tr("Needs attention"))
        self.attention_button.setToolTip(self.tr("Show what needs a person (Ctrl+Shift+A)"))
        self.attention_button.clicked.connect(self.show_attention)
        self.statusBar().insertPermanentWidget(0, self.attention_button)
        self._attention_counted(0)
        self.reschedule_requested.connect(self.reschedule_dialog)

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        self.help_menu = help_menu
        help_menu.addAction(self.tr("Open &data folder"), self.open_data_folder)
        help_menu.addAction(self.tr("&Copy diagnostics"), self.copy_diagnostics)
        help_menu.addSeparator()
        help_menu.addAction(self.tr("&About MedBookings"), self.about)

    def _dock(self, title: str, name: str, widget: QWidget | None = None) -> QDockWidget:
        dock = QDockWidget(title, self)
        dock.setObjectName(name)
        if widget is not None:
            dock.setWidget(widget)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        return dock

    @property
    def alert_banner(self) -> AlertBanner:
        """Above the pages: a service that is down or refuses the clinic's credentials. Built
        on first use (the health panel's, after the first paint); hidden until an alert."""
        if self._alert_banner is None:
            from medbookings_desktop.ui.alerts import AlertBanner

            banner = AlertBanner(self)
            banner.details_requested.connect(self.show_health)
            self._middle_layout.insertWidget(0, banner)
            self._alert_banner = banner
        return self._alert_banner

    @property
    def walk_ins(self) -> WalkInPanel:
        """The walk-in queue's panel, in its dock: built on first use (after the first paint,
        with its module: the calendar does not wait for it)."""
        if self._walk_ins is None:
            from medbookings_desktop.ui.walk_in_panel import WalkInPanel

            panel = WalkInPanel(self._ctx, self.tasks, self.clinic, self)
            panel.booked.connect(lambda o: self._booked(o, panel.summary))
            panel.changed.connect(self.reload_calendar)
            panel.refused.connect(self._show_problem)
            panel.loaded.connect(self._queue_read)
            self.walk_in_dock.setWidget(panel)
            self._walk_ins = panel
        return self._walk_ins

    @property
    def attention(self) -> AttentionPanel:
        """Needs attention's panel, in its dock: built on first use, as the queue's is."""
        if self._attention is None:
            from medbookings_desktop.ui.attention_panel import AttentionPanel

            panel = AttentionPanel(
                self._ctx, self.tasks, zone=self.clinic.zone, locale=self.clinic_locale, parent=self
            )
            panel.count_changed.connect(self._attention_counted)
            # an accepted or kept Google change moved a booking or queued a write-back
            panel.changed.connect(self.reload_calendar)
            panel.changed.connect(self.wake_engine)
            self.attention_dock.setWidget(panel)
            self._attention = panel
        return self._attention

    def start_desk(self) -> None:
        """After the first paint: the queue and Needs attention read, and read again each
        minute (waiting times move on, and an engine may run on another desk)."""
        self.walk_ins.reload()
        self.attention.reload()
        self._add_health_dock()
        self._start_alerts()
        self._read_google_accounts()
        self._attention_timer = QTimer(self)
        self._attention_timer.timeout.connect(self.attention.reload)
        self._attention_timer.start(60_000)

    def _queue_read(self, waiting: int) -> None:
        if waiting > self._waiting and not self.walk_in_dock.isVisible():
            self.walk_in_dock.show()
            self.walk_in_dock.raise_()
        self._waiting = waiting

    def _read_google_accounts(self) -> None:
        """The desk's Google sign-in (from the keyring, so off the UI thread), for the
        providers view's Google Calendar tab."""
        from medbookings_desktop.integrations.google_auth import desk_accounts

        settings, ctx = self.desk_settings(), self._ctx

        def found(accounts: Any) -> None:
            self._google_accounts = accounts

        self.tasks.run(lambda: desk_accounts(settings, ctx), found, lambda _exc: None)

    def _add_health_dock(self) -> None:
        """Each service's health (last success, errors, queue): a dock, closed by default."""
        from medbookings_desktop.ui.health_panel import HealthPanel

        self.health = HealthPanel(self._ctx, self.tasks, zone=self.clinic.zone, parent=self)
        self.health_dock = self._dock(self.tr("Service health"), "health-dock", self.health)
        self.tabifyDockWidget(self.attention_dock, self.health_dock)
        self.health_dock.hide()
        self.restoreDockWidget(self.health_dock)  # as the desk left it, if it was open
        toggle = self.health_dock.toggleViewAction()
        toggle.setShortcut(QKeySequence("Ctrl+Shift+H"))
        self.view_menu.addAction(toggle)

    def _attention_counted(self, count: int) -> None:
        self.attention_button.setText(
            self.tr("Needs attention: {count}").format(count=count)
            if count
            else self.tr("Nothing needs attention")
        )
        font = self.attention_button.font()
        font.setBold(count > 0)
        self.attention_button.setFont(font)

    def _start_alerts(self) -> None:
        """The banner and the tray follow the health panel's figures, read now and on each
        refresh (its timer, and live refresh after the engine or another desk wrote)."""
        from medbookings_desktop.ui.alerts import AlertNotifier

        self.alert_notifier = AlertNotifier(self)
        self.alert_notifier.details_requested.connect(self.show_health)
        self.health.alerts_changed.connect(self.alert_banner.set_alerts)
        self.health.alerts_changed.connect(self.alert_notifier.set_alerts)
        self.health.refresh()

    def show_health(self) -> None:
        """The Service health dock, in front (the alert banner's and the tray's Details)."""
        if not hasattr(self, "health_dock"):
            return  # before the first paint: nothing to show yet
        if self.isMinimized():
            self.showNormal()
        self.activateWindow()
        self.health_dock.show()
        self.health_dock.raise_()
        self.health.table.setFocus()

    def show_attention(self) -> None:
        self.attention_dock.show()
        self.attention_dock.raise_()
        self.attention.table.setFocus()

    def set_engine_state(self, state: str) -> None:
        """The background engine's state as the status bar shows it."""
        words = {
            "idle": self.tr("Engine: up to date"),
            "running": self.tr("Engine: sending…"),
            "error": self.tr("Engine: problem (see Needs attention)"),
            "stopped": self.tr("Engine: stopped"),
            "not_configured": self.tr("Engine: no messaging set up"),
        }
        self.engine_label.setText(words.get(state, self.tr("Engine: {state}").format(state=state)))
        self.engine_label.setToolTip(
            self.tr("Sends confirmations and reminders, and follows replies, in the background")
        )
        if state in ("idle", "error"):
            self.attention.reload()

    # booking --------------------------------------------------------------------------------

    def _booking_dialog(self, dialog: BookingDialog) -> BookingDialog:
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.booked.connect(lambda outcome: self._booked(outcome, dialog.summary))
        dialog.queued.connect(lambda _entry: self._queued())
        dialog.open()
        return dialog

    def new_booking(self, patient_id: int | None = None) -> BookingDialog:
        from medbookings_desktop.ui.booking_dialog import BookingDialog

        line = self._selected_line()
        provider_id = line.appointment.provider_id if line is not None else None
        provider_id = provider_id or self.filter_bar.filters().provider_id
        dialog = BookingDialog(
            self._ctx, self.tasks, self.clinic, self, on=self._day, provider_id=provider_id
        )
        if patient_id is not None:
            dialog.choose_patient(patient_id)
        return self._booking_dialog(dialog)

    def walk_in(self) -> BookingDialog:
        from medbookings_desktop.ui.booking_dialog import BookingDialog

        return self._booking_dialog(BookingDialog.walk_in(self._ctx, self.tasks, self.clinic, self))

    def reschedule_dialog(self, appointment_id: int) -> BookingDialog:
        from medbookings_desktop.ui.booking_dialog import BookingDialog

        return self._booking_dialog(
            BookingDialog.reschedule(self._ctx, self.tasks, self.clinic, appointment_id, self)
        )

    def wake_engine(self) -> None:
        """A change here queued messages: the engine sends them now, not at its next tick."""
        if self.engine_runner is not None:
            self.engine_runner.wake()

    def _booked(self, outcome: Outcome, summary: str = "") -> None:
        self.wake_engine()
        if outcome.previous is not None:  # the dialog's reschedule mode moved it
            self._remember(outcome)
        self.statusBar().showMessage(summary or self.tr("Booked."), 15_000)
        self._pending_select = outcome.appointment.id
        start = self.model.local(outcome.appointment.start).date()
        if self.pages.currentWidget() is self.calendar and start != self._day:
            self.show_day(start)  # show where the booking went
        else:
            self.reload_calendar()
        self.walk_ins.reload()

    def _queued(self) -> None:
        self.statusBar().showMessage(self.tr("Added to the walk-in queue."), 10_000)
        self.walk_in_dock.show()
        self.walk_in_dock.raise_()
        self.walk_ins.reload()

    # the other views ------------------------------------------------------------------------

    def current_view_name(self) -> str:
        page = self.pages.currentWidget()
        if page is self.calendar:
            return "week" if self.in_week_view() else "day"
        if page is self._patients_view:
            return "patients"
        if page is self._providers_view:
            return "providers"
        return "my-day"

    def patients_view(self) -> PatientsView:
        if self._patients_view is None:
            from medbookings_desktop.ui.patients_view import PatientsView

            view = PatientsView(self._ctx, self.tasks, self.clinic, self)
            view.book_requested.connect(self.new_booking)
            view.patient_saved.connect(lambda _id: self.reload_calendar())
            self.pages.addWidget(view)
            self._patients_view = view
        return self._patients_view

    def providers_view(self) -> ProvidersView:
        if self._providers_view is None:
            from medbookings_desktop.ui.providers_view import ProvidersView

            view = ProvidersView(
                self._ctx, self.tasks, self.clinic, self, google=self._google_accounts
            )
            view.open_my_day.connect(lambda pid, on: self.show_my_day(pid, on))
            view.changed.connect(self.refresh)
            view.refused.connect(self._show_problem)
            self.pages.addWidget(view)
            self._providers_view = view
        return self._providers_view

    def my_day_view(self) -> MyDayView:
        if self._my_day is None:
            from medbookings_desktop.ui.my_day import MyDayView

            view = MyDayView(self._ctx, self.tasks, self.clinic, self, shortcuts=False)
            view.loaded.connect(self._my_day_loaded)
            view.failed.connect(self._show_problem)
            self.pages.addWidget(view)
            self._my_day = view
        return self._my_day

    def show_patients(self) -> None:
        self.patients_action.setChecked(True)
        self.pages.setCurrentWidget(self.patients_view())

    def find_patient(self) -> None:
        self.show_patients()
        self.patients_view().focus_search()

    def show_providers(self) -> None:
        self.providers_action.setChecked(True)
        self.pages.setCurrentWidget(self.providers_view())

    def _chosen_provider(self) -> int | None:
        line = self._selected_line() if self.pages.currentWidget() is self.calendar else None
        if self.in_week_view() and self.pages.currentWidget() is self.calendar:
            return self.week_model.provider_id
        return (
            (line.appointment.provider_id if line is not None else None)
            or self.filter_bar.filters().provider_id
            or (self._my_day.provider_id if self._my_day is not None else None)
            or (self.model.columns()[0].provider_id if self.model.columns() else None)
        )

    def show_my_day(self, provider_id: int | None = None, on: date | None = None) -> None:
        chosen = provider_id or self._chosen_provider()
        if chosen is None:
            self._show_problem(self.tr("No provider to show a day of yet."))
            return
        view = self.my_day_view()
        self.my_day_action.setChecked(True)
        self.pages.setCurrentWidget(view)
        view.show_day(chosen, on or self._day)

    def print_day(self) -> None:
        if self._my_day is not None and self.pages.currentWidget() is self._my_day:
            self._my_day.print_sheet()
            return
        self._print_when_loaded = True
        self.show_my_day()

    def save_day_pdf(self) -> None:
        if self._my_day is None or self.pages.currentWidget() is not self._my_day:
            self.show_my_day()
            return
        self._my_day.save_pdf_as()

    def _my_day_loaded(self) -> None:
        if self._print_when_loaded and self._my_day is not None:
            self._print_when_loaded = False
            self._my_day.print_sheet()

    # settings and help ----------------------------------------------------------------------

    def desk_settings(self) -> Any:
        if self._desk_settings is None:
            from medbookings_desktop.settings import load_settings

            self._desk_settings = load_settings()
        return self._desk_settings

    def open_settings(self) -> SettingsDialog:
        from medbookings_desktop.ui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(
            self._ctx,
            self.tasks,
            self.clinic,
            self.desk_settings(),
            self,
            database_in_use=self.database_label.text(),
        )
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.clinic_changed.connect(self._clinic_changed)
        dialog.locations_changed.connect(self.refresh)
        # the providers view's Google tab signs in with the desk's (new) OAuth client
        dialog.google_changed.connect(self._read_google_accounts)
        dialog.messaging_changed.connect(self._messaging_changed)
        dialog.database_saved.connect(
            lambda _url: self.statusBar().showMessage(
                self.tr("Database saved for this desk: restart MedBookings to use it."), 15_000
            )
        )
        dialog.open()
        return dialog

    def _messaging_changed(self) -> None:
        """New keys or senders: the background engine is built again before its next pass."""
        if self.engine_runner is not None:
            self.engine_runner.reconfigure()
            self.statusBar().showMessage(
                self.tr("Messaging settings saved: the background engine uses them now."), 10_000
            )

    def _clinic_changed(self, clinic: ClinicSettings) -> None:
        self.clinic = clinic
        self.clinic_locale = QLocale(clinic.locale)
        self.week_model.locale = self.clinic_locale
        self.setWindowTitle(self.tr("{clinic} — MedBookings").format(clinic=clinic.name))
        for model in (self.model, self.week_model):
            model.zone = ZoneInfo(clinic.zone)
        for view in (self.view, self.week_view):
            view.set_slot_grid(clinic.slot_grid)
        self.date_label.setText(self._format_day(self._day))
        self.refresh()

    def open_data_folder(self) -> None:
        folder = Path(self.desk_settings().data_dir)
        folder.mkdir(parents=True, exist_ok=True)
        from PySide6.QtCore import QUrl
        from PySide6.QtGui import QDesktopServices

        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def copy_diagnostics(self) -> None:
        """Versions, folders, the database and the engine's health: no patient data."""
        from medbookings_desktop import __version__
        from medbookings_desktop.services import diagnostics
        from medbookings_desktop.settings import default_config_file
        from medbookings_desktop.storage.engine import sqlite_path

        ctx, settings, url = self._ctx, self.desk_settings(), self._database_url
        paths = {
            "config_file": settings.config_file or default_config_file(),
            "data": settings.data_dir,
            "logs": settings.log_dir,
            "backups": settings.backup_dir,
        }
        if url and (database_file := sqlite_path(url)) is not None:
            paths["database_file"] = database_file

        def collect() -> str:
            found = diagnostics.collect(ctx, app_version=__version__, database_url=url, paths=paths)
            return json.dumps(found, indent=2, default=str)

        def copied(text: str) -> None:
            QGuiApplication.clipboard().setText(text)
            self.statusBar().showMessage(self.tr("Diagnostics copied to the clipboard."), 10_000)

        self.tasks.run(collect, copied, self._refused)

    def about(self) -> None:
        from PySide6.QtWidgets import QMessageBox

        from medbookings_desktop import __version__

        QMessageBox.about(
            self,
            self.tr("About MedBookings"),
            self.tr("MedBookings Desktop {version}\nThe clinic's front desk.").format(
                version=__version__
            ),
        )

    # -- window state --------------------------------------------------------------------------

    def _open_saved_view(self) -> None:
        """The view the desk was left on; the day calendar otherwise (and for My day, whose
        provider and day belong to the moment)."""
        saved = self._settings.value("main/view", "day")
        if saved == "patients":
            self.show_patients()
        elif saved == "providers":
            self.show_providers()
        elif saved == "week":  # once the day's columns say whose week it can be
            self.model.loaded.connect(
                lambda: self.show_week_view(), Qt.ConnectionType.SingleShotConnection
            )

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
        self.closing.emit()
        self._settings.setValue("main/geometry", self.saveGeometry())
        self._settings.setValue("main/state", self.saveState())
        self._settings.setValue("main/show_cancelled", self.cancelled_action.isChecked())
        self._settings.setValue("main/colour_by", self.filter_bar.colour_by().value)
        self._settings.setValue("main/view", self.current_view_name())
        self._settings.sync()
        if self._providers_view is not None:
            self._providers_view.google_box.cancel_sign_in()  # a browser wait must not hold us
        for timer in self.findChildren(QTimer):
            timer.stop()  # nothing more to refresh once the desk is closed
        self.tasks.shutdown()
        super().closeEvent(event)
