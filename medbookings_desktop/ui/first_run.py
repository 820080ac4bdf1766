"""The first-run wizard: set up the clinic on an empty database, or fill the demo clinic.

Shown before the main window while `services.first_run.needs_first_run(ctx)` is true:

    if needs_first_run(ctx):
        FirstRunWizard(ctx, tasks, engine).exec()

Set up my clinic: the clinic's name, time zone and locale; its first location; the first
provider with weekly hours and the first service. Nothing is written until Finish, and then
all of it at once (services.first_run.set_up_clinic, one unit of work): a refusal shows its
message and keeps the wizard open with nothing saved. Open the demo clinic: the demo builder
fills the database on the write pool while a busy bar runs.
"""

from __future__ import annotations

from datetime import time
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QLocale, QTime, QTimeZone, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QRadioButton,
    QSpinBox,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from sqlalchemy import Engine

from medbookings_desktop.domain.clinic import check_zone
from medbookings_desktop.domain.errors import DomainError, InvalidInput
from medbookings_desktop.domain.setup_spec import SetupInvalid
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.first_run import (
    MONDAY_TO_FRIDAY,
    DayHours,
    FirstClinic,
    set_up_clinic,
)
from medbookings_desktop.ui.settings_pages.common import (
    ProblemLabel,
    guarded,
    problem_text,
    set_zone,
    with_problem,
    zone_combo,
    zone_names,
)
from medbookings_desktop.ui.tasks import TaskRunner

DEFAULT_LOCALE = "en_GB"
DEFAULT_START = time(9, 0)
DEFAULT_END = time(17, 0)


class Page(IntEnum):
    WELCOME = 0
    CLINIC = 1
    LOCATION = 2
    PROVIDER = 3
    DEMO = 4


def system_zone() -> str:
    """This computer's IANA zone if the zone database knows it, else UTC."""
    zone = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace")
    return zone if zone in zone_names() else "UTC"


def locale_names() -> list[str]:
    found = {
        QLocale(loc).name()
        for loc in QLocale.matchingLocales(
            QLocale.Language.AnyLanguage, QLocale.Script.AnyScript, QLocale.Country.AnyCountry
        )
    }
    return sorted(n for n in found if "_" in n)


def system_locale() -> str:
    name = QLocale.system().name()
    return name if "_" in name else DEFAULT_LOCALE


def _qtime(t: time) -> QTime:
    return QTime(t.hour, t.minute)


def _row(form: QFormLayout, text: str, field: QWidget, problem: ProblemLabel) -> None:
    label = QLabel(text, field.parentWidget())
    label.setBuddy(field)
    form.addRow(label, with_problem(field, problem))


class WelcomePage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Welcome to MedBookings"))
        self.setSubTitle(
            self.tr("This database holds no clinic yet. Set up yours, or look around a demo.")
        )
        self.set_up_radio = QRadioButton(self.tr("&Set up my clinic"), self)
        self.set_up_radio.setAccessibleName(self.tr("Set up my clinic"))
        self.demo_radio = QRadioButton(self.tr("Open the &demo clinic"), self)
        self.demo_radio.setAccessibleName(self.tr("Open the demo clinic"))
        self.demo_radio.setToolTip(
            self.tr("Fills this database with a made-up clinic: providers, patients, bookings")
        )
        self.set_up_radio.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.set_up_radio)
        group.addButton(self.demo_radio)
        layout = QVBoxLayout(self)
        layout.addWidget(self.set_up_radio)
        layout.addWidget(self.demo_radio)
        layout.addStretch(1)

    def nextId(self) -> int:
        """Overrides QWizardPage.nextId: the demo skips the setup pages."""
        return int(Page.DEMO if self.demo_radio.isChecked() else Page.CLINIC)


class ClinicPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Your clinic"))
        self.setSubTitle(
            self.tr("Appointments are shown in the clinic's time zone, dates in its locale.")
        )
        self.name_edit = QLineEdit(self)
        self.name_edit.setAccessibleName(self.tr("Clinic name"))
        self.name_edit.setPlaceholderText(self.tr("e.g. Riverside Family Practice"))
        self.zone_combo = zone_combo(self, self.tr("Clinic time zone"))
        set_zone(self.zone_combo, system_zone())
        self.locale_combo = QComboBox(self)
        self.locale_combo.setEditable(True)
        self.locale_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.locale_combo.addItems(locale_names())
        self.locale_combo.setAccessibleName(self.tr("Locale for dates and times"))
        self.locale_combo.setCurrentText(system_locale())
        self.name_problem = ProblemLabel(self.tr("Clinic name"), self)
        self.zone_problem = ProblemLabel(self.tr("Time zone"), self)
        self.locale_problem = ProblemLabel(self.tr("Locale"), self)
        form = QFormLayout(self)
        _row(form, self.tr("Clinic &name:"), self.name_edit, self.name_problem)
        _row(form, self.tr("&Time zone:"), self.zone_combo, self.zone_problem)
        _row(form, self.tr("&Locale:"), self.locale_combo, self.locale_problem)

    def validatePage(self) -> bool:
        """Overrides QWizardPage.validatePage: Next waits for a name and a known zone."""
        ok = True
        for problem in (self.name_problem, self.zone_problem, self.locale_problem):
            problem.clear_problem()
        if not self.name_edit.text().strip():
            self.name_problem.show_problem(self.tr("Enter the clinic's name."))
            ok = False
        zone = self.zone_combo.currentText().strip()
        try:
            check_zone(zone)
        except InvalidInput:
            self.zone_problem.show_problem(
                self.tr(
                    "Unknown time zone {zone}: choose one from the list, e.g. Europe/London."
                ).format(zone=repr(zone))
            )
            ok = False
        if QLocale(self.locale_combo.currentText().strip()).name() != (
            self.locale_combo.currentText().strip()
        ):
            self.locale_problem.show_problem(self.tr("Choose a locale from the list, e.g. en_GB."))
            ok = False
        if not ok:
            for field, problem in (
                (self.name_edit, self.name_problem),
                (self.zone_combo, self.zone_problem),
                (self.locale_combo, self.locale_problem),
            ):
                if problem.isVisibleTo(self):
                    field.setFocus()
                    break
        return ok


class LocationPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("First location"))
        self.setSubTitle(self.tr("Where patients come; more locations can be added later."))
        self.name_edit = QLineEdit(self)
        self.name_edit.setAccessibleName(self.tr("Location name"))
        self.address_edit = QLineEdit(self)
        self.address_edit.setAccessibleName(self.tr("Street address"))
        self.city_edit = QLineEdit(self)
        self.city_edit.setAccessibleName(self.tr("Town or city"))
        self.postcode_edit = QLineEdit(self)
        self.postcode_edit.setAccessibleName(self.tr("Postcode"))
        self.name_problem = ProblemLabel(self.tr("Location name"), self)
        form = QFormLayout(self)
        _row(form, self.tr("Location &name:"), self.name_edit, self.name_problem)
        for text, field in (
            (self.tr("&Address:"), self.address_edit),
            (self.tr("&Town or city:"), self.city_edit),
            (self.tr("&Postcode:"), self.postcode_edit),
        ):
            label = QLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, field)

    def initializePage(self) -> None:
        """Overrides QWizardPage.initializePage: the clinic's name is a fair first guess."""
        if not self.name_edit.text():
            clinic = self.wizard().page(Page.CLINIC)
            assert isinstance(clinic, ClinicPage)
            self.name_edit.setText(clinic.name_edit.text().strip())
            self.name_edit.selectAll()

    def validatePage(self) -> bool:
        """Overrides QWizardPage.validatePage: a location needs a name."""
        if self.name_edit.text().strip():
            self.name_problem.clear_problem()
            return True
        self.name_problem.show_problem(self.tr("Enter the location's name."))
        self.name_edit.setFocus()
        return False


class DayRow:
    """One weekday: works that day or not, from and until."""

    def __init__(self, page: QWizardPage, weekday: int, name: str) -> None:
        self.weekday = weekday
        self.check = QCheckBox(name, page)
        self.check.setAccessibleName(page.tr("Works on {day}").format(day=name))
        self.start = QTimeEdit(_qtime(DEFAULT_START), page)
        self.start.setAccessibleName(page.tr("{day} from").format(day=name))
        self.end = QTimeEdit(_qtime(DEFAULT_END), page)
        self.end.setAccessibleName(page.tr("{day} until").format(day=name))
        for edit in (self.start, self.end):
            edit.setDisplayFormat("HH:mm")
        self.check.toggled.connect(self.start.setEnabled)
        self.check.toggled.connect(self.end.setEnabled)
        works = weekday in MONDAY_TO_FRIDAY
        self.check.setChecked(works)
        self.start.setEnabled(works)
        self.end.setEnabled(works)

    def hours(self) -> DayHours | None:
        if not self.check.isChecked():
            return None
        s, e = self.start.time(), self.end.time()
        return DayHours(self.weekday, time(s.hour(), s.minute()), time(e.hour(), e.minute()))


