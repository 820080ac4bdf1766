"""SendGrid e-mail: the real `sendgrid` package against the local fake (tests/fakes/)."""

from __future__ import annotations

import json
import socket
import time
import urllib.error
import urllib.request

import pytest

from medbookings_desktop.messaging.errors import DeliveryError
from medbookings_desktop.messaging.message import Attachment, OutgoingMessage
from medbookings_desktop.messaging.sendgrid_mail import KIND_ARG, REFERENCE_ARG, SendGridChannel
from tests.fakes.sendgrid_server import API_KEY, FakeSendGrid

PATIENT = "ada.okafor@example.org"


def channel(fake: FakeSendGrid, **kw: object) -> SendGridChannel:
    options: dict[str, object] = {"host": fake.url, "timeout": 2.0}
    options.update(kw)
    key = str(options.pop("api_key", API_KEY))
    return SendGridChannel(key, "desk@clinic.example.org", "Riverside Clinic", **options)  # type: ignore[arg-type]


def message(**kw: object) -> OutgoingMessage:
    fields: dict[str, object] = {
        "channel": "email",
        "to": PATIENT,
        "kind": "confirmation",
        "subject": "Your appointment on Monday 30 March 2026 at 09:00",
        "text": "Dear Ada,\n\nYour Consultation is booked.",
        "html": "<p>Dear Ada,</p><p>Your Consultation is booked.</p>",
        "reference": "outbox:41:confirmation:email",
    }
    fields.update(kw)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def test_sends_our_own_content_with_category_and_reference(sendgrid_fake: FakeSendGrid) -> None:
    message_id = channel(sendgrid_fake).send(message())

    [mail] = sendgrid_fake.mails
    assert message_id == mail.message_id
    assert mail.to == [PATIENT]
    assert mail.body["from"] == {"email": "desk@clinic.example.org", "name": "Riverside Clinic"}
    assert mail.subject == "Your appointment on Monday 30 March 2026 at 09:00"
    assert mail.content("text/plain") == "Dear Ada,\n\nYour Consultation is booked."
    assert mail.content("text/html") == "<p>Dear Ada,</p><p>Your Consultation is booked.</p>"
    assert mail.template_id is None
    assert mail.categories == ["confirmation"]
    assert mail.custom_args == {
        REFERENCE_ARG: "outbox:41:confirmation:email",
        KIND_ARG: "confirmation",
    }
    assert mail.sandbox is False
    assert mail.body["mail_settings"] == {"sandbox_mode": {"enable": False}}


def test_text_only_mail_has_one_part(sendgrid_fake: FakeSendGrid) -> None:
    channel(sendgrid_fake).send(message(html=None))
    [mail] = sendgrid_fake.mails
    assert [c["type"] for c in mail.body["content"]] == ["text/plain"]


def test_dynamic_template_for_a_kind_with_an_id(sendgrid_fake: FakeSendGrid) -> None:
    sender = channel(sendgrid_fake, template_ids={"reminder": "d-0123456789abcdef"})
    sender.send(
        message(
            kind="reminder",
            subject="Reminder: Consultation",
            template_variables={"date": "Monday 30 March 2026", "time": "09:00"},
        )
    )
    sender.send(message(kind="confirmation"))

    reminder, confirmation = sendgrid_fake.mails
    assert reminder.template_id == "d-0123456789abcdef"
    assert reminder.dynamic_template_data == {
        "subject": "Reminder: Consultation",
        "date": "Monday 30 March 2026",
        "time": "09:00",
    }
    assert "content" not in reminder.body
    assert reminder.categories == ["reminder"]
    # no id for confirmations: our own text
    assert confirmation.template_id is None
    assert confirmation.content("text/plain")


def test_attachments_travel_base64(sendgrid_fake: FakeSendGrid) -> None:
    ics = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
    vcf = "BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Ada Okafor – Zoë\r\nEND:VCARD\r\n".encode()
    channel(sendgrid_fake).send(
        message(
            attachments=(
                Attachment("appointment.ics", "text/calendar; method=REQUEST", ics),
                Attachment("patient.vcf", "text/vcard", vcf),
            )
        )
    )
    [mail] = sendgrid_fake.mails
    assert mail.attachment("appointment.ics") == ics
    assert mail.attachment("patient.vcf") == vcf
    assert mail.attachment_types == {
        "appointment.ics": "text/calendar; method=REQUEST",
        "patient.vcf": "text/vcard",
    }
    assert {a["disposition"] for a in mail.body["attachments"]} == {"attachment"}


def test_sandbox_mode_is_sent_and_answered(sendgrid_fake: FakeSendGrid) -> None:
    message_id = channel(sendgrid_fake, sandbox=True).send(message())
    [mail] = sendgrid_fake.mails
    assert mail.sandbox is True
    assert message_id == mail.message_id


