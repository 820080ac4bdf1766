"""The day's appointments as a table: one column per provider, that provider's tiles down it.

Row r of column c is the r-th appointment (by start) of provider c; cells past a provider's
last appointment hold nothing. Loading runs on the task helper; the model is only ever
changed on the UI thread, when a load's result arrives.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import IntEnum
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from medbookings_desktop.domain.appointments import Status
from medbookings_desktop.services import agenda, setup
from medbookings_desktop.services.agenda import AgendaLine
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    LINE = Qt.ItemDataRole.UserRole + 1  # the AgendaLine
    APPOINTMENT_ID = Qt.ItemDataRole.UserRole + 2
    STATUS = Qt.ItemDataRole.UserRole + 3  # domain Status
    START = Qt.ItemDataRole.UserRole + 4  # aware datetime in the clinic's zone
    END = Qt.ItemDataRole.UserRole + 5
    PROVIDER_COLOUR = Qt.ItemDataRole.UserRole + 6  # "#rrggbb"


def status_word(status: Status) -> str:
    """The status as a receptionist says it (colour is never the only sign)."""
    words = {
        Status.BOOKED: QCoreApplication.translate("status", "Booked"),
        Status.CONFIRMED: QCoreApplication.translate("status", "Confirmed"),
        Status.ARRIVED: QCoreApplication.translate("status", "Arrived"),
        Status.IN_PROGRESS: QCoreApplication.translate("status", "In progress"),
        Status.COMPLETED: QCoreApplication.translate("status", "Completed"),
        Status.CANCELLED: QCoreApplication.translate("status", "Cancelled"),
        Status.NO_SHOW: QCoreApplication.translate("status", "No-show"),
    }
    return words[status]


def appointments_text(count: int) -> str:
    if count == 1:
        return QCoreApplication.translate("day", "1 appointment")
    return QCoreApplication.translate("day", "{count} appointments").format(count=count)


@dataclass(frozen=True)
class Column:
    provider_id: int
    name: str
    colour: str


@dataclass(frozen=True)
class DayData:
    on: date
    columns: tuple[Column, ...]
    lines: tuple[AgendaLine, ...]


def load_day(ctx: Context, on: date) -> DayData:
    """Runs on a pool thread: the active providers and every line of the day, cancelled too."""
    providers = setup.active_providers(ctx)
    lines = agenda.day(ctx, on, include_cancelled=True)
    columns = [Column(p.id, p.display_name, p.colour) for p in providers if p.id is not None]
    shown = {c.provider_id for c in columns}
    # a provider made inactive still keeps the appointments already booked today
    for line in lines:
        pid = line.appointment.provider_id
        if pid not in shown:
            shown.add(pid)
            columns.append(Column(pid, line.provider_name, "#808080"))
    ordered = sorted(lines, key=lambda ln: (ln.appointment.start, ln.appointment.id or 0))
    return DayData(on, tuple(columns), tuple(ordered))


class DayModel(QAbstractTableModel):
    """Provider columns; `loaded` is emitted on the UI thread once a day's data is in."""

    loaded = Signal()
    failed = Signal(str)

    def __init__(self, ctx: Context, tasks: TaskRunner, zone: str, parent: Any = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.zone = ZoneInfo(zone)
        self._data = DayData(date.min, (), ())
        self._show_cancelled = False
        self._cells: list[list[AgendaLine]] = []
        self._latest = 0  # the newest load asked for; older results are dropped

    # -- loading ----------------------------------------------------------------------------

    def load(self, on: date) -> None:
        """Read `on` in the background; the model changes when the result arrives."""
        self._latest += 1
        request, ctx = self._latest, self._ctx  # the job gets values, never the model
        self._tasks.run(
            lambda: load_day(ctx, on),
            lambda data: self._apply(request, data),
            lambda exc: self._failed(request, exc),
        )

    def reload(self) -> None:
        self.load(self._data.on)

    def _apply(self, request: int, data: DayData) -> None:
        if request != self._latest:
            return
        self.beginResetModel()
        self._data = data
        self._regroup()
        self.endResetModel()
        self.loaded.emit()

    def _failed(self, request: int, exc: BaseException) -> None:
        if request == self._latest:
            self.failed.emit(getattr(exc, "message", None) or str(exc))

    @property
    def day(self) -> date:
        return self._data.on

    @property
    def show_cancelled(self) -> bool:
        return self._show_cancelled

    def set_show_cancelled(self, show: bool) -> None:
        if show == self._show_cancelled:
            return
        self.beginResetModel()
        self._show_cancelled = show
        self._regroup()
        self.endResetModel()

    def _regroup(self) -> None:
        col_of = {c.provider_id: i for i, c in enumerate(self._data.columns)}
        self._cells = [[] for _ in self._data.columns]
        for line in self._data.lines:
            if line.appointment.status is Status.CANCELLED and not self._show_cancelled:
                continue
            self._cells[col_of[line.appointment.provider_id]].append(line)

    # -- what the view asks -----------------------------------------------------------------

    def columns(self) -> tuple[Column, ...]:
        return self._data.columns

    def lines_in(self, column: int) -> list[AgendaLine]:
        return self._cells[column]

    def find(self, appointment_id: int) -> QModelIndex:
        for c, lines in enumerate(self._cells):
            for r, line in enumerate(lines):
                if line.appointment.id == appointment_id:
                    return self.index(r, c)
        return QModelIndex()

    def line(self, index: Index) -> AgendaLine | None:
        if not index.isValid():
            return None
        cells = self._cells[index.column()]
        return cells[index.row()] if index.row() < len(cells) else None

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    # -- QAbstractTableModel ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.rowCount: the longest provider column."""
        if parent.isValid():
            return 0
        return max((len(c) for c in self._cells), default=0)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.columnCount: one per provider."""
        return 0 if parent.isValid() else len(self._data.columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractItemModel.data: the tile's text and the raw line for painting."""
        line = self.line(index)
        if line is None:
            return None
        appt = line.appointment
        if role == Qt.ItemDataRole.DisplayRole:
            return line.patient_name
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return self.describe(line)
        if role == Role.LINE:
            return line
        if role == Role.APPOINTMENT_ID:
            return appt.id
        if role == Role.STATUS:
            return appt.status
        if role == Role.START:
            return self.local(appt.start)
        if role == Role.END:
            return self.local(appt.end)
        if role == Role.PROVIDER_COLOUR:
            return self._data.columns[index.column()].colour
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Overrides QAbstractItemModel.flags: only cells holding an appointment select."""
        if self.line(index) is None:
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Overrides QAbstractItemModel.headerData: provider name and the day's count."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._cells):
            return None
        column = self._data.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.name
        if role == Qt.ItemDataRole.ToolTipRole:
            return appointments_text(self.count(section))
        if role == Role.PROVIDER_COLOUR:
            return column.colour
        return None

    def count(self, column: int) -> int:
        """Appointments that hold the provider's time (cancelled ones do not count)."""
        return sum(1 for ln in self._cells[column] if ln.appointment.status is not Status.CANCELLED)

    def describe(self, line: AgendaLine) -> str:
        start = self.local(line.appointment.start)
        end = self.local(line.appointment.end)
        zone = "" if line.zone == self.zone.key else f" ({line.zone})"
        return self.tr("{name}\n{start}–{end}{zone} · {status}\n{service} with {provider}").format(
            name=line.patient_name,
            start=start.strftime("%H:%M"),
            end=end.strftime("%H:%M"),
            zone=zone,
            status=status_word(line.appointment.status),
            service=line.service_name,
            provider=line.provider_name,
        )
