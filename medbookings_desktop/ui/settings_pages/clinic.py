"""Clinic page: name, time zone, locale and the booking rules every desk shares."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QLocale, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.services import setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.settings_pages.common import (
    ProblemLabel,
    click_on,
    guarded,
    problem_text,
    set_zone,
    with_problem,
    zone_combo,
    zone_names,
)
from medbookings_desktop.ui.tasks import TaskRunner

MINUTE = timedelta(minutes=1)


def _locale_names() -> list[str]:
    """The locales Qt (the desk's dates) and Babel (the messages' dates) both know."""
    from babel import localedata

    found = {
        QLocale(loc).name()
        for loc in QLocale.matchingLocales(
            QLocale.Language.AnyLanguage, QLocale.Script.AnyScript, QLocale.Country.AnyCountry
        )
    }
    return sorted(n for n in found if "_" in n and localedata.exists(n))


class ClinicPage(QWidget):
    """Edits ClinicSettings through services.setup.update_clinic, off the UI thread.

    `saved` carries the new ClinicSettings; `refused` the message shown when it was not saved.
    """

    saved = Signal(object)
    refused = Signal(str)

    def __init__(
        self, ctx: Context, tasks: TaskRunner, clinic: ClinicSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.clinic = clinic
        self.problems: dict[str, ProblemLabel] = {}

        self.name_edit = QLineEdit(self)
        self.name_edit.setAccessibleName(self.tr("Clinic name"))
        self.zone_combo = zone_combo(self, self.tr("Clinic time zone"))
        self.zone_note = QLabel(self)
        self.zone_note.setWordWrap(True)
        self.zone_note.setAccessibleName(self.tr("What a new time zone means"))
        self.locale_combo = QComboBox(self)
        self.locale_combo.setEditable(True)
        self.locale_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.locale_combo.addItems(_locale_names())
        self.locale_combo.setAccessibleName(self.tr("Locale for dates and times"))
        self.region_edit = QLineEdit(self)
        self.region_edit.setMaxLength(2)
        self.region_edit.setAccessibleName(self.tr("Country of local phone numbers"))
        self.region_edit.setToolTip(
            self.tr("Phone numbers typed without +country code are read as this country's (GB)")
        )
        self.grid_spin = self._minutes(1, 24 * 60, self.tr("Slot grid in minutes"))
        self.grid_spin.setToolTip(self.tr("Free slots start on this grid (every 15 minutes)"))
        self.notice_spin = self._minutes(0, 60 * 24 * 30, self.tr("Minimum notice in minutes"))
        self.notice_spin.setToolTip(self.tr("How soon before it starts a slot can still be booked"))
        self.horizon_spin = QSpinBox(self)
        self.horizon_spin.setRange(1, 3650)
        self.horizon_spin.setSuffix(self.tr(" days"))
        self.horizon_spin.setAccessibleName(self.tr("Booking horizon in days"))
        self.horizon_spin.setToolTip(self.tr("How far ahead appointments can be booked"))
        self.names_check = QCheckBox(
            self.tr("Patients' names in the providers' calendars (otherwise the service only)"),
            self,
        )
        self.names_check.setAccessibleName(self.tr("Patients' names in calendars"))

        form = QFormLayout()
        rows: list[tuple[str, str, QWidget]] = [
            ("name", self.tr("&Name:"), self.name_edit),
            ("zone", self.tr("&Time zone:"), self.zone_combo),
            ("locale", self.tr("&Locale:"), self.locale_combo),
            ("phone_region", self.tr("&Phone country:"), self.region_edit),
            ("slot_grid", self.tr("Slot &grid:"), self.grid_spin),
            ("minimum_notice", self.tr("Minimum &notice:"), self.notice_spin),
            ("booking_horizon", self.tr("Booking &horizon:"), self.horizon_spin),
        ]
        for key, text, field in rows:
            problem = ProblemLabel(text.replace("&", "").rstrip(":"), self)
            self.problems[key] = problem
            row = with_problem(field, problem)
            if key == "zone":
                row_layout = row.layout()
                assert row_layout is not None
                row_layout.addWidget(self.zone_note)
            label = QLabel(text, self)
            label.setBuddy(field)
            form.addRow(label, row)
        form.addRow("", self.names_check)

        self.general_problem = ProblemLabel(self.tr("the clinic settings"), self)
        self.status = QLabel(self)
        self.status.setAccessibleName(self.tr("Clinic settings saved"))
        self.save_button = QPushButton(self.tr("&Save clinic settings"), self)
        click_on(QKeySequence.StandardKey.Save, self.save_button, self)
        self.save_button.setToolTip(self.tr("Save the clinic settings (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)
        self.revert_button = QPushButton(self.tr("&Revert"), self)
        self.revert_button.setToolTip(self.tr("Put back the saved values"))
        self.revert_button.clicked.connect(lambda: self.show_clinic(self.clinic))

        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.revert_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.general_problem)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self.zone_combo.currentTextChanged.connect(self._explain_zone)
        self.show_clinic(clinic)

    def _minutes(self, low: int, high: int, name: str) -> QSpinBox:
        spin = QSpinBox(self)
        spin.setRange(low, high)
        spin.setSuffix(self.tr(" min"))
        spin.setAccessibleName(name)
        return spin

    def show_clinic(self, clinic: ClinicSettings) -> None:
        self.clinic = clinic
        self.name_edit.setText(clinic.name)
        set_zone(self.zone_combo, clinic.zone)
        self.locale_combo.setCurrentText(clinic.locale)
        self.region_edit.setText(clinic.phone_region)
        self.grid_spin.setValue(int(clinic.slot_grid / MINUTE))
        self.notice_spin.setValue(int(clinic.minimum_notice / MINUTE))
        self.horizon_spin.setValue(clinic.booking_horizon.days)
        self.names_check.setChecked(clinic.names_in_calendar)
        self._clear_problems()
        self._explain_zone(clinic.zone)

    def _clear_problems(self) -> None:
        for problem in self.problems.values():
            problem.clear_problem()
        self.general_problem.clear_problem()

    def _explain_zone(self, zone: str) -> None:
        """A new zone moves no booking: say so, with what 09:00 tomorrow becomes."""
        old = self.clinic.zone
        if zone == old or zone not in zone_names():
            self.zone_note.hide()
            return
        before = ZoneInfo(old)
        tomorrow = self._ctx.now().astimezone(before).date() + timedelta(days=1)
        nine = datetime.combine(tomorrow, time(9), before)
        after = nine.astimezone(ZoneInfo(zone))
        if after.date() == tomorrow:
            shown = f"{after:%H:%M}"
        else:
            day = QLocale(self.clinic.locale).toString(
                QDate(after.year, after.month, after.day), "ddd d MMM"
            )
            shown = f"{day} {after:%H:%M}"
        self.zone_note.setText(
            self.tr(
                "Appointments already booked keep their moment in time; only the clock they "
                "are shown in changes. 09:00 tomorrow in {old} is {new} in {zone}."
            ).format(old=old, new=shown, zone=zone)
        )
        self.zone_note.show()

    def changes(self) -> dict[str, Any]:
        """What the form says, as keyword arguments for update_clinic."""
        return {
            "name": self.name_edit.text().strip(),
            "zone": self.zone_combo.currentText().strip(),
            "locale": self.locale_combo.currentText().strip(),
            "phone_region": self.region_edit.text().strip().upper(),
            "slot_grid": self.grid_spin.value() * MINUTE,
            "minimum_notice": self.notice_spin.value() * MINUTE,
            "booking_horizon": timedelta(days=self.horizon_spin.value()),
            "names_in_calendar": self.names_check.isChecked(),
        }

    def _check_form(self, changes: dict[str, Any]) -> None:
        # what ClinicSettings itself does not check; the rest is its to refuse
        if not changes["name"]:
            raise InvalidInput(self.tr("The clinic needs a name."), "name")
        from babel import localedata

        locale = changes["locale"]
        if QLocale(locale).name() != locale or not localedata.exists(locale):
            raise InvalidInput(
                self.tr("Unknown locale {locale!r}: use a name such as en_GB.").format(
                    locale=changes["locale"]
                ),
                "locale",
            )
        import phonenumbers

        if changes["phone_region"] not in phonenumbers.SUPPORTED_REGIONS:
            raise InvalidInput(
                self.tr("Unknown country code {code!r}: use two letters such as GB.").format(
                    code=changes["phone_region"]
                ),
                "phone_region",
            )

    def save(self) -> None:
        self._clear_problems()
        self.status.clear()
        changes = self.changes()
        try:
            self._check_form(changes)
        except InvalidInput as exc:
            self._show_refusal(exc)
            return
        ctx = self._ctx
        self.save_button.setEnabled(False)
        self._tasks.run(
            lambda: setup.update_clinic(ctx, **changes),
            guarded(self, self._saved),
            guarded(self, self._show_refusal),
            write=True,
        )

    def _saved(self, clinic: ClinicSettings) -> None:
        self.save_button.setEnabled(True)
        self.show_clinic(clinic)
        self.status.setText(self.tr("Saved."))
        self.saved.emit(clinic)

    def _show_refusal(self, exc: BaseException) -> None:
        self.save_button.setEnabled(True)
        message = problem_text(exc, self.tr("The clinic settings were not saved: {error}"))
        field = getattr(exc, "field", None)
        target = self.problems.get(field or "", self.general_problem)
        target.show_problem(message)
        self.refused.emit(message)
