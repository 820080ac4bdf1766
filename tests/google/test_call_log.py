"""Every Google call lands in the integration log (service, operation, duration, outcome,
error), through the real google-api-python-client against the local fake, and nothing in a
row names a calendar, an event, a patient or an e-mail address."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from medbookings_desktop.integrations import google_auth
from medbookings_desktop.integrations import google_call_log as gcl
from medbookings_desktop.integrations.google_auth import (
    CalendarLinkStore,
    GoogleAccounts,
    credentials_for,
)
from medbookings_desktop.integrations.google_places import (
    PlacesClient,
    PlacesError,
    new_session_token,
)
from medbookings_desktop.services import alerts, booking, health
from medbookings_desktop.storage import tables as t
from medbookings_desktop.sync import calendar_plan as plan
from medbookings_desktop.sync.calendar_sync import CalendarSync
from tests.fakes.google_calendar_server import FakeGoogleCalendar
from tests.fakes.google_places_server import API_KEY as PLACES_KEY
from tests.fakes.google_places_server import FakePlaces
from tests.google.conftest import (
    CAL_A,
    CAL_B,
    NINE,
    Sleeps,
    book,
    connect,
    desk_sync,
    google_config,
)
from tests.helpers.clinic import SmallClinic
from tests.helpers.memory_keyring import MemoryKeyring


@pytest.fixture(autouse=True)
def _no_leftover_calls() -> None:
    gcl.DEFAULT.take()  # calls other tests left in the shared buffer are not this clinic's


def log_rows(clinic: SmallClinic) -> list[Any]:
    IL = t.integration_log
    with clinic.engine.connect() as conn:
        return list(conn.execute(select(IL).order_by(IL.c.id)))


def ops(clinic: SmallClinic) -> list[tuple[str, str, str, str | None]]:
    return [(r.service, r.operation, r.outcome, r.error) for r in log_rows(clinic)]


def google_health(clinic: SmallClinic) -> health.ServiceHealth:
    [row] = [h for h in health.services(clinic.ctx) if h.service == "google_calendar"]
    return row


# -- what a call is called ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "uri", "expected"),
    [
        ("GET", "https://www.googleapis.com/calendar/v3/calendars/a%40example.org/events?x=1",
         ("google_calendar", "events.list")),
        ("POST", "https://www.googleapis.com/calendar/v3/calendars/a%40example.org/events",
         ("google_calendar", "events.insert")),
        ("GET", "http://127.0.0.1:1/calendar/v3/calendars/a@example.org/events/abc123",
         ("google_calendar", "events.get")),
        ("PATCH", "http://127.0.0.1:1/calendar/v3/calendars/a@example.org/events/abc123",
         ("google_calendar", "events.patch")),
        ("PUT", "http://127.0.0.1:1/calendar/v3/calendars/a@example.org/events/abc123",
         ("google_calendar", "events.update")),
        ("DELETE", "http://127.0.0.1:1/calendar/v3/calendars/a@example.org/events/abc123",
         ("google_calendar", "events.delete")),
        ("GET", "http://127.0.0.1:1/calendar/v3/calendars/a@example.org/events/abc/instances",
         ("google_calendar", "events.instances")),
        ("GET", "https://www.googleapis.com/calendar/v3/users/me/calendarList?maxResults=250",
         ("google_calendar", "calendarList.list")),
        ("POST", "https://www.googleapis.com/calendar/v3/freeBusy",
         ("google_calendar", "freebusy.query")),
        ("POST", "https://www.googleapis.com/batch/calendar/v3", ("google_calendar", "batch")),
        ("POST", "https://oauth2.googleapis.com/token", ("google_calendar", "token.refresh")),
        ("POST", "https://oauth2.googleapis.com/revoke", ("google_calendar", "token.revoke")),
        ("POST", "https://places.googleapis.com/v1/places:autocomplete",
         ("google_places", "places.autocomplete")),
        ("GET", "https://places.googleapis.com/v1/places/ChIJabc?sessionToken=s",
         ("google_places", "places.get")),
    ],
)  # fmt: skip
def test_an_operation_is_named_by_method_and_path_shape_never_by_ids(
    method: str, uri: str, expected: tuple[str, str]
) -> None:
    assert gcl.classify(method, uri) == expected


def test_answers_are_judged_by_status_and_googles_own_reason_codes() -> None:
    assert gcl.judge(200) == ("ok", None)
    assert gcl.judge(500, b'{"error": {"message": "Ada Lovelace broke it"}}') == (
        "retry",
        "HTTP 500",
    )
    assert gcl.judge(429) == ("retry", "HTTP 429")
    assert gcl.judge(401) == ("rejected", "HTTP 401")
    rate = b'{"error": {"errors": [{"reason": "rateLimitExceeded", "message": "x"}]}}'
    assert gcl.judge(403, rate) == ("retry", "HTTP 403 rateLimitExceeded")
    assert gcl.judge(403, b'{"error": {"errors": [{"reason": "forbidden"}]}}') == (
        "rejected",
        "HTTP 403",
    )
    assert gcl.judge(404) == ("failed", "HTTP 404")
    grant = b'{"error": "invalid_grant", "error_description": "Token has been revoked."}'
    assert gcl.judge(400, grant, "token.refresh") == ("rejected", "HTTP 400 invalid_grant")
    assert gcl.judge(400, b'{"error": "made up words"}', "token.refresh") == (
        "failed",
        "HTTP 400",
    )
    assert gcl.judge_exception(TimeoutError("timed out reading x@example.org")) == (
        "retry",
        "TimeoutError",
    )


# -- a sync through the real client -------------------------------------------------------------


def test_a_sync_logs_each_call_with_its_operation_and_outcome(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    appt_id = book(clinic)
    report = desk.run_once()
    assert report.inserted == 1 and report.errors == 0
    got = ops(clinic)
    assert got == [
        ("google_calendar", "token.refresh", "ok", None),
        ("google_calendar", "events.list", "ok", None),
        ("google_calendar", "events.insert", "ok", None),
    ]
    rows = log_rows(clinic)
    assert all(r.duration_ms >= 0 for r in rows)
    # stamped with the pass's time, the clock the health panel reads
    assert {r.started_at.replace(tzinfo=UTC) for r in rows} == {clinic.clock()}

    booking.reschedule(clinic.ctx, appt_id, start=NINE + timedelta(hours=1))
    desk.run_once()
    # the token is reused; the event is patched with If-Match
    assert ops(clinic)[len(got) :] == [
        ("google_calendar", "events.list", "ok", None),
        ("google_calendar", "events.patch", "ok", None),
    ]


def test_a_batched_poll_is_logged_as_one_batch_call(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    assert clinic.dr_b.id is not None
    connect(clinic, gcal, clinic.dr_b.id, CAL_B)
    desk.run_once()  # each calendar read in full, on its own
    before = len(log_rows(clinic))
    desk.run_once()  # nothing changed: one batched request asks both
    assert gcal.count("batch") == 1
    assert ops(clinic)[before:] == [("google_calendar", "batch", "ok", None)]

    before = len(log_rows(clinic))
    gcal.fail_next(503, times=1)
    desk.run_once()
    # the batch failed once and was sent again
    assert ops(clinic)[before:] == [
        ("google_calendar", "batch", "retry", "HTTP 503"),
        ("google_calendar", "batch", "ok", None),
    ]

    before = len(log_rows(clinic))
    gcal.before_next("events.list", lambda fake: fake.fail_next(500))  # one part inside
    desk.run_once()
    # the part's error is logged on its own; that calendar is then read by itself
    assert ops(clinic)[before:] == [
        ("google_calendar", "batch", "ok", None),
        ("google_calendar", "batch.events.list", "retry", "HTTP 500"),
        ("google_calendar", "events.list", "ok", None),
    ]


def test_a_new_desks_first_batched_poll_logs_its_token_refreshes(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync, sleeps: Sleeps
) -> None:
    assert clinic.dr_b.id is not None
    connect(clinic, gcal, clinic.dr_b.id, CAL_B)
    desk.run_once()
    before = len(log_rows(clinic))
    restarted = desk_sync(clinic, gcal, sleeps)  # no access tokens yet, sync tokens kept
    restarted.run_once()
    assert gcal.count("batch") == 1
    assert ops(clinic)[before:] == [
        ("google_calendar", "token.refresh", "ok", None),
        ("google_calendar", "token.refresh", "ok", None),
        ("google_calendar", "batch", "ok", None),
    ]


@pytest.mark.parametrize(("status", "outcome"), [(500, "retry"), (429, "retry")])
def test_a_retryable_answer_is_logged_as_an_error_with_its_status(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync, status: int, outcome: str
) -> None:
    desk.run_once()
    before = len(log_rows(clinic))
    gcal.fail_next(status, times=2)
    report = desk.run_once()
    assert report.errors == 0  # the client's own retries got through
    new = ops(clinic)[before:]
    assert new == [
        ("google_calendar", "events.list", outcome, f"HTTP {status}"),
        ("google_calendar", "events.list", outcome, f"HTTP {status}"),
        ("google_calendar", "events.list", "ok", None),
    ]
    h = google_health(clinic)
    assert h.last_error == f"HTTP {status}"


def test_a_401_is_logged_as_rejected_then_the_refresh_and_the_retry(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    desk.run_once()
    before = len(log_rows(clinic))
    gcal.expire_access_tokens()
    report = desk.run_once()
    assert report.errors == 0 and report.paused == []
    assert ops(clinic)[before:] == [
        ("google_calendar", "events.list", "rejected", "HTTP 401"),
        ("google_calendar", "token.refresh", "ok", None),
        ("google_calendar", "events.list", "ok", None),
    ]


def test_a_revoked_sign_in_is_logged_as_rejected_invalid_grant(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    gcal.expire_refresh_tokens()
    report = desk.run_once()
    assert report.paused == [clinic.dr_a.id]
    assert ops(clinic) == [
        ("google_calendar", "token.refresh", "rejected", "HTTP 400 invalid_grant"),
    ]


# -- health and alerts ---------------------------------------------------------------------------


def test_the_health_panel_shows_googles_last_success_and_error_rate(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    assert google_health(clinic).last_success is None
    first = clinic.clock()
    desk.run_once()  # token, list: both ok
    clinic.clock.advance(timedelta(minutes=5))
    gcal.fail_next(500, times=2)
    desk.run_once()  # list 500, list 500, list ok
    h = google_health(clinic)
    assert h.last_success == clinic.clock()
    assert (h.calls_last_hour, h.errors_last_hour) == (5, 2)
    assert h.error_rate == pytest.approx(0.4)
    assert h.state == "degraded"
    assert h.last_error == "HTTP 500"

    clinic.clock.advance(timedelta(minutes=58))  # the first pass leaves the hour
    h = google_health(clinic)
    assert h.last_success == first + timedelta(minutes=5)
    assert (h.calls_last_hour, h.errors_last_hour) == (3, 2)


def test_google_failing_for_several_passes_with_bookings_waiting_is_an_alert(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    desk.run_once()  # connected and working
    assert alerts.current(clinic.ctx) == []
    book(clinic)
    book(clinic, NINE + timedelta(hours=2))
    gcal.fail_next(503, times=100)
    for _ in range(3):
        clinic.clock.advance(timedelta(minutes=5))
        report = desk.run_once()
        assert report.errors == 1
    gcal.clear_failures()
    h = google_health(clinic)
    assert h.queue_depth == 2 and h.state == "failing"
    found = [a for a in alerts.current(clinic.ctx) if a.service == "google_calendar"]
    assert [a.kind for a in found] == [alerts.AlertKind.DOWN]
    assert "Google Calendars are not being updated" in found[0].message
    assert "2 calendar changes are waiting" in found[0].message

    # back again: the next pass goes through and Google is no longer down (the errors of
    # the last quarter of an hour still count as a spike until they age out)
    clinic.clock.advance(timedelta(minutes=5))
    assert desk.run_once().inserted == 2
    kinds = [a.kind for a in alerts.current(clinic.ctx) if a.service == "google_calendar"]
    assert kinds == [alerts.AlertKind.ERROR_SPIKE]
    clinic.clock.advance(timedelta(minutes=16))
    assert [a for a in alerts.current(clinic.ctx) if a.service == "google_calendar"] == []


# -- no patient data -----------------------------------------------------------------------------


def test_no_row_names_a_calendar_an_event_a_patient_or_an_address(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, desk: CalendarSync
) -> None:
    with clinic.ctx.write() as uow:  # names in the calendar: the events carry the patient
        settings = uow.settings.clinic()
        from dataclasses import replace

        uow.settings.save_clinic(replace(settings, names_in_calendar=True))
        uow.commit()
    gcal.outside_insert(
        CAL_A,
        {
            "id": "outside0001",
            "summary": "Lunch with ada@example.org",
            "start": {"dateTime": "2026-06-01T11:00:00+00:00"},
            "end": {"dateTime": "2026-06-01T12:00:00+00:00"},
        },
    )
    first = book(clinic)
    second = book(clinic, NINE + timedelta(hours=2), video=True)
    desk.run_once()
    booking.reschedule(clinic.ctx, first, start=NINE + timedelta(hours=4))
    booking.cancel(clinic.ctx, second, reason="patient asked")
    gcal.fail_next(500, times=1)
    gcal.fail_next(404, times=1)
    desk.run_once()
    gcal.fail_next(409, times=1)
    gcal.fail_next(429, times=1)
    book(clinic, NINE + timedelta(hours=6))
    desk.run_once()
    gcal.expire_refresh_tokens()
    desk.run_once()

    rows = log_rows(clinic)
    assert len(rows) >= 10
    assert {r.outcome for r in rows} >= {"ok", "retry", "rejected"}
    raw = "\n".join("|".join(str(v) for v in r._mapping.values()) for r in rows).casefold()
    event_ids = {e for cal in gcal.events.values() for e in cal} | {
        plan.event_id_for(first),
        plan.event_id_for(second),
    }
    forbidden = {CAL_A, "outside0001", *event_ids, "@", "example.org", "lunch"}
    for patient in (clinic.ada, clinic.ben):
        forbidden |= {patient.first_name, patient.last_name}
        forbidden |= {v for v in (patient.email, patient.phone) if v}
    for word in forbidden:
        assert word.casefold() not in raw, word


# -- the address picker, the sign-in's token calls ----------------------------------------------


@pytest.fixture
def places() -> Iterator[FakePlaces]:
    fake = FakePlaces()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def test_places_lookups_are_logged_without_the_text_typed_or_the_place(
    clinic: SmallClinic, places: FakePlaces
) -> None:
    calls = gcl.GoogleCallLog(clock=clinic.clock)
    client = PlacesClient(PLACES_KEY, places.url, calls=calls)
    token = new_session_token()
    [found] = client.autocomplete("Harley", token)
    client.details(found.place_id, token)
    places.fail_next(500)
    with pytest.raises(PlacesError):
        client.autocomplete("Harley St", token)
    bad = PlacesClient("not-the-key", places.url, calls=calls)
    with pytest.raises(PlacesError):
        bad.autocomplete("Harley", token)
    client.close()
    bad.close()
    assert calls.flush(clinic.engine) == 4
    assert ops(clinic) == [
        ("google_places", "places.autocomplete", "ok", None),
        ("google_places", "places.get", "ok", None),
        ("google_places", "places.autocomplete", "retry", "HTTP 500"),
        ("google_places", "places.autocomplete", "rejected", "HTTP 403"),
    ]
    raw = str([tuple(r) for r in log_rows(clinic)]).casefold()
    for word in ("harley", found.place_id.casefold(), token, PLACES_KEY):
        assert word not in raw
    [row] = [h for h in health.services(clinic.ctx) if h.service == "google_places"]
    assert row.last_success == clinic.clock() and row.errors_last_hour == 2


def test_a_refresh_and_a_revoke_are_logged_through_the_shared_log(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, keyring_store: MemoryKeyring
) -> None:
    config = google_config(gcal)
    assert clinic.dr_a.id is not None
    connect(clinic, gcal, clinic.dr_a.id, CAL_A)
    creds = credentials_for(config, clinic.dr_a.id)
    google_auth.refresh(creds)
    accounts = GoogleAccounts(config, CalendarLinkStore(clinic.ctx))
    view = accounts.view(clinic.dr_a.id)  # lists the calendars
    assert view.link.state == "connected"
    assert accounts.disconnect(clinic.dr_a.id)
    gcal.expire_refresh_tokens()
    with pytest.raises(google_auth.NeedsReconnect):
        google_auth.refresh(creds)
    gcl.flush_pending(clinic.engine)
    got = [(s, o, outcome) for s, o, outcome, _ in ops(clinic)]
    assert got[0] == ("google_calendar", "token.refresh", "ok")
    assert ("google_calendar", "calendarList.list", "ok") in got
    assert ("google_calendar", "token.revoke", "ok") in got
    assert got[-1] == ("google_calendar", "token.refresh", "rejected")
    assert ops(clinic)[-1][3] == "HTTP 400 invalid_grant"
    raw = str([tuple(r) for r in log_rows(clinic)]).casefold()
    assert "@" not in raw and "example.org" not in raw and "fake" not in raw
