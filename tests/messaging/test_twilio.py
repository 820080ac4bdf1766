"""Twilio SMS and WhatsApp: the real `twilio` package against the local fake (tests/fakes/)."""

from __future__ import annotations

import base64
import json
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from medbookings_desktop.messaging.errors import DeliveryError
from medbookings_desktop.messaging.message import OutgoingMessage
from medbookings_desktop.messaging.twilio_messages import TwilioChannel
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN, FakeTwilio

PATIENT = "+447700900123"
OTHER_PATIENT = "+447700900456"
SMS_FROM = "+442079460001"
WA_FROM = "+442079460002"


@pytest.fixture
def twilio(twilio_fake: FakeTwilio) -> Iterator[TwilioChannel]:
    sender = channel(twilio_fake)
    yield sender
    sender.close()


def channel(fake: FakeTwilio, **kw: object) -> TwilioChannel:
    options: dict[str, object] = {
        "sms_from": SMS_FROM,
        "whatsapp_from": WA_FROM,
        "base_url": fake.url,
        "timeout": 2.0,
    }
    options.update(kw)
    token = str(options.pop("auth_token", AUTH_TOKEN))
    return TwilioChannel(ACCOUNT_SID, token, **options)  # type: ignore[arg-type]


def sms(
    text: str = "Riverside Clinic: Consultation booked for Mon 30 Mar 09:00 (BST).", **kw: object
) -> OutgoingMessage:
    fields: dict[str, object] = {
        "channel": "sms",
        "to": PATIENT,
        "kind": "confirmation",
        "subject": "",
        "text": text,
        "reference": "outbox:7:confirmation:sms",
    }
    fields.update(kw)
    return OutgoingMessage(**fields)  # type: ignore[arg-type]


def a_while_ago() -> datetime:
    return datetime.now(UTC) - timedelta(minutes=2)


# -- sending ------------------------------------------------------------------------------------


def test_sms_goes_from_our_number(twilio: TwilioChannel, twilio_fake: FakeTwilio) -> None:
    sid = twilio.send(sms())

    [sent] = twilio_fake.sent
    assert sid == sent.sid and sid.startswith("SM") and len(sid) == 34
    assert (sent.to, sent.from_) == (PATIENT, SMS_FROM)
    assert sent.body == "Riverside Clinic: Consultation booked for Mon 30 Mar 09:00 (BST)."
    assert sent.status == "queued"
    [request] = [r for r in twilio_fake.requests if r.method == "POST"]
    assert request.path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert request.form == {
        "To": [PATIENT],
        "From": [SMS_FROM],
        "Body": ["Riverside Clinic: Consultation booked for Mon 30 Mar 09:00 (BST)."],
    }
    user = base64.b64decode(request.headers["Authorization"][6:]).decode()
    assert user == f"{ACCOUNT_SID}:{AUTH_TOKEN}"


def test_whatsapp_text_uses_whatsapp_addresses(
    twilio: TwilioChannel, twilio_fake: FakeTwilio
) -> None:
    twilio.send(sms(channel="whatsapp", text="Hello Ada, your appointment is booked."))
    [sent] = twilio_fake.sent
    assert (sent.to, sent.from_) == (f"whatsapp:{PATIENT}", f"whatsapp:{WA_FROM}")
    assert sent.body == "Hello Ada, your appointment is booked."
    assert sent.content_sid is None


def test_whatsapp_template_message(twilio_fake: FakeTwilio) -> None:
    hx = twilio_fake.add_content(
        "medbookings_reminder", "Hello {{1}}, a reminder of {{2}} at {{3}}."
    )
    sender = channel(twilio_fake, content_sids={"reminder": hx})
    try:
        sender.send(
            sms(
                channel="whatsapp",
                kind="reminder",
                text="our own words, not sent",
                template_variables={"1": "Zoë", "2": "Monday 30 March", "3": "09:00 BST"},
            )
        )
        sender.send(sms(channel="whatsapp", kind="confirmation", text="plain confirmation"))
    finally:
        sender.close()

    reminder, confirmation = twilio_fake.sent
    assert reminder.content_sid == hx
    assert reminder.content_variables == {"1": "Zoë", "2": "Monday 30 March", "3": "09:00 BST"}
    assert reminder.body == "Hello Zoë, a reminder of Monday 30 March at 09:00 BST."
    form = next(r for r in twilio_fake.requests if r.method == "POST").form
    assert "Body" not in form
    assert json.loads(form["ContentVariables"][0])["1"] == "Zoë"
    # no template for confirmations: plain text
    assert confirmation.content_sid is None
    assert confirmation.body == "plain confirmation"


