"""Needs attention: a booking's event moved or deleted in Google Calendar is accepted (the
booking moves, or is cancelled, through the booking service) or the desk keeps its booking
(the next sync puts the event back). A real SQLite file, the local Google Calendar, the
desk's CalendarSync; the panel's work runs on the task helper."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from PySide6.QtCore import QLocale, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from medbookings_desktop.domain.errors import Refused
from medbookings_desktop.services import attention, booking
from medbookings_desktop.storage import tables as t
from medbookings_desktop.sync import calendar_plan as plan
from medbookings_desktop.sync.calendar_sync import (
    CHANGED_IN_GOOGLE,
    DELETED_IN_GOOGLE,
    HELD_KINDS,
    CalendarSync,
)
from medbookings_desktop.ui.attention_panel import GOOGLE_CHANGE_KINDS, AttentionPanel
from medbookings_desktop.ui.tasks import TaskRunner
from tests.fakes.google_calendar_server import FakeGoogleCalendar
from tests.google.conftest import CAL_A, Sleeps, connect, desk_sync, open_items, rows
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic
from tests.helpers.memory_keyring import memory_keyring

WAIT = 10_000
NINE = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # Monday 09:00 in London
TWO_PM = datetime(2026, 6, 1, 13, 0, tzinfo=UTC)  # 14:00 in London


@dataclass
class Desk:
    clinic: SmallClinic
    gcal: FakeGoogleCalendar
    sync: CalendarSync
    tasks: TaskRunner
    panel: AttentionPanel


@pytest.fixture
def desk(sqlite_url: str, clock: Clock, qtbot: QtBot) -> Iterator[Desk]:
    clinic = build_small_clinic(sqlite_url, clock)
    fake = FakeGoogleCalendar()
    fake.start()
    tasks = TaskRunner()
    try:
        with memory_keyring():
            assert clinic.dr_a.id is not None
            connect(clinic, fake, clinic.dr_a.id, CAL_A)
            sync = desk_sync(clinic, fake, Sleeps())
            panel = AttentionPanel(
                clinic.ctx,
                tasks,
                zone="Europe/London",
                locale=QLocale("en_GB"),
                calendar_sync=lambda: sync,
            )
            qtbot.addWidget(panel)
            panel.resize(900, 400)
            panel.show()
            yield Desk(clinic, fake, sync, tasks, panel)
            tasks.shutdown()
    finally:
        fake.stop()
        clinic.engine.dispose()
    assert fake.violations == [] and fake.problems == []


def book(clinic: SmallClinic, start: datetime = NINE, patient: Any = None) -> int:
    assert clinic.dr_a.id and clinic.consultation.id
    patient = patient or clinic.ada
    outcome = booking.book(
        clinic.ctx,
        patient_id=patient.id,
        provider_id=clinic.dr_a.id,
        service_id=clinic.consultation.id,
        start=start,
        location_id=clinic.london.id,
    )
    assert outcome.appointment.id is not None
    return outcome.appointment.id


def move_in_google(desk: Desk, appt_id: int, start: datetime) -> None:
    desk.gcal.outside_patch(
        CAL_A,
        plan.event_id_for(appt_id),
        {
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()},
        },
    )


def appointment(desk: Desk, appt_id: int) -> Any:
    [row] = rows(desk.clinic, t.appointments, t.appointments.c.id == appt_id)
    return row


def show_and_select(desk: Desk, qtbot: QtBot, appt_id: int) -> None:
    """Read the list, select the item about this booking."""
    panel = desk.panel
    with qtbot.waitSignal(panel.loaded, timeout=WAIT):
        panel.reload()
    for row in range(panel.model.rowCount()):
        item = panel.model.item(row)
        if item is not None and item.appointment_id == appt_id:
            panel.table.selectRow(row)
            return
    raise AssertionError(f"no item about appointment #{appt_id}")


def click_and_wait(desk: Desk, qtbot: QtBot, button: Any) -> None:
    """Click; wait for the work and the list read after it."""
    with qtbot.waitSignal(desk.panel.loaded, timeout=WAIT):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_panel_knows_the_kinds_the_import_holds() -> None:
    assert frozenset(HELD_KINDS) == GOOGLE_CHANGE_KINDS
    assert {CHANGED_IN_GOOGLE, DELETED_IN_GOOGLE} == set(GOOGLE_CHANGE_KINDS)


def test_accepting_a_move_moves_the_booking_and_resolves_the_item(
    desk: Desk, qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    appt_id = book(desk.clinic)
    desk.sync.run_once()
    move_in_google(desk, appt_id, TWO_PM)
    assert desk.sync.run_once().outside_changes == 1
    show_and_select(desk, qtbot, appt_id)
    qtmodeltester.check(desk.panel.model)
    panel = desk.panel
    assert panel.accept_button.isVisible() and panel.accept_button.isEnabled()
    assert panel.keep_button.isVisible() and panel.keep_button.isEnabled()
    # marking it dealt with would quietly keep the desk's booking: the two buttons say which
    assert not panel.resolve_button.isEnabled()
    assert not panel.send_again_button.isEnabled()

    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        click_and_wait(desk, qtbot, panel.accept_button)
    assert appointment(desk, appt_id).start_at == TWO_PM
    assert open_items(desk.clinic) == []
    assert "moved to Mon 1 Jun 14:00" in panel.note.text()
    assert panel.model.rowCount() == 0 and panel.empty.isVisible()
    # the patient hears of the move as of any other
    kinds = {r.kind for r in rows(desk.clinic, t.outbox, t.outbox.c.appointment_id == appt_id)}
    assert "change_notice" in kinds
    # the next pass writes the booking back without a conflict
    report = desk.sync.run_once()
    assert report.errors == 0 and report.conflicts == 0
    [event] = desk.gcal.live(CAL_A)
    assert plan.times_of(event, "UTC") == (TWO_PM, TWO_PM + timedelta(minutes=30))


def test_a_move_onto_a_clash_is_refused_and_the_item_stays_with_the_reason(
    desk: Desk, qtbot: QtBot, qtmodeltester: ModelTester
) -> None:
    appt_id = book(desk.clinic)
    other_id = book(desk.clinic, TWO_PM, desk.clinic.ben)
    desk.sync.run_once()
    move_in_google(desk, appt_id, TWO_PM)
    desk.sync.run_once()
    show_and_select(desk, qtbot, appt_id)
    panel = desk.panel
    click_and_wait(desk, qtbot, panel.accept_button)

    assert appointment(desk, appt_id).start_at == NINE  # not moved
    assert appointment(desk, other_id).start_at == TWO_PM
    [item] = open_items(desk.clinic, CHANGED_IN_GOOGLE)
    assert item.appointment_id == appt_id
    with pytest.raises(Refused) as refused:
        booking.reschedule(desk.clinic.ctx, appt_id, start=TWO_PM)
    reason = refused.value.message
    assert reason in panel.note.text()
    assert panel.model.reason(item.id) == reason
    [row] = [r for r in range(panel.model.rowCount()) if panel.model.item(r).id == item.id]  # type: ignore[union-attr]
    shown = panel.model.data(panel.model.index(row, 2))
    assert item.summary in shown and reason in shown
    qtmodeltester.check(panel.model)
    # the buttons are back for another try (or to keep the desk's booking)
    panel.table.selectRow(row)
    assert panel.accept_button.isEnabled() and panel.keep_button.isEnabled()


def test_a_move_outside_working_hours_is_refused(desk: Desk, qtbot: QtBot) -> None:
    appt_id = book(desk.clinic)
    desk.sync.run_once()
    move_in_google(desk, appt_id, datetime(2026, 6, 1, 18, 0, tzinfo=UTC))  # 19:00 London
    desk.sync.run_once()
    show_and_select(desk, qtbot, appt_id)
    click_and_wait(desk, qtbot, desk.panel.accept_button)
    assert appointment(desk, appt_id).start_at == NINE
    [item] = open_items(desk.clinic, CHANGED_IN_GOOGLE)
    assert desk.panel.model.reason(item.id)
    assert "Not done" in desk.panel.note.text()


def test_keeping_the_desks_booking_puts_the_event_back_at_the_next_sync(
    desk: Desk, qtbot: QtBot
) -> None:
    appt_id = book(desk.clinic)
    desk.sync.run_once()
    move_in_google(desk, appt_id, TWO_PM)
    desk.sync.run_once()
    show_and_select(desk, qtbot, appt_id)
    panel = desk.panel
    with qtbot.waitSignal(panel.changed, timeout=WAIT):
        click_and_wait(desk, qtbot, panel.keep_button)
    assert open_items(desk.clinic) == []
    assert appointment(desk, appt_id).start_at == NINE
    assert "next sync" in panel.note.text()
    report = desk.sync.run_once()
    assert report.errors == 0 and report.patched == 1
    [event] = desk.gcal.live(CAL_A)
    assert plan.times_of(event, "UTC") == (NINE, NINE + timedelta(minutes=30))
    assert desk.sync.run_once().outside_changes == 0
    assert open_items(desk.clinic) == []


def test_kept_bookings_go_back_even_when_every_calendar_is_otherwise_idle(
    desk: Desk, qtbot: QtBot
) -> None:
    """With several calendars an idle one is only polled (one batched request): the kept
    booking is queued, so its calendar is synced and the event goes back all the same."""
    clinic = desk.clinic
    assert clinic.dr_b.id is not None
    connect(clinic, desk.gcal, clinic.dr_b.id, "dr.b@example.org")
    appt_id = book(clinic)
    desk.sync.run_once()
    move_in_google(desk, appt_id, TWO_PM)
    desk.sync.run_once()
    show_and_select(desk, qtbot, appt_id)
    with qtbot.waitSignal(desk.panel.loaded, timeout=WAIT):
        qtbot.keyClick(desk.panel.table, Qt.Key.Key_K)  # the key, while the list has focus
    assert open_items(clinic) == []
    assert desk.sync.run_once().patched == 1
    [event] = desk.gcal.live(CAL_A)
    assert plan.times_of(event, "UTC") == (NINE, NINE + timedelta(minutes=30))


def test_accepting_a_deletion_cancels_the_booking_and_tells_the_patient(
    desk: Desk, qtbot: QtBot
) -> None:
    appt_id = book(desk.clinic)
    desk.sync.run_once()
    desk.gcal.outside_delete(CAL_A, plan.event_id_for(appt_id))
    desk.sync.run_once()
    show_and_select(desk, qtbot, appt_id)
    panel = desk.panel
    assert "Cancel the booking" in panel.accept_button.toolTip()
    click_and_wait(desk, qtbot, panel.accept_button)
    row = appointment(desk, appt_id)
    assert row.status == "cancelled"
    assert row.cancel_reason == "deleted in Google Calendar"
    assert open_items(desk.clinic) == []
    assert "cancelled" in panel.note.text()
    kinds = {r.kind for r in rows(desk.clinic, t.outbox, t.outbox.c.appointment_id == appt_id)}
    assert "cancellation_notice" in kinds
    report = desk.sync.run_once()
    assert report.errors == 0 and report.conflicts == 0
    assert desk.gcal.live(CAL_A) == []


def test_context_menu_and_other_items(desk: Desk, qtbot: QtBot) -> None:
    appt_id = book(desk.clinic)
    desk.sync.run_once()
    move_in_google(desk, appt_id, TWO_PM)
    desk.sync.run_once()
    with desk.clinic.ctx.write() as uow:
        uow.attention.add("reply", "A reply was not understood", NINE, service="twilio")  # type: ignore[attr-defined]
        uow.commit()
    show_and_select(desk, qtbot, appt_id)
    panel = desk.panel
    menu = [a.text() for a in panel.table.actions() if a.isVisible()]
    assert "Accept Google's change" in menu and "Keep the desk's booking" in menu
    assert panel.accept_action.shortcut().toString() == "A"
    assert panel.keep_action.shortcut().toString() == "K"
    # any other item: the Google buttons are gone, "mark as dealt with" is back
    other = next(
        r
        for r in range(panel.model.rowCount())
        if panel.model.item(r).kind == "reply"  # type: ignore[union-attr]
    )
    panel.table.selectRow(other)
    assert not panel.accept_button.isVisible() and not panel.keep_button.isVisible()
    assert not panel.accept_action.isVisible()
    assert panel.resolve_button.isEnabled()


def test_without_google_on_this_desk_a_change_can_only_be_kept(desk: Desk, qtbot: QtBot) -> None:
    appt_id = book(desk.clinic)
    desk.sync.run_once()
    move_in_google(desk, appt_id, TWO_PM)
    desk.sync.run_once()
    desk.panel.set_calendar_sync(None)
    show_and_select(desk, qtbot, appt_id)
    panel = desk.panel
    assert panel.accept_button.isVisible() and not panel.accept_button.isEnabled()
    assert "not set up" in panel.accept_button.toolTip()
    assert panel.keep_button.isEnabled()
    # a resolve through the service still counts as keeping the booking
    [item] = open_items(desk.clinic)
    attention.resolve(desk.clinic.ctx, item.id)
    assert desk.sync.run_once().patched == 1


def test_the_providers_google_tab_shows_what_waits_for_google(desk: Desk, qtbot: QtBot) -> None:
    """Sync health in the provider's Google Calendar tab: last sync and last problem (the
    link's), bookings waiting to be written and those that could not be."""
    from medbookings_desktop.integrations.google_auth import CalendarLinkStore, GoogleAccounts
    from medbookings_desktop.services import setup
    from medbookings_desktop.ui.providers_view import ProvidersView
    from tests.google.conftest import google_config

    clinic = desk.clinic
    book(clinic)
    book(clinic, TWO_PM)
    accounts = GoogleAccounts(google_config(desk.gcal), CalendarLinkStore(clinic.ctx))
    view = ProvidersView(clinic.ctx, desk.tasks, setup.clinic_settings(clinic.ctx), google=accounts)
    qtbot.addWidget(view)
    with qtbot.waitSignals([view.loaded, view.google_box.shown], timeout=WAIT):
        view.show()
    assert clinic.dr_a.id is not None
    if view.selected_provider_id != clinic.dr_a.id:
        with qtbot.waitSignal(view.google_box.shown, timeout=WAIT):
            view.select_provider(clinic.dr_a.id)
    view.tabs.setCurrentIndex(view.tabs.count() - 1)
    backlog = view.google_backlog
    qtbot.waitUntil(lambda: backlog.isVisible(), timeout=WAIT)
    assert backlog.text() == "Bookings waiting to be written to Google Calendar: 2"
    assert "not yet" in view.google_box.last_sync.text()

    desk.sync.run_once()
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.refresh()
    qtbot.waitUntil(lambda: backlog.text().endswith(": 0"), timeout=WAIT)

    # a booking the sync gave up on (as after a permanent error) is counted apart
    other = book(clinic, NINE + timedelta(hours=1))
    with clinic.engine.begin() as conn:
        conn.execute(
            t.outbox.update()
            .where(t.outbox.c.appointment_id == other, t.outbox.c.kind == "calendar_upsert")
            .values(state="failed", last_error="Bad request")
        )
    with qtbot.waitSignal(view.loaded, timeout=WAIT):
        view.refresh()
    qtbot.waitUntil(lambda: "could not be written: 1" in backlog.text(), timeout=WAIT)
    assert backlog.text().startswith("Bookings waiting to be written to Google Calendar: 0")
