"""The settings dialog over a real SQLite clinic: every page saves through the services."""

from __future__ import annotations

import dataclasses
import hashlib
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.messages import OutboxKind
from medbookings_desktop.services import booking, clinic_admin, setup, templates
from medbookings_desktop.settings import (
    DATABASE_PASSWORD_KEY,
    KEYRING_SERVICE,
    DeskSettings,
    load_settings,
)
from medbookings_desktop.storage import revisions
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import create_db_engine
from medbookings_desktop.ui.settings_dialog import SettingsDialog
from medbookings_desktop.ui.settings_pages.database import Verdict
from medbookings_desktop.ui.settings_pages.templates import sms_parts
from medbookings_desktop.ui.tasks import TaskRunner
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring


@dataclass
class Setup:
    clinic: SmallClinic
    dialog: SettingsDialog
    tasks: TaskRunner
    desk: DeskSettings
    keyring: MemoryKeyring
    db_path: Path


@pytest.fixture
def settings_setup(sqlite_url: str, clock: Clock, qtbot: QtBot, tmp_path: Path) -> Iterator[Setup]:
    clinic = build_small_clinic(sqlite_url, clock)
    tasks = TaskRunner()
    home = tmp_path / "desk"
    desk = load_settings(env={"MEDBOOKINGS_HOME": str(home)})
    desk = dataclasses.replace(desk, database_url=sqlite_url)
    with memory_keyring() as store:
        dialog = SettingsDialog(
            clinic.ctx,
            tasks,
            setup.clinic_settings(clinic.ctx),
            desk,
            database_in_use="SQLite: clinic.sqlite3",
        )
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitUntil(lambda: not tasks.busy())  # the locations and templates are read
        db_path = Path(sqlite_url.removeprefix("sqlite:///"))
        yield Setup(clinic, dialog, tasks, desk, store, db_path)
        tasks.shutdown()
    clinic.engine.dispose()


def _clinic(s: Setup) -> ClinicSettings:
    return setup.clinic_settings(s.clinic.ctx)


def _audit_count(s: Setup) -> int:
    with s.clinic.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(t.audit_log)) or 0)


# -- the dialog --------------------------------------------------------------------------------