def test_content_templates_are_listed(twilio: TwilioChannel, twilio_fake: FakeTwilio) -> None:
    hx = twilio_fake.add_content("medbookings_reminder", "Hello {{1}}", {"1": "name"})
    [template] = twilio.content_templates()
    assert (template.sid, template.friendly_name, template.language) == (
        hx,
        "medbookings_reminder",
        "en",
    )
    assert template.body == "Hello {{1}}"
    assert template.variables == {"1": "name"}


def test_without_a_whatsapp_sender_whatsapp_is_refused(twilio_fake: FakeTwilio) -> None:
    sender = channel(twilio_fake, whatsapp_from=None)
    try:
        with pytest.raises(DeliveryError) as caught:
            sender.send(sms(channel="whatsapp"))
    finally:
        sender.close()
    assert caught.value.retryable is False
    assert twilio_fake.requests == []


# -- statuses -----------------------------------------------------------------------------------


def test_sms_status_moves_on_to_delivered(twilio: TwilioChannel) -> None:
    sid = twilio.send(sms())
    assert [twilio.status(sid) for _ in range(4)] == ["sent", "delivered", "delivered", "delivered"]


def test_whatsapp_status_goes_on_to_read(twilio: TwilioChannel, twilio_fake: FakeTwilio) -> None:
    sid = twilio.send(sms(channel="whatsapp"))
    twilio_fake.advance(sid, steps=2)
    assert twilio.status(sid) == "read"


def test_undelivered_is_reported(twilio: TwilioChannel, twilio_fake: FakeTwilio) -> None:
    twilio_fake.will_fail(PATIENT, "undelivered")
    sid = twilio.send(sms())
    assert [twilio.status(sid) for _ in range(3)] == ["sent", "undelivered", "undelivered"]


def test_status_of_an_unknown_sid_is_a_permanent_error(twilio: TwilioChannel) -> None:
    with pytest.raises(DeliveryError) as caught:
        twilio.status("SM" + "f" * 32)
    assert (caught.value.retryable, caught.value.status) == (False, 404)


# -- after a crash: did it go? ------------------------------------------------------------------


def test_find_sent_finds_the_message_by_its_words(
    twilio: TwilioChannel, twilio_fake: FakeTwilio
) -> None:
    since = a_while_ago()
    first = twilio.send(sms("Reminder: Consultation Mon 30 Mar 09:00 (BST)."))
    twilio.send(sms("Your appointment has moved to Tue 31 Mar 10:00 (BST)."))
    twilio.send(sms("Reminder: Consultation Mon 30 Mar 09:00 (BST).", to=OTHER_PATIENT))

    assert (
        twilio.find_sent(PATIENT, since, "Reminder: Consultation Mon 30 Mar 09:00 (BST).") == first
    )
    assert twilio.find_sent(PATIENT, since, "cancelled") is None
    assert twilio.find_sent("+447700900999", since, "Reminder") is None
    # asked in the clinic's zone: the package is given UTC
    local = since.astimezone(ZoneInfo("Africa/Johannesburg"))
    assert twilio.find_sent(PATIENT, local, "moved to Tue 31 Mar") is not None
    listed = [r for r in twilio_fake.requests if r.method == "GET"]
    assert listed and all(r.params["DateSent>"][0].endswith("Z") for r in listed)
    assert listed[-1].params["DateSent>"][0] == since.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_find_sent_ignores_what_went_before(twilio: TwilioChannel, twilio_fake: FakeTwilio) -> None:
    twilio.send(sms("Reminder: Consultation Mon 30 Mar 09:00 (BST)."))
    later = datetime.now(UTC) + timedelta(minutes=5)
    assert twilio.find_sent(PATIENT, later, "Reminder") is None


def test_find_sent_looks_at_whatsapp_too(twilio: TwilioChannel) -> None:
    since = a_while_ago()
    sid = twilio.send(sms(channel="whatsapp", text="Hello Ada, a reminder."))
    assert twilio.find_sent(PATIENT, since, "Hello Ada, a reminder.") == sid


def test_find_sent_needs_an_aware_time(twilio: TwilioChannel) -> None:
    with pytest.raises(ValueError):
        twilio.find_sent(PATIENT, datetime(2026, 3, 30, 9, 0), "x")


# -- replies ------------------------------------------------------------------------------------


