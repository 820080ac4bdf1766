"""The day calendar: paints the DayModel's tiles on a time grid (no widget per appointment).

Time runs down the left in the clinic's zone, one column per provider. The header row and
the time gutter stay put while the grid scrolls under them. Colours come from the platform
palette, so a dark theme stays readable; status colours are the same in both and always come
with a word.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from PySide6.QtCore import QEvent, QModelIndex, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QHelpEvent,
    QKeyEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QRegion,
    QResizeEvent,
)
from PySide6.QtWidgets import QAbstractItemView, QToolTip, QWidget

from medbookings_desktop.domain.appointments import Status
from medbookings_desktop.services.agenda import AgendaLine
from medbookings_desktop.ui.day_model import DayModel, Role, appointments_text, status_word

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
DAY_START_HOUR = 7  # shown even when the first appointment is later
DAY_END_HOUR = 19
MIN_COLUMN_WIDTH = 170


class DayView(QAbstractItemView):
    """A QAbstractItemView over DayModel: provider columns on a quarter-hour grid."""

    def __init__(self, now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(parent)
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
        # the now-line moves; a repaint a minute is all it costs
        self._tick = QTimer(self)
        self._tick.setInterval(60_000)
        self._tick.timeout.connect(self.viewport().update)
        self._tick.start()

    # -- geometry -----------------------------------------------------------------------------

    def day_model(self) -> DayModel | None:
        model = self.model()
        return model if isinstance(model, DayModel) else None

    def _line_height(self) -> int:
        return QFontMetrics(self.font()).height()

    def _px_per_minute(self) -> float:
        # a quarter hour holds a name and a time
        return (self._line_height() * 2 + 10) / 15

    def _header_height(self) -> int:
        return self._line_height() * 2 + 10

    def _gutter_width(self) -> int:
        return QFontMetrics(self.font()).horizontalAdvance("00:00") + 16

    def _column_width(self) -> int:
        model = self.day_model()
        n = max(1, model.columnCount() if model else 1)
        free = self.viewport().width() - self._gutter_width()
        return max(MIN_COLUMN_WIDTH, free // n)

    def _content_size(self) -> QSize:
        model = self.day_model()
        n = model.columnCount() if model else 0
        minutes = (self._last_hour - self._first_hour) * 60
        return QSize(
            self._gutter_width() + n * self._column_width(),
            self._header_height() + round(minutes * self._px_per_minute()) + 1,
        )

    def _y_for(self, local: datetime) -> int:
        day = self._shown_day()
        midnight = datetime(day.year, day.month, day.day, tzinfo=local.tzinfo)
        # wall-clock minutes, so a DST day still lines up with its hour labels
        minutes = (local.replace(tzinfo=None) - midnight.replace(tzinfo=None)).total_seconds() / 60
        offset = minutes - self._first_hour * 60
        return self._header_height() + round(offset * self._px_per_minute()) - self._vscroll()

    def _x_for(self, column: int) -> int:
        return self._gutter_width() + column * self._column_width() - self._hscroll()

    def _vscroll(self) -> int:
        return self.verticalScrollBar().value()

    def _hscroll(self) -> int:
        return self.horizontalScrollBar().value()

    def _shown_day(self) -> date:
        model = self.day_model()
        return model.day if model else date.min

    def _fit_hours(self) -> None:
        """Widen the grid to the day's earliest and latest appointment."""
        model = self.day_model()
        first, last = DAY_START_HOUR, DAY_END_HOUR
        if model is not None:
            for c in range(model.columnCount()):
                for line in model.lines_in(c):
                    start = model.local(line.appointment.start)
                    end = model.local(line.appointment.end)
                    first = min(first, start.hour)
                    last_hour = end.hour + (1 if end.minute or end.date() > start.date() else 0)
                    last = max(last, 24 if end.date() > self._shown_day() else last_hour)
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
        self._fit_hours()
        self._lanes = self._layout_lanes()
        self.updateGeometries()
        self.viewport().update()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.updateGeometries()

    def scroll_to_time(self, local: datetime) -> None:
        """Put `local` about a third of the way down the grid."""
        bar = self.verticalScrollBar()
        y = self._y_for(local) + self._vscroll() - self._header_height()
        bar.setValue(max(0, y - self.viewport().height() // 3))

    # -- QAbstractItemView ----------------------------------------------------------------------

    def visualRect(self, index: QModelIndex | Any) -> QRect:
        """Overrides QAbstractItemView.visualRect: the tile's rectangle in the viewport."""
        model = self.day_model()
        line = model.line(index) if model else None
        if model is None or line is None:
            return QRect()
        top = self._y_for(model.local(line.appointment.start))
        bottom = self._y_for(model.local(line.appointment.end))
        lane, lanes = self._lanes.get((index.row(), index.column()), (0, 1))
        width = (self._column_width() - 4) // lanes
        x = self._x_for(index.column()) + 2 + lane * width
        return QRect(x, top + 1, width - 1, max(bottom - top - 2, 6))

    def indexAt(self, point: QPoint) -> QModelIndex:
        """Overrides QAbstractItemView.indexAt: the topmost tile under the point."""
        model = self.day_model()
        if model is None or point.y() < self._header_height() or point.x() < self._gutter_width():
            return QModelIndex()
        column = (point.x() - self._gutter_width() + self._hscroll()) // self._column_width()
        if not 0 <= column < model.columnCount():
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
                    key=lambda r: abs(lines[r].appointment.start - at.appointment.start),
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
        # letters are status shortcuts on the window's actions, never keyboard search
        if event.text().isalpha() and not event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier:
            event.ignore()
            return
        super().keyPressEvent(event)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            index = self.indexAt(event.pos())
            model = self.day_model()
            if model is not None and self._corner().contains(event.pos()):
                text = self.tr("Times in {zone}").format(zone=model.zone.key)
                QToolTip.showText(event.globalPos(), text)
            elif index.isValid() and model is not None:
                QToolTip.showText(event.globalPos(), model.data(index, Qt.ItemDataRole.ToolTipRole))
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().viewportEvent(event)

    # -- painting -------------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self.viewport())
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        pal = self.palette()
        painter.fillRect(self.viewport().rect(), pal.color(QPalette.ColorRole.Base))
        model = self.day_model()
        if model is not None and model.columnCount() == 0 and model.day != date.min:
            self._paint_empty(painter)
        elif model is not None:
            self._paint_grid(painter, model)
            for column in range(model.columnCount()):
                for row in range(len(model.lines_in(column))):
                    self._paint_tile(painter, model, model.index(row, column))
            self._paint_now_line(painter, model)
            self._paint_header(painter, model)
        self._paint_gutter(painter)
        if model is not None and model.columnCount():
            self._paint_now_marker(painter, model)
        painter.end()

    def _paint_empty(self, painter: QPainter) -> None:
        painter.setPen(self.palette().color(QPalette.ColorRole.PlaceholderText))
        painter.drawText(
            self.viewport().rect().adjusted(self._gutter_width() + 20, 20, -20, -20),
            Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
            self.tr(
                "No providers yet. Add the clinic's providers and hours with "
                "“medbookings setup apply”, or try the demo clinic with “medbookings demo”."
            ),
        )

    def _paint_grid(self, painter: QPainter, model: DayModel) -> None:
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.Text)
        strong, faint = QColor(text), QColor(text)
        strong.setAlphaF(0.35)
        faint.setAlphaF(0.10)
        right = self._x_for(model.columnCount())
        width = self.viewport().width()
        day = self._shown_day()
        for hour in range(self._first_hour, self._last_hour + 1):
            for quarter in range(4):
                if hour == self._last_hour and quarter:
                    break
                at = datetime(day.year, day.month, day.day, tzinfo=model.zone) + timedelta(
                    hours=hour, minutes=15 * quarter
                )
                y = self._y_for(at)
                painter.setPen(QPen(strong if quarter == 0 else faint, 1))
                painter.drawLine(self._gutter_width(), y, min(right, width), y)
        painter.setPen(QPen(strong, 1))
        top = self._header_height()
        for column in range(model.columnCount() + 1):
            x = self._x_for(column)
            painter.drawLine(x, top, x, self.viewport().height())

    def _paint_tile(self, painter: QPainter, model: DayModel, index: QModelIndex) -> None:
        line: AgendaLine | None = model.line(index)
        rect = self.visualRect(index)
        if line is None or not rect.intersects(self.viewport().rect()):
            return
        pal = self.palette()
        status = line.appointment.status
        selected = self.selectionModel().isSelected(index)
        painter.save()
        if status is Status.CANCELLED:
            painter.setOpacity(0.45)
        fill = QColor(model.data(index, Role.PROVIDER_COLOUR))
        fill = _blend(fill, pal.color(QPalette.ColorRole.Base), 0.22)
        painter.fillRect(rect, fill)
        edge = QRect(rect.left(), rect.top(), 5, rect.height())
        painter.fillRect(edge, QColor(STATUS_COLOURS[status]))
        if selected:
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Highlight), 2))
            painter.drawRect(rect.adjusted(1, 1, -1, -1))
        else:
            border = QColor(pal.color(QPalette.ColorRole.Text))
            border.setAlphaF(0.25)
            painter.setPen(QPen(border, 1))
            painter.drawRect(rect.adjusted(0, 0, -1, -1))
        self._paint_tile_text(painter, model, line, rect.adjusted(9, 2, -4, -2))
        painter.restore()

    def _paint_tile_text(
        self, painter: QPainter, model: DayModel, line: AgendaLine, area: QRect
    ) -> None:
        pal = self.palette()
        status = line.appointment.status
        name_font = QFont(self.font())
        name_font.setBold(True)
        name_font.setStrikeOut(status is Status.NO_SHOW)
        small = QFont(self.font())
        lh = self._line_height()
        start = model.local(line.appointment.start).strftime("%H:%M")
        end = model.local(line.appointment.end).strftime("%H:%M")
        word = status_word(status)
        painter.setPen(pal.color(QPalette.ColorRole.Text))
        painter.setClipRect(area)
        if area.height() < lh * 2:
            # one line: the name first, the status word after it while it fits
            text = f"{line.patient_name} · {word}"
            painter.setFont(name_font)
            shown = QFontMetrics(name_font).elidedText(
                text, Qt.TextElideMode.ElideRight, area.width()
            )
            painter.drawText(area, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop, shown)
            return
        rows = [
            (name_font, line.patient_name),
            (small, f"{start}–{end} · {word}"),
            (small, line.service_name),
        ]
        y = area.top()
        for font, text in rows:
            if y + lh > area.bottom() + 1:
                break
            painter.setFont(font)
            shown = QFontMetrics(font).elidedText(text, Qt.TextElideMode.ElideRight, area.width())
            painter.drawText(
                QRect(area.left(), y, area.width(), lh), Qt.AlignmentFlag.AlignLeft, shown
            )
            y += lh

    def _now_y(self, model: DayModel) -> int | None:
        """Where the now-line runs, or None when now is not on the grid shown."""
        now = model.local(self._now())
        if now.date() != self._shown_day():
            return None
        y = self._y_for(now)
        return y if self._header_height() <= y < self.viewport().height() else None

    def _paint_now_line(self, painter: QPainter, model: DayModel) -> None:
        y = self._now_y(model)
        if y is not None:
            painter.setPen(QPen(QColor(NOW_COLOUR), 2))
            painter.drawLine(self._gutter_width(), y, self._x_for(model.columnCount()), y)

    def _paint_now_marker(self, painter: QPainter, model: DayModel) -> None:
        """A dot where the now-line leaves the time gutter, so it reads as "now", not a border."""
        y = self._now_y(model)
        if y is None:
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(NOW_COLOUR))
        painter.drawEllipse(QPoint(self._gutter_width(), y), 5, 5)
        painter.restore()

    def _paint_header(self, painter: QPainter, model: DayModel) -> None:
        pal = self.palette()
        height = self._header_height()
        painter.fillRect(
            QRect(0, 0, self.viewport().width(), height), pal.color(QPalette.ColorRole.Button)
        )
        bold = QFont(self.font())
        bold.setBold(True)
        lh = self._line_height()
        width = self._column_width()
        for column, info in enumerate(model.columns()):
            x = self._x_for(column)
            chip = QRect(x + 6, 6 + (lh - 10) // 2, 10, 10)
            painter.fillRect(chip, QColor(info.colour))
            painter.setPen(pal.color(QPalette.ColorRole.ButtonText))
            painter.setFont(bold)
            name = QFontMetrics(bold).elidedText(info.name, Qt.TextElideMode.ElideRight, width - 28)
            painter.drawText(QRect(x + 22, 5, width - 28, lh), Qt.AlignmentFlag.AlignLeft, name)
            painter.setFont(self.font())
            count = appointments_text(model.count(column))
            painter.drawText(
                QRect(x + 6, 5 + lh, width - 12, lh), Qt.AlignmentFlag.AlignLeft, count
            )
            painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
            painter.drawLine(x, 0, x, height)
        painter.setPen(QPen(pal.color(QPalette.ColorRole.Mid), 1))
        painter.drawLine(0, height - 1, self.viewport().width(), height - 1)

    def _paint_gutter(self, painter: QPainter) -> None:
        pal = self.palette()
        width = self._gutter_width()
        top = self._header_height()
        painter.fillRect(
            QRect(0, 0, width, self.viewport().height()), pal.color(QPalette.ColorRole.Window)
        )
        painter.setPen(pal.color(QPalette.ColorRole.WindowText))
        painter.setFont(self.font())
        model = self.day_model()
        zone = model.zone if model else None
        day = self._shown_day()
        lh = self._line_height()
        if zone is not None and day != date.min:
            # the corner names the zone the times are in (BST, CET ...); its tooltip in full
            painter.drawText(
                self._corner().adjusted(0, 0, -8, 0),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                self.zone_abbreviation(),
            )
            painter.setClipRect(QRect(0, top, width, self.viewport().height() - top))
            for hour in range(self._first_hour, self._last_hour):
                y = self._y_for(datetime(day.year, day.month, day.day, hour, tzinfo=zone))
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


def _blend(colour: QColor, base: QColor, amount: float) -> QColor:
    """`amount` of `colour` over `base`: a tint that keeps text readable on light and dark."""
    return QColor(
        round(colour.red() * amount + base.red() * (1 - amount)),
        round(colour.green() * amount + base.green() * (1 - amount)),
        round(colour.blue() * amount + base.blue() * (1 - amount)),
    )