def test_rejected_key_is_a_credentials_problem(sendgrid_fake: FakeSendGrid) -> None:
    with pytest.raises(DeliveryError) as caught:
        channel(sendgrid_fake, api_key="SG.revoked").send(message())
    err = caught.value
    assert err.credentials_rejected is True
    assert err.retryable is False
    assert "401" in err.reason
    assert sendgrid_fake.mails == []


def test_bad_request_is_permanent_and_names_no_patient(sendgrid_fake: FakeSendGrid) -> None:
    sendgrid_fake.fail_next(
        400,
        body={
            "errors": [{"field": "personalizations.0.to", "message": f"Invalid address {PATIENT}"}]
        },
    )
    with pytest.raises(DeliveryError) as caught:
        channel(sendgrid_fake).send(message())
    err = caught.value
    assert (err.retryable, err.credentials_rejected, err.status) == (False, False, 400)
    assert "personalizations.0.to" in err.reason
    assert PATIENT not in err.reason
    assert "ada" not in err.reason.lower()


@pytest.mark.parametrize("status", [404, 413])
def test_other_client_errors_are_permanent(sendgrid_fake: FakeSendGrid, status: int) -> None:
    sendgrid_fake.fail_next(status)
    with pytest.raises(DeliveryError) as caught:
        channel(sendgrid_fake).send(message())
    assert caught.value.retryable is False
    assert caught.value.credentials_rejected is False


def test_rate_limit_reads_retry_after(sendgrid_fake: FakeSendGrid) -> None:
    sendgrid_fake.fail_next(429, retry_after=7)
    sender = channel(sendgrid_fake)
    with pytest.raises(DeliveryError) as caught:
        sender.send(message())
    assert caught.value.retryable is True
    assert caught.value.retry_after == 7.0
    # the switch is used up: the next try goes through
    assert sender.send(message())
    assert len(sendgrid_fake.mails) == 1


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable(sendgrid_fake: FakeSendGrid, status: int) -> None:
    sendgrid_fake.fail_next(status)
    with pytest.raises(DeliveryError) as caught:
        channel(sendgrid_fake).send(message())
    assert caught.value.retryable is True
    assert caught.value.retry_after is None


def test_a_hanging_server_times_out_as_retryable(sendgrid_fake: FakeSendGrid) -> None:
    sendgrid_fake.hang_next(seconds=10)
    started = time.monotonic()
    with pytest.raises(DeliveryError) as caught:
        channel(sendgrid_fake, timeout=0.5).send(message())
    elapsed = time.monotonic() - started
    assert caught.value.retryable is True
    assert "in time" in caught.value.reason
    assert elapsed < 2.0


def test_nobody_listening_is_retryable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = SendGridChannel(
        API_KEY, "desk@clinic.example.org", "", host=f"http://127.0.0.1:{port}"
    )
    with pytest.raises(DeliveryError) as caught:
        sender.send(message())
    assert caught.value.retryable is True
    assert "could not reach SendGrid" in caught.value.reason


def test_the_fake_refuses_a_request_outside_the_description(sendgrid_fake: FakeSendGrid) -> None:
    sendgrid_fake.allow_violations = True  # type: ignore[attr-defined]
    bad = {
        "personalizations": [{"to": [{"name": "no address"}]}],
        "from": {"email": "desk@clinic.example.org"},
        "subject": "",
        "content": [{"type": "text/plain", "value": "x"}],
    }
    request = urllib.request.Request(
        f"{sendgrid_fake.url}/v3/mail/send",
        data=json.dumps(bad).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    with caught.value as answer:
        assert answer.code == 400
        reason = json.loads(answer.read())["errors"][0]["message"]
    assert "'email' is a required property" in reason
    assert "subject" in reason
    [violation] = sendgrid_fake.violations
    assert violation.path == "/v3/mail/send"
    assert sendgrid_fake.mails == []


def test_the_fake_refuses_an_unknown_path(sendgrid_fake: FakeSendGrid) -> None:
    sendgrid_fake.allow_violations = True  # type: ignore[attr-defined]
    request = urllib.request.Request(
        f"{sendgrid_fake.url}/v3/mail/sendd",
        data=b"{}",
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    with caught.value as answer:
        assert answer.code == 400
    assert "no such operation" in sendgrid_fake.violations[0].reason


def test_forbidden_is_a_credentials_problem(sendgrid_fake: FakeSendGrid) -> None:
    sendgrid_fake.fail_next(403)
    with pytest.raises(DeliveryError) as caught:
        channel(sendgrid_fake).send(message())
    assert caught.value.credentials_rejected is True
    assert caught.value.retryable is False
