"""The providers view over a real SQLite clinic: details, services offered, weekly hours (an
overlap refused with its reason, nothing saved), extra hours and time off, each change read
back from the database and from the slot search."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

import pytest
from PySide6.QtCore import QDate, QModelIndex, Qt, QTime
from PySide6.QtWidgets import QComboBox, QStyleOptionViewItem, QTimeEdit
from pytestqt.qtbot import QtBot

from medbookings_desktop.bootstrap import context_for, open_engine
from medbookings_desktop.domain.clinic import ClinicSettings, Location, TimeOff
from medbookings_desktop.services import setup, slots
from medbookings_desktop.ui.hours_editor import Col, Rule, RuleDelegate
from medbookings_desktop.ui.providers_view import ID_ROLE, ProvidersView
from medbookings_desktop.ui.tasks import TaskRunner
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

WEDNESDAY = date(2026, 6, 3)
WAIT = 10_000


@dataclass
class Desk:
    clinic: SmallClinic
    tasks: TaskRunner
    view: ProvidersView


@pytest.fixture
def desk(sqlite_url: str, clock: Clock, qtbot: QtBot) -> Iterator[Desk]:
    clinic = build_small_clinic(sqlite_url, clock)
    tasks = TaskRunner()
    view = ProvidersView(clinic.ctx, tasks, setup.clinic_settings(clinic.ctx))
    qtbot.addWidget(view)
    view.resize(1000, 650)
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.show()
    yield Desk(clinic, tasks, view)
    tasks.shutdown()
    clinic.engine.dispose()


def _choose(qtbot: QtBot, view: ProvidersView, provider_id: int) -> None:
    if view.page is not None and view.page.schedule.provider.id == provider_id:
        return
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.select_provider(provider_id)


def _saved(qtbot: QtBot, view: ProvidersView) -> None:
    """Wait for a change to be written and the page read back."""
    with qtbot.waitSignals([view.changed, view.loaded], timeout=WAIT):
        pass


def _hours_in_db(clinic: SmallClinic, pid: int) -> list[tuple[int, time, time]]:
    found = setup.provider_schedule(clinic.ctx, pid, since=WEDNESDAY).hours
    return [(h.weekday, h.start, h.end) for h in found]


def _wed_slots(clinic: SmallClinic, pid: int) -> set[date]:
    found = slots.find_slots(
        clinic.ctx,
        service_id=clinic.checkup.id or 0,
        provider_ids=[pid],
        start_from=date(2026, 6, 1),
        days=7,
        limit=500,
    )
    return {s.local_start().date() for s in found}


def test_models_pass_the_model_tester(desk: Desk, qtbot: QtBot, qtmodeltester) -> None:  # type: ignore[no-untyped-def]
    view = desk.view
    _choose(qtbot, view, desk.clinic.dr_a.id or 0)
    qtmodeltester.check(view.model)
    qtmodeltester.check(view.offered)
    qtmodeltester.check(view.hours.hours_model)
    qtmodeltester.check(view.hours.breaks_model)
    qtmodeltester.check(view.extra_model)
    qtmodeltester.check(view.off_model)


def test_providers_listed_by_name_with_details(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    names = [view.model.index(r).data() for r in range(view.model.rowCount())]
    assert names == ["Dr Lars Berg", "Dr Thandi Mokoena"]
    _choose(qtbot, view, desk.clinic.dr_a.id or 0)
    assert view.heading.text() == "Dr Thandi Mokoena"
    assert view.name_edit.text() == "Thandi Mokoena" and view.title_edit.text() == "Dr"
    assert view.colour_edit.text() == "#1a7f5a" and view.active_box.isChecked()
    assert view.hours.hours_model.rowCount() == 5
    assert view.hours.breaks_model.index(0, Col.LABEL).data() == "Lunch"
    assert view.hours.hours_model.index(0, Col.DAY).data() == "Monday"
    assert view.hours.hours_model.index(0, Col.FROM).data() == "09:00"


def test_details_saved_through_the_service(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_b.id or 0
    _choose(qtbot, view, pid)
    view.title_edit.setText("Prof")
    assert view.display_label.text() == "Prof Lars Berg"
    view.colour_edit.setText("#AA3300")
    view.active_box.setChecked(False)
    view.save_details_button.click()
    _saved(qtbot, view)
    saved = setup.provider_schedule(desk.clinic.ctx, pid, since=WEDNESDAY).provider
    assert (saved.display_name, saved.colour, saved.active) == ("Prof Lars Berg", "#aa3300", False)
    qtbot.waitUntil(lambda: view.model.index(0).data() == "Prof Lars Berg (inactive)", timeout=WAIT)


def test_empty_name_refused_with_the_message(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_b.id or 0
    _choose(qtbot, view, pid)
    view.name_edit.setText("")
    with qtbot.waitSignal(view.refused, timeout=WAIT) as refused:
        view.save_details_button.click()
    assert refused.args == ["A provider needs a name."]
    assert view.message.isVisible() and view.message.text() == "A provider needs a name."
    assert setup.provider_schedule(desk.clinic.ctx, pid, since=WEDNESDAY).provider.name == (
        "Lars Berg"
    )


def test_services_offered_toggled(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_b.id or 0
    _choose(qtbot, view, pid)
    model = view.offered
    row = model.row_of(desk.clinic.consultation.id or 0)
    index = model.index(row)
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    assert model.flags(index) & Qt.ItemFlag.ItemIsUserCheckable

    # as a click on the box does it
    assert model.setData(index, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    _saved(qtbot, view)
    offered = setup.provider_schedule(desk.clinic.ctx, pid, since=WEDNESDAY).provider.service_ids
    assert desk.clinic.consultation.id in offered
    assert model.index(row).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert slots.find_slots(
        desk.clinic.ctx,
        service_id=desk.clinic.consultation.id or 0,
        provider_ids=[pid],
        start_from=WEDNESDAY,
        days=7,
        limit=1,
    )

    assert model.setData(model.index(row), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    _saved(qtbot, view)
    offered = setup.provider_schedule(desk.clinic.ctx, pid, since=WEDNESDAY).provider.service_ids
    assert offered == {desk.clinic.checkup.id}


def test_weekly_hours_edited_and_saved(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_b.id or 0  # Mon and Wed 10:00–14:00
    _choose(qtbot, view, pid)
    editor = view.hours
    assert not editor.save_button.isEnabled()
    editor.add_hours.click()  # the day after the last: Thursday 10:00–14:00
    hours = editor.hours_model
    assert hours.rules()[-1] == Rule(3, desk.clinic.london.id or 0, time(10), time(14))
    assert hours.setData(hours.index(2, Col.TO), QTime(12, 0))
    # a second period on Monday afternoon: several a day are fine
    editor.add_hours.click()
    assert hours.setData(hours.index(3, Col.DAY), 0)
    assert hours.setData(hours.index(3, Col.FROM), QTime(15, 0))
    assert hours.setData(hours.index(3, Col.TO), QTime(18, 0))
    assert editor.save_button.isEnabled()

    editor.save_button.click()
    _saved(qtbot, view)

    assert sorted(_hours_in_db(desk.clinic, pid)) == [
        (0, time(10), time(14)),
        (0, time(15), time(18)),
        (2, time(10), time(14)),
        (3, time(10), time(12)),
    ]
    assert not editor.dirty and hours.rowCount() == 4


def test_overlapping_period_refused_and_nothing_saved(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_b.id or 0
    _choose(qtbot, view, pid)
    before = _hours_in_db(desk.clinic, pid)
    hours = view.hours.hours_model
    view.hours.add_hours.click()
    row = hours.rowCount() - 1
    assert hours.setData(hours.index(row, Col.DAY), 0)
    assert hours.setData(hours.index(row, Col.FROM), QTime(13, 0))
    assert hours.setData(hours.index(row, Col.TO), QTime(15, 0))

    with qtbot.waitSignal(view.refused, timeout=WAIT) as refused:
        view.hours.save_button.click()

    message = "Hours 10:00–14:00 and 13:00–15:00 on the same day overlap."
    assert refused.args == [message]
    assert view.message.text() == message and view.message.isVisible()
    assert _hours_in_db(desk.clinic, pid) == before
    # the edit is still there to fix
    assert view.hours.dirty and hours.rowCount() == 3


def test_a_period_that_ends_before_it_starts_is_refused(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_b.id or 0
    _choose(qtbot, view, pid)
    hours = view.hours.hours_model
    assert hours.setData(hours.index(0, Col.TO), QTime(9, 0))
    with qtbot.waitSignal(view.refused, timeout=WAIT) as refused:
        view.hours.save_button.click()
    assert refused.args == ["10:00–09:00 ends before it starts."]
    assert (0, time(10), time(14)) in _hours_in_db(desk.clinic, pid)


def test_breaks_added_and_removed(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_a.id or 0
    _choose(qtbot, view, pid)
    breaks = view.hours.breaks_model
    view.hours.breaks_table.setCurrentIndex(breaks.index(0, 0))
    view.hours.remove_break.click()  # no lunch on Mondays any more
    view.hours.add_break.click()  # a break on Saturday (the day after Friday's)
    assert breaks.setData(breaks.index(4, Col.LABEL), "Admin")
    view.hours.save_button.click()
    _saved(qtbot, view)
    found = setup.provider_schedule(desk.clinic.ctx, pid, since=WEDNESDAY).breaks
    assert sorted((b.weekday, b.label) for b in found) == [
        (1, "Lunch"),
        (2, "Lunch"),
        (3, "Lunch"),
        (4, "Lunch"),
        (5, "Admin"),
    ]


def test_revert_forgets_unsaved_hours(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    _choose(qtbot, view, desk.clinic.dr_b.id or 0)
    view.hours.add_hours.click()
    assert view.hours.hours_model.rowCount() == 3
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.hours.revert_button.click()
    assert view.hours.hours_model.rowCount() == 2 and not view.hours.dirty


def test_delegate_edits_day_and_time(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    _choose(qtbot, view, desk.clinic.dr_b.id or 0)
    table = view.hours.hours_table
    model = view.hours.hours_model
    delegate = table.itemDelegate()
    assert isinstance(delegate, RuleDelegate)
    option = QStyleOptionViewItem()
    day_editor = delegate.createEditor(table.viewport(), option, model.index(1, Col.DAY))
    assert isinstance(day_editor, QComboBox) and day_editor.count() == 7
    delegate.setEditorData(day_editor, model.index(1, Col.DAY))
    assert day_editor.currentData() == 2
    day_editor.setCurrentIndex(4)
    delegate.setModelData(day_editor, model, model.index(1, Col.DAY))
    time_editor = delegate.createEditor(table.viewport(), option, model.index(1, Col.FROM))
    assert isinstance(time_editor, QTimeEdit)
    time_editor.setTime(QTime(8, 30))
    delegate.setModelData(time_editor, model, model.index(1, Col.FROM))
    assert model.rules()[1].weekday == 4 and model.rules()[1].start == time(8, 30)
    assert model.index(1, Col.DAY).data() == "Friday"
    day_editor.deleteLater()
    time_editor.deleteLater()


def test_time_off_added_and_the_slot_search_skips_the_day(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_b.id or 0  # works Mondays and Wednesdays
    _choose(qtbot, view, pid)
    assert WEDNESDAY in _wed_slots(desk.clinic, pid)
    view.tabs.setCurrentIndex(4)
    view.off_first.setDate(QDate(2026, 6, 3))
    view.off_last.setDate(QDate(2026, 6, 3))
    assert view.off_all_day.isChecked()
    view.off_reason.setText("Training")
    view.add_off_button.click()
    _saved(qtbot, view)

    assert WEDNESDAY not in _wed_slots(desk.clinic, pid)
    assert date(2026, 6, 1) in _wed_slots(desk.clinic, pid)
    stored = setup.provider_schedule(desk.clinic.ctx, pid, since=WEDNESDAY).time_off
    # London midnight to midnight, in UTC
    assert [(o.start, o.end, o.reason) for o in stored] == [
        (datetime(2026, 6, 2, 23, tzinfo=UTC), datetime(2026, 6, 3, 23, tzinfo=UTC), "Training")
    ]
    assert view.off_model.rowCount() == 1
    assert view.off_model.index(0).data() == "Wed 3 Jun 2026 · all day · Training"
    assert view.off_model.index(0).data(ID_ROLE) == stored[0].id

    view.off_list.setCurrentIndex(view.off_model.index(0))
    view.remove_off_button.click()
    _saved(qtbot, view)
    assert WEDNESDAY in _wed_slots(desk.clinic, pid)
    assert view.off_model.rowCount() == 0


def test_part_day_time_off_in_the_providers_zone(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_b.id or 0
    _choose(qtbot, view, pid)
    view.off_first.setDate(QDate(2026, 6, 3))
    view.off_last.setDate(QDate(2026, 6, 3))
    view.off_all_day.setChecked(False)
    view.off_start.setTime(QTime(10, 0))
    view.off_end.setTime(QTime(12, 0))
    off = view.time_off_asked()
    assert off == TimeOff(
        pid, datetime(2026, 6, 3, 9, tzinfo=UTC), datetime(2026, 6, 3, 11, tzinfo=UTC), ""
    )
    view.off_end.setTime(QTime(9, 0))
    with qtbot.waitSignal(view.refused, timeout=WAIT) as refused:
        view.add_off_button.click()
    assert refused.args == ["Time off ends before it starts."]
    assert setup.provider_schedule(desk.clinic.ctx, pid, since=WEDNESDAY).time_off == ()


def test_extra_hours_added_and_removed(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_b.id or 0
    _choose(qtbot, view, pid)
    saturday = date(2026, 6, 6)
    assert saturday not in _wed_slots(desk.clinic, pid)
    view.extra_day.setDate(QDate(2026, 6, 6))
    assert view.extra_location.currentText() == "Riverside"
    view.extra_from.setTime(QTime(9, 0))
    view.extra_to.setTime(QTime(11, 0))
    view.add_extra_button.click()
    _saved(qtbot, view)
    assert saturday in _wed_slots(desk.clinic, pid)
    assert view.extra_model.index(0).data() == "Saturday, 6 June 2026 · 09:00–11:00 · Riverside"

    view.extra_list.setCurrentIndex(view.extra_model.index(0))
    view.remove_extra_button.click()
    _saved(qtbot, view)
    assert saturday not in _wed_slots(desk.clinic, pid)


def test_open_my_day_asks_for_the_provider_and_today(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_a.id or 0
    _choose(qtbot, view, pid)
    with qtbot.waitSignal(view.open_my_day, timeout=WAIT) as asked:
        view.my_day_button.click()
    assert asked.args == [pid, date(2026, 6, 1)]  # the clinic's today by the test clock


def test_new_provider_added_and_selected(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    view.add_provider("Aisha Khan")
    qtbot.waitUntil(
        lambda: view.page is not None and view.page.schedule.provider.name == "Aisha Khan",
        timeout=WAIT,
    )
    assert view.model.rowCount() == 3
    assert view.list.currentIndex().data() == "Aisha Khan"
    assert view.page is not None
    assert view.page.schedule.provider.location_ids == {desk.clinic.london.id}
    assert all(
        view.offered.index(r).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
        for r in range(view.offered.rowCount())
    )
    assert isinstance(view.list.currentIndex(), QModelIndex)


def test_keyboard_adds_a_period_and_deletes_time_off(desk: Desk, qtbot: QtBot) -> None:
    view = desk.view
    pid = desk.clinic.dr_b.id or 0
    _choose(qtbot, view, pid)
    view.activateWindow()
    # Add period puts Thursday in, at the last period's times, and moves the focus there
    view.tabs.setCurrentWidget(view.hours)
    qtbot.keyClick(view.hours.add_hours, Qt.Key.Key_Space)
    table = view.hours.hours_table
    assert table.currentIndex().row() == 2
    # the end time by keyboard: move to "To", F2 opens the time editor, type, Enter
    table.setCurrentIndex(view.hours.hours_model.index(2, Col.TO))
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = table.focusWidget()
    assert isinstance(editor, QTimeEdit)
    qtbot.keyClicks(editor, "11:30")
    assert editor.time() == QTime(11, 30)
    qtbot.keyClick(editor, Qt.Key.Key_Return)  # the delegate commits on the next turn
    qtbot.waitUntil(lambda: view.hours.hours_model.rules()[2].end == time(11, 30))
    qtbot.keyClick(table, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    _saved(qtbot, view)
    assert (3, time(10), time(11, 30)) in _hours_in_db(desk.clinic, pid)

    off_id = setup.add_time_off(
        desk.clinic.ctx,
        TimeOff(pid, datetime(2026, 6, 8, 8, tzinfo=UTC), datetime(2026, 6, 8, 12, tzinfo=UTC)),
    )
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.reload()
    view.tabs.setCurrentIndex(4)
    view.off_list.setFocus()
    view.off_list.setCurrentIndex(view.off_model.index(0))
    assert view.off_model.index(0).data(ID_ROLE) == off_id
    qtbot.keyClick(view.off_list, Qt.Key.Key_Delete)
    _saved(qtbot, view)
    assert setup.provider_schedule(desk.clinic.ctx, pid, since=WEDNESDAY).time_off == ()


def test_empty_clinic_says_what_to_do(sqlite_url: str, clock: Clock, qtbot: QtBot) -> None:
    engine, _ = open_engine(sqlite_url, backup_dir=None)
    ctx = context_for(engine, actor="test-desk", clock=clock)
    setup.save_location(ctx, Location(name="Riverside", zone="Europe/London"))
    tasks = TaskRunner()
    view = ProvidersView(ctx, tasks, ClinicSettings(zone="Europe/London"))
    qtbot.addWidget(view)
    view.show()
    qtbot.waitUntil(lambda: view.empty.isVisible(), timeout=WAIT)
    assert view.empty.text() == "No providers yet — add one."
    assert view.right.currentWidget() is view.none_chosen
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.add_provider("Aisha Khan")
    assert not view.empty.isVisible()
    assert view.heading.text() == "Aisha Khan"
    assert view.hours.add_hours.isEnabled()  # she works at the clinic's one location
    tasks.shutdown()
    engine.dispose()


def test_works_at_toggled_and_a_location_in_use_kept(desk: Desk, qtbot: QtBot) -> None:
    clinic = desk.clinic
    leeds = setup.save_location(clinic.ctx, Location(name="Leeds", zone="Europe/London"))
    view = desk.view
    pid = clinic.dr_b.id or 0
    _choose(qtbot, view, pid)
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.reload()  # Leeds was added after the page was read
    model = view.works_at
    assert [model.index(r).data() for r in range(model.rowCount())] == [
        "Riverside (Europe/London)",
        "Leeds (Europe/London)",
    ]
    leeds_row = model.row_of(leeds.id or 0)
    assert model.setData(
        model.index(leeds_row), Qt.CheckState.Checked, Qt.ItemDataRole.CheckStateRole
    )
    _saved(qtbot, view)
    provider = setup.provider_schedule(clinic.ctx, pid, since=WEDNESDAY).provider
    assert provider.location_ids == {clinic.london.id, leeds.id}
    # the hours editor offers Leeds now
    assert set(view.hours.hours_model.locations().values()) == {"Riverside", "Leeds"}

    # Riverside still has Dr Berg's weekly hours: refused, the box goes back, nothing saved
    river_row = model.row_of(clinic.london.id or 0)
    with qtbot.waitSignal(view.refused, timeout=WAIT) as refused:
        model.setData(
            model.index(river_row), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole
        )
    assert refused.args == [
        "Dr Lars Berg has hours at Riverside: remove them before taking the location away."
    ]
    assert model.index(river_row).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    provider = setup.provider_schedule(clinic.ctx, pid, since=WEDNESDAY).provider
    assert provider.location_ids == {clinic.london.id, leeds.id}
