"""Alerts at the desk: a banner above the calendar and, where the desktop has a tray, one
notification per new alert.

Both are fed the alerts of `services.alerts` by whoever reads the health figures (the health
panel, on a TaskRunner pool thread): they hold no timer and never read the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QFrame, QHBoxLayout, QLabel, QPushButton, QWidget

if TYPE_CHECKING:
    # imported where first used: the banner is hidden and the tray made after the first
    # paint, PySide6 builds these classes (QStyle's many enums) at a cost on first use, and
    # the alerts' service (with the health figures') loads with the health panel
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QSystemTrayIcon

    from medbookings_desktop.services.alerts import Alert, AlertKind

    Key = tuple[str, AlertKind]

# the banner's tint over the window colour: strong enough to see, light enough that the
# palette's own text colour stays readable in light and dark themes alike
URGENT = QColor(211, 47, 47)
WARNING = QColor(237, 160, 0)
TINT = 0.28
NOTIFY_MS = 15_000


def _mix(base: QColor, tint: QColor, amount: float) -> QColor:
    return QColor(
        round(base.red() * (1 - amount) + tint.red() * amount),
        round(base.green() * (1 - amount) + tint.green() * amount),
        round(base.blue() * (1 - amount) + tint.blue() * amount),
    )


class AlertBanner(QFrame):
    """A coloured strip with one sentence per alert, "Details" and "Dismiss".

    `set_alerts(alerts)` shows the strip while there are alerts and hides it once they are
    gone. "Dismiss" hides it until an alert it has not shown yet appears (a new service, or
    a new kind for a service); an alert that went away and comes back counts as new.
    `details_requested` asks for the health panel.
    """

    details_requested = Signal()
    dismissed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("alert-banner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setAccessibleName(self.tr("Service alert"))
        self._alerts: list[Alert] = []
        self._dismissed: set[Key] = set()

        self.icon = QLabel(self)  # its picture is drawn when the banner first shows
        self.icon.setAccessibleName(self.tr("Warning"))
        self.text = QLabel(self)
        self.text.setWordWrap(True)
        self.text.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.text.setTextFormat(Qt.TextFormat.PlainText)
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text.setAccessibleName(self.tr("Alert"))
        self.details_button = QPushButton(self.tr("&Details"), self)
        self.details_button.setAccessibleName(self.tr("Show service health"))
        self.details_button.setToolTip(self.tr("Open the service health panel (Ctrl+Shift+H)"))
        self.details_button.clicked.connect(self.details_requested)
        self.dismiss_button = QPushButton(self.tr("Dis&miss"), self)
        self.dismiss_button.setAccessibleName(self.tr("Dismiss the alert"))
        self.dismiss_button.setToolTip(self.tr("Hide this until something else goes wrong"))
        self.dismiss_button.clicked.connect(self.dismiss)

        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.dismiss_button, 0, Qt.AlignmentFlag.AlignTop)
        self.hide()

    @property
    def alerts(self) -> list[Alert]:
        return list(self._alerts)

    def messages(self) -> list[str]:
        return [a.message for a in self._alerts]

    def set_alerts(self, alerts: Sequence[Alert]) -> None:
        self._alerts = list(alerts)
        keys = {a.key for a in self._alerts}
        self._dismissed &= keys  # one that went away is new when it comes back
        if not keys - self._dismissed:
            self.hide()
            return
        lines = self.messages()
        text = "\n".join(f"• {m}" for m in lines) if len(lines) > 1 else lines[0]
        news = self.isHidden() or text != self.text.text()
        self.text.setText(text)
        self.setAccessibleDescription(text)
        self.setToolTip(text)
        self._colour()
        if self.icon.pixmap().isNull():
            self._draw_icon()
        self.show()
        if news:  # a screen reader reads it out, as it would a message box
            from PySide6.QtGui import QAccessible, QAccessibleEvent

            QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))

    def _draw_icon(self) -> None:
        from PySide6.QtWidgets import QStyle

        size = self.style().pixelMetric(QStyle.PixelMetric.PM_SmallIconSize)
        warning = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.icon.setPixmap(warning.pixmap(size, size))

    def dismiss(self) -> None:
        self._dismissed = {a.key for a in self._alerts}
        self.hide()
        self.dismissed.emit()

    def _colour(self) -> None:
        from medbookings_desktop.services.alerts import AlertKind

        urgent = any(a.kind is not AlertKind.ERROR_SPIKE for a in self._alerts)
        base = QApplication.palette().color(QPalette.ColorRole.Window)
        palette = self.palette()
        palette.setColor(QPalette.ColorRole.Window, _mix(base, URGENT if urgent else WARNING, TINT))
        self.setPalette(palette)


class AlertNotifier(QObject):
    """A tray notification for each new alert, when the desktop has a system tray; without one
    (the offscreen platform, some Linux desktops) it stays silent and the banner alone tells.

    The tray icon is there only while alerts are: clicking it, or the notification, emits
    `details_requested`.
    """

    details_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._told: set[Key] = set()
        from PySide6.QtWidgets import QSystemTrayIcon

        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(self._icon(parent), self)
            self.tray.messageClicked.connect(self.details_requested)
            self.tray.activated.connect(lambda _reason: self.details_requested.emit())

    @staticmethod
    def _icon(window: QWidget | None) -> QIcon:
        icon = window.windowIcon() if window is not None else QApplication.windowIcon()
        if icon.isNull():
            from PySide6.QtWidgets import QStyle

            icon = QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return icon

    def set_alerts(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Notify the alerts not told before; returns them (told or, with no tray, not)."""
        from PySide6.QtWidgets import QSystemTrayIcon

        fresh = [a for a in alerts if a.key not in self._told]
        self._told = {a.key for a in alerts}  # one that went away is new when it comes back
        if self.tray is not None:
            if alerts:
                self.tray.setToolTip("\n".join(a.message for a in alerts))
                self.tray.show()
            else:
                self.tray.hide()
            if fresh:
                title = (
                    self.tr("MedBookings: a service needs attention")
                    if len(fresh) == 1
                    else self.tr("MedBookings: {count} services need attention").format(
                        count=len(fresh)
                    )
                )
                self.tray.showMessage(
                    title,
                    "\n".join(a.message for a in fresh),
                    QSystemTrayIcon.MessageIcon.Warning,
                    NOTIFY_MS,
                )
        return fresh
