"""What messages say: every kind by every channel, in the clinic's zone and locale, with the
clinic's own wording when it has one, and the attachments that go with them."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
import vobject

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.clinic import ClinicSettings, Location, Provider, Service
from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.domain.patients import Patient
from medbookings_desktop.messaging.render import (
    WHATSAPP_VARIABLES,
    MessageFacts,
    check_template,
    preview,
    render,
)
from medbookings_desktop.messaging.sendgrid_mail import SendGridChannel
from medbookings_desktop.messaging.twilio_messages import TwilioChannel
from tests.fakes.sendgrid_server import API_KEY, FakeSendGrid
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

KINDS = ["confirmation", "change_notice", "cancellation_notice", "reminder", "provider_notice"]
CHANNELS = ["email", "sms", "whatsapp"]
MEET = "https://meet.google.com/abc-defg-hij"

CLINIC = ClinicSettings(name="Riverside Clinic", zone="Europe/London", locale="en_GB")
RIVERSIDE = Location(
    name="Riverside",
    zone="Europe/London",
    address_line1="1 River Street",
    city="London",
    postal_code="SE1 7PB",
    country="GB",
    phone="020 7946 0000",
    id=1,
)
DR = Provider(name="Thandi Mokoena", title="Dr", email="t.mokoena@example.org", id=1)
CONSULT = Service(name="Consultation", duration=timedelta(minutes=30), id=1)
ADA = Patient("Ada", "Okafor", phone="+447700900123", email="ada.okafor@example.org", id=1)


def facts(
    start: datetime = datetime(2026, 6, 15, 8, 0, tzinfo=UTC),
    *,
    online: bool = False,
    clinic: ClinicSettings = CLINIC,
    patient: Patient = ADA,
    **kw: object,
) -> MessageFacts:
    appt = Appointment(
        patient_id=1,
        provider_id=1,
        service_id=1,
        start=start,
        end=start + timedelta(minutes=30),
        location_id=None if online else 1,
        online=online,
        meet_url=MEET if online else None,
        cancel_reason="The provider is unwell",
        revision=2,
        id=41,
    )
    return MessageFacts(
        clinic=clinic,
        patient=patient,
        appointment=appt,
        provider=DR,
        service=CONSULT,
        location=None if online else RIVERSIDE,
        **kw,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("channel", CHANNELS)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_by_every_channel(kind: str, channel: str) -> None:
    f = facts(old_start=datetime(2026, 6, 12, 13, 0, tzinfo=UTC))
    msg = render(kind, channel, f)

    assert (msg.kind, msg.channel) == (kind, channel)
    assert "09:00" in msg.text
    if kind != "provider_notice" or channel == "email":
        assert "BST" in msg.text
    assert "{{" not in msg.text and "{%" not in msg.text
    if kind == "provider_notice":
        assert msg.to == "t.mokoena@example.org"
        assert "Ada Okafor" in msg.text
    else:
        assert msg.to == ("ada.okafor@example.org" if channel == "email" else "+447700900123")
    if channel == "email":
        assert msg.subject and "\n" not in msg.subject
        assert msg.html is not None and msg.html.startswith("<!DOCTYPE html>")
        assert "Monday, 15 June 2026" in msg.html
        assert msg.template_variables["subject"] == msg.subject
        assert msg.template_variables["date"] == "Monday, 15 June 2026"
    else:
        assert msg.subject == "" and msg.html is None
        assert msg.attachments == ()
    if channel == "whatsapp":
        assert list(msg.template_variables) == [
            str(i) for i in range(1, len(WHATSAPP_VARIABLES[kind]) + 1)
        ]
    if kind == "change_notice":
        assert "14:00 BST" in (msg.html or msg.text) or channel != "email"
    if kind == "cancellation_notice" and channel == "email":
        assert "The provider is unwell" in msg.text


def test_times_on_the_day_the_clocks_go_forward() -> None:
    # Sunday 29 March 2026: 01:00 GMT becomes 02:00 BST
    before = render("reminder", "sms", facts(datetime(2026, 3, 29, 0, 30, tzinfo=UTC)))
    after = render("reminder", "sms", facts(datetime(2026, 3, 29, 8, 0, tzinfo=UTC)))
    assert "Sunday, 29 March 2026 00:30 (GMT)" in before.text
    assert "Sunday, 29 March 2026 09:00 (BST)" in after.text


def test_times_on_the_day_the_clocks_go_back() -> None:
    # Sunday 25 October 2026: 02:00 BST becomes 01:00 GMT; 01:30 happens twice
    first = render("confirmation", "email", facts(datetime(2026, 10, 25, 0, 30, tzinfo=UTC)))
    second = render("confirmation", "email", facts(datetime(2026, 10, 25, 1, 30, tzinfo=UTC)))
    assert "at 01:30 (BST)" in first.text
    assert "01:30 BST–01:00 GMT" in first.text
    assert "at 01:30 (GMT)" in second.text
    assert "01:30–02:00 GMT" in second.text


def test_a_move_across_the_change_names_both_zones() -> None:
    f = facts(
        datetime(2026, 3, 30, 8, 0, tzinfo=UTC), old_start=datetime(2026, 3, 27, 9, 0, tzinfo=UTC)
    )
    msg = render("change_notice", "email", f)
    assert "Friday, 27 March 2026 09:00 GMT" in msg.text
    assert "Monday, 30 March 2026 at 09:00 (BST)" in msg.text


def test_the_clinics_locale_and_a_zone_without_letters() -> None:
    us = ClinicSettings(name="Riverside Clinic", zone="America/New_York", locale="en_US")
    msg = render("reminder", "sms", facts(datetime(2026, 6, 15, 13, 0, tzinfo=UTC), clinic=us))
    assert "Monday, June 15, 2026 9:00\u202fAM (EDT)" in msg.text
    dubai = ClinicSettings(name="Riverside Clinic", zone="Asia/Dubai", locale="en_GB")
    msg = render("reminder", "sms", facts(clinic=dubai))
    assert "12:00 (UTC+4)" in msg.text


def test_online_visit_carries_the_meet_link_and_no_address() -> None:
    f = facts(online=True)
    for channel in CHANNELS:
        msg = render("confirmation", channel, f)
        assert MEET in msg.text, channel
        assert "1 River Street" not in msg.text
    email = render("reminder", "email", f)
    assert f'href="{MEET}"' in (email.html or "")
    assert "Join the video call" in (email.html or "")
    # a cancelled visit has nothing to join
    cancelled = render("cancellation_notice", "sms", f)
    assert MEET not in cancelled.text


def test_in_person_visit_carries_the_address() -> None:
    msg = render("reminder", "email", facts())
    assert "Where: Riverside, 1 River Street, London SE1 7PB" in msg.text
    assert "1 River Street, London SE1 7PB" in (msg.html or "")
    assert "Join" not in msg.text


def test_html_escapes_what_people_typed() -> None:
    odd = replace(ADA, first_name="<b>Ada</b> & co")
    msg = render("confirmation", "email", facts(patient=odd))
    assert "&lt;b&gt;Ada&lt;/b&gt; &amp; co" in (msg.html or "")
    assert "<b>Ada</b>" not in (msg.html or "")
    assert "Dear <b>Ada</b> & co," in msg.text


def test_the_clinics_own_wording_is_used() -> None:
    overrides = {
        "reminder": {
            "sms": "Hi {{ patient_first_name }}, {{ hours_before }} h to your {{ service_name }}.",
            "email_subject": "See you {{ date }}",
        }
    }
    sms = render("reminder", "sms", facts(hours_before=2), overrides=overrides)
    assert sms.text == "Hi Ada, 2 h to your Consultation."
    email = render("reminder", "email", facts(), overrides=overrides)
    assert email.subject == "See you Monday, 15 June 2026"
    # what the clinic did not change stays built in
    assert email.text.startswith("Dear Ada,")


def test_a_broken_template_is_refused_with_a_reason() -> None:
    assert check_template("Hello {{ patient_first_name }}") is None
    problem = check_template("Hello {{ patient_first_name }")
    assert problem is not None and problem.startswith("Line 1")
    problem = check_template("Hello\n{{ patient_nickname }}", "reminder")
    assert problem is not None and "Unknown placeholder 'patient_nickname'" in problem
    assert "Line 2" in problem
    assert check_template("{{ reason }}", "reminder") is not None
    assert check_template("{{ reason }}", "cancellation_notice") is None


def test_a_broken_stored_template_falls_back_to_the_built_in_one(
    caplog: pytest.LogCaptureFixture,
) -> None:
    overrides = {"confirmation": {"sms": "Hi {{ patient_first_name }"}}
    with caplog.at_level(logging.WARNING):
        msg = render("confirmation", "sms", facts(), overrides=overrides)
    assert msg.text.startswith("Riverside Clinic: Consultation with Dr Thandi Mokoena booked")
    assert "confirmation sms template cannot be used" in caplog.text
    assert "Ada" not in caplog.text


def test_confirmation_carries_the_appointment_and_the_clinics_card() -> None:
    msg = render("confirmation", "email", facts())
    names = [a.filename for a in msg.attachments]
    assert names == ["appointment.ics", "riverside-clinic.vcf"]
    ics, card = msg.attachments
    assert ics.content_type.startswith("text/calendar")
    cal = vobject.readOne(ics.data.decode("utf-8"))
    event = cal.vevent
    assert cal.method.value == "PUBLISH"
    assert event.uid.value == "appointment-41@medbookings-desktop"
    assert event.dtstart.value == datetime(2026, 6, 15, 8, 0, tzinfo=UTC)
    assert event.dtend.value == datetime(2026, 6, 15, 8, 30, tzinfo=UTC)
    assert event.sequence.value == "1"
    assert event.location.value == "Riverside, 1 River Street, London SE1 7PB"
    assert event.summary.value == "Consultation with Dr Thandi Mokoena"
    assert "Ada" not in ics.data.decode()
    clinic = vobject.readOne(card.data.decode("utf-8"))
    assert clinic.fn.value.startswith("Riverside Clinic")


def test_online_appointment_file_points_at_the_call() -> None:
    msg = render("change_notice", "email", facts(online=True))
    [ics] = msg.attachments
    event = vobject.readOne(ics.data.decode()).vevent
    assert event.location.value == MEET
    assert event.url.value == MEET


def test_provider_notice_carries_the_patients_card() -> None:
    msg = render("provider_notice", "email", facts())
    [card] = msg.attachments
    assert (card.filename, card.content_type) == ("patient.vcf", "text/vcard; charset=utf-8")
    parsed = vobject.readOne(card.data.decode("utf-8"))
    assert parsed.fn.value == "Ada Okafor"
    assert parsed.tel.value == "+447700900123"


def test_rendered_mail_goes_through_sendgrid(sendgrid_fake: FakeSendGrid) -> None:
    msg = replace(render("confirmation", "email", facts()), reference="confirmation:41:r2")
    SendGridChannel(
        API_KEY, "desk@clinic.example.org", "Riverside Clinic", host=sendgrid_fake.url
    ).send(msg)
    [mail] = sendgrid_fake.mails
    assert mail.subject == msg.subject
    assert mail.content("text/html") == msg.html
    assert b"DTSTART:20260615T080000Z" in mail.attachment("appointment.ics")
    assert mail.custom_args["medbookings_ref"] == "confirmation:41:r2"


def test_rendered_whatsapp_fills_a_content_template(twilio_fake: FakeTwilio) -> None:
    hx = twilio_fake.add_content(
        "reminder", "Hello {{1}}, your {{2}} with {{3}} is on {{4}} at {{5}} ({{6}})."
    )
    sender = TwilioChannel(
        ACCOUNT_SID,
        AUTH_TOKEN,
        sms_from="+442079460001",
        whatsapp_from="+442079460002",
        content_sids={"reminder": hx},
        base_url=twilio_fake.url,
    )
    try:
        sender.send(render("reminder", "whatsapp", facts()))
    finally:
        sender.close()
    [sent] = twilio_fake.sent
    assert sent.body == (
        "Hello Ada, your Consultation with Dr Thandi Mokoena is on Monday, 15 June 2026 at "
        "09:00 BST (Riverside, 1 River Street, London SE1 7PB)."
    )


def test_preview_fills_a_template_as_the_engine_does() -> None:
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)  # tomorrow the clocks go forward
    text = preview(
        "reminder", "sms", "{{ date }} {{ time }} ({{ zone }}), {{ hours_before }} h", CLINIC, now
    )
    assert text == "Sunday, 29 March 2026 14:30 (BST), 24 h"
    moved = preview(
        "change_notice", "email_body", "{{ previous_date }} {{ previous_time }}", CLINIC, now
    )
    assert moved == "Friday, 27 March 2026 11:30 GMT"
    with pytest.raises(DomainError):
        preview("reminder", "sms", "{{ date }", CLINIC, now)
