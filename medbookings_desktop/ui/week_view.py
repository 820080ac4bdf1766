"""One provider's week: seven day columns painted like the day view's provider columns.

Hours are shaded per day, the now-line runs through today's column only, and a tile dragged
to another day or time asks for the move as in the day view. Double-clicking a day's free
space or its header emits `day_activated` with that date, so the window can open the day.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from PySide6.QtWidgets import QWidget

from medbookings_desktop.ui.day_view import DayView

WEEK_MIN_COLUMN_WIDTH = 110


class WeekView(DayView):
    """A DayView over a WeekModel: narrower columns, one per day."""

    def __init__(self, now: Callable[[], datetime], parent: QWidget | None = None) -> None:
        super().__init__(now, parent)
        self.setAccessibleName(self.tr("Week calendar"))

    def _min_column_width(self) -> int:
        return WEEK_MIN_COLUMN_WIDTH
