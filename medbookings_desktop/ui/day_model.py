"""The day's appointments as a table: one column per provider, that provider's tiles down it.

Row r of column c is the r-th appointment (by start) of provider c; cells past a provider's
last appointment hold nothing. Each column also carries its provider's hours for the day
(working periods, breaks, time off, busy blocks) for the view to shade. Loading runs on the
task helper; the model is only ever changed on the UI thread, when a load's result arrives.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from enum import IntEnum
from types import MappingProxyType
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)

from medbookings_desktop.domain.appointments import UPCOMING_STATUSES, Status
from medbookings_desktop.services import agenda, setup
from medbookings_desktop.services.agenda import AgendaLine, ProviderHours
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.calendar_filters import ColourBy, Filters
from medbookings_desktop.ui.tasks import TaskRunner

Index = QModelIndex | QPersistentModelIndex


class Role(IntEnum):
    LINE = Qt.ItemDataRole.UserRole + 1  # the AgendaLine
    APPOINTMENT_ID = Qt.ItemDataRole.UserRole + 2
    STATUS = Qt.ItemDataRole.UserRole + 3  # domain Status
    START = Qt.ItemDataRole.UserRole + 4  # aware datetime in the clinic's zone
    END = Qt.ItemDataRole.UserRole + 5
    PROVIDER_COLOUR = Qt.ItemDataRole.UserRole + 6  # "#rrggbb"
    TILE_COLOUR = Qt.ItemDataRole.UserRole + 7  # the provider's or the service's, as chosen


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


# NamedTuples rather than frozen dataclasses: a tenth of the cost to define at start-up
class Column(NamedTuple):
    """A provider on a day: the day view has one per provider, the week view one per day."""

    provider_id: int
    name: str
    colour: str
    on: date = date.min
    location_ids: frozenset[int] = frozenset()
    service_ids: frozenset[int] = frozenset()


class DayData(NamedTuple):
    on: date
    columns: tuple[Column, ...]
    lines: tuple[AgendaLine, ...]
    hours: Mapping[int, ProviderHours] = MappingProxyType({})
    service_colours: Mapping[int, str] = MappingProxyType({})


def load_day(ctx: Context, on: date) -> DayData:
    """Runs on a pool thread: the active providers, every line of the day (cancelled too),
    and each provider's hours, breaks, time off and busy blocks."""
    providers = setup.active_providers(ctx)
    lines = agenda.day(ctx, on, include_cancelled=True)
    columns = [
        Column(p.id, p.display_name, p.colour, on, p.location_ids, p.service_ids)
        for p in providers
        if p.id is not None
    ]
    shown = {c.provider_id for c in columns}
    # a provider made inactive still keeps the appointments already booked today
    for line in lines:
        pid = line.appointment.provider_id
        if pid not in shown:
            shown.add(pid)
            columns.append(Column(pid, line.provider_name, "#808080", on))
    hours = agenda.hours_between(ctx, on, on, provider_ids=sorted(shown))
    return DayData(on, tuple(columns), tuple(by_start(lines)), hours, service_colours(ctx))


def service_colours(ctx: Context) -> dict[int, str]:
    return {s.id: s.colour for s in setup.all_services(ctx) if s.id is not None}


def by_start(lines: list[AgendaLine]) -> list[AgendaLine]:
    return sorted(lines, key=lambda ln: (ln.appointment.start, ln.appointment.id or 0))


