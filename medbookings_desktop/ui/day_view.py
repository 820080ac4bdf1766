"""The day calendar: paints a calendar model's tiles on a time grid (no widget per appointment).

Time runs down the left in the clinic's zone, one column per provider (or per day, in the
week view). The header row and the time gutter stay put while the grid scrolls under them.
Each column shades what its provider does not work: outside hours greyed, breaks and busy
calendar entries hatched with their label, time off shaded and labelled. Colours come from the
platform palette, so a dark theme stays readable; status colours are the same in both and
always come with a word.

A tile that can still move is dragged to another time or column: a ghost shows where it
would land, snapped to the clinic's slot grid, and the drop asks for the move with
`move_requested`; the tile itself stays put until the database says the move happened.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

from PySide6.QtCore import QEvent, QLine, QModelIndex, QPoint, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QApplication, QToolTip, QWidget

from medbookings_desktop.domain.appointments import Status
from medbookings_desktop.domain.wall_clock import resolve_wall_time
from medbookings_desktop.services.agenda import AgendaLine, Block
from medbookings_desktop.ui.day_model import CalendarModel, appointments_text, status_word

STATUS_COLOURS: dict[Status, str] = {
    Status.BOOKED: "#3b82f6",
    Status.CONFIRMED: "#0ea5a4",
    Status.ARRIVED: "#f59e0b",
    Status.IN_PROGRESS: "#a855f7",
    Status.COMPLETED: "#22c55e",
    Status.NO_SHOW: "#ef4444",
    Status.CANCELLED: "#9ca3af",
}
NOW_COLOUR = "#e11d48"
BUSY_COLOUR = "#2563eb"  # Google busy entries: a blue hatch, never mistaken for a tile
DAY_START_HOUR = 7  # shown even when the first appointment is later
DAY_END_HOUR = 19
MIN_COLUMN_WIDTH = 170


# what painting keeps: NamedTuples rather than frozen dataclasses, a tenth of the cost to
# define at start-up
class Shade(NamedTuple):
    """One shaded span of a column, as painted: `kind` is outside, break, time_off or busy."""

    kind: str
    rect: QRect
    label: str


class _Drag(NamedTuple):
    """A tile being dragged: replaced as the pointer moves (a record, built on the first drag)."""

    appointment_id: int
    line: AgendaLine
    from_column: int
    grab_dy: int  # where in the tile it was taken, so the tile's top follows the pointer
    column: int = -1
    start: datetime | None = None  # the snapped target, clinic zone


def _fill(painter: QPainter, rect: QRect, fill: QColor | QBrush) -> None:
    """What painter.fillRect(rect, fill) paints, the same pixels: PySide also tries fillRect's
    (rect, gradient preset) overload for a colour or a brush, which builds QGradient's enums
    (a millisecond of the first paint). The painter's pen and brush are left as they were."""
    pen, brush = painter.pen(), painter.brush()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(fill)
    painter.drawRect(rect)
    painter.setPen(pen)
    painter.setBrush(brush)