class ProviderPage(QWizardPage):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("First provider and service"))
        self.setSubTitle(
            self.tr("Who sees patients, on which days, and the first kind of appointment.")
        )
        self.provider_edit = QLineEdit(self)
        self.provider_edit.setAccessibleName(self.tr("Provider name"))
        self.provider_edit.setPlaceholderText(self.tr("e.g. Dr Amelia Hart"))
        self.service_edit = QLineEdit(self)
        self.service_edit.setAccessibleName(self.tr("Service name"))
        self.service_edit.setPlaceholderText(self.tr("e.g. Consultation"))
        self.minutes_spin = QSpinBox(self)
        self.minutes_spin.setRange(5, 8 * 60)
        self.minutes_spin.setSingleStep(5)
        self.minutes_spin.setValue(30)
        self.minutes_spin.setSuffix(self.tr(" min"))
        self.minutes_spin.setAccessibleName(self.tr("Service duration in minutes"))
        self.provider_problem = ProblemLabel(self.tr("Provider name"), self)
        self.service_problem = ProblemLabel(self.tr("Service name"), self)
        self.hours_problem = ProblemLabel(self.tr("Weekly hours"), self)
        self.save_problem = ProblemLabel(self.tr("Saving the clinic"), self)

        locale = QLocale(system_locale())
        self.days = [
            DayRow(self, day, locale.dayName(day + 1, QLocale.FormatType.LongFormat))
            for day in range(7)
        ]
        grid = QGridLayout()
        for row, day in enumerate(self.days):
            grid.addWidget(day.check, row, 0)
            grid.addWidget(day.start, row, 1)
            grid.addWidget(day.end, row, 2)
        hours_box = QWidget(self)
        hours_box.setLayout(grid)

        form = QFormLayout(self)
        _row(form, self.tr("&Provider:"), self.provider_edit, self.provider_problem)
        form.addRow(self.tr("Weekly hours:"), with_problem(hours_box, self.hours_problem))
        _row(form, self.tr("&Service:"), self.service_edit, self.service_problem)
        minutes_label = QLabel(self.tr("&Duration:"), self)
        minutes_label.setBuddy(self.minutes_spin)
        form.addRow(minutes_label, self.minutes_spin)
        form.addRow(self.save_problem)

    def nextId(self) -> int:
        """Overrides QWizardPage.nextId: the last setup page (Finish saves)."""
        return -1

    def hours(self) -> list[DayHours]:
        return [h for h in (day.hours() for day in self.days) if h is not None]

    def check(self) -> bool:
        ok = True
        for problem in (self.provider_problem, self.service_problem, self.hours_problem):
            problem.clear_problem()
        if not self.provider_edit.text().strip():
            self.provider_problem.show_problem(self.tr("Enter the provider's name."))
            ok = False
        if not self.service_edit.text().strip():
            self.service_problem.show_problem(self.tr("Enter the service's name."))
            ok = False
        if any(h.end <= h.start for h in self.hours()):
            self.hours_problem.show_problem(self.tr("Each day's hours must end after they start."))
            ok = False
        return ok