def test_replies_to_our_numbers_oldest_first(
    twilio: TwilioChannel, twilio_fake: FakeTwilio
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    twilio.send(sms())  # ours, outbound: not a reply
    twilio_fake.inject_reply(PATIENT, "C", to=SMS_FROM, when=now - timedelta(minutes=3))
    twilio_fake.inject_reply(
        f"whatsapp:{OTHER_PATIENT}",
        "STOP",
        to=f"whatsapp:{WA_FROM}",
        when=now - timedelta(minutes=4),
    )
    twilio_fake.inject_reply(PATIENT, "old", to=SMS_FROM, when=now - timedelta(days=2))
    twilio_fake.inject_reply(PATIENT, "to someone else", to="+442079460999", when=now)

    replies = twilio.replies(now - timedelta(hours=1))
    assert [(r.from_, r.body, r.channel) for r in replies] == [
        (f"whatsapp:{OTHER_PATIENT}", "STOP", "whatsapp"),
        (PATIENT, "C", "sms"),
    ]
    assert replies[1].received_at == now - timedelta(minutes=3)
    assert replies[1].to == SMS_FROM
    assert all(r.sid.startswith("SM") for r in replies)


def test_replies_read_every_page(twilio: TwilioChannel, twilio_fake: FakeTwilio) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    for i in range(130):
        twilio_fake.inject_reply(
            PATIENT, f"reply {i}", to=SMS_FROM, when=now - timedelta(seconds=i)
        )
    replies = twilio.replies(now - timedelta(hours=1))
    assert len(replies) == 130
    assert replies[0].body == "reply 129" and replies[-1].body == "reply 0"
    pages = [r for r in twilio_fake.requests if r.params.get("To") == [SMS_FROM]]
    assert len(pages) == 2 and "PageToken" in pages[1].params


# -- failures -----------------------------------------------------------------------------------


def test_a_wrong_token_is_a_credentials_problem(twilio_fake: FakeTwilio) -> None:
    sender = channel(twilio_fake, auth_token="not-the-token")
    try:
        with pytest.raises(DeliveryError) as caught:
            sender.send(sms())
    finally:
        sender.close()
    assert caught.value.credentials_rejected is True
    assert caught.value.retryable is False
    assert "20003" in caught.value.reason
    assert twilio_fake.sent == []


def test_an_invalid_number_is_permanent_and_not_in_the_reason(twilio: TwilioChannel) -> None:
    with pytest.raises(DeliveryError) as caught:
        twilio.send(sms(to="07700 900123"))
    err = caught.value
    assert (err.retryable, err.credentials_rejected, err.status) == (False, False, 400)
    assert "21211" in err.reason
    assert "900123" not in err.reason


def test_rate_limit_reads_retry_after(twilio: TwilioChannel, twilio_fake: FakeTwilio) -> None:
    twilio_fake.fail_next(429, retry_after=12)
    with pytest.raises(DeliveryError) as caught:
        twilio.send(sms())
    assert caught.value.retryable is True
    assert caught.value.retry_after == 12.0
    assert twilio.send(sms())
    assert len(twilio_fake.sent) == 1


@pytest.mark.parametrize("status", [500, 503])
def test_server_errors_are_retryable(
    twilio: TwilioChannel, twilio_fake: FakeTwilio, status: int
) -> None:
    twilio_fake.fail_next(status)
    with pytest.raises(DeliveryError) as caught:
        twilio.send(sms())
    assert caught.value.retryable is True
    assert caught.value.retry_after is None


def test_failures_while_reading_back_are_mapped_too(
    twilio: TwilioChannel, twilio_fake: FakeTwilio
) -> None:
    sid = twilio.send(sms())
    twilio_fake.fail_next(500)
    with pytest.raises(DeliveryError) as caught:
        twilio.status(sid)
    assert caught.value.retryable is True
    twilio_fake.fail_next(429, retry_after=3)
    with pytest.raises(DeliveryError) as caught:
        twilio.replies(a_while_ago())
    assert caught.value.retry_after == 3.0


def test_a_hanging_server_times_out_as_retryable(twilio_fake: FakeTwilio) -> None:
    sender = channel(twilio_fake, timeout=0.5)
    twilio_fake.hang_next(seconds=10)
    started = time.monotonic()
    try:
        with pytest.raises(DeliveryError) as caught:
            sender.send(sms())
    finally:
        sender.close()
    assert caught.value.retryable is True
    assert "in time" in caught.value.reason
    assert time.monotonic() - started < 2.0


def test_nobody_listening_is_retryable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sender = TwilioChannel(
        ACCOUNT_SID, AUTH_TOKEN, sms_from=SMS_FROM, base_url=f"http://127.0.0.1:{port}"
    )
    try:
        with pytest.raises(DeliveryError) as caught:
            sender.send(sms())
    finally:
        sender.close()
    assert caught.value.retryable is True
    assert "could not reach Twilio" in caught.value.reason


# -- the fake keeps to Twilio's description -----------------------------------------------------


def _post(fake: FakeTwilio, path: str, form: str) -> tuple[int, dict[str, object]]:
    auth = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    request = urllib.request.Request(
        f"{fake.url}{path}",
        data=form.encode(),
        headers={
            "Authorization": f"Basic {auth}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())


def test_the_fake_refuses_a_request_outside_the_description(twilio_fake: FakeTwilio) -> None:
    twilio_fake.allow_violations = True  # type: ignore[attr-defined]
    messages = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    status, body = _post(twilio_fake, messages, "From=%2B442079460001&Body=hi&Attempt=twice")
    assert status == 400
    assert "'To' is a required property" in str(body["message"])
    assert "Attempt" in str(body["message"])
    status, _ = _post(twilio_fake, "/2010-04-01/Accounts/AC123/Messages.json", "To=%2B44")
    assert status == 400
    assert len(twilio_fake.violations) == 2
    assert "AccountSid" in twilio_fake.violations[1].reason
    assert twilio_fake.sent == []


def test_the_fake_refuses_what_the_live_api_refuses(twilio_fake: FakeTwilio) -> None:
    messages = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    status, body = _post(twilio_fake, messages, "To=%2B447700900123&Body=hi")
    assert (status, body["code"]) == (400, 21603)  # no From
    status, body = _post(twilio_fake, messages, "To=%2B447700900123&From=%2B442079460001")
    assert (status, body["code"]) == (400, 21602)  # nothing to send
    assert twilio_fake.violations == []


def test_media_urls_travel_as_repeated_fields(
    twilio: TwilioChannel, twilio_fake: FakeTwilio
) -> None:
    card = "https://files.example.org/cards/riverside-clinic.vcf"
    twilio.send(sms(channel="whatsapp", media_urls=(card,)))
    twilio.send(sms(channel="whatsapp", media_urls=(card, card + "?v=2")))
    one, two = twilio_fake.sent
    assert one.media_urls == [card]
    assert two.media_urls == [card, card + "?v=2"]
    forms = [r.form for r in twilio_fake.requests if r.method == "POST"]
    assert forms[0]["MediaUrl"] == [card]
    assert len(forms[1]["MediaUrl"]) == 2


def test_the_fakes_answers_keep_to_the_description(
    twilio: TwilioChannel, twilio_fake: FakeTwilio
) -> None:
    twilio_fake.add_content("reminder", "Hello {{1}}")
    sid = twilio.send(sms())
    twilio.status(sid)
    twilio.replies(a_while_ago())
    twilio.content_templates()
    assert len(twilio_fake.requests) >= 5
    assert twilio_fake.answer_problems == []
    # and the check would see a wrong one
    from tests.fakes.specs import Spec

    spec = Spec.load("twilio_api_v2010.json")
    path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert spec.check_response("GET", path, 200, {"messages": "none"}) != []
    assert spec.check_response("GET", path, 299, {}) != []


def test_an_alphanumeric_sender_id_is_taken_for_sms(twilio_fake: FakeTwilio) -> None:
    sender = channel(twilio_fake, sms_from="Riverside")
    try:
        sender.send(sms())
    finally:
        sender.close()
    assert twilio_fake.sent[0].from_ == "Riverside"


def test_a_whatsapp_template_message_is_found_again_after_a_crash(
    twilio_fake: FakeTwilio,
) -> None:
    hx = twilio_fake.add_content("reminder", "Hello {{1}}, see you soon.")
    sender = channel(twilio_fake, content_sids={"reminder": hx})
    since = a_while_ago()
    try:
        msg = sms(channel="whatsapp", kind="reminder", template_variables={"1": "Ada"})
        plain = sms(channel="sms", kind="reminder", text="Reminder by text.")
        assert sender.sent_marker(msg) == ""
        assert sender.sent_marker(plain) == "Reminder by text."
        assert sender.find_sent(PATIENT, since, sender.sent_marker(msg)) is None
        sid = sender.send(msg)
        # Twilio's copy holds the template's words, not ours: the marker still finds it
        assert sender.find_sent(PATIENT, since, msg.text) is None
        assert sender.find_sent(PATIENT, since, sender.sent_marker(msg)) == sid
    finally:
        sender.close()