class DayView(QAbstractItemView):
    """A QAbstractItemView over a CalendarModel: columns on a quarter-hour grid."""

    # appointment id, target provider id, target start (aware): a drop or Ctrl+Up/Down
    move_requested = Signal(int, int, object)
    # the local date of a double-clicked column (the week view opens that day)
    day_activated = Signal(object)

    def __init__(self, now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        # a viewport made here, not by Qt: the first viewport() call then finds its wrapper
        # instead of resolving a new QWidget's type (PySide6 builds every QWidget subclass
        # and their enums for that, a tenth of start-up)
        self.setViewport(QWidget())
        self._now = now
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAccessibleName(self.tr("Day calendar"))
        self._first_hour = DAY_START_HOUR
        self._last_hour = DAY_END_HOUR
        self._lanes: dict[tuple[int, int], tuple[int, int]] = {}
        self._grid = timedelta(minutes=15)
        self._font_metrics: tuple[int, int] | None = None
        # each column's tiles' rectangles on the unscrolled grid, laid out when first asked
        self._tile_rects: dict[int, list[QRect]] | None = None
        self._shades: dict[int, list[Shade]] | None = None  # on the unscrolled grid
        # what painting a tile or a column's header needs, kept while the layout holds
        self._looks: dict[tuple[int, int], _TileLook] = {}
        self._headers: list[_HeaderLook] | None = None
        self._fonts: _Fonts | None = None
        # the model and its version the layout was made for (a load asks twice: reset, loaded)
        self._laid_out: tuple[Any, int] | None = None
        self._press: tuple[QModelIndex, QPoint, int] | None = None
        self._drag: _Drag | None = None
        # the now-line moves; a repaint a minute is all it costs
        self._tick = QTimer(self)
        self._tick.setInterval(60_000)
        self._tick.timeout.connect(self.viewport().update)
        self._tick.start()
        # a drag held near an edge scrolls the grid under it
        self._edge_scroll = QTimer(self)
        self._edge_scroll.setInterval(40)
        self._edge_scroll.timeout.connect(self._scroll_at_edge)
        self._drag_pos = QPoint()

    # -- model ----------------------------------------------------------------------------------

    def setModel(self, model: Any) -> None:
        """Overrides QAbstractItemView.setModel: tiles moved in place re-lay the columns."""
        super().setModel(model)
        if isinstance(model, CalendarModel):
            # once per load (times may change in place), and when tiles change rows
            model.layoutChanged.connect(self._relayout)
            model.loaded.connect(self._relayout)

    def _relayout(self, *_: Any) -> None:
        model = self.day_model()
        laid_out = (model, model.version) if model is not None else None
        if laid_out is not None and self._laid_out == laid_out:
            return  # already laid out for these tiles (a model reset, then its `loaded`)
        self._laid_out = laid_out
        self._fit_hours()
        self._lanes = self._layout_lanes()
        self._forget_layout()
        self.updateGeometries()
        self.viewport().update()

    def _forget_layout(self) -> None:
        """Tiles' rectangles, shades and what painting keeps: after a change of tiles, size,
        font or palette."""
        self._tile_rects = self._shades = self._headers = None
        self._looks = {}

    def dataChanged(
        self,
        top_left: QModelIndex | Any,
        bottom_right: QModelIndex | Any,
        roles: Sequence[int] = (),
    ) -> None:
        """Overrides QAbstractItemView.dataChanged: a tile's colour, status or text changed."""
        self._looks = {}
        self._headers = None
        super().dataChanged(top_left, bottom_right, list(roles))

    def set_slot_grid(self, grid: timedelta) -> None:
        """The clinic's slot grid: where a dragged tile snaps and what Ctrl+Up/Down steps."""
        self._grid = grid

    # -- geometry -----------------------------------------------------------------------------

    def day_model(self) -> CalendarModel | None:
        model = self.model()
        return model if isinstance(model, CalendarModel) else None

    def _metrics(self) -> tuple[int, int]:
        """Line height and gutter width, kept until the font changes (painting asks often)."""
        if self._font_metrics is None:
            fm = QFontMetrics(self.font())
            self._font_metrics = (fm.height(), fm.horizontalAdvance("00:00") + 16)
        return self._font_metrics

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange):
            self._font_metrics = self._fonts = None
            self._forget_layout()
            self.updateGeometries()
        elif event.type() == QEvent.Type.PaletteChange:
            self._forget_layout()
        super().changeEvent(event)

    def _painting_fonts(self) -> _Fonts:
        if self._fonts is None:
            self._fonts = _Fonts.of(self.font())
        return self._fonts

    def _line_height(self) -> int:
        return self._metrics()[0]

    def _px_per_minute(self) -> float:
        # a quarter hour holds a name and a time
        return (self._line_height() * 2 + 10) / 15

    def _header_height(self) -> int:
        return self._line_height() * 2 + 10

    def _gutter_width(self) -> int:
        return self._metrics()[1]

    def _column_width(self) -> int:
        model = self.day_model()
        n = max(1, model.columnCount() if model else 1)
        free = self.viewport().width() - self._gutter_width()
        return max(self._min_column_width(), free // n)

    def _min_column_width(self) -> int:
        return MIN_COLUMN_WIDTH

    def _content_size(self) -> QSize:
        model = self.day_model()
        n = model.columnCount() if model else 0
        minutes = (self._last_hour - self._first_hour) * 60
        return QSize(
            self._gutter_width() + n * self._column_width(),
            self._header_height() + round(minutes * self._px_per_minute()) + 1,
        )

    def _column_day(self, column: int) -> date:
        model = self.day_model()
        if model is None:
            return date.min
        if 0 <= column < model.columnCount():
            return model.column_day(column)
        return model.day

    def _y_for(self, local: datetime, on: date | None = None) -> int:
        """The y of a clinic-zone time on the grid of local date `on` (the shown day)."""
        day = self._shown_day() if on is None else on
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        # wall-clock minutes, so a DST day still lines up with its hour labels
        minutes = (local.replace(tzinfo=UTC) - midnight).total_seconds() / 60
        offset = minutes - self._first_hour * 60
        return self._header_height() + round(offset * self._px_per_minute()) - self._vscroll()

    def _x_for(self, column: int) -> int:
        return self._gutter_width() + column * self._column_width() - self._hscroll()

    def _grid_bottom(self) -> int:
        minutes = (self._last_hour - self._first_hour) * 60
        return self._header_height() + round(minutes * self._px_per_minute()) - self._vscroll()

    def _vscroll(self) -> int:
        return self.verticalScrollBar().value()

    def _hscroll(self) -> int:
        return self.horizontalScrollBar().value()

    def _shown_day(self) -> date:
        model = self.day_model()
        return model.day if model else date.min

    def _fit_hours(self) -> None:
        """Widen the grid to the earliest and latest appointment or working period."""
        model = self.day_model()
        first, last = DAY_START_HOUR, DAY_END_HOUR
        if model is not None:
            for c in range(model.columnCount()):
                day = model.column_day(c)
                spans = [(ln.appointment.start, ln.appointment.end) for ln in model.lines_in(c)]
                hours = model.hours_for(c)
                if hours is not None:
                    spans += [(iv.start, iv.end) for iv in hours.working]
                for start_utc, end_utc in spans:
                    start, end = model.local(start_utc), model.local(end_utc)
                    if end.date() < day or start.date() > day:
                        continue  # another day of the week's hours
                    first = min(first, start.hour if start.date() == day else 0)
                    last_hour = end.hour + (1 if end.minute else 0)
                    last = max(last, 24 if end.date() > day else last_hour)
        self._first_hour, self._last_hour = first, min(24, last)

    def _layout_lanes(self) -> dict[tuple[int, int], tuple[int, int]]:
        """Tiles that overlap (a cancelled one under its rebooking) share a column side by side."""
        model = self.day_model()
        lanes: dict[tuple[int, int], tuple[int, int]] = {}
        if model is None:
            return lanes
        for column in range(model.columnCount()):
            cluster: list[tuple[int, int]] = []  # (row, lane) of the overlapping run
            ends: list[datetime] = []  # each lane's latest end in the run
            for row, line in enumerate(model.lines_in(column)):
                appt = line.appointment
                if ends and appt.start >= max(ends):
                    for r, lane in cluster:
                        lanes[(r, column)] = (lane, len(ends))
                    cluster, ends = [], []
                free = next((i for i, end in enumerate(ends) if end <= appt.start), None)
                if free is None:
                    ends.append(appt.end)
                    free = len(ends) - 1
                else:
                    ends[free] = appt.end
                cluster.append((row, free))
            for r, lane in cluster:
                lanes[(r, column)] = (lane, len(ends))
        return lanes

    def updateGeometries(self) -> None:
        """Overrides QAbstractItemView.updateGeometries: scroll ranges from the grid size."""
        size = self._content_size()
        view = self.viewport().size()
        vbar, hbar = self.verticalScrollBar(), self.horizontalScrollBar()
        vbar.setPageStep(view.height())
        vbar.setSingleStep(self._line_height())
        vbar.setRange(0, max(0, size.height() - view.height()))
        hbar.setPageStep(view.width())
        hbar.setSingleStep(self._column_width() // 4)
        hbar.setRange(0, max(0, size.width() - view.width()))
        super().updateGeometries()

    def reset(self) -> None:
        """Overrides QAbstractItemView.reset: a new day (or filter) refits the hours."""
        super().reset()
        self._press = self._drag = None
        self._edge_scroll.stop()
        self._relayout()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._forget_layout()  # column widths follow the width
        self.updateGeometries()

    def scroll_to_time(self, local: datetime) -> None:
        """Put `local` about a third of the way down the grid."""
        bar = self.verticalScrollBar()
        y = self._y_for(local, local.date()) + self._vscroll() - self._header_height()
        bar.setValue(max(0, y - self.viewport().height() // 3))

    def y_of(self, local: datetime) -> int:
        """Where a clinic-zone time of the shown day is on the viewport (for tests and tools)."""
        return self._y_for(local, local.date())

    def column_rect(self, column: int) -> QRect:
        """A column's grid area (below the header) on the viewport."""
        top = self._header_height()
        return QRect(
            self._x_for(column), top, self._column_width(), max(0, self._grid_bottom() - top)
        )

    # -- QAbstractItemView ----------------------------------------------------------------------

    def visualRect(self, index: QModelIndex | Any) -> QRect:
        """Overrides QAbstractItemView.visualRect: the tile's rectangle in the viewport."""
        if not index.isValid():
            return QRect()
        rects = self._column_rects(index.column())
        if not 0 <= index.row() < len(rects):
            return QRect()
        return rects[index.row()].translated(-self._hscroll(), -self._vscroll())

    def _column_rects(self, column: int) -> list[QRect]:
        """A column's tiles' rectangles by row, on the unscrolled grid (kept until tiles, size
        or font change)."""
        if self._tile_rects is None:
            self._tile_rects = {}
        found = self._tile_rects.get(column)
        if found is None:
            found = self._tile_rects[column] = self._lay_out_column(column)
        return found

    def _lay_out_column(self, column: int) -> list[QRect]:
        model = self.day_model()
        if model is None or not 0 <= column < model.columnCount():
            return []
        width = self._column_width() - 4
        header, ppm, first = self._header_height(), self._px_per_minute(), self._first_hour * 60
        zone = model.zone
        on = model.column_day(column)
        midnight = datetime(on.year, on.month, on.day, tzinfo=UTC)
        left = self._gutter_width() + column * self._column_width() + 2

        def y(instant: datetime) -> int:
            # as _y_for, unscrolled: wall-clock minutes of the column's day
            wall = instant.astimezone(zone).replace(tzinfo=UTC)
            return header + round(((wall - midnight).total_seconds() / 60 - first) * ppm)

        rects = []
        for row, line in enumerate(model.lines_in(column)):
            top = y(line.appointment.start)
            bottom = y(line.appointment.end)
            lane, lanes = self._lanes.get((row, column), (0, 1))
            lane_width = width // lanes
            rects.append(
                QRect(left + lane * lane_width, top + 1, lane_width - 1, max(bottom - top - 2, 6))
            )
        return rects

    def column_at(self, point: QPoint) -> int:
        """The column under a viewport point, or -1."""
        model = self.day_model()
        if model is None or point.x() < self._gutter_width():
            return -1
        column = (point.x() - self._gutter_width() + self._hscroll()) // self._column_width()
        return column if 0 <= column < model.columnCount() else -1

    def indexAt(self, point: QPoint) -> QModelIndex:
        """Overrides QAbstractItemView.indexAt: the topmost tile under the point."""
        model = self.day_model()
        column = self.column_at(point)
        if model is None or point.y() < self._header_height() or column < 0:
            return QModelIndex()
        found = QModelIndex()
        for row in range(len(model.lines_in(column))):
            index = model.index(row, column)
            if self.visualRect(index).contains(point):
                found = index  # later tiles paint on top
        return found

    def scrollTo(
        self,
        index: QModelIndex | Any,
        hint: QAbstractItemView.ScrollHint = 0,  # type: ignore[assignment]
    ) -> None:
        """Overrides QAbstractItemView.scrollTo: bring the tile into view."""
        rect = self.visualRect(index)
        if rect.isNull():
            return
        vbar, hbar = self.verticalScrollBar(), self.horizontalScrollBar()
        if rect.top() < self._header_height():
            vbar.setValue(vbar.value() + rect.top() - self._header_height())
        elif rect.bottom() > self.viewport().height():
            vbar.setValue(vbar.value() + rect.bottom() - self.viewport().height())
        if rect.left() < self._gutter_width():
            hbar.setValue(hbar.value() + rect.left() - self._gutter_width())
        elif rect.right() > self.viewport().width():
            hbar.setValue(hbar.value() + rect.right() - self.viewport().width())

    def moveCursor(
        self, action: QAbstractItemView.CursorAction, modifiers: Qt.KeyboardModifier
    ) -> QModelIndex:
        """Overrides QAbstractItemView.moveCursor: Up/Down within a column, Left/Right across."""
        model = self.day_model()
        current = self.currentIndex()
        if model is None or model.columnCount() == 0:
            return QModelIndex()
        if not current.isValid():
            return self._first_in(0, 1)
        row, col = current.row(), current.column()
        act = QAbstractItemView.CursorAction
        if action in (act.MoveUp, act.MovePrevious) and row > 0:
            return model.index(row - 1, col)
        if action in (act.MoveDown, act.MoveNext) and row + 1 < len(model.lines_in(col)):
            return model.index(row + 1, col)
        if action == act.MoveLeft:
            return self._first_in(col - 1, -1, near=current) or current
        if action == act.MoveRight:
            return self._first_in(col + 1, 1, near=current) or current
        return current

    def _first_in(self, col: int, step: int, near: QModelIndex | None = None) -> QModelIndex:
        """The tile in the first non-empty column from `col` on, nearest in time to `near`."""
        model = self.day_model()
        assert model is not None
        while 0 <= col < model.columnCount():
            lines = model.lines_in(col)
            if lines:
                if near is None or not near.isValid():
                    return model.index(0, col)
                at = model.line(near)
                assert at is not None
                best = min(
                    range(len(lines)),
                    key=lambda r: abs(
                        _time_of_day(model.local(lines[r].appointment.start))
                        - _time_of_day(model.local(at.appointment.start))
                    ),
                )
                return model.index(best, col)
            col += step
        return QModelIndex()

    def horizontalOffset(self) -> int:
        return self._hscroll()

    def verticalOffset(self) -> int:
        return self._vscroll()

    def isIndexHidden(self, index: QModelIndex | Any) -> bool:
        model = self.day_model()
        return model is None or model.line(index) is None

    def setSelection(self, rect: QRect, command: Any) -> None:
        """Overrides QAbstractItemView.setSelection: select the tile under the rectangle."""
        index = self.indexAt(rect.center())
        if index.isValid():
            self.selectionModel().select(index, command)
        else:
            self.selectionModel().clearSelection()

    def visualRegionForSelection(self, selection: Any) -> QRegion:
        region = QRegion()
        for index in selection.indexes():
            region += self.visualRect(index)
        return region

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self._drag is not None and event.key() == Qt.Key.Key_Escape:
            self.cancel_drag()
            return
        ctrl_only = event.modifiers() == Qt.KeyboardModifier.ControlModifier
        if ctrl_only and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            # the keyboard's drag: one slot-grid step earlier or later
            self.nudge(-1 if event.key() == Qt.Key.Key_Up else 1)
            return
        # letters are status shortcuts on the window's actions, never keyboard search
        if event.text().isalpha() and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier:
            event.ignore()
            return
        super().keyPressEvent(event)

    def nudge(self, steps: int) -> None:
        """Ask to move the selected tile `steps` slot-grid steps later (earlier if negative)."""
        model = self.day_model()
        index = self.currentIndex()
        line = model.line(index) if model else None
        if model is None or line is None or not self.selectionModel().isSelected(index):
            return
        if not model.flags(index) & Qt.ItemFlag.ItemIsDragEnabled:
            return
        appt = line.appointment
        start = model.local(appt.start)
        wall = start.replace(tzinfo=None) + self._grid * steps
        target = resolve_wall_time(wall.date(), wall.time(), model.zone).astimezone(model.zone)
        self.move_requested.emit(appt.id or -1, appt.provider_id, target)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.indexAt(event.pos())
            model = self.day_model()
            shade = self.shade_at(event.pos()) if not index.isValid() else None
            if model is not None and self._corner().contains(event.pos()):
                text = self.tr("Times in {zone}").format(zone=model.zone.key)
                QToolTip.showText(event.globalPos(), text)
            elif index.isValid() and model is not None:
                QToolTip.showText(event.globalPos(), model.data(index, Qt.ItemDataRole.ToolTipRole))
            elif shade is not None and shade.label:
                QToolTip.showText(event.globalPos(), shade.label)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    # -- drag and drop ----------------------------------------------------------------------------

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)
        self._press = None
        model = self.day_model()
        index = self.indexAt(event.position().toPoint())
        if (
            model is not None
            and event.button() == Qt.MouseButton.LeftButton
            and index.isValid()
            and model.flags(index) & Qt.ItemFlag.ItemIsDragEnabled
        ):
            pos = event.position().toPoint()
            self._press = (index, pos, pos.y() - self.visualRect(index).top())

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if self._press is not None and event.buttons() & Qt.MouseButton.LeftButton:
            index, start, grab_dy = self._press
            if self._drag is None:
                if (pos - start).manhattanLength() < QApplication.startDragDistance():
                    return
                model = self.day_model()
                line = model.line(index) if model else None
                if line is None or line.appointment.id is None:
                    self._press = None
                    return
                self._drag = _Drag(line.appointment.id, line, index.column(), grab_dy)
                self._edge_scroll.start()
            self._drag_pos = pos
            self._update_drag(pos)
            return
        super().mouseMoveEvent(event)

    def _scroll_at_edge(self) -> None:
        """While dragging near an edge of the grid, scroll towards it and follow the ghost."""
        if self._drag is None:
            self._edge_scroll.stop()
            return
        pos, margin = self._drag_pos, self._line_height() * 2
        area = self.viewport().rect().adjusted(self._gutter_width(), self._header_height(), 0, 0)
        dy = -1 if pos.y() < area.top() + margin else 1 if pos.y() > area.bottom() - margin else 0
        dx = -1 if pos.x() < area.left() + margin else 1 if pos.x() > area.right() - margin else 0
        if dx or dy:
            vbar, hbar = self.verticalScrollBar(), self.horizontalScrollBar()
            vbar.setValue(vbar.value() + dy * self._line_height())
            hbar.setValue(hbar.value() + dx * self._column_width() // 8)
            self._update_drag(pos)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        if self._drag is None:
            super().mouseReleaseEvent(event)
            return
        self._update_drag(event.position().toPoint())
        drag, self._drag = self._drag, None
        self._edge_scroll.stop()
        self.viewport().update()
        model = self.day_model()
        if model is None or drag.column < 0 or drag.start is None:
            return
        provider_id = model.columns()[drag.column].provider_id
        appt = drag.line.appointment
        if drag.start == model.local(appt.start) and provider_id == appt.provider_id:
            return  # dropped where it was
        self.move_requested.emit(drag.appointment_id, provider_id, drag.start)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        column = self.column_at(event.position().toPoint())
        if column >= 0 and not self.indexAt(event.position().toPoint()).isValid():
            self.day_activated.emit(self._column_day(column))
            return
        super().mouseDoubleClickEvent(event)

    def cancel_drag(self) -> None:
        self._press = self._drag = None
        self._edge_scroll.stop()
        self.viewport().update()

    def dragging(self) -> bool:
        return self._drag is not None

    def drop_target(self) -> tuple[int, datetime] | None:
        """While dragging: the column and the snapped clinic-zone start the ghost shows."""
        if self._drag is None or self._drag.column < 0 or self._drag.start is None:
            return None
        return self._drag.column, self._drag.start

    def _update_drag(self, pos: QPoint) -> None:
        drag, model = self._drag, self.day_model()
        if drag is None or model is None:
            return
        column = self.column_at(pos)
        if column < 0:
            column = drag.column if drag.column >= 0 else drag.from_column
        on = model.column_day(column)
        top = pos.y() - drag.grab_dy
        minutes = (top - self._header_height() + self._vscroll()) / self._px_per_minute()
        minutes += self._first_hour * 60
        grid = max(1, int(self._grid.total_seconds() // 60))
        snapped = round(minutes / grid) * grid
        length = drag.line.appointment.end - drag.line.appointment.start
        latest = 24 * 60 - max(grid, int(length.total_seconds() // 60))
        snapped = max(0, min(snapped, latest))
        wall = time(snapped // 60, snapped % 60)
        start = resolve_wall_time(on, wall, model.zone).astimezone(model.zone)
        self._drag = drag._replace(column=column, start=start)
        self.viewport().update()

    # -- hours ------------------------------------------------------------------------------------

    def shades(self, column: int) -> list[Shade]:
        """What column `column` shades, as painted: outside hours, breaks, time off, busy."""
        h, v = -self._hscroll(), -self._vscroll()
        return [Shade(s.kind, s.rect.translated(h, v), s.label) for s in self._grid_shades(column)]

    def _grid_shades(self, column: int) -> list[Shade]:
        """Column `column`'s shades on the unscrolled grid, kept like the tiles' rectangles."""
        if self._shades is None:
            self._shades = {}
        found = self._shades.get(column)
        if found is None:
            found = self._shades[column] = self._column_shades(column)
        return found

    def _column_shades(self, column: int) -> list[Shade]:
        model = self.day_model()
        if model is None or not 0 <= column < model.columnCount():
            return []
        header, ppm, first = self._header_height(), self._px_per_minute(), self._first_hour * 60
        left, width = self._gutter_width() + column * self._column_width(), self._column_width()
        grid_bottom = header + round((self._last_hour * 60 - first) * ppm)
        on = model.column_day(column)
        zone = model.zone
        lo = resolve_wall_time(on, time(0), zone)
        hi = resolve_wall_time(on + timedelta(days=1), time(0), zone, is_end=True)
        midnight = datetime(on.year, on.month, on.day, tzinfo=UTC)
        hours = model.hours_for(column)

        def y(instant: datetime) -> int:
            # as _y_for, unscrolled: wall-clock minutes of the column's day
            wall = instant.astimezone(zone).replace(tzinfo=UTC)
            return header + round(((wall - midnight).total_seconds() / 60 - first) * ppm)

        def rect(start: datetime, end: datetime) -> QRect | None:
            start, end = max(start, lo), min(end, hi)
            if end <= start:
                return None
            top = y(start)
            bottom = y(end) if end < hi else grid_bottom
            return QRect(left, top, width, bottom - top)

        out: list[Shade] = []
        # what is not worked, between the worked periods
        edges = [lo]
        for iv in hours.working if hours else ():
            edges += [iv.start, iv.end]
        edges.append(hi)
        for start, end in zip(edges[::2], edges[1::2], strict=True):
            found = rect(start, end)
            if found is not None:
                out.append(Shade("outside", found, self.tr("Outside working hours")))
        if hours is not None:
            for kind, blocks in (
                ("time_off", hours.time_off),
                ("break", hours.breaks),
                ("busy", hours.busy),
            ):
                out += self._block_shades(kind, blocks, rect)
        return out

    def _block_shades(
        self,
        kind: str,
        blocks: Sequence[Block],
        rect: Callable[[datetime, datetime], QRect | None],
    ) -> list[Shade]:
        out = []
        for block in blocks:
            found = rect(block.start, block.end)
            if found is not None:
                out.append(Shade(kind, found, self._block_label(kind, block)))
        return out

    def _block_label(self, kind: str, block: Block) -> str:
        if kind == "time_off":
            if block.label:
                return self.tr("Time off: {reason}").format(reason=block.label)
            return self.tr("Time off")
        if kind == "break":
            return block.label or self.tr("Break")
        return block.label or self.tr("Busy (Google)")

    def shade_at(self, point: QPoint) -> Shade | None:
        """The topmost shaded span under a viewport point (breaks and busy over outside)."""
        found = None
        for shade in self.shades(self.column_at(point)):
            if shade.rect.contains(point):
                found = shade
        return found

    # -- painting -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        pal = self.palette()
        _fill(painter, self.viewport().rect(), pal.color(QPalette.ColorRole.Base))
        model = self.day_model()
        if model is not None and model.columnCount() == 0 and model.day != date.min:
            self._paint_empty(painter)
        elif model is not None:
            shades = [self._grid_shades(c) for c in self._columns_in_view(model)]
            self._paint_shades(painter, shades, ("outside", "time_off"))
            self._paint_grid(painter, model)
            self._paint_shades(painter, shades, ("break", "busy"))
            self._paint_tiles(painter, model, event.rect())
            self._paint_ghost(painter, model)
            self._paint_now_line(painter, model)
            self._paint_header(painter, model)
        self._paint_gutter(painter)
        if model is not None and model.columnCount():
            self._paint_now_marker(painter, model)
        painter.end()
        if model is not None:
            model.painted()  # what waited for the day to be on screen may start now

    def _columns_in_view(self, model: CalendarModel) -> range:
        """The columns the viewport shows, wholly or in part."""
        width = self._column_width()
        scrolled = self._hscroll()
        first = max(0, scrolled // width)
        last = (scrolled + self.viewport().width() - self._gutter_width()) // width
        return range(first, min(model.columnCount(), last + 1))

    def _paint_shades(
        self, painter: QPainter, shades: list[list[Shade]], kinds: tuple[str, ...]
    ) -> None:
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        mid = pal.color(QPalette.ColorRole.Mid)
        outside = _blend(mid, base, 0.30)
        off = _blend(mid, base, 0.55)
        hatch = QColor(text)
        hatch.setAlphaF(0.30)
        busy = _blend(QColor(BUSY_COLOUR), base, 0.12)
        busy_hatch = QColor(BUSY_COLOUR)
        busy_hatch.setAlphaF(0.45)
        header = self._header_height()
        clip = QRect(
            self._gutter_width(), header, self.viewport().width(), self.viewport().height()
        )
        painter.save()
        painter.setClipRect(clip)
        fonts = self._painting_fonts()
        painter.setFont(fonts.italic)
        metrics = fonts.italic_metrics
        lh = self._line_height()
        h, v = -self._hscroll(), -self._vscroll()
        for column in shades:
            for shade in column:
                if shade.kind not in kinds:
                    continue
                r = shade.rect.translated(h, v)
                if not r.intersects(clip):
                    continue
                if shade.kind == "outside":
                    _fill(painter, r, outside)
                    continue
                r = r.adjusted(1, 0, 0, 0)  # the column's border stays drawn
                if shade.kind == "time_off":
                    _fill(painter, r, off)
                elif shade.kind == "break":
                    _fill(painter, r, _blend(mid, base, 0.15))
                    _fill(painter, r, QBrush(hatch, Qt.BrushStyle.BDiagPattern))
                else:
                    _fill(painter, r, busy)
                    _fill(painter, r, QBrush(busy_hatch, Qt.BrushStyle.FDiagPattern))
                    edge = QColor(BUSY_COLOUR)
                    painter.setPen(QPen(edge, 1, Qt.PenStyle.DashLine))
                    painter.drawRect(r.adjusted(2, 0, -3, -1))
                # the label stays in sight while the block's top is scrolled under the header
                label_top = max(r.top(), header)
                if r.bottom() - label_top + 1 >= lh:
                    label = QRect(r.left() + 6, label_top + 1, r.width() - 12, lh)
                    shown = metrics.elidedText(
                        shade.label, Qt.TextElideMode.ElideRight, label.width()
                    )
                    back = QColor(base)
                    back.setAlphaF(0.85)
                    _fill(
                        painter,
                        QRect(
                            label.left() - 2, label.top(), metrics.horizontalAdvance(shown) + 4, lh
                        ),
                        back,
                    )
                    painter.setPen(text)
                    painter.drawText(label, Qt.AlignmentFlag.AlignLeft, shown)
        painter.restore()

    def _paint_empty(self, painter: QPainter) -> None:
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            self.viewport().rect().adjusted(self._gutter_width() + 20, 20, -20, -20),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self._empty_text(),
        )

    def _empty_text(self) -> str:
        model = self.day_model()
        if model is not None and model.filters.active:
            return self.tr("No provider matches the filters. Choose “Any” to see them all.")
        return self.tr(
            "No providers yet. Add the clinic's providers and hours with "
            "“medbookings setup apply”, or try the demo clinic with “medbookings demo”."
        )

    def _paint_grid(self, painter: QPainter, model: CalendarModel) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        # opaque tints: lines blended over the whole grid cost more than the rest of the paint
        base = pal.color(QPalette.ColorRole.Base)
        strong, faint = _blend(text, base, 0.35), _blend(text, base, 0.10)
        right = min(self._x_for(model.columnCount()), self.viewport().width())
        left = self._gutter_width()
        top, bottom = self._header_height(), self.viewport().height()
        # a line a quarter hour, a strong one on the hour (wall-clock minutes, as _y_for)
        ppm, first, scrolled = self._px_per_minute(), self._first_hour * 60, self._vscroll()
        lines: tuple[list[QLine], list[QLine]] = ([], [])
        for minute in range(first, self._last_hour * 60 + 1, 15):
            y = top + round((minute - first) * ppm) - scrolled
            if 0 <= y < bottom:
                lines[0 if minute % 60 == 0 else 1].append(QLine(left, y, right, y))
        in_view = self._columns_in_view(model)
        for column in range(in_view.start, in_view.stop + 1):
            x = self._x_for(column)
            if left <= x <= right:
                lines[0].append(QLine(x, top, x, bottom))
        painter.setPen(QPen(faint, 1))
        painter.drawLines(lines[1])
        painter.setPen(QPen(strong, 1))
        painter.drawLines(lines[0])

    def _paint_tiles(self, painter: QPainter, model: CalendarModel, exposed: QRect) -> None:
        """The tiles the repaint exposes, each from what was kept of it (its look)."""
        h, v = self._hscroll(), self._vscroll()
        # the grid is laid out unscrolled: paint there, shifted by the scroll
        shown = exposed.translated(h, v).intersected(self.viewport().rect().translated(h, v))
        if shown.isEmpty():
            return
        selection = self.selectionModel()
        selected = {(i.row(), i.column()) for i in selection.selectedIndexes()} if selection else ()
        dragged = self._drag.appointment_id if self._drag is not None else None
        pal = self.palette()
        highlight = QPen(pal.color(QPalette.ColorRole.Highlight), 2)
        text_pen = pal.color(QPalette.ColorRole.Text)
        painter.save()
        painter.translate(-h, -v)
        tiles = (
            ((row, column), rect, lines[row])
            for column in self._columns_in_view(model)
            for lines in (model.lines_in(column),)
            for row, rect in enumerate(self._column_rects(column))
            if rect.intersects(shown)
        )
        for key, rect, line in tiles:
            look = self._looks.get(key)
            if look is None or look.line is not line:
                look = self._looks[key] = self._tile_look(model, key[1], line, rect)
            if look.cancelled:
                painter.setOpacity(0.45)
            elif dragged is not None and dragged == line.appointment.id:
                painter.setOpacity(0.5)  # its ghost shows where it goes
            else:
                painter.setOpacity(1.0)
            _fill(painter, rect, look.fill)
            _fill(painter, look.edge_rect, look.edge)
            if key in selected:
                painter.setPen(highlight)
                painter.drawRect(rect.adjusted(1, 1, -1, -1))
            else:
                painter.setPen(look.border)
                painter.drawRect(rect.adjusted(0, 0, -1, -1))
            painter.setPen(text_pen)
            painter.setClipRect(look.area)
            for font, where, text in look.texts:
                painter.setFont(font)
                painter.drawText(where, Qt.AlignmentFlag.AlignLeft, text)
            painter.setClipping(False)
        painter.restore()

    def _tile_look(
        self, model: CalendarModel, column: int, line: AgendaLine, rect: QRect
    ) -> _TileLook:
        """How a tile paints (colours, its texts elided to fit), kept until the layout, the
        data, the font or the palette change."""
        pal = self.palette()
        status = line.appointment.status
        fill = _blend(
            QColor(model.tile_colour(line, column)), pal.color(QPalette.ColorRole.Base), 0.22
        )
        border = QPen(_blend(pal.color(QPalette.ColorRole.Text), fill, 0.25), 1)  # opaque: faster
        fonts = self._painting_fonts()
        name_font = fonts.struck if status is Status.NO_SHOW else fonts.bold
        name_metrics = fonts.struck_metrics if status is Status.NO_SHOW else fonts.bold_metrics
        area = rect.adjusted(9, 2, -4, -2)
        lh = self._line_height()
        word = status_word(status)
        texts: list[tuple[QFont, QRect, str]] = []
        if area.height() < lh * 2:
            # one line: the name first, the status word after it while it fits
            shown = name_metrics.elidedText(
                f"{line.patient_name} · {word}", Qt.TextElideMode.ElideRight, area.width()
            )
            texts.append((name_font, area, shown))
        else:
            start = model.local(line.appointment.start).strftime("%H:%M")
            end = model.local(line.appointment.end).strftime("%H:%M")
            rows = [
                (name_font, name_metrics, line.patient_name),
                (fonts.plain, fonts.plain_metrics, f"{start}–{end} · {word}"),
                (fonts.plain, fonts.plain_metrics, line.service_name),
            ]
            y = area.top()
            for font, metrics, text in rows:
                if y + lh > area.bottom() + 1:
                    break
                shown = metrics.elidedText(text, Qt.TextElideMode.ElideRight, area.width())
                texts.append((font, QRect(area.left(), y, area.width(), lh), shown))
                y += lh
        return _TileLook(
            line=line,
            cancelled=status is Status.CANCELLED,
            fill=fill,
            edge=QColor(STATUS_COLOURS[status]),
            edge_rect=QRect(rect.left(), rect.top(), 5, rect.height()),
            border=border,
            area=area,
            texts=tuple(texts),
        )

    def drop_warning(self) -> str | None:
        """While dragging: why the drop would likely be refused, from what the view shows
        (outside hours, a break, time off, a busy entry, another tile); the service decides."""
        target, model = self.drop_target(), self.day_model()
        if target is None or self._drag is None or model is None:
            return None
        column, local_start = target
        appt = self._drag.line.appointment
        start = local_start.astimezone(UTC)
        end = start + (appt.end - appt.start)
        hours = model.hours_for(column)
        if hours is None or not any(iv.start <= start and end <= iv.end for iv in hours.working):
            return self.tr("Outside working hours")
        for kind, blocks in (
            ("break", hours.breaks),
            ("time_off", hours.time_off),
            ("busy", hours.busy),
        ):
            for block in blocks:
                if block.start < end and start < block.end:
                    return self._block_label(kind, block)
        for line in model.lines_in(column):
            other = line.appointment
            if other.id != appt.id and other.active and other.start < end and start < other.end:
                return self.tr("Overlaps {name}").format(name=line.patient_name)
        return None

    def _paint_ghost(self, painter: QPainter, model: CalendarModel) -> None:
        """Where a dragged tile would land, its new time in it, and a warning if it clashes."""
        target = self.drop_target()
        if target is None or self._drag is None:
            return
        column, start = target
        appt = self._drag.line.appointment
        end = model.local(start.astimezone(UTC) + (appt.end - appt.start))
        on = model.column_day(column)
        top = self._y_for(start, on)
        bottom = self._y_for(end, on)
        rect = QRect(
            self._x_for(column) + 2, top + 1, self._column_width() - 5, max(bottom - top - 2, 6)
        )
        pal = self.palette()
        warning = self.drop_warning()
        edge = QColor(NOW_COLOUR) if warning else pal.color(QPalette.ColorRole.Highlight)
        painter.save()
        fill = QColor(edge)
        fill.setAlphaF(0.25)
        _fill(painter, rect, fill)
        painter.setPen(QPen(edge, 2, Qt.PenStyle.DashLine))
        painter.drawRect(rect.adjusted(1, 1, -1, -1))
        bold = QFont(self.font())
        bold.setBold(True)
        painter.setFont(bold)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        text = self.tr("{start}–{end} {name}").format(
            start=start.strftime("%H:%M"),
            end=end.strftime("%H:%M"),
            name=self._drag.line.patient_name,
        )
        if warning:
            text = self.tr("{text} · {warning}").format(text=text, warning=warning)
        area = rect.adjusted(8, 2, -4, -2)
        shown = QFontMetrics(bold).elidedText(text, Qt.TextElideMode.ElideRight, area.width())
        painter.drawText(area, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, shown)
        painter.restore()

    def _now_columns(self, model: CalendarModel) -> tuple[int, list[int]] | None:
        """The now-line's y and the columns showing today, or None when none does."""
        now = model.local(self._now())
        columns = [c for c in range(model.columnCount()) if model.column_day(c) == now.date()]
        if not columns:
            return None
        y = self._y_for(now, now.date())
        return (y, columns) if self._header_height() <= y < self.viewport().height() else None

    def _paint_now_line(self, painter: QPainter, model: CalendarModel) -> None:
        found = self._now_columns(model)
        if found is not None:
            y, columns = found
            painter.setPen(QPen(QColor(NOW_COLOUR), 2))
            for column in columns:
                painter.drawLine(self._x_for(column), y, self._x_for(column + 1), y)

    def _paint_now_marker(self, painter: QPainter, model: CalendarModel) -> None:
        """A dot where the now-line leaves the time gutter, so it reads as "now", not a border."""
        found = self._now_columns(model)
        if found is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(NOW_COLOUR))
        painter.drawEllipse(QPoint(self._gutter_width(), found[0]), 5, 5)
        painter.restore()

    def _paint_header(self, painter: QPainter, model: CalendarModel) -> None:
        pal = self.palette()
        height = self._header_height()
        _fill(
            painter,
            QRect(0, 0, self.viewport().width(), height),
            pal.color(QPalette.ColorRole.Button),
        )
        if self._headers is None:
            self._headers = self._header_looks(model)
        fonts = self._painting_fonts()
        lh = self._line_height()
        width = self._column_width()
        mid = QPen(pal.color(QPalette.ColorRole.Mid), 1)
        button_text = pal.color(QPalette.ColorRole.ButtonText)
        for column in self._columns_in_view(model):
            look = self._headers[column]
            x = self._x_for(column)
            _fill(painter, QRect(x + 6, 6 + (lh - 10) // 2, 10, 10), look.chip)
            painter.setPen(button_text)
            painter.setFont(fonts.bold)
            painter.drawText(
                QRect(x + 22, 5, width - 28, lh), Qt.AlignmentFlag.AlignLeft, look.name
            )
            painter.setFont(fonts.plain)
            painter.drawText(
                QRect(x + 6, 5 + lh, width - 12, lh), Qt.AlignmentFlag.AlignLeft, look.how_many
            )
            painter.setPen(mid)
            painter.drawLine(x, 0, x, height)
        painter.setPen(mid)
        painter.drawLine(0, height - 1, self.viewport().width(), height - 1)

    def _header_looks(self, model: CalendarModel) -> list[_HeaderLook]:
        metrics = self._painting_fonts().bold_metrics
        width = self._column_width()
        return [
            _HeaderLook(
                chip=QColor(info.colour),
                name=metrics.elidedText(
                    model.column_title(column), Qt.TextElideMode.ElideRight, width - 28
                ),
                how_many=appointments_text(model.count(column)),
            )
            for column, info in enumerate(model.columns())
        ]

    def _paint_gutter(self, painter: QPainter) -> None:
        pal = self.palette()
        width = self._gutter_width()
        top = self._header_height()
        _fill(
            painter,
            QRect(0, 0, width, self.viewport().height()),
            pal.color(QPalette.ColorRole.Window),
        )
        painter.setPen(pal.color(QPalette.ColorRole.WindowText))
        painter.setFont(self.font())
        model = self.day_model()
        day = self._shown_day()
        lh = self._line_height()
        if model is not None and day != date.min:
            # the corner names the zone the times are in (BST, CET ...); its tooltip in full
            painter.drawText(
                self._corner().adjusted(0, 0, -8, 0),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.zone_abbreviation(),
            )
            painter.setClipRect(QRect(0, top, width, self.viewport().height() - top))
            for hour in range(self._first_hour, self._last_hour):
                y = self._y_for(datetime(day.year, day.month, day.day, hour, tzinfo=UTC), day)
                painter.drawText(
                    QRect(0, y + 2, width - 8, lh), Qt.AlignmentFlag.AlignRight, f"{hour:02d}:00"
                )
            painter.setClipping(False)
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        painter.drawLine(width - 1, 0, width - 1, self.viewport().height())

    def _corner(self) -> QRect:
        return QRect(0, 0, self._gutter_width(), self._header_height())

    def zone_abbreviation(self) -> str:
        """The clinic zone's short name on the day shown (it changes with daylight saving)."""
        model = self.day_model()
        day = self._shown_day()
        if model is None or day == date.min:
            return ""
        return datetime(day.year, day.month, day.day, 12, tzinfo=model.zone).tzname() or ""


class _Fonts(NamedTuple):
    """The fonts tiles and headers paint with, and their metrics: made once per font."""

    plain: QFont
    bold: QFont
    struck: QFont  # a no-show's name
    italic: QFont  # shade labels
    plain_metrics: QFontMetrics
    bold_metrics: QFontMetrics
    struck_metrics: QFontMetrics
    italic_metrics: QFontMetrics

    @classmethod
    def of(cls, font: QFont) -> _Fonts:
        plain = QFont(font)
        bold = QFont(font)
        bold.setBold(True)
        struck = QFont(bold)
        struck.setStrikeOut(True)
        italic = QFont(font)
        italic.setItalic(True)
        return cls(
            plain,
            bold,
            struck,
            italic,
            QFontMetrics(plain),
            QFontMetrics(bold),
            QFontMetrics(struck),
            QFontMetrics(italic),
        )


class _TileLook(NamedTuple):
    """A tile as it paints, on the unscrolled grid."""

    line: AgendaLine
    cancelled: bool
    fill: QColor
    edge: QColor
    edge_rect: QRect
    border: QPen
    area: QRect  # where its text goes (clipped to it)
    texts: tuple[tuple[QFont, QRect, str], ...]


class _HeaderLook(NamedTuple):
    chip: QColor
    name: str  # elided to the column's width
    how_many: str  # "3 appointments"


def _time_of_day(local: datetime) -> int:
    return local.hour * 60 + local.minute


def _blend(colour: QColor, base: QColor, amount: float) -> QColor:
    """`amount` of `colour` over `base`: a tint that keeps text readable on light and dark."""
    return QColor(
        round(colour.red() * amount + base.red() * (1 - amount)),
        round(colour.green() * amount + base.green() * (1 - amount)),
        round(colour.blue() * amount + base.blue() * (1 - amount)),
    )
