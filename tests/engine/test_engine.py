"""run_once against the vendors' local fakes, through the real `sendgrid` and `twilio` packages,
on SQLite and PostgreSQL. Time is the test's clock: nothing sleeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.domain.messages import OutboxKind, OutboxState
from medbookings_desktop.domain.patients import Channel
from medbookings_desktop.services import attention, booking, health, patients
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from tests.engine.conftest import Fakes, make_engine
from tests.engine.support import outbox, table
from tests.helpers.clinic import SmallClinic

TOMORROW_9 = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)  # 09:00 in London


def _book(c: SmallClinic, start: datetime = TOMORROW_9, patient_id: int | None = None) -> int:
    appt = booking.book(
        c.ctx,
        patient_id=patient_id or c.ada.id or 0,
        provider_id=c.dr_a.id or 0,
        service_id=c.checkup.id or 0,
        start=start,
    ).appointment
    assert appt.id is not None
    return appt.id


def _row(c: SmallClinic, appt_id: int, kind: OutboxKind) -> object:
    found = [i for i in outbox(c.engine, appointment_id=appt_id) if i.kind is kind]
    assert len(found) == 1
    return found[0]


def _state(c: SmallClinic, appt_id: int, kind: OutboxKind) -> OutboxState:
    return _row(c, appt_id, kind).state  # type: ignore[attr-defined,no-any-return]


def test_a_confirmation_goes_by_sms_and_everything_is_recorded(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)
    report = engine.run_once()
    assert len(report.sent) == 1
    texts = fakes.texts()
    assert [t.to for t in texts] == ["+442079460123"]
    assert _state(clinic, appt, OutboxKind.CONFIRMATION) is OutboxState.SENT
    # Dr A has no e-mail address: the notice is moot, not an error
    assert _state(clinic, appt, OutboxKind.PROVIDER_NOTICE) is OutboxState.SUPERSEDED
    # the calendar's row belongs to the calendar reconciler: untouched
    cal = _row(clinic, appt, OutboxKind.CALENDAR_UPSERT)
    assert cal.state is OutboxState.PENDING and cal.attempts == 0  # type: ignore[attr-defined]
    [attempt] = table(clinic.engine, "deliveries")
    assert (attempt["channel"], attempt["status"]) == ("sms", "sent")
    assert attempt["vendor_id"] == texts[0].sid
    calls = {
        (c["service"], c["operation"], c["outcome"])
        for c in table(clinic.engine, "integration_log")
    }
    # the send, and the first look for patients' replies
    assert calls == {("twilio", "send_sms", "ok"), ("twilio", "replies", "ok")}
    # a second pass has nothing to do and calls nobody
    assert engine.run_once().claimed == 0
    assert len(fakes.texts()) == 1


def test_an_email_patient_gets_an_email_with_the_rows_reference(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    patients.edit(clinic.ctx, clinic.ada.id or 0, preferred_channel=Channel.EMAIL)
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)
    engine.run_once()
    [mail] = fakes.emails()
    assert mail.to == "ada@example.com"
    key = _row(clinic, appt, OutboxKind.CONFIRMATION).idempotency_key  # type: ignore[attr-defined]
    assert mail.reference == key
    assert fakes.texts() == []


def test_429_waits_at_least_retry_after_then_sends_once(clinic: SmallClinic, fakes: Fakes) -> None:
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)
    fakes.twilio_fails(429, retry_after=120)
    report = engine.run_once()
    assert len(report.retried) == 1
    row = _row(clinic, appt, OutboxKind.CONFIRMATION)
    assert row.state is OutboxState.PENDING  # type: ignore[attr-defined]
    assert row.next_try_at >= clinic.clock.now + timedelta(seconds=120)  # type: ignore[attr-defined]
    assert "429" in row.last_error  # type: ignore[attr-defined]
    clinic.clock.advance(timedelta(seconds=60))
    assert engine.run_once().claimed == 0  # not yet
    clinic.clock.advance(timedelta(seconds=61))
    assert len(engine.run_once().sent) == 1
    assert len(fakes.texts()) == 1
    log = table(clinic.engine, "integration_log")
    assert [c["outcome"] for c in log if c["operation"] == "send_sms"] == ["retry", "ok"]


def test_server_errors_back_off_exponentially_with_jitter(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)
    waits = []
    for _ in range(4):
        fakes.twilio_fails(500)
        before = clinic.clock.now
        engine.run_once()
        row = _row(clinic, appt, OutboxKind.CONFIRMATION)
        waits.append(row.next_try_at - before)  # type: ignore[attr-defined]
        clinic.clock.now = row.next_try_at  # type: ignore[attr-defined]
    base = timedelta(seconds=30)
    for n, wait in enumerate(waits, start=1):
        assert base * 2 ** (n - 1) / 2 <= wait <= base * 2 ** (n - 1)
    engine.run_once()
    assert len(fakes.texts()) == 1
    assert _row(clinic, appt, OutboxKind.CONFIRMATION).attempts == 5  # type: ignore[attr-defined]


def test_a_refused_sms_falls_back_to_email(clinic: SmallClinic, fakes: Fakes) -> None:
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)
    fakes.twilio_fails(400)
    engine.run_once()  # SMS refused for good; the row waits for its next channel
    engine.run_once()
    assert _state(clinic, appt, OutboxKind.CONFIRMATION) is OutboxState.SENT
    assert len(fakes.emails()) == 1
    channels = [(d["channel"], d["status"]) for d in table(clinic.engine, "deliveries")]
    assert channels == [("sms", "failed"), ("email", "sent")]
    assert attention.count(clinic.ctx) == 0


def test_a_permanent_failure_with_no_other_channel_needs_attention(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    patients.edit(clinic.ctx, clinic.ada.id or 0, consent_email=False)
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)
    fakes.twilio_fails(400)
    report = engine.run_once()
    assert len(report.failed) == 1
    row = _row(clinic, appt, OutboxKind.CONFIRMATION)
    assert row.state is OutboxState.FAILED  # type: ignore[attr-defined]
    assert row.last_error.startswith("SMS refused it: ")  # type: ignore[attr-defined]
    [item] = attention.list_open(clinic.ctx)
    assert item.appointment_id == appt and item.outbox_id == row.id  # type: ignore[attr-defined]
    assert "was not sent" in item.summary
    assert "Ada" not in item.summary and "+44" not in item.summary  # ids, not patient data
    assert engine.run_once().claimed == 0


def test_rejected_credentials_pause_the_service_until_resolved(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    patients.edit(clinic.ctx, clinic.ada.id or 0, consent_email=False)
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)
    fakes.twilio_fails(401)
    engine.run_once()
    [item] = attention.list_open(clinic.ctx)
    assert item.kind == "credentials_rejected" and item.service == "twilio"
    assert "Twilio" in item.summary
    assert {h.service: h.paused for h in health.services(clinic.ctx)}["twilio"]
    # paused: the row waits, no call goes out
    report = engine.run_once()
    assert report.deferred and not fakes.twilio_requests_since_reset()
    attention.resolve(clinic.ctx, item.id)
    clinic.clock.advance(timedelta(minutes=11))
    assert len(engine.run_once().sent) == 1
    assert _state(clinic, appt, OutboxKind.CONFIRMATION) is OutboxState.SENT


def test_quiet_hours_hold_texts_but_not_emails(clinic: SmallClinic, fakes: Fakes) -> None:
    engine = make_engine(clinic, fakes)
    clinic.clock.now = datetime(2026, 6, 1, 21, 30, tzinfo=UTC)  # 22:30 in London
    by_sms = _book(clinic)
    by_email = _book(clinic, TOMORROW_9 + timedelta(minutes=15), clinic.ben.id)
    patients.edit(
        clinic.ctx,
        clinic.ben.id or 0,
        email="ben@example.org",
        consent_email=True,
        preferred_channel=Channel.EMAIL,
    )
    engine.run_once()
    assert fakes.texts() == [] and len(fakes.emails()) == 1
    row = _row(clinic, by_sms, OutboxKind.CONFIRMATION)
    assert row.state is OutboxState.PENDING  # type: ignore[attr-defined]
    assert row.next_try_at == datetime(2026, 6, 2, 7, 0, tzinfo=UTC)  # type: ignore[attr-defined]
    assert _state(clinic, by_email, OutboxKind.CONFIRMATION) is OutboxState.SENT
    clinic.clock.now = datetime(2026, 6, 2, 7, 0, tzinfo=UTC)  # 08:00 in London
    engine.run_once()
    assert len(fakes.texts()) >= 1
    assert _state(clinic, by_sms, OutboxKind.CONFIRMATION) is OutboxState.SENT


def test_a_reminder_is_not_sent_once_the_visit_started(clinic: SmallClinic, fakes: Fakes) -> None:
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)  # tomorrow 09:00: reminders due today 09:00 and tomorrow 07:00
    engine.run_once()  # the confirmation
    # the engine was off all night and comes back after the visit began
    clinic.clock.now = TOMORROW_9 + timedelta(minutes=5)
    report = engine.run_once()
    reminders = [
        i for i in outbox(clinic.engine, appointment_id=appt) if i.kind.value == "reminder"
    ]
    assert {r.state for r in reminders} == {OutboxState.SUPERSEDED}
    assert {r.last_error for r in reminders} == {"the appointment had started"}
    assert len(report.superseded) == 2 and len(fakes.texts()) == 1


def test_a_cancelled_visits_reminders_never_go(clinic: SmallClinic, fakes: Fakes) -> None:
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)
    booking.cancel(clinic.ctx, appt, reason="patient phoned")
    clinic.clock.now = TOMORROW_9 - timedelta(hours=1)  # 08:00 in London: quiet hours over
    engine.run_once()
    # the confirmation was superseded before it went; the cancellation notice goes
    assert len(fakes.texts()) == 1
    assert _state(clinic, appt, OutboxKind.CANCELLATION_NOTICE) is OutboxState.SENT


def _died_mid_send(c: SmallClinic, fakes: Fakes, *, handed_over: bool = True) -> Any:
    """Another desk's engine claims the due row and dies: after marking it in flight (the
    call may have gone out) or before (it certainly did not)."""
    dead = make_engine(c, fakes, identity="another-desk:4242")
    [claim] = dead._claim(c.clock.now, _report())
    if handed_over:
        with SqlUnitOfWork(c.engine) as uow:
            uow.deliveries.in_flight(claim.delivery_id)
            uow.commit()
    return claim


def test_an_interrupted_text_found_at_twilio_is_not_sent_again(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    appt = _book(clinic)
    claim = _died_mid_send(clinic, fakes)
    make_engine(clinic, fakes).channels["sms"].send(claim.msg)  # it went out, unrecorded
    clinic.clock.advance(timedelta(minutes=6))  # past the lease
    engine = make_engine(clinic, fakes)
    report = engine.run_once()
    assert report.recovered == [(claim.item.id, "found at the vendor: marked sent")]
    assert len(fakes.texts()) == 1
    assert _state(clinic, appt, OutboxKind.CONFIRMATION) is OutboxState.SENT
    operations = [c["operation"] for c in table(clinic.engine, "integration_log")]
    assert operations[0] == "find_sent" and "send_sms" not in operations


def test_an_interrupted_text_twilio_never_got_is_sent_once(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    appt = _book(clinic)
    _died_mid_send(clinic, fakes)  # in flight, but Twilio never got it
    engine = make_engine(clinic, fakes)
    assert engine.run_once().recovered == []  # within the lease: another desk may be at it
    clinic.clock.advance(timedelta(minutes=6))
    report = engine.run_once()
    assert [o for _, o in report.recovered] == ["not found at the vendor: sent again"]
    engine.run_once()
    assert len(fakes.texts()) == 1
    assert _state(clinic, appt, OutboxKind.CONFIRMATION) is OutboxState.SENT


def test_an_interrupted_email_is_never_resent_blindly(clinic: SmallClinic, fakes: Fakes) -> None:
    patients.edit(clinic.ctx, clinic.ada.id or 0, preferred_channel=Channel.EMAIL)
    appt = _book(clinic)
    _died_mid_send(clinic, fakes)
    clinic.clock.advance(timedelta(minutes=6))
    report = make_engine(clinic, fakes).run_once()
    assert [o for _, o in report.recovered] == ["e-mail cannot be checked: marked for attention"]
    assert fakes.emails() == []
    assert _state(clinic, appt, OutboxKind.CONFIRMATION) is OutboxState.FAILED
    [item] = attention.list_open(clinic.ctx)
    assert item.kind == "uncertain_delivery" and "may not have gone out" in item.summary


def test_a_claimed_row_never_handed_over_goes_back_without_a_lookup(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    patients.edit(clinic.ctx, clinic.ada.id or 0, preferred_channel=Channel.EMAIL)
    appt = _book(clinic)
    _died_mid_send(clinic, fakes, handed_over=False)
    clinic.clock.advance(timedelta(minutes=6))
    engine = make_engine(clinic, fakes)
    report = engine.run_once()
    assert [o for _, o in report.recovered] == ["never handed to the vendor: back in the queue"]
    assert len(report.sent) == 1 and len(fakes.emails()) == 1
    assert attention.count(clinic.ctx) == 0
    assert _row(clinic, appt, OutboxKind.CONFIRMATION).attempts == 1  # type: ignore[attr-defined]


def test_stopping_hands_back_the_rows_not_yet_sent(clinic: SmallClinic, fakes: Fakes) -> None:
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)
    engine.stop_requested.set()
    report = engine.run_once()
    assert len(report.released) == 1
    row = _row(clinic, appt, OutboxKind.CONFIRMATION)
    assert (row.state, row.attempts) == (OutboxState.PENDING, 0)  # type: ignore[attr-defined]
    assert table(clinic.engine, "deliveries") == []
    engine.stop_requested.clear()
    assert len(engine.run_once().sent) == 1


def test_a_patient_with_no_way_to_reach_them_needs_attention(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    engine = make_engine(clinic, fakes)
    # Ben has a phone but agreed to nothing, and did not say he wants no messages
    appt = _book(clinic, patient_id=clinic.ben.id)
    engine.run_once()
    assert _state(clinic, appt, OutboxKind.CONFIRMATION) is OutboxState.FAILED
    [item] = attention.list_open(clinic.ctx)
    assert item.kind == "no_channel" and item.patient_id == clinic.ben.id


def test_a_patient_who_wants_no_messages_gets_none(clinic: SmallClinic, fakes: Fakes) -> None:
    patients.edit(clinic.ctx, clinic.ben.id or 0, preferred_channel=Channel.NONE)
    engine = make_engine(clinic, fakes)
    appt = _book(clinic, patient_id=clinic.ben.id)
    engine.run_once()
    assert _state(clinic, appt, OutboxKind.CONFIRMATION) is OutboxState.SUPERSEDED
    assert attention.count(clinic.ctx) == 0


def _report():  # type: ignore[no-untyped-def]
    from medbookings_desktop.sync.engine import RunReport

    return RunReport()


def test_send_again_from_needs_attention_after_an_uncertain_email(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    patients.edit(clinic.ctx, clinic.ada.id or 0, preferred_channel=Channel.EMAIL)
    appt = _book(clinic)
    _died_mid_send(clinic, fakes)
    clinic.clock.advance(timedelta(minutes=6))
    engine = make_engine(clinic, fakes)
    engine.run_once()
    [item] = attention.list_open(clinic.ctx)
    resolved = attention.send_again(clinic.ctx, item.id)
    assert resolved.resolved_by == "test-desk"
    engine.run_once()
    assert len(fakes.emails()) == 1
    assert _state(clinic, appt, OutboxKind.CONFIRMATION) is OutboxState.SENT
    with pytest.raises(DomainError, match="already resolved"):
        attention.send_again(clinic.ctx, item.id)


def test_send_again_tries_every_channel_once_more(clinic: SmallClinic, fakes: Fakes) -> None:
    patients.edit(clinic.ctx, clinic.ada.id or 0, consent_email=False)
    engine = make_engine(clinic, fakes)
    appt = _book(clinic)
    fakes.twilio_fails(400)
    engine.run_once()
    [item] = attention.list_open(clinic.ctx)
    attention.send_again(clinic.ctx, item.id)
    engine.run_once()
    assert _state(clinic, appt, OutboxKind.CONFIRMATION) is OutboxState.SENT
    assert [d["status"] for d in table(clinic.engine, "deliveries")] == ["failed_before", "sent"]
