"""Report the first painted calendar on stdout and quit: how `medbookings bench gui` times start-up.

Set MEDBOOKINGS_REPORT_FIRST_PAINT=1 and the app writes one line, `first-paint`, as soon as the
calendar has been painted with the day's appointments, then quits. The bench measures from
starting the process to reading that line, and does the same with a bare PySide6 window.
"""

from __future__ import annotations

import os
import sys

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import QWidget

ENV = "MEDBOOKINGS_REPORT_FIRST_PAINT"
LINE = "first-paint"


def wanted() -> bool:
    return os.environ.get(ENV, "") not in ("", "0")


class FirstPaint(QObject):
    """Watches `widget`'s paint events; after `arm()`, the next one is reported once."""

    painted = Signal()

    def __init__(self, widget: QWidget, *, armed: bool = False) -> None:
        super().__init__(widget)
        self._armed = armed
        self._done = False
        widget.installEventFilter(self)

    def arm(self) -> None:
        self._armed = True
        parent = self.parent()
        if isinstance(parent, QWidget):
            parent.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Overrides QObject.eventFilter: never swallows the event, only notes the paint."""
        if self._armed and not self._done and event.type() == QEvent.Type.Paint:
            self._done = True
            watched.removeEventFilter(self)  # every later event goes by without Python
            # after this paint has run and reached the backing store
            QTimer.singleShot(0, self.painted.emit)
        return False


def report_and_quit() -> None:
    sys.stdout.write(LINE + "\n")
    sys.stdout.flush()
    QCoreApplication.quit()
