"""The alert rules over a real database (an SQLite file; PostgreSQL too when configured):
integration-log rows written through the repository, queued messages from real bookings,
rejected credentials as the engine records them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from medbookings_desktop.services import alerts, attention, booking
from medbookings_desktop.services.alerts import AlertKind
from medbookings_desktop.storage.repositories.attention import CREDENTIALS_REJECTED
from medbookings_desktop.storage.repositories.integration_log import CallRecord
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from tests.helpers.clinic import SmallClinic

MINUTE = timedelta(minutes=1)


@pytest.fixture
def small(clinic: SmallClinic) -> SmallClinic:
    """The small clinic on an SQLite file, and on PostgreSQL when a server is configured."""
    return clinic


def _log(c: SmallClinic, service: str, *outcomes: tuple[int, str]) -> None:
    """Calls to `service`, each (minutes ago, outcome)."""
    now = c.clock.now
    with SqlUnitOfWork(c.engine) as uow:
        uow.integration_log.record(
            CallRecord(
                service,
                "send",
                now - ago * MINUTE,
                30,
                outcome,
                None if outcome == "ok" else "HTTP 503",
            )
            for ago, outcome in outcomes
        )
        uow.commit()


def _book(c: SmallClinic) -> None:
    """Ada's confirmation (she prefers SMS) and Dr Mokoena's notice (e-mail) are queued."""
    booking.book(
        c.ctx,
        patient_id=c.ada.id or 0,
        provider_id=c.dr_a.id or 0,
        service_id=c.consultation.id or 0,
        start=datetime(2026, 6, 2, 9, 0, tzinfo=UTC),
    )


def _reject(c: SmallClinic, service: str) -> int:
    with SqlUnitOfWork(c.engine) as uow:
        item = uow.attention.add(CREDENTIALS_REJECTED, "rejected", c.clock.now, service=service)
        uow.commit()
    return item


def _kinds(c: SmallClinic) -> dict[str, AlertKind]:
    return {a.service: a.kind for a in alerts.current(c.ctx)}


def test_no_calls_and_nothing_waiting_is_no_alert(small: SmallClinic) -> None:
    assert alerts.current(small.ctx) == []
    _book(small)
    assert alerts.current(small.ctx) == []  # waiting, but nothing failed


def test_rejected_credentials_say_what_stopped_and_where_to_fix_it(small: SmallClinic) -> None:
    _log(small, "twilio", (1, "rejected"))
    item = _reject(small, "twilio")
    [alert] = alerts.current(small.ctx)
    assert (alert.service, alert.kind) == ("twilio", AlertKind.CREDENTIALS_REJECTED)
    assert alert.message.startswith(
        "Text and WhatsApp messages are not going out: Twilio rejected the clinic's credentials."
    )
    assert "Settings → Messaging" in alert.message
    attention.resolve(small.ctx, item)
    assert alerts.current(small.ctx) == []  # marked fixed: no alert, and no "down" either


def test_down_when_the_last_tries_failed_and_messages_wait(small: SmallClinic) -> None:
    _book(small)
    _log(small, "sendgrid", (40, "ok"), (3, "retry"), (2, "retry"))
    assert alerts.current(small.ctx) == []  # two failures are not yet "down"
    _log(small, "sendgrid", (1, "retry"))
    [alert] = alerts.current(small.ctx)
    assert (alert.service, alert.kind) == ("sendgrid", AlertKind.DOWN)
    assert alert.message == (
        "E-mails to patients and providers are not going out: SendGrid is not responding "
        f"(the last {alerts.DOWN_FAILED_CALLS} tries failed) and 1 message is waiting. They go "
        "out by themselves once it is back; if this lasts, check the internet connection."
    )
    _log(small, "sendgrid", (0, "ok"))  # it came back
    assert alerts.current(small.ctx) == []


def test_not_down_after_a_recent_success_or_with_nothing_waiting(small: SmallClinic) -> None:
    _log(small, "twilio", (3, "retry"), (2, "retry"), (1, "retry"))
    assert alerts.current(small.ctx) == []  # nothing waits for Twilio
    _book(small)
    assert _kinds(small) == {"twilio": AlertKind.DOWN}
    _log(small, "twilio", (5, "ok"))  # older than the failures, but within ten minutes
    assert alerts.current(small.ctx) == []
    small.clock.advance(alerts.DOWN_NO_SUCCESS)
    assert _kinds(small) == {"twilio": AlertKind.DOWN}
    small.clock.advance(alerts.DOWN_LOOKBACK)  # failures from long ago prove nothing now
    assert alerts.current(small.ctx) == []


def test_refusals_are_not_down_but_a_spike(small: SmallClinic) -> None:
    _book(small)
    _log(small, "twilio", (4, "ok"), (3, "ok"), (3, "failed"), (2, "failed"), (1, "failed"))
    [alert] = alerts.current(small.ctx)
    assert (alert.service, alert.kind) == ("twilio", AlertKind.ERROR_SPIKE)
    assert alert.message.startswith(
        "Many text messages are failing: 3 of the last 5 tries with Twilio went wrong in 15 "
        "minutes."
    )


def test_spike_needs_enough_calls_a_high_rate_and_recent_ones(small: SmallClinic) -> None:
    _log(small, "sendgrid", (4, "failed"), (3, "failed"), (2, "failed"), (1, "failed"))
    assert alerts.current(small.ctx) == []  # four calls are too few to judge
    _log(small, "sendgrid", *[(1, "ok")] * 5)
    assert alerts.current(small.ctx) == []  # 4 of 9: below half
    _log(small, "sendgrid", (0, "retry"))
    assert _kinds(small) == {"sendgrid": AlertKind.ERROR_SPIKE}  # 5 of 10
    small.clock.advance(alerts.SPIKE_WINDOW + MINUTE)
    assert alerts.current(small.ctx) == []


def test_rejected_calls_do_not_make_a_spike_once_fixed(small: SmallClinic) -> None:
    _log(small, "sendgrid", *[(2, "rejected")] * 5, (1, "ok"))
    assert alerts.current(small.ctx) == []


def test_one_alert_per_service_the_most_serious_first(small: SmallClinic) -> None:
    _book(small)
    _log(small, "twilio", (3, "retry"), (2, "retry"), (1, "retry"), (1, "retry"), (1, "retry"))
    _log(small, "sendgrid", (3, "failed"), (2, "failed"), (1, "failed"), (1, "ok"), (1, "ok"))
    assert [(a.service, a.kind) for a in alerts.current(small.ctx)] == [
        ("twilio", AlertKind.DOWN),
        ("sendgrid", AlertKind.ERROR_SPIKE),
    ]
    _reject(small, "sendgrid")
    assert [(a.service, a.kind) for a in alerts.current(small.ctx)] == [
        ("sendgrid", AlertKind.CREDENTIALS_REJECTED),
        ("twilio", AlertKind.DOWN),
    ]


def test_a_providers_google_sign_in_rejected_names_the_provider(small: SmallClinic) -> None:
    _reject(small, f"google:{small.dr_b.id}")
    [alert] = alerts.current(small.ctx)
    assert alert.kind is AlertKind.CREDENTIALS_REJECTED
    assert alert.message == (
        "Dr Lars Berg's Google Calendar is not being updated: Google no longer accepts the "
        "sign-in. Reconnect it in Providers → Google Calendar."
    )


def test_evaluate_is_pure_over_the_snapshot(small: SmallClinic) -> None:
    from medbookings_desktop.services import health

    _book(small)
    _log(small, "twilio", (3, "retry"), (2, "retry"), (1, "retry"))
    snapshot = health.services(small.ctx)
    with SqlUnitOfWork(small.engine) as uow:
        calls = uow.integration_log.recent(50)
    now = small.clock.now
    assert [a.kind for a in alerts.evaluate(snapshot, calls, now)] == [AlertKind.DOWN]
    # the same figures an hour on: the failures are too old to call it down
    assert alerts.evaluate(snapshot, calls, now + alerts.DOWN_LOOKBACK + MINUTE) == []
    assert alerts.current(small.ctx, snapshot) == alerts.evaluate(snapshot, calls, now)


def test_after_an_outage_the_waiting_messages_going_out_end_the_spike(small: SmallClinic) -> None:
    _log(small, "twilio", *[(12 - i, "retry") for i in range(6)], (5, "ok"))
    assert _kinds(small) == {"twilio": AlertKind.ERROR_SPIKE}  # back, but 6 of 7 failed
    _log(small, "twilio", *[(4, "ok")] * 6)  # what waited goes out
    assert alerts.current(small.ctx) == []


def test_every_service_in_the_health_panel_has_its_words() -> None:
    from medbookings_desktop.services import health

    assert set(alerts.WORDS) == set(health.SERVICES)