class CalendarModel(QAbstractTableModel):
    """Columns of tiles over `DayData`; `loaded` is emitted on the UI thread once data is in.

    A reload that keeps the same columns changes the model in place (rows added or removed at
    the bottom, tiles moved with their persistent indexes, dataChanged for changed tiles), so
    the view keeps its selection and scroll position; new columns reset it.
    """

    loaded = Signal()
    failed = Signal(str)

    def __init__(self, ctx: Context, tasks: TaskRunner, zone: str, parent: Any = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.zone = ZoneInfo(zone)
        self._data = DayData(date.min, (), ())
        self._show_cancelled = False
        self._filters = Filters()
        self._colour_by = ColourBy.PROVIDER
        self._columns: tuple[Column, ...] = ()  # the columns the filters leave
        self._cells: list[list[AgendaLine]] = []
        self._rows = 0
        self._latest = 0  # the newest load asked for; older results are dropped
        # the days either side of the one shown, read ahead so that stepping shows at once
        self._ahead: dict[date, tuple[float, DayData]] = {}
        self._ahead_generation = 0
        self._after_paint: Callable[[], None] | None = None  # see load() and painted()
        # when what is shown was read, and under which generation of what was read ahead
        self._read_at = (0.0, -1)
        # moves on whenever what the view lays out may have changed (tiles, their times, columns)
        self._version = 0

    @property
    def version(self) -> int:
        """A number that changes with every change to the tiles or the columns: a view keeps
        its layout while it stays the same."""
        return self._version

    # -- loading (subclasses say what to fetch) ----------------------------------------------

    def _fetcher(self) -> Callable[[Context, date], DayData]:
        """The pure function that reads a day's data on a pool thread."""
        raise NotImplementedError

    def _column_key(self, column: Column) -> Any:
        return column.provider_id

    def _line_key(self, line: AgendaLine) -> Any:
        return line.appointment.provider_id

    # how far a step goes (a day, or a week), for reading the neighbours ahead
    STEP = timedelta(days=1)
    AHEAD_FRESH_S = 60.0

    def load(self, on: date) -> None:
        """Read `on` in the background; the model changes when the result arrives. A day read
        ahead shows at once, and is read again behind it in case it changed meanwhile."""
        self._latest += 1
        self._after_paint = None  # a read behind a day no longer asked for: not needed
        request, ctx, fetch = self._latest, self._ctx, self._fetcher()  # values, not the model

        def read() -> None:
            self._tasks.run(
                lambda: fetch(ctx, on),
                lambda data: self._apply(request, data),
                lambda exc: self._failed(request, exc),
            )

        shown, (read_at, generation) = self._data, self._read_at
        if shown.on not in (date.min, on) and generation == self._ahead_generation:
            # the day left is a neighbour of the one asked for, and already read
            self._ahead[shown.on] = (read_at, shown)
        ahead = self._ahead.pop(on, None)
        if ahead is not None and time.monotonic() - ahead[0] < self.AHEAD_FRESH_S:
            self._read_at = (ahead[0], self._ahead_generation)
            self._show(ahead[1])
            # read again once the day is painted (the view says so), so that the read does
            # not compete with the paint; a moment later if no view paints it
            self._after_paint = read
            QTimer.singleShot(self.READ_BEHIND_MS, self, self.painted)
            self.loaded.emit()
            return
        read()

    # at the latest this long after a day read ahead is shown, it is read again
    READ_BEHIND_MS = 100

    def painted(self) -> None:
        """The view has painted what the model shows: a read waiting for that starts."""
        job, self._after_paint = self._after_paint, None
        if job is not None:
            job()

    def show_first(self, data: DayData) -> None:
        """Show a day read elsewhere (the desk's quick start reads the first one without
        SQLAlchemy) while its `load` is under way: that load's result then updates it in place."""
        self._show(data)
        self.loaded.emit()

    def reload(self) -> None:
        """Read the shown day again; changes come in place, keeping selection and scroll."""
        self.forget_ahead()  # something changed: what was read ahead may be out of date
        if self._data.on != date.min:
            self.load(self._data.on)

    def forget_ahead(self) -> None:
        self._ahead.clear()
        self._ahead_generation += 1

    def _apply(self, request: int, data: DayData) -> None:
        if request != self._latest:
            return
        self._read_at = (time.monotonic(), self._ahead_generation)
        self._show(data)
        self._read_ahead(data.on)  # asked before `loaded`, whose receivers may close the desk
        self.loaded.emit()

    def _read_ahead(self, on: date) -> None:
        """The previous and next step, on the pool, kept for the next Alt+Left / Alt+Right."""
        ctx, fetch, generation = self._ctx, self._fetcher(), self._ahead_generation
        wanted = {on - self.STEP, on + self.STEP}
        for stale in set(self._ahead) - wanted:
            del self._ahead[stale]
        for neighbour in wanted - set(self._ahead):

            def read(day: date = neighbour) -> DayData:
                return fetch(ctx, day)

            def keep(data: DayData, day: date = neighbour) -> None:
                if generation == self._ahead_generation:
                    self._ahead[day] = (time.monotonic(), data)

            self._tasks.run(read, keep, lambda _exc: None)

    def _failed(self, request: int, exc: BaseException) -> None:
        if request == self._latest:
            self.failed.emit(getattr(exc, "message", None) or str(exc))

    def _show(self, data: DayData) -> None:
        columns = self._filtered_columns(data)
        cells = self._group(data, columns)
        self._version += 1
        if data.on != self._data.on or columns != self._columns:
            self.beginResetModel()
            self._data, self._columns, self._cells = data, columns, cells
            self._rows = max((len(c) for c in cells), default=0)
            self.endResetModel()
            return
        self._update_in_place(data, cells)

    def _update_in_place(self, data: DayData, cells: list[list[AgendaLine]]) -> None:
        old_cells = self._cells
        old_ids = [[ln.appointment.id for ln in col] for col in old_cells]
        new_ids = [[ln.appointment.id for ln in col] for col in cells]
        rows = max((len(c) for c in cells), default=0)
        self._data = data
        if old_ids != new_ids:
            if rows > self._rows:
                # empty cells first: the tiles then move into them
                self.beginInsertRows(QModelIndex(), self._rows, rows - 1)
                self._rows = rows
                self.endInsertRows()
            where = {
                ln.appointment.id: (r, c) for c, col in enumerate(cells) for r, ln in enumerate(col)
            }
            self.layoutAboutToBeChanged.emit()
            for old in self.persistentIndexList():
                line = self._at(old_cells, old.row(), old.column())
                if line is None:
                    continue
                found = where.get(line.appointment.id)
                self.changePersistentIndex(
                    old, self.index(*found) if found is not None else QModelIndex()
                )
            self._cells = cells
            self.layoutChanged.emit()
            if rows < self._rows:
                self.beginRemoveRows(QModelIndex(), rows, self._rows - 1)
                self._rows = rows
                self.endRemoveRows()
        else:
            self._cells = cells
        before = {ln.appointment.id: ln for col in old_cells for ln in col}
        for c, col in enumerate(cells):
            for r, line in enumerate(col):
                if before.get(line.appointment.id) != line:
                    index = self.index(r, c)
                    self.dataChanged.emit(index, index)

    @staticmethod
    def _at(cells: list[list[AgendaLine]], row: int, column: int) -> AgendaLine | None:
        if 0 <= column < len(cells) and 0 <= row < len(cells[column]):
            return cells[column][row]
        return None

    def _filtered_columns(self, data: DayData) -> tuple[Column, ...]:
        f = self._filters
        if not f.active:
            return data.columns
        booked: dict[Any, list[AgendaLine]] = {}
        for line in data.lines:
            booked.setdefault(self._line_key(line), []).append(line)

        def keep(column: Column) -> bool:
            if f.provider_id is not None and column.provider_id != f.provider_id:
                return False
            mine = booked.get(self._column_key(column), [])
            if (
                f.location_id is not None
                and f.location_id not in column.location_ids
                and not any(ln.appointment.location_id == f.location_id for ln in mine)
            ):
                return False
            if f.service_id is not None and f.service_id not in column.service_ids:
                return any(ln.appointment.service_id == f.service_id for ln in mine)
            return True

        return tuple(c for c in data.columns if keep(c))

    def _shows(self, line: AgendaLine) -> bool:
        appt, f = line.appointment, self._filters
        if appt.status is Status.CANCELLED and not self._show_cancelled:
            return False
        if f.location_id is not None and not appt.online and appt.location_id != f.location_id:
            return False
        return f.service_id is None or appt.service_id == f.service_id

    def _group(self, data: DayData, columns: tuple[Column, ...]) -> list[list[AgendaLine]]:
        col_of = {self._column_key(c): i for i, c in enumerate(columns)}
        cells: list[list[AgendaLine]] = [[] for _ in columns]
        for line in data.lines:
            c = col_of.get(self._line_key(line))
            if c is not None and self._shows(line):
                cells[c].append(line)
        return cells

    # -- what is shown ----------------------------------------------------------------------

    @property
    def day(self) -> date:
        return self._data.on

    @property
    def show_cancelled(self) -> bool:
        return self._show_cancelled

    def set_show_cancelled(self, show: bool) -> None:
        if show != self._show_cancelled:
            self._show_cancelled = show
            self._show(self._data)

    @property
    def filters(self) -> Filters:
        return self._filters

    def set_filters(self, filters: Filters) -> None:
        if filters != self._filters:
            self._filters = filters
            self._show(self._data)

    @property
    def colour_by(self) -> ColourBy:
        return self._colour_by

    def set_colour_by(self, colour_by: ColourBy) -> None:
        if colour_by != self._colour_by:
            self._colour_by = colour_by
            if self._rows and self._columns:
                self.dataChanged.emit(
                    self.index(0, 0),
                    self.index(self._rows - 1, len(self._columns) - 1),
                    [Role.TILE_COLOUR],
                )

    # -- what the view asks -----------------------------------------------------------------

    def columns(self) -> tuple[Column, ...]:
        return self._columns

    def column_day(self, column: int) -> date:
        """The local date a column shows (every column of the day view: the day)."""
        return self._data.on

    def hours_for(self, column: int) -> ProviderHours | None:
        """The column's provider's working periods, breaks, time off and busy blocks."""
        if not 0 <= column < len(self._columns):
            return None
        return self._data.hours.get(self._columns[column].provider_id)

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
        return self._at(self._cells, index.row(), index.column())

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.zone)

    def tile_colour(self, line: AgendaLine, column: int) -> str:
        if self._colour_by is ColourBy.SERVICE:
            return self._data.service_colours.get(line.appointment.service_id, "#808080")
        return self._columns[column].colour

    # -- QAbstractTableModel ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.rowCount: the longest column."""
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.columnCount: one per column the filters leave."""
        return 0 if parent.isValid() else len(self._columns)

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
            return self._columns[index.column()].colour
        if role == Role.TILE_COLOUR:
            return self.tile_colour(line, index.column())
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Overrides QAbstractItemModel.flags: only cells holding an appointment select;
        booked and confirmed ones (which can still move) drag."""
        line = self.line(index)
        if line is None:
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if line.appointment.status in UPCOMING_STATUSES:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Overrides QAbstractItemModel.headerData: the column's name and the day's count."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._columns):
            return None
        column = self._columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return self.column_title(section)
        if role == Qt.ItemDataRole.ToolTipRole:
            return appointments_text(self.count(section))
        if role == Role.PROVIDER_COLOUR:
            return column.colour
        return None

    def column_title(self, column: int) -> str:
        return self._columns[column].name

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


class DayModel(CalendarModel):
    """One column per provider on one day."""

    def _fetcher(self) -> Callable[[Context, date], DayData]:
        return load_day