class DemoPage(QWizardPage):
    """Runs the demo builder once shown; Finish is offered when the clinic is there."""

    progress = Signal(str)  # emitted from the worker: a queued call to the label

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Demo clinic"))
        self.setSubTitle(self.tr("Filling this database with a made-up clinic…"))
        self.busy = QProgressBar(self)
        self.busy.setRange(0, 0)
        self.busy.setAccessibleName(self.tr("Building the demo clinic"))
        self.status = QLabel(self.tr("Starting…"), self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Demo clinic progress"))
        self.problem = ProblemLabel(self.tr("The demo clinic"), self)
        self.done = False
        layout = QVBoxLayout(self)
        layout.addWidget(self.busy)
        layout.addWidget(self.status)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        self.progress.connect(self.status.setText)
        self.setFinalPage(True)

    def isComplete(self) -> bool:
        """Overrides QWizardPage.isComplete: Finish only once the demo clinic is built."""
        return self.done


class FirstRunWizard(QWizard):
    """`finished_setup` is emitted once the clinic (or the demo) is saved, before accept()."""

    finished_setup = Signal()

    def __init__(
        self, ctx: Context, tasks: TaskRunner, engine: Engine, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self._engine = engine
        self._saving = False
        self._saved = False
        self.setWindowTitle(self.tr("Set up MedBookings"))
        self.setObjectName("first_run_wizard")
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, False)
        self.welcome = WelcomePage(self)
        self.clinic = ClinicPage(self)
        self.location = LocationPage(self)
        self.provider = ProviderPage(self)
        self.demo = DemoPage(self)
        self.setPage(Page.WELCOME, self.welcome)
        self.setPage(Page.CLINIC, self.clinic)
        self.setPage(Page.LOCATION, self.location)
        self.setPage(Page.PROVIDER, self.provider)
        self.setPage(Page.DEMO, self.demo)
        self.setStartId(Page.WELCOME)
        self.currentIdChanged.connect(self._entered)

    def first_clinic(self) -> FirstClinic:
        return FirstClinic(
            clinic_name=self.clinic.name_edit.text(),
            zone=self.clinic.zone_combo.currentText().strip(),
            locale=self.clinic.locale_combo.currentText().strip(),
            location_name=self.location.name_edit.text(),
            address_line1=self.location.address_edit.text(),
            city=self.location.city_edit.text(),
            postal_code=self.location.postcode_edit.text(),
            provider_name=self.provider.provider_edit.text(),
            hours=tuple(self.provider.hours()),
            service_name=self.provider.service_edit.text(),
            service_minutes=self.provider.minutes_spin.value(),
        )

    def saving(self) -> bool:
        return self._saving

    def accept(self) -> None:
        """Overrides QDialog.accept: Finish on the last setup page saves first, then closes."""
        if self._saved or self.currentId() == Page.DEMO:
            super().accept()
            return
        if self._saving or not self.provider.check():
            return
        first = self.first_clinic()
        self.provider.save_problem.clear_problem()
        self._busy(True)
        self._tasks.run(
            lambda: set_up_clinic(self._ctx, first),
            guarded(self, self._set_up),
            guarded(self, self._refused),
            write=True,
        )

    def reject(self) -> None:
        """Overrides QDialog.reject: not while the clinic is being written."""
        if not self._saving:
            super().reject()

    def _busy(self, busy: bool) -> None:
        self._saving = busy
        for which in (
            QWizard.WizardButton.FinishButton,
            QWizard.WizardButton.BackButton,
            QWizard.WizardButton.CancelButton,
        ):
            button = self.button(which)
            if button is not None:
                button.setEnabled(not busy)

    def _set_up(self, _result: Any) -> None:
        self._busy(False)
        self._saved = True
        self.finished_setup.emit()
        super().accept()

    def _refused(self, exc: BaseException) -> None:
        self._busy(False)
        if isinstance(exc, SetupInvalid):
            message = "\n".join(p.message for p in exc.problems) or exc.message
        elif isinstance(exc, DomainError):
            message = exc.message
        else:
            message = problem_text(exc, self.tr("The clinic could not be saved: {error}"))
        self.provider.save_problem.show_problem(message)

    def _entered(self, page_id: int) -> None:
        if page_id == Page.DEMO and not self.demo.done and not self._saving:
            self._build_demo()

    def _build_demo(self) -> None:
        from medbookings_desktop.demo import Size, build_demo

        ctx, engine, progress = self._ctx, self._engine, self.demo.progress
        self.demo.problem.clear_problem()
        self.demo.busy.setRange(0, 0)
        self._busy(True)
        self._tasks.run(
            lambda: build_demo(ctx, engine, size=Size.SMALL, progress=progress.emit),
            guarded(self, self._demo_built),
            guarded(self, self._demo_refused),
            write=True,
        )

    def _demo_built(self, _summary: Any) -> None:
        self._busy(False)
        self.demo.done = True
        self.demo.busy.setRange(0, 1)
        self.demo.busy.setValue(1)
        self.demo.status.setText(self.tr("The demo clinic is ready."))
        self.demo.completeChanged.emit()
        self._saved = True
        self.finished_setup.emit()

    def _demo_refused(self, exc: BaseException) -> None:
        self._busy(False)
        self.demo.busy.setRange(0, 1)
        self.demo.busy.setValue(0)
        self.demo.status.clear()
        self.demo.problem.show_problem(
            problem_text(exc, self.tr("The demo clinic could not be built: {error}"))
        )
