"""The walk-in queue for a dock: who is waiting, for what, and for how long (in minutes).

Enter books the selected patient into the earliest free slot today, Delete marks that they
left; "New walk-in…" opens the booking dialog's walk-in mode. `booked(Outcome)` asks the
window to reload the day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QLocale,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTime,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
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

from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.domain.walk_ins import WaitingLine
from medbookings_desktop.services import walk_ins
from medbookings_desktop.services.booking import Outcome
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.tasks import TaskRunner

if TYPE_CHECKING:
    # imported when the queue is first read or a walk-in booked: the panel is built before
    # the window's first paint, and the booking dialog (and its patient picker) need not be
    from medbookings_desktop.ui.booking_dialog import BookingDialog

_Index = QModelIndex | QPersistentModelIndex
MINUTE_MS = 60_000


class WaitingModel(QAbstractTableModel):
    """The waiting entries in order of arrival; reloads insert and remove rows, never reset."""

    PATIENT, FOR, WAITING, ARRIVED = range(4)

    def __init__(
        self, clinic: ClinicSettings, now: datetime, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.zone = ZoneInfo(clinic.zone)
        self.locale = QLocale(clinic.locale)
        self._now = now
        self._rows: list[WaitingLine] = []
        self._headers = (
            self.tr("Patient"),
            self.tr("For"),
            self.tr("Waiting"),
            self.tr("Arrived"),
        )

    def line(self, row: int) -> WaitingLine | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def set_now(self, now: datetime) -> None:
        """The minutes move on: only the waiting column changes."""
        self._now = now
        if self._rows:
            self.dataChanged.emit(
                self.index(0, self.WAITING),
                self.index(len(self._rows) - 1, self.WAITING),
                [Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole],
            )

    def set_lines(self, lines: list[WaitingLine], now: datetime) -> None:
        """Take the new queue: rows gone are removed, new arrivals inserted where they fall."""
        self._now = now
        keep = {line.entry.id for line in lines}
        for row in range(len(self._rows) - 1, -1, -1):
            if self._rows[row].entry.id not in keep:
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self.endRemoveRows()
        for row, line in enumerate(lines):
            if row < len(self._rows) and self._rows[row].entry.id == line.entry.id:
                self._rows[row] = line
                continue
            self.beginInsertRows(QModelIndex(), row, row)
            self._rows.insert(row, line)
            self.endInsertRows()
        if len(self._rows) > len(lines):  # entries that changed order: drop the surplus
            self.beginRemoveRows(QModelIndex(), len(lines), len(self._rows) - 1)
            del self._rows[len(lines) :]
            self.endRemoveRows()
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, self.ARRIVED))

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractTableModel.rowCount: one row per waiting patient."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractTableModel.columnCount."""
        return 0 if parent.isValid() else len(self._headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Overrides QAbstractTableModel.headerData: the column names."""
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(self._headers)
        ):
            return self._headers[section]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractTableModel.data: who, for what, minutes waited, arrival."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        line = self._rows[index.row()]
        col = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if col == self.PATIENT:
                return line.patient_name
            if col == self.FOR:
                what = line.service_name or self.tr("Not chosen yet")
                return f"{what} · {line.provider_name}" if line.provider_name else what
            if col == self.WAITING:
                minutes = line.entry.waited_minutes(self._now)
                return self.tr("%n min", "", minutes)
            if col == self.ARRIVED:
                at = line.entry.arrived_at.astimezone(self.zone)
                return self.locale.toString(
                    QTime(at.hour, at.minute), QLocale.FormatType.ShortFormat
                )
        if role == Qt.ItemDataRole.ToolTipRole:  # a narrow dock elides the names
            return " — ".join(x for x in (line.patient_name, line.entry.note) if x)
        if role == Qt.ItemDataRole.TextAlignmentRole and col == self.WAITING:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


class WalkInPanel(QWidget):
    """Put it in a QDockWidget. `booked(Outcome)` after a walk-in got an appointment;
    `changed()` after the queue changed from this desk. Call `reload()` on live refresh."""

    booked = Signal(object)
    changed = Signal()
    refused = Signal(str)
    loaded = Signal(int)

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        clinic: ClinicSettings,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._clinic = clinic
        self._busy = False
        self.summary = ""  # the last booking made here, for the window's banner
        self.setAccessibleName(self.tr("Walk-in queue"))

        self.model = WaitingModel(clinic, ctx.now(), self)
        self.table = QTableView(self)
        self.table.setAccessibleName(self.tr("Patients waiting"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(WaitingModel.PATIENT, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.setWordWrap(False)
        self.table.setMinimumWidth(self.fontMetrics().horizontalAdvance("M") * 28)
        self.table.installEventFilter(self)
        self.table.doubleClicked.connect(lambda _: self.take_selected())

        self.empty = QLabel(self.tr("Nobody is waiting. New walk-in: Ctrl+Shift+N."), self)
        self.empty.setAccessibleName(self.tr("Walk-in queue state"))
        self.empty.setWordWrap(True)
        self.problem = QLabel(self)
        self.problem.setAccessibleName(self.tr("Why it was refused"))
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setWordWrap(True)
        self.problem.hide()

        self.new_button = QPushButton(self.tr("New walk-in…"), self)
        self.new_button.setAccessibleName(self.tr("New walk-in"))
        self.new_button.setToolTip(self.tr("Book a walk-in or add them to the queue"))
        self.new_button.clicked.connect(self.new_walk_in)
        self.take_button = QPushButton(self.tr("Book now"), self)
        self.take_button.setAccessibleName(self.tr("Book the selected patient now"))
        self.take_button.setToolTip(self.tr("The earliest free slot today (Enter)"))
        self.take_button.clicked.connect(self.take_selected)
        self.left_button = QPushButton(self.tr("Patient left"), self)
        self.left_button.setAccessibleName(self.tr("The selected patient left"))
        self.left_button.setToolTip(self.tr("Take them off the queue (Delete)"))
        self.left_button.clicked.connect(self.left_selected)

        buttons = QHBoxLayout()
        for b in (self.new_button, self.take_button, self.left_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)

        self.minute_timer = QTimer(self)
        self.minute_timer.setInterval(MINUTE_MS)
        self.minute_timer.timeout.connect(self.tick)
        self.minute_timer.start()
        self.model.rowsInserted.connect(self._update_state)
        self.model.rowsRemoved.connect(self._update_state)
        self._update_state()
        self.reload()

    def _update_state(self) -> None:
        waiting = self.model.rowCount() > 0
        self.empty.setVisible(not waiting)
        self.take_button.setEnabled(waiting and not self._busy)
        self.left_button.setEnabled(waiting and not self._busy)

    def tick(self) -> None:
        """Each minute: the waiting times move on, without asking the database."""
        self.model.set_now(self._ctx.now())

    def reload(self) -> None:
        ctx = self._ctx
        _run_for(
            self,
            self._tasks,
            lambda: (walk_ins.waiting(ctx), ctx.now()),
            self._loaded,
            self._load_failed,
        )

    def _loaded(self, answer: tuple[list[WaitingLine], datetime]) -> None:
        lines, now = answer
        self.model.set_lines(lines, now)
        if lines and not self.table.currentIndex().isValid():
            self.table.selectRow(0)
        self._update_state()
        self.loaded.emit(len(lines))

    def _load_failed(self, exc: BaseException) -> None:
        self.problem.setText(exc.message if isinstance(exc, DomainError) else str(exc))
        self.problem.show()

    def _failed(self, exc: BaseException) -> None:
        self._busy = False
        self._update_state()
        message = exc.message if isinstance(exc, DomainError) else str(exc)
        self.problem.setText(message)
        self.problem.show()
        self.refused.emit(message)
        self.reload()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Overrides QObject.eventFilter: Enter books the selected patient, Delete: left."""
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.take_selected()
                return True
            if event.key() == Qt.Key.Key_Delete:
                self.left_selected()
                return True
        return super().eventFilter(watched, event)

    def selected(self) -> WaitingLine | None:
        return self.model.line(self.table.currentIndex().row())

    def take_selected(self) -> None:
        line = self.selected()
        if line is None or line.entry.id is None or self._busy:
            return
        ctx, walk_in_id = self._ctx, line.entry.id
        self._start()
        _run_for(
            self,
            self._tasks,
            lambda: walk_ins.take_from_queue(ctx, walk_in_id),
            lambda outcome: self._taken(line, outcome),
            self._failed,
            write=True,
        )

    def left_selected(self) -> None:
        line = self.selected()
        if line is None or line.entry.id is None or self._busy:
            return
        ctx, walk_in_id = self._ctx, line.entry.id
        self._start()
        _run_for(
            self,
            self._tasks,
            lambda: walk_ins.patient_left(ctx, walk_in_id),
            self._closed,
            self._failed,
            write=True,
        )

    def _start(self) -> None:
        self._busy = True
        self.problem.hide()
        self._update_state()

    def _taken(self, line: WaitingLine, outcome: Outcome) -> None:
        start = outcome.appointment.start.astimezone(self.model.zone)
        when = self.model.locale.toString(
            QTime(start.hour, start.minute), QLocale.FormatType.ShortFormat
        )
        self.summary = self.tr("Booked {patient} from the walk-in queue at {time}").format(
            patient=line.patient_name, time=when
        )
        self._booked(outcome, self.summary)

    def _booked(self, outcome: Outcome, summary: str = "") -> None:
        self._busy = False
        self.summary = summary
        self.booked.emit(outcome)
        self.changed.emit()
        self.reload()

    def _closed(self, _: object) -> None:
        self._busy = False
        self.changed.emit()
        self.reload()

    def new_walk_in(self) -> BookingDialog:
        """The booking dialog's walk-in mode; opens without blocking the desk."""
        from medbookings_desktop.ui.booking_dialog import BookingDialog

        dialog = BookingDialog.walk_in(self._ctx, self._tasks, self._clinic, self.window())
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.booked.connect(lambda outcome: self._booked(outcome, dialog.summary))
        dialog.queued.connect(lambda _: self._closed(None))
        dialog.open()
        return dialog


def _run_for(
    widget: QObject,
    tasks: TaskRunner,
    fn: Callable[[], Any],
    on_done: Callable[[Any], None],
    on_error: Callable[[BaseException], None],
    *,
    write: bool = False,
) -> int:
    """patient_picker.run_for, that module loaded on first use (after the first paint)."""
    from medbookings_desktop.ui.patient_picker import run_for

    return run_for(widget, tasks, fn, on_done, on_error, write=write)
