""" "Needs attention": what the background engine could not settle alone, each with its action.

Failed messages (send again), patient replies that were not understood, calendar conflicts,
rejected credentials. The list is read through the task helper; resolving an item records who
did it. The status bar shows the count (see MainWindow).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.errors import DomainError, Refused
from medbookings_desktop.services import attention
from medbookings_desktop.services.attention import AttentionItem
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex

# the kinds the calendar import raises when one of our events was moved or deleted in Google
# (sync/calendar_sync.py HELD_KINDS): the desk accepts Google's change or keeps its booking
CHANGED_IN_GOOGLE = "calendar_changed"
DELETED_IN_GOOGLE = "calendar_deleted"
GOOGLE_CHANGE_KINDS = frozenset({CHANGED_IN_GOOGLE, DELETED_IN_GOOGLE})
# builds the desk's CalendarSync (reads the keyring): called off the UI thread, once
SyncFactory = Callable[[], Any]


class AttentionModel(QAbstractTableModel):
    """Open items, newest first: when, what about (service), and what happened."""

    HEADERS = ("When", "Service", "What happened")

    def __init__(self, zone: str, locale: QLocale, parent: Any = None) -> None:
        super().__init__(parent)
        self._zone = ZoneInfo(zone)
        self._locale = locale
        self._items: list[AttentionItem] = []
        self._reasons: dict[int, str] = {}

    def set_items(self, items: list[AttentionItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        open_ids = {i.id for i in self._items}
        self._reasons = {k: v for k, v in self._reasons.items() if k in open_ids}
        self.endResetModel()

    def set_reason(self, item_id: int, reason: str | None) -> None:
        """Why the desk's last try on this item was refused, shown under what happened
        until it is dealt with (None forgets it)."""
        if reason:
            self._reasons[item_id] = reason
        else:
            self._reasons.pop(item_id, None)
        for row, item in enumerate(self._items):
            if item.id == item_id:
                index = self.index(row, 2)
                self.dataChanged.emit(index, index)

    def reason(self, item_id: int) -> str | None:
        return self._reasons.get(item_id)

    def item(self, row: int) -> AttentionItem | None:
        return self._items[row] if 0 <= row < len(self._items) else None

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractTableModel.rowCount: a flat table."""
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractTableModel.columnCount."""
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Overrides QAbstractTableModel.headerData: translated column titles."""
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.HEADERS)
        ):
            return self.tr(self.HEADERS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractTableModel.data: text for the columns, the summary as tooltip."""
        item = self.item(index.row()) if index.isValid() else None
        if item is None:
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 0:
                return self._when(item.created_at)
            if role == Qt.ItemDataRole.DisplayRole and index.column() == 1:
                return item.service or self.tr("Desk")
            reason = self._reasons.get(item.id)
            if reason:
                return self.tr("{summary}\n⚠ Not done: {reason}").format(
                    summary=item.summary, reason=reason
                )
            return item.summary
        return None

    def _when(self, at: datetime) -> str:
        local = at.astimezone(self._zone)
        day = self._locale.toString(QDate(local.year, local.month, local.day), "d MMM")
        return f"{day} {local:%H:%M}"


class AttentionPanel(QWidget):
    """Put it in a QDockWidget. `count_changed(n)` after each read; `reload()` on refresh.

    Items about one of our events moved or deleted in Google Calendar get "Accept Google's
    change" (the booking moves, or is cancelled, through the booking service; the patient is
    told as for any change) and "Keep the desk's booking" (the next sync writes the event
    back). `calendar_sync`: a function building the desk's CalendarSync, called once off the
    UI thread (e.g. `lambda: calendar_sync.for_desk(db, desk_settings)`); without it a
    change made in Google cannot be accepted here, only kept. `changed` after a booking was
    moved or cancelled, or an event queued to be written back (reload the calendar, wake the
    engine)."""

    count_changed = Signal(int)
    loaded = Signal()
    changed = Signal()

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        *,
        zone: str,
        locale: QLocale,
        calendar_sync: SyncFactory | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._zone = ZoneInfo(zone)
        self._locale = locale
        self._sync_factory = calendar_sync
        self._sync: Any = None  # the CalendarSync, once built
        self._working = False
        self.setAccessibleName(self.tr("Needs attention"))
        self.model = AttentionModel(zone, locale, self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Items that need a person"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        self.empty = QLabel(self.tr("Nothing needs attention."), self)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.note = QLabel(self)
        self.note.setWordWrap(True)

        self.resolve_button = QPushButton(self.tr("&Mark as dealt with"), self)
        self.resolve_button.setToolTip(
            self.tr("Mark the selected item as dealt with (Delete in the list)")
        )
        self.resolve_button.clicked.connect(self.resolve_selected)  # Delete: see resolve_action
        self.send_again_button = QPushButton(self.tr("Send &again"), self)
        self.send_again_button.setToolTip(self.tr("Queue the failed message again"))
        self.send_again_button.clicked.connect(self.send_again_selected)
        self.accept_button = QPushButton(self.tr("Accept &Google's change"), self)
        self.accept_button.setAccessibleName(self.tr("Accept Google's change"))
        self.accept_button.clicked.connect(self.accept_selected)
        self.keep_button = QPushButton(self.tr("&Keep the desk's booking"), self)
        self.keep_button.setAccessibleName(self.tr("Keep the desk's booking"))
        self.keep_button.setToolTip(
            self.tr(
                "Leave the booking as it is here; the next sync puts the event back in "
                "Google Calendar as the desk has it (K)"
            )
        )
        self.keep_button.clicked.connect(self.keep_selected)
        # the same in the table's context menu, and A / K while the list has the focus
        self.accept_action = self._action(
            self.tr("Accept Google's change"), "A", self.accept_selected
        )
        self.keep_action = self._action(self.tr("Keep the desk's booking"), "K", self.keep_selected)
        self.send_again_action = self._action(self.tr("Send again"), "", self.send_again_selected)
        self.resolve_action = self._action(
            self.tr("Mark as dealt with"), "Delete", self.resolve_selected
        )
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        buttons = QHBoxLayout()
        buttons.addWidget(self.accept_button)
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.send_again_button)
        buttons.addWidget(self.resolve_button)
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.note)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.model.modelReset.connect(self._update_buttons)
        self._update_buttons()

    def _action(self, text: str, keys: str, slot: Callable[[], None]) -> QAction:
        # the keys act only while the list has the focus (Delete also cancels a booking
        # on the calendar, and letters act on the calendar's selected tile)
        action = QAction(text, self.table)
        if keys:
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        action.triggered.connect(slot)
        self.table.addAction(action)
        return action

    def set_calendar_sync(self, factory: SyncFactory | None) -> None:
        """The function building the desk's CalendarSync (see the class); None: Google is
        not set up on this desk."""
        self._sync_factory = factory
        self._sync = None
        self._update_buttons()

    def selected(self) -> AttentionItem | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.item(rows[0].row()) if rows else None

    def reload(self) -> None:
        ctx = self._ctx
        self._tasks.run(lambda: attention.list_open(ctx), self._show, self._failed)

    def _show(self, items: list[AttentionItem]) -> None:
        self.model.set_items(items)
        self.table.resizeRowsToContents()  # summaries wrap onto as many lines as they need
        self.empty.setVisible(not items)
        self.table.setVisible(bool(items))
        self.count_changed.emit(len(items))
        self.loaded.emit()

    def _failed(self, exc: BaseException) -> None:
        self.note.setText(
            exc.message
            if isinstance(exc, DomainError)
            else self.tr("Could not read the list: {error}").format(error=exc)
        )

    def _update_buttons(self, *_: Any) -> None:
        item = self.selected()
        google = item is not None and is_google_change(item)
        idle = not self._working
        # marking a Google change dealt with would quietly keep the desk's booking: the two
        # buttons say which it is instead
        self.resolve_button.setEnabled(item is not None and not google and idle)
        self.resolve_action.setEnabled(self.resolve_button.isEnabled())
        self.send_again_button.setEnabled(item is not None and item.outbox_id is not None and idle)
        self.send_again_action.setEnabled(self.send_again_button.isEnabled())
        self.send_again_action.setVisible(item is not None and item.outbox_id is not None)
        for widget in (self.accept_button, self.keep_button):
            widget.setVisible(google)
        self.accept_action.setVisible(google)
        self.keep_action.setVisible(google)
        can_accept = google and idle and self._sync_factory is not None
        self.accept_button.setEnabled(can_accept)
        self.accept_action.setEnabled(can_accept)
        self.keep_button.setEnabled(google and idle)
        self.keep_action.setEnabled(google and idle)
        if self._sync_factory is None:
            self.accept_button.setToolTip(
                self.tr("Google Calendar is not set up on this desk: the change can only be kept")
            )
        elif item is not None and item.kind == DELETED_IN_GOOGLE:
            self.accept_button.setToolTip(
                self.tr("Cancel the booking (deleted in Google Calendar); the patient is told (A)")
            )
        else:
            self.accept_button.setToolTip(
                self.tr("Move the booking to the event's time in Google; the patient is told (A)")
            )

    def resolve_selected(self) -> None:
        item = self.selected()
        if item is not None:
            ctx, item_id = self._ctx, item.id
            self._act(lambda: attention.resolve(ctx, item_id), self.tr("Marked as dealt with."))

    def send_again_selected(self) -> None:
        item = self.selected()
        if item is not None and item.outbox_id is not None:
            ctx, item_id = self._ctx, item.id
            self._act(lambda: attention.send_again(ctx, item_id), self.tr("Queued again."))

    def _act(self, job: Any, done: str) -> None:
        def finished(_: object) -> None:
            self.note.setText(done)
            self.reload()

        self._tasks.run(job, finished, self._failed, write=True)

    # -- a change made in Google Calendar: accept it or keep the desk's booking -------------------

    def accept_selected(self) -> None:
        """Move (or cancel) the booking as Google has it, through the booking service, on the
        task helper; refused (a clash, outside hours…): the item stays, with the reason."""
        item = self.selected()
        if item is None or not is_google_change(item) or item.appointment_id is None:
            return
        factory = self._sync_factory
        if factory is None or self._working:
            return
        ctx, appointment_id, item_id, sync = self._ctx, item.appointment_id, item.id, self._sync
        no_google = self.tr("Google Calendar is not set up on this desk.")

        def job() -> tuple[Any, str, datetime]:
            from medbookings_desktop.sync.calendar_sync import accept_outside_change

            built = sync if sync is not None else factory()
            google = getattr(getattr(built, "config", None), "google", None)
            if built is None or not getattr(google, "configured", False):
                raise Refused(no_google)
            done = accept_outside_change(built, ctx, appointment_id)
            with ctx.read() as uow:
                start = uow.appointments.get(appointment_id).start
            return built, done, start

        def finished(result: tuple[Any, str, datetime]) -> None:
            self._sync, done, start = result
            self.model.set_reason(item_id, None)
            if done == "moved":
                text = self.tr(
                    "Accepted: appointment #{id} moved to {when}; the patient will be told."
                ).format(id=appointment_id, when=self._at(start))
            elif done == "cancelled":
                text = self.tr(
                    "Accepted: appointment #{id} cancelled (deleted in Google Calendar); the "
                    "patient will be told."
                ).format(id=appointment_id)
            else:
                text = self.tr(
                    "Appointment #{id} already matches Google Calendar: nothing to change."
                ).format(id=appointment_id)
            self._finish(text)

        self._start(job, finished, item_id)

    def keep_selected(self) -> None:
        """Keep the booking as the desk has it: the item resolves and the next sync writes
        the event back to Google Calendar."""
        item = self.selected()
        if item is None or not is_google_change(item) or item.appointment_id is None:
            return
        if self._working:
            return
        ctx, appointment_id, item_id = self._ctx, item.appointment_id, item.id

        def job() -> int:
            from medbookings_desktop.sync.calendar_sync import revert_outside_change

            return revert_outside_change(ctx, appointment_id)

        def finished(_: object) -> None:
            self.model.set_reason(item_id, None)
            self._finish(
                self.tr(
                    "Kept the desk's booking: appointment #{id} goes back into Google Calendar "
                    "at the next sync."
                ).format(id=appointment_id)
            )

        self._start(job, finished, item_id)

    def _start(self, job: Callable[[], Any], finished: Callable[[Any], None], item_id: int) -> None:
        self._working = True
        self._update_buttons()
        self.note.setText(self.tr("Working…"))

        def failed(exc: BaseException) -> None:
            self._working = False
            message = _message(exc)
            if isinstance(exc, DomainError) or hasattr(exc, "message"):
                # the service's own reason: the item stays open and says why
                self.model.set_reason(item_id, message)
                self.table.resizeRowsToContents()
            self.note.setText(self.tr("Not done: {reason}").format(reason=message))
            self._update_buttons()
            self.reload()

        self._tasks.run(job, finished, failed, write=True)

    def _finish(self, text: str) -> None:
        self._working = False
        self.note.setText(text)
        self._update_buttons()
        self.changed.emit()
        self.reload()

    def _at(self, at: datetime) -> str:
        local = at.astimezone(self._zone)
        day = self._locale.toString(QDate(local.year, local.month, local.day), "ddd d MMM")
        return f"{day} {local:%H:%M}"


def is_google_change(item: AttentionItem) -> bool:
    """An item about one of our events moved or deleted in Google Calendar."""
    return item.kind in GOOGLE_CHANGE_KINDS and item.appointment_id is not None


def _message(exc: BaseException) -> str:
    """A domain error's (or a Google error's) own words; otherwise the error's text."""
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) and message else str(exc)