def test_pages_are_listed_on_the_left_and_another_can_be_added(
    settings_setup: Setup, qtbot: QtBot
) -> None:
    dialog = settings_setup.dialog
    titles = [dialog.page_list.item(r).text() for r in range(dialog.page_list.count())]
    assert titles == [
        "Clinic",
        "Locations",
        "Reminders",
        "Message templates",
        "Google",
        "Messaging",
        "Database (this desk)",
    ]
    assert dialog.current_page() is dialog.clinic_page
    dialog.show_page("Reminders")
    assert dialog.current_page() is dialog.reminders_page
    qtbot.keyClick(dialog, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert dialog.current_page() is dialog.templates_page

    extra = QLabel("Integrations go here")
    row = dialog.add_page("Integrations", extra)
    assert row == 7 and dialog.page_list.item(7).text() == "Integrations"
    dialog.show_page(row)
    assert dialog.current_page() is extra


# -- clinic ------------------------------------------------------------------------------------


def test_clinic_name_and_zone_are_saved_with_a_word_on_what_a_zone_change_means(
    settings_setup: Setup, qtbot: QtBot
) -> None:
    page = settings_setup.dialog.clinic_page
    assert page.name_edit.text() == "Riverside Clinic"
    assert page.zone_combo.currentText() == "Europe/London"
    assert page.zone_note.isHidden()

    page.name_edit.setText("Riverside Health")
    page.zone_combo.setCurrentText("Europe/Paris")
    assert page.zone_note.isVisible()
    # the clock says Monday 1 June 2026 (summer): 09:00 London is 10:00 Paris
    assert "09:00 tomorrow in Europe/London is 10:00 in Europe/Paris" in page.zone_note.text()
    assert "keep their moment in time" in page.zone_note.text()

    with qtbot.waitSignals([page.saved, settings_setup.dialog.clinic_changed]):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    saved = _clinic(settings_setup)
    assert (saved.name, saved.zone) == ("Riverside Health", "Europe/Paris")
    assert saved.reminder_offsets == (timedelta(hours=24), timedelta(hours=2))
    assert settings_setup.dialog.clinic == saved
    assert page.status.text() == "Saved."
    assert page.zone_note.isHidden()  # Paris is now the saved zone


def test_the_zone_combo_finds_zones_by_any_part_of_their_name(settings_setup: Setup) -> None:
    combo = settings_setup.dialog.clinic_page.zone_combo
    completer = combo.completer()
    completer.setCompletionPrefix("howe")
    found = [
        completer.completionModel().index(r, 0).data()
        for r in range(completer.completionModel().rowCount())
    ]
    assert found == ["Australia/Lord_Howe"]


@pytest.mark.parametrize(
    ("field", "change", "words"),
    [
        ("zone", lambda p: p.zone_combo.setEditText("Mars/Olympus_Mons"), "Unknown time zone"),
        ("slot_grid", lambda p: p.grid_spin.setValue(3), "between 5 and 120 minutes"),
        ("name", lambda p: p.name_edit.setText("  "), "needs a name"),
        ("locale", lambda p: p.locale_combo.setEditText("xx_YY"), "Unknown locale"),
        # Qt knows it, Babel (the messages' dates) does not: refused rather than shown in en_GB
        ("locale", lambda p: p.locale_combo.setEditText("az_TR"), "Unknown locale"),
    ],
)
def test_an_invalid_value_is_refused_next_to_its_field_and_nothing_is_saved(
    settings_setup: Setup, qtbot: QtBot, field: str, change: object, words: str
) -> None:
    page = settings_setup.dialog.clinic_page
    before, audits = _clinic(settings_setup), _audit_count(settings_setup)
    page.name_edit.setText("Renamed Clinic")
    change(page)  # type: ignore[operator]
    with qtbot.waitSignal(page.refused) as refused:
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert words in refused.args[0]
    problem = page.problems[field]
    assert problem.isVisible() and words in problem.text()
    others = [p for name, p in page.problems.items() if name != field]
    assert not any(p.isVisible() for p in others)
    assert _clinic(settings_setup) == before
    assert _audit_count(settings_setup) == audits
    assert page.save_button.isEnabled()


def test_the_locale_list_offers_only_what_the_messages_can_format(settings_setup: Setup) -> None:
    from babel import localedata

    combo = settings_setup.dialog.clinic_page.locale_combo
    offered = [combo.itemText(i) for i in range(combo.count())]
    assert "en_GB" in offered and "de_DE" in offered and "az_TR" not in offered
    assert all(localedata.exists(name) for name in offered)


# -- locations ---------------------------------------------------------------------------------


def test_a_location_is_added_and_listed(settings_setup: Setup, qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    page = settings_setup.dialog.locations_page
    settings_setup.dialog.show_page("Locations")
    qtmodeltester.check(page.model)
    assert page.model.rowCount() == 1
    assert page.model.index(0).data() == "Riverside"

    qtbot.mouseClick(page.new_button, Qt.MouseButton.LeftButton)
    assert page.form_title.text() == "New location"
    assert page.zone_combo.currentText() == "Europe/London"  # the clinic's zone to start with
    page.name_edit.setText("Hillside")
    page.address_edits["address_line1"].setText("2 Hill Road")
    page.address_edits["city"].setText("Leeds")
    page.address_edits["postal_code"].setText("LS1 1AA")
    page.phone_edit.setText("020 7946 0999")
    with qtbot.waitSignals([page.saved, page.loaded, settings_setup.dialog.locations_changed]):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)

    found = {loc.name: loc for loc in clinic_admin.locations(settings_setup.clinic.ctx)}
    hillside = found["Hillside"]
    assert hillside.address == "2 Hill Road, Leeds, LS1 1AA"
    assert (hillside.phone, hillside.zone) == ("020 7946 0999", "Europe/London")
    assert [page.model.index(r).data() for r in range(page.model.rowCount())] == [
        "Riverside",
        "Hillside",
    ]
    assert page.list_view.currentIndex().row() == 1
    qtmodeltester.check(page.model)

    # editing the selected one changes it in place
    page.address_edits["address_line2"].setText("Unit 4")
    with qtbot.waitSignals([page.saved, page.loaded]):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    again = {loc.name: loc for loc in clinic_admin.locations(settings_setup.clinic.ctx)}
    assert again["Hillside"].id == hillside.id
    assert again["Hillside"].address_line2 == "Unit 4"
    assert len(again) == 2


def test_a_location_without_a_name_is_refused_next_to_the_name(
    settings_setup: Setup, qtbot: QtBot
) -> None:
    page = settings_setup.dialog.locations_page
    settings_setup.dialog.show_page("Locations")
    page.new_location()
    page.address_edits["city"].setText("Leeds")
    with qtbot.waitSignal(page.refused):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert page.problems["name"].isVisible()
    assert "needs a name" in page.problems["name"].text()
    assert len(clinic_admin.locations(settings_setup.clinic.ctx)) == 1


# -- reminders ---------------------------------------------------------------------------------


def test_new_reminder_offsets_apply_to_the_next_booking(
    settings_setup: Setup, qtbot: QtBot
) -> None:
    page = settings_setup.dialog.reminders_page
    settings_setup.dialog.show_page("Reminders")
    texts = [page.list_widget.item(r).text() for r in range(page.list_widget.count())]
    assert texts == ["24 hours before", "2 hours before"]
    assert "bookings made (or moved) from now on" in page.findChild(QLabel).text()

    while page.list_widget.count():
        page.list_widget.setCurrentRow(0)
        qtbot.mouseClick(page.remove_button, Qt.MouseButton.LeftButton)
    assert page.empty_label.isVisible()
    page.amount_spin.setValue(2)
    page.unit_combo.setCurrentIndex(2)  # days
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    page.amount_spin.setValue(30)
    page.unit_combo.setCurrentIndex(0)  # minutes
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    # the same again is refused next to the list, and not added
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    assert page.problem.isVisible() and "twice" in page.problem.text()
    assert [page.list_widget.item(r).text() for r in range(page.list_widget.count())] == [
        "2 days before",
        "30 minutes before",
    ]

    with qtbot.waitSignals([page.saved, settings_setup.dialog.clinic_changed]):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert _clinic(settings_setup).reminder_offsets == (timedelta(days=2), timedelta(minutes=30))

    c = settings_setup.clinic
    # Wednesday 3 June, 10:00 London (09:00 UTC): both reminders are still ahead
    start = datetime(2026, 6, 3, 9, 0, tzinfo=UTC)
    outcome = booking.book(
        c.ctx,
        patient_id=c.ada.id or 0,
        provider_id=c.dr_a.id or 0,
        service_id=c.checkup.id or 0,
        start=start,
    )
    with c.ctx.read() as uow:
        rows = uow.outbox.for_appointment(outcome.appointment.id or 0)
    reminders = sorted((r for r in rows if r.kind is OutboxKind.REMINDER), key=lambda r: r.due_at)
    assert [r.payload["offset_minutes"] for r in reminders] == [2 * 24 * 60, 30]
    assert [r.due_at for r in reminders] == [
        start - timedelta(days=2),
        start - timedelta(minutes=30),
    ]


# -- message templates -------------------------------------------------------------------------


def test_the_preview_shows_the_text_rendered_with_sample_data(
    settings_setup: Setup, qtbot: QtBot
) -> None:
    page = settings_setup.dialog.templates_page
    settings_setup.dialog.show_page("Message templates")
    page.select("confirmation", "sms")
    assert page.state_label.text() == "MedBookings' default text"
    # the clock says Monday 1 June: the sample visit is tomorrow at 14:30, London time
    assert page.preview.toPlainText() == (
        "Riverside Clinic: Consultation with Dr Thandi Mokoena booked for Tuesday 2 June 2026 "
        "14:30 (Europe/London). Reply C to confirm, X to cancel."
    )
    assert page.count_label.text().endswith("characters, 1 SMS")
    names = [
        page.placeholder_list.item(r).data(Qt.ItemDataRole.UserRole + 1)
        for r in range(page.placeholder_list.count())
    ]
    assert "patient_first_name" in names and "reason" not in names

    page.select("cancellation_notice", "email_body")
    assert "reason" in [
        page.placeholder_list.item(r).data(Qt.ItemDataRole.UserRole + 1)
        for r in range(page.placeholder_list.count())
    ]
    with qtbot.waitSignal(page.preview_updated):
        page.editor.setPlainText("Sorry {{ patient_first_name }}: {{ reason }}.")
    assert page.preview.toPlainText() == "Sorry Ada: The provider is unwell."
    assert page.state_label.text() == "Changed, not saved yet"


def test_a_template_is_saved_and_a_broken_one_refused_with_its_line(
    settings_setup: Setup, qtbot: QtBot
) -> None:
    page = settings_setup.dialog.templates_page
    settings_setup.dialog.show_page("Message templates")
    ctx = settings_setup.clinic.ctx
    page.select("reminder", "sms")
    text = "{{ clinic_name }}: see you {{ date }} at {{ time }}, {{ patient_first_name }}."
    page.editor.setPlainText(text)
    with qtbot.waitSignals([page.saved, settings_setup.dialog.templates_changed]):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert templates.get_template(ctx, "reminder", "sms").text == text
    assert page.state_label.text() == "The clinic's own text"
    assert page.reset_button.isEnabled()

    page.editor.setPlainText("Hello\n{{ patient_nmae }}")
    assert page.problem.isVisible()  # said as it is typed, before any save
    assert page.problem.text().startswith("⚠ Line 2: Unknown placeholder 'patient_nmae'")
    assert page.preview.toPlainText() == ""
    with qtbot.waitSignal(page.refused) as refused:
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert refused.args[0].startswith("Line 2: Unknown placeholder")
    page.editor.setPlainText("Hello {% if online %}")
    with qtbot.waitSignal(page.refused) as refused:
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert refused.args[0].startswith("Line 1:") and "endif" in refused.args[0]
    assert templates.get_template(ctx, "reminder", "sms").text == text

    with qtbot.waitSignal(page.saved):
        qtbot.mouseClick(page.reset_button, Qt.MouseButton.LeftButton)
    assert templates.get_template(ctx, "reminder", "sms").is_default
    assert page.editor.toPlainText() == templates.default_text("reminder", "sms")


def test_a_draft_survives_switching_channel(settings_setup: Setup) -> None:
    page = settings_setup.dialog.templates_page
    settings_setup.dialog.show_page("Message templates")
    page.select("reminder", "whatsapp")
    page.editor.setPlainText("Draft {{ time }}")
    page.select("reminder", "sms")
    assert page.editor.toPlainText() == templates.default_text("reminder", "sms")
    page.select("reminder", "whatsapp")
    assert page.editor.toPlainText() == "Draft {{ time }}"
    assert page.whatsapp_note.isVisible()


# -- database ----------------------------------------------------------------------------------


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _test(s: Setup, qtbot: QtBot) -> Verdict:
    page = s.dialog.database_page
    s.dialog.show_page("Database (this desk)")
    with qtbot.waitSignal(page.tested) as tested:
        qtbot.mouseClick(page.test_button, Qt.MouseButton.LeftButton)
    verdict: Verdict = tested.args[0].verdict
    return verdict


def test_test_connection_to_the_clinics_sqlite_file_is_ok(
    settings_setup: Setup, qtbot: QtBot
) -> None:
    page = settings_setup.dialog.database_page
    settings_setup.dialog.show_page("Database (this desk)")
    assert page.sqlite_radio.isChecked()
    assert page.path_edit.text() == str(settings_setup.db_path)
    assert page.in_use_label.text() == "In use now: SQLite: clinic.sqlite3"
    assert _test(settings_setup, qtbot) is Verdict.CURRENT
    assert page.result_label.text().startswith("✓ Connected. Schema version")
    assert not page.problem.isVisible()


def _stamped_copy(template: Path, target: Path, revision: str) -> Path:
    shutil.copyfile(template, target)
    engine = create_db_engine(f"sqlite:///{target}")
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = ?", (revision,))
    engine.dispose()  # folds the WAL into the file
    return target


def test_a_newer_database_is_reported_and_left_untouched(
    settings_setup: Setup, qtbot: QtBot, sqlite_template: Path, tmp_path: Path
) -> None:
    newer = _stamped_copy(sqlite_template, tmp_path / "newer.sqlite3", "9999_from_the_future")
    before = _sha(newer)
    page = settings_setup.dialog.database_page
    settings_setup.dialog.show_page("Database (this desk)")
    page.path_edit.setText(str(newer))
    assert _test(settings_setup, qtbot) is Verdict.TOO_NEW
    assert page.problem.isVisible()
    assert "9999_from_the_future, written by a newer MedBookings" in page.problem.text()
    assert _sha(newer) == before
    assert not Path(f"{newer}-wal").exists()


def test_an_older_database_is_said_to_be_upgraded_and_a_missing_file_created(
    settings_setup: Setup, qtbot: QtBot, sqlite_template: Path, tmp_path: Path
) -> None:
    first = revisions.known_revisions()[0]
    older = _stamped_copy(sqlite_template, tmp_path / "older.sqlite3", first)
    before = _sha(older)
    page = settings_setup.dialog.database_page
    settings_setup.dialog.show_page("Database (this desk)")
    page.path_edit.setText(str(older))
    assert _test(settings_setup, qtbot) is Verdict.OLDER
    assert "will be upgraded on the next start" in page.result_label.text()
    assert _sha(older) == before

    page.path_edit.setText(str(tmp_path / "new.sqlite3"))
    assert _test(settings_setup, qtbot) is Verdict.NEW_FILE
    assert not (tmp_path / "new.sqlite3").exists()
    page.path_edit.setText(str(tmp_path / "no" / "such" / "folder" / "x.sqlite3"))
    assert _test(settings_setup, qtbot) is Verdict.FAILED
    assert "does not exist" in page.problem.text()
    (tmp_path / "junk.sqlite3").write_text("not a database", encoding="utf-8")
    page.path_edit.setText(str(tmp_path / "junk.sqlite3"))
    assert _test(settings_setup, qtbot) is Verdict.FAILED
    assert "Could not connect" in page.problem.text()


@pytest.mark.postgres
def test_test_connection_to_postgresql(settings_setup: Setup, qtbot: QtBot, pg_url: str) -> None:
    page = settings_setup.dialog.database_page
    settings_setup.dialog.show_page("Database (this desk)")
    page.postgres_radio.setChecked(True)
    page.url_edit.setText(pg_url)
    assert _test(settings_setup, qtbot) is Verdict.CURRENT
    page.url_edit.setText(pg_url.rsplit("/", 1)[0] + "/mb_no_such_database")
    assert _test(settings_setup, qtbot) is Verdict.FAILED
    assert "mb_no_such_database" in page.problem.text()


def test_a_postgresql_url_is_saved_without_its_password(
    settings_setup: Setup, qtbot: QtBot
) -> None:
    page = settings_setup.dialog.database_page
    settings_setup.dialog.show_page("Database (this desk)")
    page.postgres_radio.setChecked(True)
    page.url_edit.setText("postgresql+psycopg://reception@db.example.org:5432/medbookings")
    page.password_edit.setText("s3cret-Pa55")
    with qtbot.waitSignals([page.saved, settings_setup.dialog.database_saved]):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    config = settings_setup.desk.config_file
    assert config is not None and config.exists()
    text = config.read_text(encoding="utf-8")
    assert "s3cret" not in text
    assert "reception@db.example.org:5432/medbookings" in text
    assert settings_setup.keyring.store == {(KEYRING_SERVICE, DATABASE_PASSWORD_KEY): "s3cret-Pa55"}
    assert "Restart MedBookings" in page.status.text()
    assert page.password_edit.text() == ""

    # back to a file: the file names it and the password is forgotten
    page.sqlite_radio.setChecked(True)
    page.path_edit.setText(str(settings_setup.db_path))
    with qtbot.waitSignal(page.saved):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert load_settings(config, env={}).database_url == f"sqlite:///{settings_setup.db_path}"
    assert settings_setup.keyring.store == {}


def test_a_url_that_is_not_postgresql_is_refused(settings_setup: Setup, qtbot: QtBot) -> None:
    page = settings_setup.dialog.database_page
    settings_setup.dialog.show_page("Database (this desk)")
    page.postgres_radio.setChecked(True)
    page.url_edit.setText("mysql://db.example.org/clinic")
    with qtbot.waitSignal(page.refused):
        qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    assert "postgresql://" in page.problem.text()
    config = settings_setup.desk.config_file
    assert config is not None and not config.exists()


# -- keyboard ----------------------------------------------------------------------------------


def test_ctrl_s_saves_the_page_shown_and_delete_removes_a_reminder(
    settings_setup: Setup, qtbot: QtBot
) -> None:
    dialog = settings_setup.dialog
    dialog.activateWindow()
    qtbot.waitActive(dialog)
    page = dialog.clinic_page
    page.name_edit.setFocus()
    page.name_edit.setText("Riverside by Keyboard")
    with qtbot.waitSignal(page.saved):
        qtbot.keyClick(page.name_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert _clinic(settings_setup).name == "Riverside by Keyboard"

    dialog.show_page("Reminders")
    reminders = dialog.reminders_page
    reminders.list_widget.setFocus()
    reminders.list_widget.setCurrentRow(1)
    qtbot.keyClick(reminders.list_widget, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: reminders.list_widget.count() == 1)
    with qtbot.waitSignal(reminders.saved):
        qtbot.keyClick(reminders.list_widget, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert _clinic(settings_setup).reminder_offsets == (timedelta(hours=24),)
    assert _clinic(settings_setup).name == "Riverside by Keyboard"  # one page, one save


def test_sms_parts_count_as_the_network_does() -> None:
    assert sms_parts("a" * 160) == (160, 1)
    assert sms_parts("a" * 161) == (161, 2)
    assert sms_parts("a" * 306) == (306, 2)
    assert sms_parts("a" * 307) == (307, 3)
    assert sms_parts("€" * 80) == (80, 1)  # an extended character costs two
    assert sms_parts("ł" * 70) == (70, 1)  # outside GSM: UCS-2, 70 a part
    assert sms_parts("ł" * 71) == (71, 2)
