"""Delivery statuses and patient replies, polled from the Twilio fake through the real package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from medbookings_desktop.domain.appointments import Status
from medbookings_desktop.services import attention, booking, patients
from tests.engine.conftest import Fakes, make_engine
from tests.engine.support import table
from tests.helpers.clinic import SmallClinic

TOMORROW_9 = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)
ADA_PHONE = "+442079460123"


def _booked_and_texted(c: SmallClinic, fakes: Fakes) -> tuple[int, object]:
    appt = booking.book(
        c.ctx,
        patient_id=c.ada.id or 0,
        provider_id=c.dr_a.id or 0,
        service_id=c.checkup.id or 0,
        start=TOMORROW_9,
    ).appointment
    engine = make_engine(c, fakes)
    engine.run_once()
    assert len(fakes.texts()) == 1
    assert appt.id is not None
    return appt.id, engine


def test_delivery_status_is_polled_until_final(clinic: SmallClinic, fakes: Fakes) -> None:
    _, engine = _booked_and_texted(clinic, fakes)
    # the fake moves a message on one status per look: queued, sent, delivered
    clinic.clock.advance(timedelta(minutes=2))
    engine.run_once()  # type: ignore[attr-defined]
    assert table(clinic.engine, "deliveries")[0]["status"] == "sent"
    clinic.clock.advance(timedelta(minutes=2))
    assert engine.run_once().statuses == 1  # type: ignore[attr-defined]
    assert table(clinic.engine, "deliveries")[0]["status"] == "delivered"
    clinic.clock.advance(timedelta(minutes=2))
    assert engine.run_once().statuses == 0  # type: ignore[attr-defined]  # final: no more asking


def test_yes_confirms_the_appointment(clinic: SmallClinic, fakes: Fakes) -> None:
    appt, engine = _booked_and_texted(clinic, fakes)
    fakes.reply(ADA_PHONE, "Yes")
    clinic.clock.advance(timedelta(minutes=2))
    assert engine.run_once().replies == 1  # type: ignore[attr-defined]
    with clinic.ctx.read() as uow:
        assert uow.appointments.get(appt).status is Status.CONFIRMED
    clinic.clock.advance(timedelta(minutes=2))
    assert engine.run_once().replies == 0  # type: ignore[attr-defined]  # handled once


def test_x_cancels_and_tells_the_patient(clinic: SmallClinic, fakes: Fakes) -> None:
    appt, engine = _booked_and_texted(clinic, fakes)
    fakes.reply(ADA_PHONE, "x")
    clinic.clock.advance(timedelta(minutes=2))
    engine.run_once()  # type: ignore[attr-defined]
    with clinic.ctx.read() as uow:
        cancelled = uow.appointments.get(appt)
    assert cancelled.status is Status.CANCELLED
    assert cancelled.cancel_reason == "cancelled by the patient by SMS"
    engine.run_once()  # type: ignore[attr-defined]  # the cancellation notice
    assert len(fakes.texts()) == 2


def test_stop_clears_that_channels_consent(clinic: SmallClinic, fakes: Fakes) -> None:
    _, engine = _booked_and_texted(clinic, fakes)
    fakes.reply(ADA_PHONE, "STOP")
    clinic.clock.advance(timedelta(minutes=2))
    engine.run_once()  # type: ignore[attr-defined]
    ada = patients.get(clinic.ctx, clinic.ada.id or 0)
    assert not ada.consent_sms and ada.consent_email


def test_anything_else_needs_attention(clinic: SmallClinic, fakes: Fakes) -> None:
    appt, engine = _booked_and_texted(clinic, fakes)
    fakes.reply(ADA_PHONE, "Can I come at 10 instead?")
    clinic.clock.advance(timedelta(minutes=2))
    engine.run_once()  # type: ignore[attr-defined]
    [item] = attention.list_open(clinic.ctx)
    assert item.kind == "patient_reply" and item.appointment_id == appt
    assert "Can I come at 10 instead?" in item.summary
    with clinic.ctx.read() as uow:
        assert uow.appointments.get(appt).status is Status.BOOKED


def test_whatsapp_goes_as_the_approved_template_and_a_c_reply_confirms(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    from medbookings_desktop.domain.patients import Channel
    from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
    from medbookings_desktop.sync.config import SETTINGS_KEY, MessagingConfig

    content = fakes.twilio.add_content("confirmation", "Booked: {{1}} on {{2}} at {{3}}")
    with SqlUnitOfWork(clinic.engine) as uow:
        stored = MessagingConfig(
            whatsapp_from="+442079460998", content_sids={"confirmation": content}
        )
        uow.settings.set_value(SETTINGS_KEY, stored.to_json())
        uow.commit()
    patients.edit(
        clinic.ctx, clinic.ada.id or 0, preferred_channel=Channel.WHATSAPP, consent_whatsapp=True
    )
    appt = booking.book(
        clinic.ctx,
        patient_id=clinic.ada.id or 0,
        provider_id=clinic.dr_a.id or 0,
        service_id=clinic.checkup.id or 0,
        start=TOMORROW_9,
    ).appointment
    engine = make_engine(clinic, fakes)
    engine.run_once()
    [sent] = fakes.twilio.sent
    assert sent.to == "whatsapp:" + ADA_PHONE and sent.content_sid == content
    assert sent.body.startswith("Booked: ")
    assert [d["channel"] for d in table(clinic.engine, "deliveries")] == ["whatsapp"]

    fakes.twilio.inject_reply("whatsapp:" + ADA_PHONE, "C", to="whatsapp:+442079460998")
    clinic.clock.advance(timedelta(minutes=2))
    assert engine.run_once().replies == 1
    with clinic.ctx.read() as uow:
        assert uow.appointments.get(appt.id or 0).status is Status.CONFIRMED


def test_a_text_never_reported_final_is_let_go_after_two_days(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    _, engine = _booked_and_texted(clinic, fakes)
    clinic.clock.advance(timedelta(hours=49))
    assert engine.run_once().statuses == 0  # type: ignore[attr-defined]
    assert table(clinic.engine, "deliveries")[0]["status"] == "sent"
