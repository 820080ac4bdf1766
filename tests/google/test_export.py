"""Export: one event per booking with a deterministic id, If-Match updates and deletes, 409
and 412 handled, Meet links stored and kept, errors per item."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from medbookings_desktop.services import booking
from medbookings_desktop.storage import tables as t
from medbookings_desktop.sync import calendar_plan as plan
from medbookings_desktop.sync.calendar_sync import CHANGED_IN_GOOGLE, CalendarSync
from tests.fakes.google_calendar_server import FakeGoogleCalendar
from tests.google.conftest import CAL_A, NINE, Sleeps, book, open_items, rows
from tests.helpers.clinic import SmallClinic


def calendar_rows(clinic: SmallClinic, appt_id: int) -> list[Any]:
    OB = t.outbox
    return rows(clinic, OB, OB.c.appointment_id == appt_id, OB.c.kind.like("calendar_%"))


def test_event_id_is_valid_base32hex_and_round_trips() -> None:
    for appt_id in (1, 42, 10**9):
        event_id = plan.event_id_for(appt_id)
        assert 5 <= len(event_id) <= 1024
        assert set(event_id) <= set("0123456789abcdefghijklmnopqrstuv")
        assert plan.appointment_of_event_id(event_id) == appt_id
    assert plan.appointment_of_event_id("outside00001x") is None


def test_a_booking_becomes_one_event_and_a_second_pass_adds_nothing(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    appt_id = book(clinic)
    report = desk.run_once()
    assert report.inserted == 1 and report.errors == 0
    [event] = gcal.live(CAL_A)
    assert event["id"] == plan.event_id_for(appt_id)
    assert event["extendedProperties"]["private"] == {"medbookings_appointment": str(appt_id)}
    assert event["summary"] == "Appointment — MedBookings"
    assert "Ada" not in str(event)  # no patient names unless the clinic turns them on
    assert "Riverside" in event["location"]
    assert "Consultation" in event["description"]
    assert plan.times_of(event, "UTC") == (NINE, NINE + timedelta(minutes=30))
    assert {r.state for r in calendar_rows(clinic, appt_id)} == {"sent"}
    [status] = rows(clinic, t.calendar_events)
    assert status.event_id == event["id"] and status.etag == event["etag"]

    again = desk.run_once()
    assert again.inserted == again.patched == 0
    assert gcal.count("events.insert") == 1
    assert len(gcal.live(CAL_A)) == 1


def test_an_insert_that_got_through_before_is_taken_over_not_duplicated(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    appt_id = book(clinic)
    # an earlier pass's insert reached Google but its answer was lost (the status never saved)
    gcal.outside_insert(
        CAL_A,
        {
            "id": plan.event_id_for(appt_id),
            "summary": "Appointment — MedBookings",
            "start": {"dateTime": "2026-06-01T08:00:00+00:00"},
            "end": {"dateTime": "2026-06-01T08:30:00+00:00"},
            "extendedProperties": {"private": {"medbookings_appointment": str(appt_id)}},
        },
    )
    gcal.expire_sync_tokens()
    report = desk.run_once()
    assert report.errors == 0
    assert gcal.count("events.insert") == 1  # answered 409
    assert gcal.count("events.patch") == 1
    assert len(gcal.live(CAL_A)) == 1
    assert open_items(clinic) == []
    assert {r.state for r in calendar_rows(clinic, appt_id)} == {"sent"}


def test_reschedule_patches_with_if_match_and_cancel_deletes(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    appt_id = book(clinic)
    desk.run_once()
    [before] = gcal.live(CAL_A)
    booking.reschedule(clinic.ctx, appt_id, start=NINE + timedelta(hours=1))
    report = desk.run_once()
    assert report.patched == 1
    [patch] = [r for r in gcal.requests if r.method == "PATCH"]
    assert {k.lower(): v for k, v in patch.headers.items()}["if-match"] == before["etag"]
    [after] = gcal.live(CAL_A)
    assert after["id"] == before["id"]
    assert plan.times_of(after, "UTC")[0] == NINE + timedelta(hours=1)  # type: ignore[index]

    booking.cancel(clinic.ctx, appt_id, reason="patient asked")
    report = desk.run_once()
    assert report.deleted == 1
    [delete] = [r for r in gcal.requests if r.method == "DELETE"]
    assert {k.lower(): v for k, v in delete.headers.items()}["if-match"] == after["etag"]
    assert gcal.live(CAL_A) == []
    assert rows(clinic, t.calendar_events) == []
    assert {r.state for r in calendar_rows(clinic, appt_id)} <= {"sent", "superseded"}


def test_412_with_an_unrelated_change_rereads_and_patches_again(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    appt_id = book(clinic)
    desk.run_once()
    event_id = plan.event_id_for(appt_id)
    # someone sets a colour just before our patch: the etag moves, the times do not
    gcal.before_next("events.patch", lambda f: f.outside_patch(CAL_A, event_id, {"colorId": "5"}))
    booking.reschedule(clinic.ctx, appt_id, start=NINE + timedelta(hours=2))
    report = desk.run_once()
    assert report.patched == 1 and report.conflicts == 0
    assert gcal.count("events.patch") == 2  # 412, then again with the etag re-read
    [event] = gcal.live(CAL_A)
    assert plan.times_of(event, "UTC")[0] == NINE + timedelta(hours=2)  # type: ignore[index]
    assert event["colorId"] == "5"


def test_412_with_a_move_in_google_goes_to_the_desk(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    appt_id = book(clinic)
    desk.run_once()
    event_id = plan.event_id_for(appt_id)
    moved = {
        "start": {"dateTime": "2026-06-01T14:00:00+00:00"},
        "end": {"dateTime": "2026-06-01T14:30:00+00:00"},
    }
    gcal.before_next("events.patch", lambda f: f.outside_patch(CAL_A, event_id, moved))
    booking.reschedule(clinic.ctx, appt_id, start=NINE + timedelta(hours=2))
    report = desk.run_once()
    assert report.conflicts == 1 and report.patched == 0
    [item] = open_items(clinic, CHANGED_IN_GOOGLE)
    assert item.appointment_id == appt_id
    [event] = gcal.live(CAL_A)
    assert event["start"]["dateTime"] == "2026-06-01T14:00:00+00:00"  # not overwritten


def test_online_visit_gets_a_meet_link_kept_across_a_reschedule(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync, sleeps: Sleeps
) -> None:
    gcal.meet_after_gets = 2
    appt_id = book(clinic, video=True)
    desk.run_once()
    [insert] = [r for r in gcal.requests if r.method == "POST" and "/events" in r.path]
    assert insert.params["conferenceDataVersion"] == ["1"]
    assert insert.json["conferenceData"]["createRequest"]["conferenceSolutionKey"] == {
        "type": "hangoutsMeet"
    }
    assert sleeps.taken == [0.5, 0.5]  # polled while pending
    [appt] = rows(clinic, t.appointments, t.appointments.c.id == appt_id)
    assert appt.meet_url and appt.meet_url.startswith("https://meet.google.example.org/")
    [event] = gcal.live(CAL_A)
    assert event["hangoutLink"] == appt.meet_url

    booking.reschedule(clinic.ctx, appt_id, start=NINE + timedelta(hours=3))
    desk.run_once()
    [after] = rows(clinic, t.appointments, t.appointments.c.id == appt_id)
    assert after.meet_url == appt.meet_url
    [event] = gcal.live(CAL_A)
    assert event["hangoutLink"] == appt.meet_url
    assert event["conferenceData"]["createRequest"]["status"]["statusCode"] == "success"
    assert gcal.count("events.insert") == 1


def test_rate_limits_back_off_and_then_go_through(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync, sleeps: Sleeps
) -> None:
    book(clinic)
    # after the token is fetched: the list is answered 403 rateLimitExceeded, then 429
    gcal.before_next("events.list", lambda f: (f.rate_limit_next(1), f.fail_next(429)))
    report = desk.run_once()
    assert report.errors == 0 and report.inserted == 1
    assert sleeps.taken == [1.0, 2.0]
    assert len(gcal.live(CAL_A)) == 1


def test_a_failing_item_retries_later_without_stopping_the_others(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    first = book(clinic)
    second = book(clinic, NINE + timedelta(hours=1))
    desk.run_once()  # the import's list goes through first
    booking.reschedule(clinic.ctx, first, start=NINE + timedelta(hours=4))
    booking.reschedule(clinic.ctx, second, start=NINE + timedelta(hours=5))
    gcal.before_next("events.patch", lambda f: f.fail_next(500, times=5))
    report = desk.run_once()
    assert report.errors == 1 and report.patched == 1
    waiting = [r for r in calendar_rows(clinic, first) if r.state == "pending"]
    assert waiting and waiting[0].next_try_at is not None and waiting[0].attempts == 1
    clinic.clock.advance(timedelta(minutes=5))
    report = desk.run_once()
    assert report.patched == 1 and report.errors == 0
    times = sorted(plan.times_of(e, "UTC")[0] for e in gcal.live(CAL_A))  # type: ignore[index]
    assert times == [NINE + timedelta(hours=4), NINE + timedelta(hours=5)]


def test_bookings_made_before_the_calendar_was_connected_are_written_once(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, keyring_store: object, sleeps: Sleeps
) -> None:
    from tests.google.conftest import connect, desk_sync

    assert clinic.dr_a.id
    first = book(clinic)
    second = book(clinic, NINE + timedelta(days=1))
    desk = desk_sync(clinic, gcal, sleeps)
    assert desk.run_once().calendars == 0  # not connected: the rows wait
    OB = t.outbox
    # the rows are superseded or handled elsewhere; the calendar is chosen later
    with clinic.ctx.write() as uow:
        uow.conn.execute(OB.update().where(OB.c.kind.like("calendar_%")).values(state="sent"))
        uow.commit()
    connect(clinic, gcal, clinic.dr_a.id, CAL_A)
    report = desk.run_once()
    assert report.inserted == 2
    ids = {plan.our_appointment(e) for e in gcal.live(CAL_A)}
    assert ids == {first, second}
    assert desk.run_once().inserted == 0


def test_a_booking_moved_to_another_provider_leaves_one_calendar_for_the_other(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    from tests.google.conftest import CAL_B, connect

    assert clinic.dr_b.id and clinic.checkup.id and clinic.ada.id and clinic.dr_a.id
    connect(clinic, gcal, clinic.dr_b.id, CAL_B)
    outcome = booking.book(
        clinic.ctx,
        patient_id=clinic.ada.id,
        provider_id=clinic.dr_a.id,
        service_id=clinic.checkup.id,
        start=NINE + timedelta(hours=1),
        location_id=clinic.london.id,
    )
    appt_id = outcome.appointment.id
    assert appt_id
    desk.run_once()
    assert len(gcal.live(CAL_A)) == 1 and gcal.live(CAL_B) == []
    booking.reschedule(
        clinic.ctx, appt_id, start=NINE + timedelta(hours=1), provider_id=clinic.dr_b.id
    )
    report = desk.run_once()
    assert report.errors == 0 and report.deleted == 1 and report.inserted == 1
    assert gcal.live(CAL_A) == []
    [event] = gcal.live(CAL_B)
    assert event["id"] == plan.event_id_for(appt_id)
