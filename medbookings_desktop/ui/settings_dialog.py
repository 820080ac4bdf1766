"""Settings: the clinic's details and rules (shared by every desk) and this desk's database.

Pages are listed on the left; each saves on its own button, through the services, off the UI
thread. The dialog tells the window what changed through its signals; `add_page` lets other
parts (integrations) add a page once they have something that works.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QListWidget,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.services.context import Context
from medbookings_desktop.settings import DeskSettings
from medbookings_desktop.ui.settings_pages.clinic import ClinicPage
from medbookings_desktop.ui.settings_pages.database import DatabasePage
from medbookings_desktop.ui.settings_pages.google import GooglePage
from medbookings_desktop.ui.settings_pages.locations import LocationsPage
from medbookings_desktop.ui.settings_pages.messaging import MessagingPage
from medbookings_desktop.ui.settings_pages.reminders import RemindersPage
from medbookings_desktop.ui.settings_pages.templates import TemplatesPage
from medbookings_desktop.ui.tasks import TaskRunner


class SettingsDialog(QDialog):
    """`clinic_changed(ClinicSettings)` after the clinic page or the reminders were saved;
    `locations_changed()`, `templates_changed()`; `database_saved(url)` when this desk's
    database was changed (used from the next start)."""

    clinic_changed = Signal(object)
    locations_changed = Signal()
    templates_changed = Signal()
    database_saved = Signal(str)
    google_changed = Signal()  # this desk's Google client or keys (keyring) changed
    # the clinic's messaging settings or this desk's vendor keys changed: senders are rebuilt
    messaging_changed = Signal()

    def __init__(
        self,
        ctx: Context,
        tasks: TaskRunner,
        clinic: ClinicSettings,
        desk_settings: DeskSettings,
        parent: QWidget | None = None,
        *,
        database_in_use: str = "",
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.setObjectName("settings-dialog")
        self.clinic = clinic

        self.page_list = QListWidget(self)
        self.page_list.setAccessibleName(self.tr("Settings pages"))
        self.page_list.setSizeAdjustPolicy(QListWidget.SizeAdjustPolicy.AdjustToContents)
        self.page_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.stack = QStackedWidget(self)
        self.page_list.currentRowChanged.connect(self.stack.setCurrentIndex)

        self.clinic_page = ClinicPage(ctx, tasks, clinic, self)
        self.locations_page = LocationsPage(ctx, tasks, clinic, self)
        self.reminders_page = RemindersPage(ctx, tasks, clinic, self)
        self.templates_page = TemplatesPage(ctx, tasks, clinic, self)
        self.database_page = DatabasePage(tasks, desk_settings, database_in_use, self)
        self.add_page(self.tr("Clinic"), self.clinic_page)
        self.add_page(self.tr("Locations"), self.locations_page)
        self.add_page(self.tr("Reminders"), self.reminders_page)
        self.add_page(self.tr("Message templates"), self.templates_page)
        self.google_page = GooglePage(ctx, tasks, clinic, self)
        self.add_page(self.tr("Google"), self.google_page)
        self.google_page.saved.connect(self._google_saved)
        self.google_page.desk_changed.connect(self.google_changed)
        self.messaging_page = MessagingPage(ctx, tasks, clinic, desk_settings, self)
        self.add_page(self.tr("Messaging"), self.messaging_page)
        self.messaging_page.saved.connect(lambda _: self.messaging_changed.emit())
        self.messaging_page.desk_changed.connect(self.messaging_changed)
        self.add_page(self.tr("Database (this desk)"), self.database_page)

        self.clinic_page.saved.connect(self._clinic_saved)
        self.reminders_page.saved.connect(self._clinic_saved)
        self.locations_page.saved.connect(lambda _: self.locations_changed.emit())
        self.templates_page.saved.connect(lambda _: self.templates_changed.emit())
        self.database_page.saved.connect(self.database_saved)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        self.close_button = buttons.button(QDialogButtonBox.StandardButton.Close)
        # Ctrl+PgDown / Ctrl+PgUp step through the pages, as in tabbed dialogs
        QShortcut(QKeySequence("Ctrl+PgDown"), self, lambda: self._step(1))
        QShortcut(QKeySequence("Ctrl+PgUp"), self, lambda: self._step(-1))

        body = QHBoxLayout()
        body.addWidget(self.page_list)
        body.addWidget(self.stack, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addWidget(buttons)
        self.page_list.setCurrentRow(0)
        self.resize(900, 620)

    def add_page(self, title: str, widget: QWidget) -> int:
        """Add a page at the end of the list; returns its row. Long pages scroll."""
        area = QScrollArea(self.stack)
        area.setWidgetResizable(True)
        area.setFrameShape(QScrollArea.Shape.NoFrame)
        area.setWidget(widget)
        area.setAccessibleName(title)
        self.stack.addWidget(area)
        self.page_list.addItem(title)
        return self.page_list.count() - 1

    def show_page(self, row_or_title: int | str) -> None:
        if isinstance(row_or_title, str):
            found = self.page_list.findItems(row_or_title, Qt.MatchFlag.MatchExactly)
            row = self.page_list.row(found[0]) if found else -1
        else:
            row = row_or_title
        if 0 <= row < self.page_list.count():
            self.page_list.setCurrentRow(row)

    def current_page(self) -> QWidget | None:
        area = self.stack.currentWidget()
        return area.widget() if isinstance(area, QScrollArea) else area

    def _step(self, by: int) -> None:
        count = self.page_list.count()
        self.page_list.setCurrentRow((self.page_list.currentRow() + by) % count)

    def _clinic_saved(self, clinic: ClinicSettings) -> None:
        self.clinic = clinic
        # one page's save must not be undone by another page holding the older copy
        self.clinic_page.clinic = clinic
        self.reminders_page.clinic = clinic
        self.locations_page.clinic = clinic
        self.templates_page.set_clinic(clinic)
        self.google_page.set_clinic(clinic)
        self.messaging_page.set_clinic(clinic)
        self.clinic_changed.emit(clinic)

    def _google_saved(self, clinic: ClinicSettings) -> None:
        # the names choice is on the clinic page too: a later save there must not undo it
        self.clinic_page.names_check.setChecked(clinic.names_in_calendar)
        self._clinic_saved(clinic)
