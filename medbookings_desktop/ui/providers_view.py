"""The providers view: who works here, what they offer, when they work and when they are away.

Every change goes through `services.setup` on the task helper's write pool; the screen shows
what the database holds once the write is back, and a refusal shows its reason and leaves
everything as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QDate,
    QItemSelectionModel,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QAction, QColor, QGuiApplication, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QColorDialog,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.clinic import (
    ClinicSettings,
    ExtraHours,
    Location,
    Provider,
    Service,
    TimeOff,
)
from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.domain.wall_clock import resolve_wall_time
from medbookings_desktop.integrations.google_auth import (
    DISCONNECTED,
    NEEDS_RECONNECT,
    GoogleAccounts,
)
from medbookings_desktop.services import clinic_admin, setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.setup import ProviderSchedule
from medbookings_desktop.ui.google_connect import GoogleCalendarBox
from medbookings_desktop.ui.hours_editor import HoursEditor
from medbookings_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)
Index = QModelIndex | QPersistentModelIndex
ID_ROLE = Qt.ItemDataRole.UserRole + 1


def _faded() -> Any:
    return QGuiApplication.palette().brush(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)


# -- models ------------------------------------------------------------------------------------


class ProvidersModel(QAbstractListModel):
    """Every provider by name; inactive ones faded and marked so, and those whose Google
    sign-in must be renewed marked "reconnect Google"."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._providers: list[Provider] = []
        self._reconnect: frozenset[int] = frozenset()

    def set_needs_reconnect(self, provider_ids: frozenset[int]) -> None:
        if provider_ids == self._reconnect:
            return
        changed = provider_ids ^ self._reconnect
        self._reconnect = frozenset(provider_ids)
        for row, p in enumerate(self._providers):
            if p.id in changed:
                index = self.index(row)
                self.dataChanged.emit(index, index)

    def needs_reconnect(self, provider_id: int | None) -> bool:
        return provider_id in self._reconnect

    @property
    def reconnect_ids(self) -> frozenset[int]:
        return self._reconnect

    def set_providers(self, providers: Sequence[Provider]) -> None:
        self.beginResetModel()
        self._providers = list(providers)
        self.endResetModel()

    def provider(self, row: int) -> Provider:
        return self._providers[row]

    def row_of(self, provider_id: int) -> int:
        for row, p in enumerate(self._providers):
            if p.id == provider_id:
                return row
        return -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.rowCount: one row per provider."""
        return 0 if parent.isValid() else len(self._providers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractItemModel.data: name, colour chip, inactive faded."""
        if not index.isValid() or not 0 <= index.row() < len(self._providers):
            return None
        p = self._providers[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            name = p.display_name
            if not p.active:
                name = self.tr("{name} (inactive)").format(name=name)
            if p.id in self._reconnect:
                name = self.tr("{name} — reconnect Google").format(name=name)
            return name
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            state = self.tr("takes appointments") if p.active else self.tr("inactive")
            text = f"{p.display_name} — {state}"
            if p.id in self._reconnect:
                text += self.tr(" — Google Calendar sync paused: reconnect the account")
            return text
        if role == Qt.ItemDataRole.DecorationRole:
            return QColor(p.colour)
        if role == Qt.ItemDataRole.ForegroundRole and not p.active:
            return _faded()
        if role == ID_ROLE:
            return p.id
        return None


@dataclass(frozen=True, slots=True)
class Choice:
    id: int
    text: str
    colour: str | None = None


class ChecksModel(QAbstractListModel):
    """A short list of choices, checked where they apply to the provider.

    Checking a box asks (`toggle_requested(id, checked)`); the box shows the request at once
    and the providers view puts it back if the service layer refuses.
    """

    toggle_requested = Signal(int, bool)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._choices: list[Choice] = []
        self._checked: set[int] = set()

    def set_choices(self, choices: Sequence[Choice], checked: frozenset[int]) -> None:
        self.beginResetModel()
        self._choices = list(choices)
        self._checked = set(checked)
        self.endResetModel()

    def checked(self) -> frozenset[int]:
        return frozenset(self._checked)

    def set_checked(self, checked: frozenset[int]) -> None:
        self._checked = set(checked)
        if self._choices:
            self.dataChanged.emit(
                self.index(0),
                self.index(len(self._choices) - 1),
                [Qt.ItemDataRole.CheckStateRole],
            )

    def row_of(self, choice_id: int) -> int:
        for row, c in enumerate(self._choices):
            if c.id == choice_id:
                return row
        return -1

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.rowCount: one row per choice."""
        return 0 if parent.isValid() else len(self._choices)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractItemModel.data: the choice's text and whether it is checked."""
        if not index.isValid() or not 0 <= index.row() < len(self._choices):
            return None
        c = self._choices[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return c.text
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if c.id in self._checked else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DecorationRole and c.colour:
            return QColor(c.colour)
        if role == ID_ROLE:
            return c.id
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Overrides QAbstractItemModel.setData: a checkbox click asks for the change."""
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        c = self._choices[index.row()]
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        if checked == (c.id in self._checked):
            return True
        if checked:
            self._checked.add(c.id)
        else:
            self._checked.discard(c.id)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        self.toggle_requested.emit(c.id, checked)
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Overrides QAbstractItemModel.flags: rows check and select."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return (
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsSelectable
            | Qt.ItemFlag.ItemIsUserCheckable
        )


def service_choices(services: Sequence[Service], offered: frozenset[int]) -> list[Choice]:
    """Each service with its length; an inactive one only while the provider offers it."""
    found = []
    for s in services:
        if s.id is None or not (s.active or s.id in offered):
            continue
        minutes = int(s.duration.total_seconds() // 60)
        text = QCoreApplication.translate("ProvidersView", "{name} ({minutes} min)").format(
            name=s.name, minutes=minutes
        )
        if s.online:
            text += " · " + QCoreApplication.translate("ProvidersView", "online")
        if not s.active:
            text += " · " + QCoreApplication.translate("ProvidersView", "inactive")
        found.append(Choice(s.id, text, s.colour))
    return found


def location_choices(locations: Sequence[Location]) -> list[Choice]:
    return [Choice(loc.id, f"{loc.name} ({loc.zone})") for loc in locations if loc.id is not None]


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    text: str


class EntriesModel(QAbstractListModel):
    """A short read-only list of (id, text): a provider's extra hours or time off."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._entries: list[Entry] = []

    def set_entries(self, entries: Sequence[Entry]) -> None:
        self.beginResetModel()
        self._entries = list(entries)
        self.endResetModel()

    def entry(self, row: int) -> Entry:
        return self._entries[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.rowCount: one row per entry."""
        return 0 if parent.isValid() else len(self._entries)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractItemModel.data: the entry's text, its id under ID_ROLE."""
        if not index.isValid() or not 0 <= index.row() < len(self._entries):
            return None
        e = self._entries[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return e.text
        if role == ID_ROLE:
            return e.id
        return None


# -- what a provider's page loads ---------------------------------------------------------------


@dataclass(frozen=True)
class ProviderPage:
    schedule: ProviderSchedule
    services: tuple[Service, ...]
    locations: tuple[Location, ...]


def load_page(ctx: Context, provider_id: int, since: date) -> ProviderPage:
    """Runs on a pool thread: the provider's setup and what the editors offer to choose."""
    return ProviderPage(
        schedule=setup.provider_schedule(ctx, provider_id, since=since),
        services=tuple(setup.all_services(ctx)),
        locations=tuple(clinic_admin.locations(ctx)),
    )


def _qdate(d: date) -> QDate:
    return QDate(d.year, d.month, d.day)


def _pydate(q: QDate) -> date:
    return date(q.year(), q.month(), q.day())


def _pytime(q: QTime) -> time:
    return time(q.hour(), q.minute())


class ProvidersView(QWidget):
    """`open_my_day(provider_id, date)` asks the window to show that provider's day.

    `loaded` is emitted when a provider's page is on screen, `changed` after a change was
    saved (and the page read again), `refused(message)` when the services said no.
    """

    open_my_day = Signal(int, object)
    loaded = Signal()
    changed = Signal()
    refused = Signal(str)

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        clinic: ClinicSettings,
        parent: QWidget | None = None,
        *,
        google: GoogleAccounts | None = None,
    ) -> None:
        """`google`: the desk's Google accounts (sign-in and calendar links); None shows the
        Google Calendar tab as not set up on this desk."""
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._clinic = clinic
        self._locale = QLocale(clinic.locale)
        self._page: ProviderPage | None = None
        self._selected: int | None = None
        self._latest = 0
        self._reset_hours = False
        self.setAccessibleName(self.tr("Providers"))

        self.model = ProvidersModel(self)
        self.list = QListView(self)
        self.list.setModel(self.model)
        self.list.setAccessibleName(self.tr("Providers"))
        self.list.selectionModel().currentChanged.connect(self._current_changed)
        self.add_button = QPushButton(self.tr("New &provider…"), self)
        self.add_button.setAccessibleName(self.tr("New provider"))
        self.add_button.clicked.connect(self.ask_new_provider)
        self.empty = QLabel(self.tr("No providers yet — add one."), self)
        self.empty.setWordWrap(True)

        self.message = QLabel(self)
        self.message.setAccessibleName(self.tr("Problem"))
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        bold = self.message.font()
        bold.setBold(True)
        self.message.setFont(bold)
        self.message.hide()

        self.tabs = QTabWidget(self)
        self.tabs.setAccessibleName(self.tr("Provider details"))
        self.tabs.addTab(self._details_tab(), self.tr("&Details"))
        self.services_list = QListView(self)
        self.services_list.setAccessibleName(self.tr("Services offered"))
        self.services_list.setToolTip(self.tr("Ticking or unticking a service saves at once"))
        self.offered = ChecksModel(self)
        self.services_list.setModel(self.offered)
        self.offered.toggle_requested.connect(self._toggle_service)
        self.tabs.addTab(self.services_list, self.tr("&Services"))
        self.hours = HoursEditor(self._locale, self)
        self.hours.save_requested.connect(self.save_hours)
        self.hours.revert_requested.connect(lambda: self.reload(reset_hours=True))
        self.tabs.addTab(self.hours, self.tr("Weekly &hours"))
        self.tabs.addTab(self._extra_tab(), self.tr("E&xtra hours"))
        self.tabs.addTab(self._time_off_tab(), self.tr("&Time off"))
        self._google = google
        self.google_box = GoogleCalendarBox(
            tasks, google, self, zone=clinic.zone, locale=self._locale
        )
        self.google_box.shown.connect(self._google_shown)
        google_tab = QWidget(self)
        google_layout = QVBoxLayout(google_tab)
        google_layout.addWidget(self.google_box)
        # sync health beyond the link's own (last sync, last problem, reconnect): the backlog
        self.google_backlog = QLabel(google_tab)
        self.google_backlog.setWordWrap(True)
        self.google_backlog.setTextFormat(Qt.TextFormat.PlainText)
        self.google_backlog.setAccessibleName(self.tr("Bookings waiting for Google Calendar"))
        self.google_backlog.hide()
        google_layout.addWidget(self.google_backlog)
        google_layout.addStretch(1)
        self.tabs.addTab(google_tab, self.tr("&Google Calendar"))

        self.none_chosen = QLabel(self.tr("Choose a provider on the left."), self)
        self.none_chosen.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.right = QStackedWidget(self)
        self.right.addWidget(self.none_chosen)
        page = QWidget(self)
        page_layout = QVBoxLayout(page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel(self)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        heading_font = self.heading.font()
        heading_font.setPointSizeF(heading_font.pointSizeF() * 1.3)
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        self.my_day_button = QPushButton(self.tr("&Open My day"), self)
        self.my_day_button.setAccessibleName(self.tr("Open My day"))
        self.my_day_button.setToolTip(self.tr("Show this provider's day schedule to print"))
        self.my_day_button.clicked.connect(self._ask_my_day)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.my_day_button)
        page_layout.addLayout(top)
        page_layout.addWidget(self.message)
        page_layout.addWidget(self.tabs, 1)
        self.right.addWidget(page)

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.list, 1)
        left_layout.addWidget(self.empty)
        left_layout.addWidget(self.add_button)
        splitter = QSplitter(self)
        splitter.addWidget(left)
        splitter.addWidget(self.right)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.empty.hide()
        self.reload_providers()

    # -- building ----------------------------------------------------------------------------

    def _details_tab(self) -> QWidget:
        tab = QWidget(self)
        outer = QVBoxLayout(tab)
        form = QFormLayout()
        outer.addLayout(form)
        outer.addStretch(1)
        self.name_edit = QLineEdit(tab)
        self.name_edit.setAccessibleName(self.tr("Name"))
        self.title_edit = QLineEdit(tab)
        self.title_edit.setAccessibleName(self.tr("Title"))
        self.title_edit.setPlaceholderText(self.tr("e.g. Dr"))
        self.display_label = QLabel(tab)
        self.display_label.setAccessibleName(self.tr("Display name"))
        self.display_label.setTextFormat(Qt.TextFormat.PlainText)
        self.colour_edit = QLineEdit(tab)
        self.colour_edit.setAccessibleName(self.tr("Colour"))
        self.colour_edit.setInputMask("\\#HHHHHH")
        self.colour_chip = QLabel(tab)
        self.colour_chip.setFixedWidth(self.fontMetrics().height() * 2)
        self.colour_button = QPushButton(self.tr("Choos&e…"), tab)
        self.colour_button.setAccessibleName(self.tr("Choose colour"))
        self.colour_button.clicked.connect(self._choose_colour)
        self.works_at = ChecksModel(self)
        self.works_at.toggle_requested.connect(self._toggle_location)
        self.works_at_list = QListView(tab)
        self.works_at_list.setModel(self.works_at)
        self.works_at_list.setAccessibleName(self.tr("Works at"))
        self.works_at_list.setToolTip(self.tr("Ticking or unticking a location saves at once"))
        self.works_at_list.setMaximumHeight(self.fontMetrics().height() * 6)
        self.active_box = QCheckBox(self.tr("Takes &appointments (active)"), tab)
        self.active_box.setAccessibleName(self.tr("Active"))
        self.save_details_button = QPushButton(self.tr("Sa&ve details"), tab)
        self.save_details_button.setAccessibleName(self.tr("Save details"))
        self.save_details_button.clicked.connect(self.save_details)
        for edit in (self.name_edit, self.title_edit):
            edit.textChanged.connect(self._preview_display_name)
            edit.returnPressed.connect(self.save_details)
        self.colour_edit.textChanged.connect(self._preview_colour)
        colour_row = QHBoxLayout()
        colour_row.addWidget(self.colour_chip)
        colour_row.addWidget(self.colour_edit, 1)
        colour_row.addWidget(self.colour_button)
        form.addRow(self._buddy(self.tr("&Name:"), self.name_edit, tab), self.name_edit)
        form.addRow(self._buddy(self.tr("T&itle:"), self.title_edit, tab), self.title_edit)
        form.addRow(self.tr("Display name:"), self.display_label)
        form.addRow(self._buddy(self.tr("Co&lour:"), self.colour_edit, tab), colour_row)
        form.addRow(self._buddy(self.tr("&Works at:"), self.works_at_list, tab), self.works_at_list)
        form.addRow("", self.active_box)
        form.addRow("", self.save_details_button)
        return tab

    def _buddy(self, text: str, widget: QWidget, parent: QWidget) -> QLabel:
        label = QLabel(text, parent)
        label.setBuddy(widget)
        return label

    def _extra_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        self.extra_model = EntriesModel(self)
        self.extra_list = QListView(tab)
        self.extra_list.setModel(self.extra_model)
        self.extra_list.setAccessibleName(self.tr("Extra hours"))
        self.extra_day = self._date_edit(tab, self.tr("Extra hours day"))
        self.extra_location = QComboBox(tab)
        self.extra_location.setAccessibleName(self.tr("Extra hours location"))
        self.extra_from = self._time_edit(tab, self.tr("Extra hours from"), time(9))
        self.extra_to = self._time_edit(tab, self.tr("Extra hours to"), time(13))
        self.add_extra_button = QPushButton(self.tr("&Add extra hours"), tab)
        self.add_extra_button.setAccessibleName(self.tr("Add extra hours"))
        self.add_extra_button.clicked.connect(self.add_extra_hours)
        self.remove_extra_button = QPushButton(self.tr("Remo&ve selected"), tab)
        self.remove_extra_button.setAccessibleName(self.tr("Remove selected extra hours"))
        self.remove_extra_button.clicked.connect(self.remove_selected_extra_hours)
        self._delete_key(self.extra_list, self.remove_selected_extra_hours)
        layout.addWidget(QLabel(self.tr("One-off hours on top of the weekly ones:"), tab))
        layout.addWidget(self.extra_list, 1)
        form = QHBoxLayout()
        form.addWidget(self.extra_day)
        form.addWidget(self.extra_location)
        form.addWidget(self.extra_from)
        form.addWidget(QLabel("–", tab))
        form.addWidget(self.extra_to)
        form.addWidget(self.add_extra_button)
        form.addStretch(1)
        form.addWidget(self.remove_extra_button)
        layout.addLayout(form)
        return tab

    def _time_off_tab(self) -> QWidget:
        tab = QWidget(self)
        layout = QVBoxLayout(tab)
        self.off_model = EntriesModel(self)
        self.off_list = QListView(tab)
        self.off_list.setModel(self.off_model)
        self.off_list.setAccessibleName(self.tr("Time off"))
        self.off_first = self._date_edit(tab, self.tr("Time off from"))
        self.off_last = self._date_edit(tab, self.tr("Time off until"))
        self.off_all_day = QCheckBox(self.tr("A&ll day"), tab)
        self.off_all_day.setAccessibleName(self.tr("All day"))
        self.off_all_day.setChecked(True)
        self.off_start = self._time_edit(tab, self.tr("Time off starts at"), time(9))
        self.off_end = self._time_edit(tab, self.tr("Time off ends at"), time(17))
        self.off_all_day.toggled.connect(self._all_day_toggled)
        self._all_day_toggled(True)
        self.off_reason = QLineEdit(tab)
        self.off_reason.setAccessibleName(self.tr("Reason"))
        self.off_reason.setPlaceholderText(self.tr("Reason (e.g. holiday, training)"))
        self.off_zone = QLabel(tab)
        self.add_off_button = QPushButton(self.tr("&Add time off"), tab)
        self.add_off_button.setAccessibleName(self.tr("Add time off"))
        self.add_off_button.clicked.connect(self.add_time_off)
        self.remove_off_button = QPushButton(self.tr("Remo&ve selected"), tab)
        self.remove_off_button.setAccessibleName(self.tr("Remove selected time off"))
        self.remove_off_button.clicked.connect(self.remove_selected_time_off)
        self._delete_key(self.off_list, self.remove_selected_time_off)
        layout.addWidget(QLabel(self.tr("Absences (no slots are offered then):"), tab))
        layout.addWidget(self.off_list, 1)
        form = QFormLayout()
        dates = QHBoxLayout()
        dates.addWidget(self.off_first)
        dates.addWidget(QLabel("–", tab))
        dates.addWidget(self.off_last)
        dates.addWidget(self.off_all_day)
        dates.addStretch(1)
        times = QHBoxLayout()
        times.addWidget(self.off_start)
        times.addWidget(QLabel("–", tab))
        times.addWidget(self.off_end)
        times.addWidget(self.off_zone)
        times.addStretch(1)
        form.addRow(self._buddy(self.tr("Dat&es:"), self.off_first, tab), dates)
        form.addRow(self.tr("Times:"), times)
        form.addRow(self._buddy(self.tr("&Reason:"), self.off_reason, tab), self.off_reason)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_off_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_off_button)
        layout.addLayout(form)
        layout.addLayout(buttons)
        return tab

    def _delete_key(self, view: QListView, slot: Callable[[], None]) -> None:
        """Delete removes the selected entry while that list has the focus."""
        action = QAction(self.tr("Remove"), view)
        action.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        view.addAction(action)

    def _date_edit(self, parent: QWidget, name: str) -> QDateEdit:
        edit = QDateEdit(parent)
        edit.setCalendarPopup(True)
        edit.setAccessibleName(name)
        edit.setDisplayFormat(self._locale.dateFormat(QLocale.FormatType.ShortFormat))
        edit.setDate(_qdate(self.today()))
        return edit

    def _time_edit(self, parent: QWidget, name: str, value: time) -> QTimeEdit:
        edit = QTimeEdit(parent)
        edit.setDisplayFormat("HH:mm")
        edit.setAccessibleName(name)
        edit.setTime(QTime(value.hour, value.minute))
        return edit

    # -- reading -----------------------------------------------------------------------------

    def today(self) -> date:
        return self._ctx.now().astimezone(ZoneInfo(self._clinic.zone)).date()

    @property
    def selected_provider_id(self) -> int | None:
        return self._selected

    @property
    def page(self) -> ProviderPage | None:
        return self._page

    def refresh(self) -> None:
        """Read the list and the shown provider again (another desk changed something);
        unsaved edits of the weekly hours stay."""
        self.reload_providers()
        self.reload()
        view, pid = self.google_box.view, self._selected
        if pid is not None and view is not None and view.link.provider_id == pid:
            self._read_backlog(pid)

    def _read_backlog(self, provider_id: int) -> None:
        """Bookings waiting to be written to the provider's calendar, and those that could
        not be, read off the UI thread."""
        ctx = self._ctx

        def job() -> tuple[int, int]:
            from medbookings_desktop.sync.calendar_sync import export_backlog

            return export_backlog(ctx, provider_id)

        self._tasks.run(
            job, lambda counts: self._show_backlog(provider_id, counts), self._show_error
        )

    def _show_backlog(self, provider_id: int, counts: tuple[int, int]) -> None:
        view = self.google_box.view
        if provider_id != self._selected or view is None or view.link.provider_id != provider_id:
            return
        waiting, failed = counts
        text = self.tr("Bookings waiting to be written to Google Calendar: {count}").format(
            count=waiting
        )
        if failed:
            text += "\n" + self.tr(
                "⚠ Bookings that could not be written: {count} (see Needs attention)"
            ).format(count=failed)
        self.google_backlog.setText(text)
        self.google_backlog.setVisible(view.link.state != DISCONNECTED or bool(waiting or failed))

    def reload_providers(self) -> None:
        ctx = self._ctx
        self._tasks.run(lambda: setup.all_providers(ctx), self._fill_providers, self._show_error)
        google = self._google
        if google is not None and google.configured:
            self._tasks.run(
                google.needs_reconnect, self.model.set_needs_reconnect, self._show_error
            )

    def _google_shown(self) -> None:
        view, pid = self.google_box.view, self._selected
        if view is None or pid is None or view.link.provider_id != pid:
            self.google_backlog.hide()
            return
        self._read_backlog(pid)
        flagged = set(self.model.reconnect_ids)
        if view.link.state == NEEDS_RECONNECT:
            flagged.add(pid)
        else:
            flagged.discard(pid)
        self.model.set_needs_reconnect(frozenset(flagged))

    def _fill_providers(self, providers: list[Provider]) -> None:
        keep = self._selected
        self.model.set_providers(providers)
        self.empty.setVisible(not providers)
        if keep is not None and self.model.row_of(keep) >= 0:
            self._select_row(self.model.row_of(keep))
        elif providers:
            self._select_row(0)

    def select_provider(self, provider_id: int) -> None:
        row = self.model.row_of(provider_id)
        if row >= 0:
            self._select_row(row)

    def _select_row(self, row: int) -> None:
        self.list.selectionModel().setCurrentIndex(
            self.model.index(row), QItemSelectionModel.SelectionFlag.ClearAndSelect
        )

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self._selected = None
            self.right.setCurrentIndex(0)
            self.google_box.set_provider(None)
            return
        chosen = self.model.provider(current.row()).id
        shown = self._page.schedule.provider.id if self._page is not None else None
        self._selected = chosen
        if chosen != shown:  # not the same provider again after the list was read anew
            self.message.hide()
            self.reload(reset_hours=True)

    def reload(self, *, reset_hours: bool = False) -> None:
        """Read the selected provider's page again; `reset_hours` also forgets unsaved
        edits of the weekly hours (kept otherwise, e.g. while a service is toggled)."""
        if self._selected is None:
            return
        self._latest += 1
        self._reset_hours = self._reset_hours or reset_hours
        request, ctx, pid, since = self._latest, self._ctx, self._selected, self.today()
        self._tasks.run(
            lambda: load_page(ctx, pid, since),
            lambda page: self._show_page(request, page),
            self._show_error,
        )

    def _show_page(self, request: int, page: ProviderPage) -> None:
        if request != self._latest or page.schedule.provider.id != self._selected:
            return
        other_provider = self._page is None or self._page.schedule.provider.id != self._selected
        self._page = page
        provider = page.schedule.provider
        self.heading.setText(provider.display_name)
        self.google_box.set_provider(provider.id, provider.display_name)
        self.name_edit.setText(provider.name)
        self.title_edit.setText(provider.title)
        self.colour_edit.setText(provider.colour)
        self.active_box.setChecked(provider.active)
        self.offered.set_choices(
            service_choices(page.services, provider.service_ids), provider.service_ids
        )
        self.works_at.set_choices(location_choices(page.locations), provider.location_ids)
        own = [loc for loc in page.locations if loc.id in provider.location_ids]
        if self._reset_hours or other_provider or not self.hours.dirty:
            self.hours.set_schedule(
                provider.id or 0, page.schedule.hours, page.schedule.breaks, own
            )
            self._reset_hours = False
        self.extra_location.clear()
        for loc in own:
            self.extra_location.addItem(loc.name, loc.id)
        self.add_extra_button.setEnabled(bool(own))
        self.extra_model.set_entries(
            [
                Entry(e.id or 0, self._extra_text(e, page.locations))
                for e in page.schedule.extra_hours
            ]
        )
        self.off_model.set_entries(
            [
                Entry(o.id or 0, self._off_text(o, page.schedule.zone))
                for o in page.schedule.time_off
            ]
        )
        self.off_zone.setText(self.tr("({zone})").format(zone=page.schedule.zone))
        self.right.setCurrentIndex(1)
        # a provider's page is up, so there is one, even before the list is read again
        self.empty.hide()
        self.loaded.emit()

    def _extra_text(self, e: ExtraHours, locations: Sequence[Location]) -> str:
        where = next((loc.name for loc in locations if loc.id == e.location_id), "")
        day = self._locale.toString(_qdate(e.day), QLocale.FormatType.LongFormat)
        return f"{day} · {self._hm(e.start)}–{self._hm(e.end)} · {where}"

    def _off_text(self, off: TimeOff, zone: str) -> str:
        tz = ZoneInfo(zone)
        start, end = off.start.astimezone(tz), off.end.astimezone(tz)
        if start.time() == time(0) and end.time() == time(0):
            last = end.date() - timedelta(days=1)
            when = self._day_text(start.date())
            if last != start.date():
                when += f" – {self._day_text(last)}"
            when += " · " + self.tr("all day")
        else:
            when = f"{self._day_text(start.date())} {self._hm(start.time())} – "
            if end.date() != start.date():
                when += f"{self._day_text(end.date())} "
            when += self._hm(end.time())
        return f"{when} · {off.reason}" if off.reason else when

    def _day_text(self, d: date) -> str:
        return self._locale.toString(_qdate(d), "ddd d MMM yyyy")

    def _hm(self, t: time) -> str:
        return self._locale.toString(QTime(t.hour, t.minute), QLocale.FormatType.ShortFormat)

    # -- changing (each through the services, on the write pool) ------------------------------

    def _write(
        self,
        job: Callable[[], Any],
        on_done: Callable[[Any], None] | None = None,
        on_refused: Callable[[], None] | None = None,
        *,
        hours: bool = False,
    ) -> None:
        def done(result: Any) -> None:
            self.message.hide()
            if on_done is not None:
                on_done(result)
            self.reload(reset_hours=hours)
            self.changed.emit()

        def failed(exc: BaseException) -> None:
            if on_refused is not None:
                on_refused()
            self._show_error(exc)

        self._tasks.run(job, done, failed, write=True)

    def _show_error(self, exc: BaseException) -> None:
        if isinstance(exc, DomainError):
            text = exc.message
        else:
            log.error("providers view: a background job failed", exc_info=exc)
            text = self.tr("That did not work: {error}").format(error=exc)
        self.message.setText(text)
        self.message.show()
        self.refused.emit(text)

    def save_details(self) -> None:
        pid = self._selected
        if pid is None:
            return
        ctx = self._ctx
        changes = {
            "name": self.name_edit.text().strip(),
            "title": self.title_edit.text().strip(),
            "colour": self.colour_edit.text(),
            "active": self.active_box.isChecked(),
        }
        self._write(
            lambda: setup.edit_provider(ctx, pid, **changes),
            lambda _saved: self.reload_providers(),
        )

    def _toggle_service(self, service_id: int, offered: bool) -> None:
        pid = self._selected
        if pid is None:
            return
        ctx, before = self._ctx, self.offered.checked() ^ {service_id}
        self._write(
            lambda: setup.set_offers(ctx, pid, service_id, offered),
            on_refused=lambda: self.offered.set_checked(before),
        )

    def _toggle_location(self, location_id: int, works: bool) -> None:
        pid = self._selected
        if pid is None:
            return
        ctx, before = self._ctx, self.works_at.checked() ^ {location_id}
        self._write(
            lambda: setup.set_works_at(ctx, pid, location_id, works),
            on_refused=lambda: self.works_at.set_checked(before),
            hours=not self.hours.dirty,  # the hours editor offers the new set of locations
        )

    def save_hours(self) -> None:
        pid = self._selected
        if pid is None:
            return
        try:
            hours, breaks = self.hours.hours(), self.hours.breaks()
        except DomainError as exc:  # a period that ends before it starts
            self._show_error(exc)
            return
        ctx = self._ctx
        self._write(lambda: setup.set_weekly_hours(ctx, pid, hours, breaks), hours=True)

    def add_extra_hours(self) -> None:
        pid, location = self._selected, self.extra_location.currentData()
        if pid is None or not isinstance(location, int):
            return
        try:
            extra = ExtraHours(
                pid,
                location,
                _pydate(self.extra_day.date()),
                _pytime(self.extra_from.time()),
                _pytime(self.extra_to.time()),
            )
        except DomainError as exc:
            self._show_error(exc)
            return
        ctx = self._ctx
        self._write(lambda: setup.add_extra_hours_at(ctx, extra))

    def remove_selected_extra_hours(self) -> None:
        index = self.extra_list.currentIndex()
        pid = self._selected
        if pid is None or not index.isValid():
            return
        extra_id, ctx = self.extra_model.entry(index.row()).id, self._ctx
        self._write(lambda: setup.remove_extra_hours(ctx, pid, extra_id))

    def time_off_asked(self) -> TimeOff | None:
        """The time off the form describes, in the provider's zone (None: nobody chosen)."""
        if self._selected is None or self._page is None:
            return None
        tz = ZoneInfo(self._page.schedule.zone)
        first, last = _pydate(self.off_first.date()), _pydate(self.off_last.date())
        if self.off_all_day.isChecked():
            start = resolve_wall_time(first, time(0), tz)
            end = resolve_wall_time(last + timedelta(days=1), time(0), tz, is_end=True)
        else:
            start = resolve_wall_time(first, _pytime(self.off_start.time()), tz)
            end = resolve_wall_time(last, _pytime(self.off_end.time()), tz, is_end=True)
        return TimeOff(self._selected, start, end, self.off_reason.text().strip())

    def add_time_off(self) -> None:
        try:
            off = self.time_off_asked()
        except DomainError as exc:  # ends before it starts
            self._show_error(exc)
            return
        if off is None:
            return
        ctx = self._ctx
        self._write(lambda: setup.add_time_off(ctx, off), lambda _id: self.off_reason.clear())

    def remove_selected_time_off(self) -> None:
        index = self.off_list.currentIndex()
        pid = self._selected
        if pid is None or not index.isValid():
            return
        off_id, ctx = self.off_model.entry(index.row()).id, self._ctx
        self._write(lambda: setup.remove_time_off(ctx, pid, off_id))

    def ask_new_provider(self) -> None:
        name, ok = QInputDialog.getText(
            self, self.tr("New provider"), self.tr("Name of the new provider:")
        )
        if ok and name.strip():
            self.add_provider(name.strip())

    def add_provider(self, name: str) -> None:
        """A new provider, working at every location, offering nothing yet."""
        ctx = self._ctx

        def job() -> Provider:
            locations = frozenset(loc.id for loc in clinic_admin.locations(ctx) if loc.id)
            return setup.save_provider(ctx, Provider(name=name, location_ids=locations))

        def done(saved: Provider) -> None:
            self._selected = saved.id
            self.reload_providers()

        self._write(job, done)

    # -- small things ------------------------------------------------------------------------

    def _ask_my_day(self) -> None:
        if self._selected is not None:
            self.open_my_day.emit(self._selected, self.today())

    def _preview_display_name(self) -> None:
        text = f"{self.title_edit.text().strip()} {self.name_edit.text().strip()}".strip()
        self.display_label.setText(text)

    def _preview_colour(self, text: str) -> None:
        colour = QColor(text)
        if colour.isValid() and len(text) == 7:
            self.colour_chip.setStyleSheet(
                f"QLabel {{ background-color: {colour.name()}; border: 1px solid palette(mid); }}"
            )

    def _choose_colour(self) -> None:
        chosen = QColorDialog.getColor(
            QColor(self.colour_edit.text()), self, self.tr("Provider colour")
        )
        if chosen.isValid():
            self.colour_edit.setText(chosen.name())

    def _all_day_toggled(self, all_day: bool) -> None:
        self.off_start.setEnabled(not all_day)
        self.off_end.setEnabled(not all_day)
