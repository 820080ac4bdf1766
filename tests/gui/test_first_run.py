"""First-run wizard on a real SQLite file: set up a clinic by keyboard, or fill the demo."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import time, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QWidget, QWizard
from pytestqt.qtbot import QtBot

from medbookings_desktop.bootstrap import context_for, open_engine
from medbookings_desktop.services import setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.first_run import needs_first_run
from medbookings_desktop.storage.engine import sqlite_path
from medbookings_desktop.ui.first_run import FirstRunWizard, Page
from medbookings_desktop.ui.tasks import TaskRunner

Key = Qt.Key

# the offscreen platform's notices when a window shows and the zone completer's popup opens
offscreen_noise = pytest.mark.qt_log_ignore(
    "This plugin does not support (propagateSizeHints|raise|grabbing)"
)


@dataclass
class Desk:
    ctx: Context
    wizard: FirstRunWizard
    path: Path


@pytest.fixture
def desk(sqlite_url: str, qtbot: QtBot) -> Iterator[Desk]:
    engine, _ = open_engine(sqlite_url, backup_dir=None)
    ctx = context_for(engine, actor="first-run-test")
    tasks = TaskRunner()
    wizard = FirstRunWizard(ctx, tasks, engine)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    path = sqlite_path(sqlite_url)
    assert path is not None
    yield Desk(ctx, wizard, path)
    tasks.shutdown()
    engine.dispose()


def press(qtbot: QtBot, button: QAbstractButton | None) -> None:
    """A wizard button pressed from the keyboard (Space on the button)."""
    assert button is not None and button.isEnabled()
    button.setFocus()
    qtbot.keyClick(button, Key.Key_Space)


def next_page(qtbot: QtBot, wizard: QWizard) -> None:
    press(qtbot, wizard.button(QWizard.WizardButton.NextButton))


def retype(qtbot: QtBot, field: QWidget, text: str) -> None:
    """Select what the field holds and type over it, as a person would."""
    field.setFocus()
    qtbot.keyClick(field, Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(field, text)


def type_time(qtbot: QtBot, edit: QWidget, hh_mm: str) -> None:
    """Select the hour (Home, Shift+Right twice), type it; the separator moves to the minutes."""
    edit.setFocus()
    qtbot.keyClick(edit, Key.Key_Home)
    for _ in range(2):
        qtbot.keyClick(edit, Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    qtbot.keyClicks(edit, hh_mm)


def fill_clinic_page(qtbot: QtBot, wizard: FirstRunWizard, name: str, zone: str) -> None:
    retype(qtbot, wizard.clinic.name_edit, name)
    zone_edit = wizard.clinic.zone_combo.lineEdit()
    assert zone_edit is not None
    retype(qtbot, zone_edit, zone)
    locale_edit = wizard.clinic.locale_combo.lineEdit()
    assert locale_edit is not None
    retype(qtbot, locale_edit, "en_IE")


def test_an_empty_database_needs_the_first_run(desk: Desk) -> None:
    assert needs_first_run(desk.ctx)
    assert desk.wizard.currentId() == Page.WELCOME
    assert desk.wizard.welcome.set_up_radio.isChecked()


@offscreen_noise
def test_every_page_by_keyboard_then_finish_saves_the_clinic(qtbot: QtBot, desk: Desk) -> None:
    wizard = desk.wizard
    next_page(qtbot, wizard)
    assert wizard.currentId() == Page.CLINIC
    fill_clinic_page(qtbot, wizard, "Riverside Practice", "Europe/Dublin")
    next_page(qtbot, wizard)

    assert wizard.currentId() == Page.LOCATION
    # the clinic's name is offered, selected, so typing replaces it
    assert wizard.location.name_edit.text() == "Riverside Practice"
    qtbot.keyClicks(wizard.location.name_edit, "Riverside Quay")
    qtbot.keyClick(wizard.location.name_edit, Key.Key_Tab)
    qtbot.keyClicks(wizard.location.address_edit, "1 Quay Street")
    qtbot.keyClicks(wizard.location.city_edit, "Dublin")
    qtbot.keyClicks(wizard.location.postcode_edit, "D02 X285")
    next_page(qtbot, wizard)

    assert wizard.currentId() == Page.PROVIDER
    page = wizard.provider
    qtbot.keyClicks(page.provider_edit, "Dr Aoife Byrne")
    friday = page.days[4]
    friday.check.setFocus()
    qtbot.keyClick(friday.check, Key.Key_Space)  # not on Fridays
    assert not friday.end.isEnabled()
    type_time(qtbot, page.days[0].start, "08:30")  # Mondays from half past eight
    saturday = page.days[5]
    qtbot.keyClick(saturday.check, Key.Key_Space)  # Saturday mornings
    type_time(qtbot, saturday.end, "12:30")
    qtbot.keyClicks(page.service_edit, "Consultation")
    retype(qtbot, page.minutes_spin, "45")
    assert page.minutes_spin.value() == 45

    with qtbot.waitSignal(wizard.finished_setup, timeout=10_000):
        press(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert wizard.result() == QWizard.DialogCode.Accepted

    ctx = desk.ctx
    assert not needs_first_run(ctx)
    clinic = setup.clinic_settings(ctx)
    assert (clinic.name, clinic.zone, clinic.locale) == (
        "Riverside Practice",
        "Europe/Dublin",
        "en_IE",
    )
    with ctx.read() as uow:
        [location] = uow.locations.list()
        [service] = uow.services.list()
        [provider] = uow.providers.list()
        hours = uow.schedule.working_hours([provider.id])
    assert (location.name, location.zone, location.address) == (
        "Riverside Quay",
        "Europe/Dublin",
        "1 Quay Street, Dublin, D02 X285",
    )
    assert (service.name, service.duration) == ("Consultation", timedelta(minutes=45))
    assert provider.name == "Dr Aoife Byrne"
    assert provider.location_ids == {location.id}
    assert provider.service_ids == {service.id}
    assert sorted((h.weekday, h.start, h.end) for h in hours) == [
        (0, time(8, 30), time(17, 0)),
        (1, time(9, 0), time(17, 0)),
        (2, time(9, 0), time(17, 0)),
        (3, time(9, 0), time(17, 0)),
        (5, time(9, 0), time(12, 30)),
    ]
    assert all(h.location_id == location.id for h in hours)


@offscreen_noise
def test_an_empty_name_or_unknown_zone_keeps_next_from_moving_on(qtbot: QtBot, desk: Desk) -> None:
    wizard = desk.wizard
    next_page(qtbot, wizard)
    fill_clinic_page(qtbot, wizard, "", "Mars/Olympus_Mons")
    next_page(qtbot, wizard)
    assert wizard.currentId() == Page.CLINIC
    assert wizard.clinic.name_problem.isVisible()
    assert "clinic's name" in wizard.clinic.name_problem.text()
    assert wizard.clinic.zone_problem.isVisible()
    assert "Mars/Olympus_Mons" in wizard.clinic.zone_problem.text()
    assert wizard.clinic.name_edit.hasFocus()

    fill_clinic_page(qtbot, wizard, "Riverside Practice", "Europe/London")
    next_page(qtbot, wizard)
    assert wizard.currentId() == Page.LOCATION
    assert not wizard.clinic.name_problem.isVisibleTo(wizard.clinic)
    retype(qtbot, wizard.location.name_edit, " ")
    next_page(qtbot, wizard)
    assert wizard.currentId() == Page.LOCATION
    assert "location's name" in wizard.location.name_problem.text()
    retype(qtbot, wizard.location.name_edit, "Main")
    next_page(qtbot, wizard)
    assert wizard.currentId() == Page.PROVIDER
    # Finish with no provider nor service: both named, nothing saved, still open
    press(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    assert wizard.isVisible()
    assert "provider's name" in wizard.provider.provider_problem.text()
    assert "service's name" in wizard.provider.service_problem.text()
    assert needs_first_run(desk.ctx)


@pytest.mark.slow
@offscreen_noise
def test_a_failed_save_shows_why_keeps_the_wizard_and_saves_nothing(
    qtbot: QtBot, desk: Desk
) -> None:
    wizard = desk.wizard
    next_page(qtbot, wizard)
    fill_clinic_page(qtbot, wizard, "Riverside Practice", "Europe/London")
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    qtbot.keyClicks(wizard.provider.provider_edit, "Dr Aoife Byrne")
    qtbot.keyClicks(wizard.provider.service_edit, "Consultation")
    # another desk holds the database's write lock until the save gives up
    other = sqlite3.connect(desk.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        press(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
        assert wizard.saving()
        qtbot.waitUntil(lambda: wizard.provider.save_problem.isVisible(), timeout=60_000)
    finally:
        other.rollback()
        other.close()
    assert "locked" in wizard.provider.save_problem.text()
    assert wizard.isVisible() and not wizard.saving()
    assert needs_first_run(desk.ctx)
    with desk.ctx.read() as uow:
        assert uow.locations.list() == [] and uow.services.list() == []

    with qtbot.waitSignal(wizard.finished_setup, timeout=10_000):
        press(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    assert not needs_first_run(desk.ctx)


def test_the_demo_choice_fills_the_demo_clinic(qtbot: QtBot, desk: Desk) -> None:
    wizard = desk.wizard
    wizard.welcome.demo_radio.setFocus()
    qtbot.keyClick(wizard.welcome.demo_radio, Key.Key_Space)
    with qtbot.waitSignal(wizard.finished_setup, timeout=120_000):
        next_page(qtbot, wizard)
        assert wizard.currentId() == Page.DEMO
        assert wizard.saving()
        assert wizard.demo.busy.maximum() == 0  # a busy bar while it builds
    assert wizard.demo.isComplete()
    assert "ready" in wizard.demo.status.text()
    press(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    qtbot.waitUntil(lambda: not wizard.isVisible())
    assert wizard.result() == QWizard.DialogCode.Accepted
    assert not needs_first_run(desk.ctx)
    with desk.ctx.read() as uow:
        assert len(uow.providers.list()) >= 2
        assert uow.patients.count() > 0
