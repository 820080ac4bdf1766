"""Import: incremental lists with the sync token over every page, 410 → full read, outside
busy events as busy blocks the slot search respects, outside changes to our events handed to
the desk, an emptied calendar refused, a revoked sign-in pausing the provider, one desk per
calendar on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from medbookings_desktop.services import attention, slots
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.repositories.calendars import NEEDS_RECONNECT
from medbookings_desktop.sync import calendar_plan as plan
from medbookings_desktop.sync.calendar_sync import (
    BUSY_OVER_BOOKING,
    CALENDAR_EMPTIED,
    CHANGED_IN_GOOGLE,
    CREDENTIALS_REJECTED,
    DELETED_IN_GOOGLE,
    CalendarSync,
)
from tests.fakes.google_calendar_server import FakeGoogleCalendar
from tests.google.conftest import CAL_A, Sleeps, desk_sync, open_items, rows
from tests.google.test_export import NINE, book
from tests.helpers.clinic import SmallClinic


def outside(start: datetime, minutes: int = 60, **extra: Any) -> dict[str, Any]:
    return {
        "summary": "Hospital rounds",
        "start": {"dateTime": start.isoformat()},
        "end": {"dateTime": (start + timedelta(minutes=minutes)).isoformat()},
        **extra,
    }


def busy(clinic: SmallClinic) -> list[tuple[datetime, datetime]]:
    return sorted(
        (r.start_at, r.end_at)
        for r in rows(clinic, t.busy_blocks, t.busy_blocks.c.source == "google")
    )


def starts(clinic: SmallClinic) -> set[datetime]:
    assert clinic.consultation.id and clinic.dr_a.id
    found = slots.find_slots(
        clinic.ctx,
        service_id=clinic.consultation.id,
        provider_ids=[clinic.dr_a.id],
        start_from=NINE,
        days=1,
        limit=100,
    )
    return {s.start for s in found}


def test_outside_busy_events_block_slots_and_free_ones_do_not(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    assert NINE in starts(clinic)
    gcal.outside_insert(CAL_A, outside(NINE))  # 09:00–10:00 London
    gcal.outside_insert(CAL_A, outside(NINE + timedelta(hours=2), transparency="transparent"))
    declined = {"attendees": [{"email": CAL_A, "self": True, "responseStatus": "declined"}]}
    gcal.outside_insert(CAL_A, outside(NINE + timedelta(hours=4), **declined))
    gcal.outside_insert(
        CAL_A, {"summary": "Away", "start": {"date": "2026-06-02"}, "end": {"date": "2026-06-03"}}
    )
    report = desk.run_once()
    assert report.busy_added == 1 and report.errors == 0
    assert busy(clinic) == [(NINE, NINE + timedelta(hours=1))]
    free = starts(clinic)
    assert NINE not in free and NINE + timedelta(minutes=30) not in free
    assert NINE + timedelta(hours=1) in free
    assert NINE + timedelta(hours=2) in free  # transparent
    assert NINE + timedelta(hours=4) in free  # declined by the provider


def test_all_day_events_block_only_when_the_clinic_says_so(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    gcal.outside_insert(
        CAL_A, {"summary": "Away", "start": {"date": "2026-06-02"}, "end": {"date": "2026-06-03"}}
    )
    desk.run_once()
    assert busy(clinic) == []
    with clinic.ctx.write() as uow:
        uow.conn.execute(
            t.clinic_settings.insert().values(key="calendar_sync", value={"all_day_blocks": True})
        )
        uow.commit()
    gcal.expire_sync_tokens()
    desk.run_once()
    london_midnight = datetime(2026, 6, 1, 23, 0, tzinfo=UTC)
    assert busy(clinic) == [(london_midnight, london_midnight + timedelta(days=1))]


def test_incremental_import_reads_every_page_and_410_reads_in_full(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    gcal.page_limit = 3
    for i in range(7):
        gcal.outside_insert(CAL_A, outside(NINE + timedelta(days=i + 1), 30))
    report = desk.run_once()
    assert report.events_read == 7 and report.full_reads == 1
    assert len(busy(clinic)) == 7
    lists = [r for r in gcal.requests if r.method == "GET" and r.path.endswith("/events")]
    assert len(lists) == 3
    assert all(r.params["singleEvents"] == ["true"] for r in lists)

    extra = gcal.outside_insert(CAL_A, outside(NINE + timedelta(days=9), 30))
    report = desk.run_once()
    last = [r for r in gcal.requests if r.method == "GET" and r.path.endswith("/events")][-1]
    assert "syncToken" in last.params and report.events_read == 1 and report.full_reads == 0
    assert len(busy(clinic)) == 8

    # the token expires; meanwhile an event is removed for good (never seen as cancelled)
    gcal.expire_sync_tokens()
    with gcal.lock:
        del gcal.calendar(CAL_A)[extra["id"]]
    report = desk.run_once()
    assert report.full_reads == 1 and report.errors == 0
    assert len(busy(clinic)) == 7
    [link] = rows(clinic, t.calendar_links)
    assert link.sync_token and link.last_sync_at is not None

    # an outside event cancelled, then read incrementally: its block goes
    first = next(e for e in gcal.live(CAL_A))
    gcal.outside_delete(CAL_A, first["id"])
    desk.run_once()
    assert len(busy(clinic)) == 6


def test_a_new_outside_event_over_a_booking_needs_attention(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    appt_id = book(clinic)
    desk.run_once()
    gcal.outside_insert(CAL_A, outside(NINE - timedelta(minutes=30)))
    desk.run_once()
    [item] = open_items(clinic, BUSY_OVER_BOOKING)
    assert item.appointment_id == appt_id
    desk.run_once()
    assert len(open_items(clinic, BUSY_OVER_BOOKING)) == 1  # said once


def test_outside_move_and_delete_of_our_events_go_to_the_desk_then_revert(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    moved_id = book(clinic)
    deleted_id = book(clinic, NINE + timedelta(hours=2))
    desk.run_once()
    gcal.outside_patch(
        CAL_A,
        plan.event_id_for(moved_id),
        {
            "start": {"dateTime": "2026-06-01T15:00:00+01:00"},
            "end": {"dateTime": "2026-06-01T15:30:00+01:00"},
        },
    )
    gcal.outside_delete(CAL_A, plan.event_id_for(deleted_id))
    report = desk.run_once()
    assert report.outside_changes == 2
    [changed] = open_items(clinic, CHANGED_IN_GOOGLE)
    [gone] = open_items(clinic, DELETED_IN_GOOGLE)
    assert (changed.appointment_id, gone.appointment_id) == (moved_id, deleted_id)
    assert "2026-06-01 14:00 UTC" in changed.summary
    # nothing applied silently: the bookings stand, no busy block for our own events
    [appt] = rows(clinic, t.appointments, t.appointments.c.id == moved_id)
    assert appt.start_at == NINE
    assert busy(clinic) == []
    # held while the items are open, even when the booking changes at the desk
    desk.run_once()
    assert len(gcal.live(CAL_A)) == 1
    assert gcal.count("events.patch") == 0

    # the desk resolves both items (revert): our version goes back
    for item in (changed, gone):
        attention.resolve(clinic.ctx, item.id)
    report = desk.run_once()
    assert report.patched == 2 and report.errors == 0
    live = {e["id"]: plan.times_of(e, "UTC") for e in gcal.live(CAL_A)}
    assert live[plan.event_id_for(moved_id)] == (NINE, NINE + timedelta(minutes=30))
    assert live[plan.event_id_for(deleted_id)] == (
        NINE + timedelta(hours=2),
        NINE + timedelta(hours=2, minutes=30),
    )
    assert open_items(clinic) == []
    desk.run_once()
    assert open_items(clinic) == []


def test_a_calendar_that_suddenly_reads_empty_is_refused(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    for i in range(6):
        book(clinic, NINE + timedelta(hours=i % 3, days=(i // 3) + 1))
    gcal.outside_insert(CAL_A, outside(NINE + timedelta(days=5)))
    desk.run_once()
    assert len(gcal.live(CAL_A)) == 7
    assert len(busy(clinic)) == 1
    gcal.wipe(CAL_A)
    report = desk.run_once()
    assert report.refused == 1
    [item] = open_items(clinic)
    assert item.kind == CALENDAR_EMPTIED
    assert len(rows(clinic, t.calendar_events)) == 6  # nothing forgotten
    assert len(busy(clinic)) == 1  # nothing removed
    assert gcal.count("events.delete") == gcal.count("events.insert") - 6 == 0
    desk.run_once()
    assert len(open_items(clinic)) == 1


def test_a_revoked_sign_in_pauses_the_provider_with_an_item(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    book(clinic)
    gcal.expire_refresh_tokens()
    report = desk.run_once()
    assert report.paused == [clinic.dr_a.id]
    [link] = rows(clinic, t.calendar_links)
    assert link.state == NEEDS_RECONNECT and link.last_error
    [item] = open_items(clinic, CREDENTIALS_REJECTED)
    assert item.service == f"google:{clinic.dr_a.id}"
    assert "Mokoena" in item.summary
    seen = len(gcal.requests)
    again = desk.run_once()
    assert again.calendars == 0 and len(gcal.requests) == seen  # paused, not looping
    OB = t.outbox
    pending = rows(clinic, OB, OB.c.kind == "calendar_upsert", OB.c.state == "pending")
    assert len(pending) == 1  # waits for the reconnect


def test_an_expired_access_token_is_refreshed_quietly(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    book(clinic)
    desk.run_once()
    gcal.expire_access_tokens()
    book(clinic, NINE + timedelta(hours=2))
    report = desk.run_once()
    assert report.errors == 0 and report.inserted == 1 and report.paused == []


@pytest.mark.postgres
def test_two_desks_on_postgres_take_turns_per_calendar(
    pg_url: str, gcal: FakeGoogleCalendar, keyring_store: Any, sleeps: Sleeps
) -> None:
    from tests.google.conftest import connect
    from tests.helpers.clinic import Clock, build_small_clinic

    clinic = build_small_clinic(pg_url, Clock())
    try:
        assert clinic.dr_a.id
        connect(clinic, gcal, clinic.dr_a.id, CAL_A)
        book(clinic)
        desk_one = desk_sync(clinic, gcal, sleeps)
        desk_two = desk_sync(clinic, gcal, sleeps)
        inside = threading.Event()
        second_done = threading.Event()

        def hold(_: FakeGoogleCalendar) -> None:
            inside.set()
            second_done.wait(10)

        gcal.before_next("events.list", hold)
        results: dict[str, Any] = {}
        first = threading.Thread(target=lambda: results.update(one=desk_one.run_once()))
        first.start()
        assert inside.wait(10)
        results["two"] = desk_two.run_once()  # desk one is mid-way through the calendar
        second_done.set()
        first.join(10)
        assert results["two"].skipped_locked == 1 and results["two"].calendars == 0
        assert results["one"].inserted == 1
        assert gcal.count("events.insert") == 1 and len(gcal.live(CAL_A)) == 1
        # the lock is given back: the next pass of either desk goes ahead
        assert desk_two.run_once().calendars == 1
    finally:
        clinic.engine.dispose()


def test_a_calendar_read_recently_waits_unless_a_booking_is_waiting(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, sleeps: Sleeps, desk: CalendarSync
) -> None:
    desk.config.poll_interval = timedelta(minutes=1)
    desk.run_once()
    seen = len(gcal.requests)
    assert desk.run_once().skipped_recent == 1
    assert len(gcal.requests) == seen  # idle: no request at all
    book(clinic)
    report = desk.run_once()
    assert report.inserted == 1
    clinic.clock.advance(timedelta(seconds=61))
    assert desk.run_once().calendars == 1
    assert desk.run_once(force=True).calendars == 1


def test_patient_names_only_when_the_clinic_turns_them_on(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    from dataclasses import replace

    with clinic.ctx.write() as uow:
        uow.settings.save_clinic(replace(uow.settings.clinic(), names_in_calendar=True))
        uow.commit()
    book(clinic)
    desk.run_once()
    [event] = gcal.live(CAL_A)
    assert event["summary"] == "Ada Okafor — MedBookings"


def test_an_idle_pass_asks_google_once_per_calendar(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    book(clinic)
    desk.run_once()
    seen = len(gcal.requests)
    report = desk.run_once(force=True)
    assert report.requests == 1 and len(gcal.requests) == seen + 1  # the list; no new token


def test_thirty_idle_calendars_cost_one_batched_request(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    from medbookings_desktop.domain.clinic import Provider
    from medbookings_desktop.services import setup
    from tests.google.conftest import connect

    calendars = {}
    for i in range(29):
        provider = setup.save_provider(
            clinic.ctx,
            Provider(name=f"Locum {i:02d}", title="Dr", location_ids=frozenset({clinic.london.id})),
        )
        assert provider.id
        calendars[provider.id] = f"locum{i:02d}@example.org"
        connect(clinic, gcal, provider.id, calendars[provider.id])
    first = desk.run_once()
    assert first.calendars == 30 and first.errors == 0
    seen = len(gcal.requests)
    idle = desk.run_once(force=True)
    assert idle.calendars == 30 and idle.errors == 0
    assert idle.requests == 1
    outer = [r for r in gcal.requests[seen:] if r.path == "/batch/calendar/v3"]
    assert len(outer) == 1, [r.path for r in gcal.requests[seen:]]

    # one calendar changed: the batch, then that calendar read on its own
    some_provider, some_calendar = next(iter(calendars.items()))
    gcal.outside_insert(some_calendar, outside(NINE + timedelta(days=1)))
    changed = desk.run_once(force=True)
    assert changed.errors == 0 and changed.busy_added == 1
    assert gcal.count("batch") == 2
    [block] = rows(clinic, t.busy_blocks)
    assert block.provider_id == some_provider


def test_health_per_provider(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    from medbookings_desktop.sync.calendar_sync import sync_health

    book(clinic)
    [before] = sync_health(clinic.engine)
    assert (before.state, before.pending_exports, before.last_sync_at) == ("connected", 1, None)
    desk.run_once()
    [after] = sync_health(clinic.engine)
    assert after.pending_exports == 0 and after.last_sync_at == clinic.clock()
    assert after.last_error is None


def test_the_desk_accepts_a_move_or_a_deletion_made_in_google(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    from medbookings_desktop.sync.calendar_sync import accept_outside_change

    moved_id = book(clinic)
    deleted_id = book(clinic, NINE + timedelta(hours=2))
    desk.run_once()
    gcal.outside_patch(
        CAL_A,
        plan.event_id_for(moved_id),
        {
            "start": {"dateTime": "2026-06-01T14:00:00+01:00"},
            "end": {"dateTime": "2026-06-01T14:30:00+01:00"},
        },
    )
    gcal.outside_delete(CAL_A, plan.event_id_for(deleted_id))
    desk.run_once()
    assert len(open_items(clinic)) == 2
    assert accept_outside_change(desk, clinic.ctx, moved_id) == "moved"
    assert accept_outside_change(desk, clinic.ctx, deleted_id) == "cancelled"
    assert open_items(clinic) == []
    [moved] = rows(clinic, t.appointments, t.appointments.c.id == moved_id)
    assert moved.start_at == datetime(2026, 6, 1, 13, 0, tzinfo=UTC)
    [deleted] = rows(clinic, t.appointments, t.appointments.c.id == deleted_id)
    assert deleted.status == "cancelled"
    report = desk.run_once()
    assert report.errors == 0 and report.conflicts == 0
    [event] = gcal.live(CAL_A)
    assert plan.times_of(event, "UTC")[0] == moved.start_at  # type: ignore[index]
    assert rows(clinic, t.calendar_events, t.calendar_events.c.state == "conflict") == []
    assert open_items(clinic) == []
