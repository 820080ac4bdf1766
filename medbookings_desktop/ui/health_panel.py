"""The health panel: per vendor, its last success, error rate over the last hour, the queue
waiting and its oldest message; and `EngineSignals`, which turns the engine runner's state
callback (called on the engine's thread) into queued Qt signals for the status bar.

The figures come from `services.health` on a TaskRunner pool thread, never the UI thread.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QDateTime,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTime,
    QTimer,
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

from medbookings_desktop.services import alerts, health
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex
REFRESH_MS = 30_000
# `refresh_soon` (a change was written somewhere) reads at most this often: the engine sending
# a day's reminders commits many times a second
SOON_MS = 2_000


class EngineSignals(QObject):
    """Pass `relay` as the Runner's `on_state`; connect to the signals on the UI thread.

    `stateChanged(str)`: stopped, idle, running, error, not_configured.
    `passFinished(object)`: the RunReport of a pass (ids and counts only).
    """

    stateChanged = Signal(str)
    passFinished = Signal(object)

    def relay(self, state: Any, report: Any = None) -> None:
        """Called on the engine's thread: emitting queues the call to the receivers' thread."""
        self.stateChanged.emit(str(state.value if hasattr(state, "value") else state))
        if report is not None:
            self.passFinished.emit(report)


class HealthModel(QAbstractTableModel):
    """One row per service; columns as HEADERS. Holds the last figures it was given."""

    COLUMNS = ("service", "state", "last_success", "errors", "queue", "oldest")

    def __init__(self, zone: str = "UTC", parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[health.ServiceHealth] = []
        self._zone = ZoneInfo(zone)
        self._now = datetime.now(UTC)

    def _headers(self) -> tuple[str, ...]:
        return (
            self.tr("Service"),
            self.tr("State"),
            self.tr("Last success"),
            self.tr("Errors (last hour)"),
            self.tr("Waiting"),
            self.tr("Oldest waiting since"),
        )

    def set_rows(self, rows: list[health.ServiceHealth], now: datetime) -> None:
        """Replace the figures; same services in the same order only signal changed cells."""
        self._now = now
        same = [r.service for r in rows] == [r.service for r in self._rows]
        if same:
            self._rows = list(rows)
            if rows:
                self.dataChanged.emit(
                    self.index(0, 0), self.index(len(rows) - 1, len(self.COLUMNS) - 1)
                )
            return
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, n: int) -> health.ServiceHealth:
        return self._rows[n]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.rowCount: a flat table."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.columnCount."""
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Overrides QAbstractItemModel.headerData: column titles."""
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self.COLUMNS)
        ):
            return self._headers()[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractItemModel.data: display text and tooltips."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        r = self._rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(r, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == "state" and r.last_error:
            return self.tr("Last error: {error}").format(error=r.last_error)
        return None

    def _state_text(self, r: health.ServiceHealth) -> str:
        return {
            "ok": self.tr("Working"),
            "idle": self.tr("No calls in the last hour"),
            "degraded": self.tr("Some calls fail"),
            "failing": self.tr("Failing"),
            "paused": self.tr("Paused: credentials rejected"),
        }.get(r.state, r.state)

    def _when(self, value: datetime | None) -> str:
        if value is None:
            return self.tr("never")
        local = value.astimezone(self._zone)
        day = QDate(local.year, local.month, local.day)
        clock = QTime(local.hour, local.minute)
        locale = QLocale()
        if local.date() == self._now.astimezone(self._zone).date():
            return locale.toString(clock, "HH:mm")
        return locale.toString(QDateTime(day, clock), "d MMM HH:mm")

    def _text(self, r: health.ServiceHealth, column: str) -> str:
        if column == "service":
            return r.name
        if column == "state":
            return self._state_text(r)
        if column == "last_success":
            return self._when(r.last_success)
        if column == "errors":
            if not r.calls_last_hour:
                return "–"
            return self.tr("{errors} of {calls} ({rate:.0%})").format(
                errors=r.errors_last_hour, calls=r.calls_last_hour, rate=r.error_rate
            )
        if column == "queue":
            return str(r.queue_depth)
        return "–" if r.oldest_pending is None else self._when(r.oldest_pending)


class HealthPanel(QWidget):
    """The vendors' health, refreshed every 30 s and on F5; `refreshed` after each load.

    `alerts_changed(list[Alert])` after each load: what `services.alerts` makes of the same
    figures (read on the same pool thread), for the alert banner and the tray.
    """

    refreshed = Signal()
    alerts_changed = Signal(list)

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        *,
        zone: str = "UTC",
        parent: QWidget | None = None,
        auto_refresh: bool = True,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tasks = tasks
        self.model = HealthModel(zone, self)
        self.setAccessibleName(self.tr("Service health"))

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Health of each service"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.status = QLabel(self)
        self.status.setAccessibleName(self.tr("Health panel status"))
        self.refresh_button = QPushButton(self.tr("&Refresh"), self)
        self.refresh_button.setAccessibleName(self.tr("Refresh service health"))
        self.refresh_button.setShortcut(QKeySequence(QKeySequence.StandardKey.Refresh))
        self.refresh_button.setToolTip(self.tr("Read the figures again (F5)"))
        self.refresh_button.clicked.connect(self.refresh)

        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(bottom)

        self._loading = False
        self._again = False  # asked while reading: the figures may miss a change, read again
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        if auto_refresh:
            self.timer.start()
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(SOON_MS)
        self._soon.timeout.connect(self.refresh)

    def refresh_soon(self) -> None:
        """Read again within SOON_MS; calls meanwhile add nothing (for live refresh)."""
        if not self._soon.isActive():
            self._soon.start()

    def refresh(self) -> None:
        if self._loading:
            self._again = True
            return
        self._loading = True
        self._again = False
        self.status.setText(self.tr("Reading…"))
        ctx = self.ctx

        def read() -> tuple[list[health.ServiceHealth], datetime, list[alerts.Alert]]:
            rows = health.services(ctx)
            return rows, ctx.now(), alerts.current(ctx, rows)

        self.tasks.run(read, self._show, self._failed)

    def _show(
        self, result: tuple[list[health.ServiceHealth], datetime, list[alerts.Alert]]
    ) -> None:
        self._loading = False
        rows, now, found = result
        self.model.set_rows(rows, now)
        self.status.setText("")
        self.refreshed.emit()
        self.alerts_changed.emit(found)
        if self._again:
            self.refresh()

    def _failed(self, exc: BaseException) -> None:
        self._loading = False
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        self.status.setText(self.tr("Cannot read the figures: {error}").format(error=message))
        self.refreshed.emit()
        if self._again:
            self.refresh()
