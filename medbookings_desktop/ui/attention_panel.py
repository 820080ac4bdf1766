""" "Needs attention": what the background engine could not settle alone, each with its action.

Failed messages (send again), patient replies that were not understood, calendar conflicts,
rejected credentials. The list is read through the task helper; resolving an item records who
did it. The status bar shows the count (see MainWindow).
"""

from __future__ import annotations

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
from PySide6.QtGui import QKeySequence
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

from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.services import attention
from medbookings_desktop.services.attention import AttentionItem
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex


class AttentionModel(QAbstractTableModel):
    """Open items, newest first: when, what about (service), and what happened."""

    HEADERS = ("When", "Service", "What happened")

    def __init__(self, zone: str, locale: QLocale, parent: Any = None) -> None:
        super().__init__(parent)
        self._zone = ZoneInfo(zone)
        self._locale = locale
        self._items: list[AttentionItem] = []

    def set_items(self, items: list[AttentionItem]) -> None:
        self.beginResetModel()
        self._items = list(items)
        self.endResetModel()

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
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                return self._when(item.created_at)
            if index.column() == 1:
                return item.service or self.tr("Desk")
            return item.summary
        if role == Qt.ItemDataRole.ToolTipRole:
            return item.summary
        return None

    def _when(self, at: datetime) -> str:
        local = at.astimezone(self._zone)
        day = self._locale.toString(QDate(local.year, local.month, local.day), "d MMM")
        return f"{day} {local:%H:%M}"


class AttentionPanel(QWidget):
    """Put it in a QDockWidget. `count_changed(n)` after each read; `reload()` on refresh."""

    count_changed = Signal(int)
    loaded = Signal()

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        *,
        zone: str,
        locale: QLocale,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
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
        self.resolve_button.setShortcut(QKeySequence(Qt.Key.Key_Delete))
        self.resolve_button.setToolTip(self.tr("Mark the selected item as dealt with (Delete)"))
        self.resolve_button.clicked.connect(self.resolve_selected)
        self.send_again_button = QPushButton(self.tr("Send &again"), self)
        self.send_again_button.setToolTip(self.tr("Queue the failed message again"))
        self.send_again_button.clicked.connect(self.send_again_selected)
        buttons = QHBoxLayout()
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
        self.resolve_button.setEnabled(item is not None)
        self.send_again_button.setEnabled(item is not None and item.outbox_id is not None)

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
