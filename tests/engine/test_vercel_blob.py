"""vCards on WhatsApp: the card goes as media from the clinic's Vercel Blob store (uploaded
before Twilio is called, reused on a retry, deleted once the message is through), or by e-mail
when there is no store or the store refuses it. Through the real engine, the real `twilio` and
`sendgrid` packages and the local fakes; the token comes from the (in-memory) keyring."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests

from medbookings_desktop import secrets
from medbookings_desktop.domain.messages import OutboxKind, OutboxState
from medbookings_desktop.domain.patients import Channel
from medbookings_desktop.services import booking, patients
from medbookings_desktop.storage.repositories.attention import CREDENTIALS_REJECTED
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from medbookings_desktop.sync import config as cfg
from medbookings_desktop.sync.engine import (
    BLOB_KEY,
    CARD_BY_EMAIL,
    Engine,
    EngineConfig,
    load_messaging_config,
)
from tests.engine.conftest import Fakes
from tests.engine.support import outbox, table
from tests.fakes.vercel_blob_server import TOKEN, FakeVercelBlob
from tests.helpers.clinic import SmallClinic
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring

TOMORROW_9 = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)  # 09:00 in London
WA_FROM = "+442079460998"
ADA_WA = "whatsapp:+442079460123"
OPAQUE = re.compile(r"^vcards/[0-9a-f]{32}-\w+\.vcf$")


@pytest.fixture
def blob() -> Iterator[FakeVercelBlob]:
    fake = FakeVercelBlob()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.violations == [], "Vercel Blob saw requests it would refuse"


@pytest.fixture
def keyring_store() -> Iterator[MemoryKeyring]:
    with memory_keyring() as store:
        yield store


def _engine(c: SmallClinic, fakes: Fakes, blob: FakeVercelBlob | None = None) -> Engine:
    """The engine as a desk builds it: endpoints from MEDBOOKINGS_* variables, the Blob token
    from the keyring (when a test put it there)."""
    fakes.twilio.clock = c.clock
    env = {**fakes.env(), "MEDBOOKINGS_TWILIO_WHATSAPP_FROM": WA_FROM}
    if blob is not None:
        env["MEDBOOKINGS_VERCEL_BLOB_API_URL"] = blob.url
    messaging = load_messaging_config(c.engine, env=env)
    return Engine(
        c.engine,
        cfg.build_channels(messaging, env=env),
        messaging=messaging,
        config=EngineConfig(),
        clock=c.clock,
        rng=random.Random(4),
        blobs=cfg.build_blob_store(messaging, env=env),
    )


def _whatsapp_patient(c: SmallClinic) -> None:
    patients.edit(c.ctx, c.ada.id or 0, preferred_channel=Channel.WHATSAPP, consent_whatsapp=True)


def _book(c: SmallClinic, start: datetime = TOMORROW_9) -> int:
    appt = booking.book(
        c.ctx,
        patient_id=c.ada.id or 0,
        provider_id=c.dr_a.id or 0,
        service_id=c.checkup.id or 0,
        start=start,
    ).appointment
    assert appt.id is not None
    return appt.id


def _calls(c: SmallClinic, service: str = "vercel_blob") -> list[tuple[str, str]]:
    return [
        (r["operation"], r["outcome"])
        for r in table(c.engine, "integration_log")
        if r["service"] == service
    ]


def _kept_cards(c: SmallClinic) -> list[str]:
    return [r["key"] for r in _settings(c) if r["key"].startswith(BLOB_KEY)]


def _settings(c: SmallClinic) -> list[dict[str, object]]:
    from sqlalchemy import select

    from medbookings_desktop.storage import tables as t

    with c.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(t.clinic_settings))]


def _card_rows(c: SmallClinic, appt: int) -> list[object]:
    return [
        i
        for i in outbox(c.engine, appointment_id=appt)
        if i.idempotency_key.endswith(CARD_BY_EMAIL)
    ]


def test_the_card_goes_as_media_from_the_blob_store_and_is_deleted_once_delivered(
    clinic: SmallClinic, fakes: Fakes, blob: FakeVercelBlob, keyring_store: MemoryKeyring
) -> None:
    secrets.set_secret(secrets.VERCEL_BLOB_TOKEN, TOKEN)
    _whatsapp_patient(clinic)
    engine = _engine(clinic, fakes, blob)
    appt = _book(clinic)
    report = engine.run_once()
    assert len(report.sent) == 1

    [stored] = blob.files.values()
    assert OPAQUE.match(stored.pathname), "no patient data in the file's name"
    assert stored.content_type == "text/vcard"
    [put] = blob.puts()
    assert put.headers["authorization"] == f"Bearer {TOKEN}"
    [sent] = fakes.twilio.sent
    assert sent.to == ADA_WA
    assert sent.media_urls == [blob.public_url(stored.pathname)]
    # what WhatsApp fetches: the clinic's card
    fetched = requests.get(sent.media_urls[0], timeout=5)
    assert fetched.status_code == 200 and fetched.headers["Content-Type"] == "text/vcard"
    assert b"BEGIN:VCARD" in fetched.content and b"ORG:" in fetched.content
    assert fakes.emails() == [] and _card_rows(clinic, appt) == []
    assert _calls(clinic) == [("put", "ok")]
    assert len(_kept_cards(clinic)) == 1

    # sent is not delivered yet: the card stays
    clinic.clock.advance(timedelta(seconds=61))
    engine.run_once()
    assert blob.files and blob.deleted == []

    # delivered (and read): the next look deletes it, and nothing else is asked of the store
    fakes.twilio.advance(steps=2)
    clinic.clock.advance(timedelta(seconds=61))
    engine.run_once()
    assert blob.files == {} and blob.deleted == [stored.pathname]
    assert requests.get(sent.media_urls[0], timeout=5).status_code == 404
    assert _calls(clinic) == [("put", "ok"), ("delete", "ok")]
    assert _kept_cards(clinic) == []
    clinic.clock.advance(timedelta(minutes=5))
    engine.run_once()
    assert len(blob.puts()) == 1 and len(blob.delete_requests()) == 1


def test_a_retry_reuses_the_card_already_uploaded(
    clinic: SmallClinic, fakes: Fakes, blob: FakeVercelBlob, keyring_store: MemoryKeyring
) -> None:
    secrets.set_secret(secrets.VERCEL_BLOB_TOKEN, TOKEN)
    _whatsapp_patient(clinic)
    engine = _engine(clinic, fakes, blob)
    appt = _book(clinic)
    fakes.twilio_fails(500)
    assert len(engine.run_once().retried) == 1
    assert len(blob.puts()) == 1 and len(_kept_cards(clinic)) == 1

    clinic.clock.advance(timedelta(minutes=2))
    assert len(engine.run_once().sent) == 1
    assert len(blob.puts()) == 1, "the card's URL was kept for the retry"
    [sent] = fakes.twilio.sent
    [stored] = blob.files.values()
    assert sent.media_urls == [blob.public_url(stored.pathname)]
    [row] = [
        i for i in outbox(clinic.engine, appointment_id=appt) if i.kind is OutboxKind.CONFIRMATION
    ]
    assert row.state is OutboxState.SENT


def test_without_a_blob_token_the_card_goes_by_email(
    clinic: SmallClinic, fakes: Fakes, keyring_store: MemoryKeyring
) -> None:
    _whatsapp_patient(clinic)
    engine = _engine(clinic, fakes)
    assert engine.blobs is None
    appt = _book(clinic)
    engine.run_once()
    [sent] = fakes.twilio.sent
    assert sent.to == ADA_WA and sent.media_urls == []
    [card_row] = _card_rows(clinic, appt)
    assert card_row.state is OutboxState.PENDING  # type: ignore[attr-defined]

    engine.run_once()
    [mail] = fakes.sendgrid.mails
    assert mail.to == ["ada@example.com"]
    cards = [n for n, kind in mail.attachment_types.items() if n.endswith(".vcf")]
    assert len(cards) == 1 and mail.attachment_types[cards[0]].startswith("text/vcard")
    assert mail.attachment(cards[0]).startswith(b"BEGIN:VCARD")
    assert [d["channel"] for d in table(clinic.engine, "deliveries")] == ["whatsapp", "email"]
    # one card, one e-mail: later passes add nothing
    clinic.clock.advance(timedelta(minutes=5))
    engine.run_once()
    assert len(fakes.sendgrid.mails) == 1 and len(fakes.twilio.sent) == 1


def test_without_email_consent_the_text_goes_alone(
    clinic: SmallClinic, fakes: Fakes, keyring_store: MemoryKeyring
) -> None:
    _whatsapp_patient(clinic)
    patients.edit(clinic.ctx, clinic.ada.id or 0, consent_email=False)
    engine = _engine(clinic, fakes)
    appt = _book(clinic)
    assert len(engine.run_once().sent) == 1
    assert _card_rows(clinic, appt) == []
    engine.run_once()
    assert fakes.sendgrid.mails == []


def test_a_rejected_blob_token_asks_for_attention_and_the_card_goes_by_email(
    clinic: SmallClinic, fakes: Fakes, blob: FakeVercelBlob, keyring_store: MemoryKeyring
) -> None:
    secrets.set_secret(secrets.VERCEL_BLOB_TOKEN, TOKEN)
    _whatsapp_patient(clinic)
    engine = _engine(clinic, fakes, blob)
    appt = _book(clinic)
    blob.fail_next(401)
    assert len(engine.run_once().sent) == 1
    [sent] = fakes.twilio.sent
    assert sent.media_urls == [] and blob.files == {}
    with SqlUnitOfWork(clinic.engine, write=False) as uow:
        items = [i for i in uow.attention.open_items() if i.service == "vercel_blob"]
        assert "vercel_blob" in uow.attention.paused_services()
    [item] = items
    assert item.kind == CREDENTIALS_REJECTED and "Vercel Blob" in item.summary
    assert _calls(clinic) == [("put", "rejected")]

    engine.run_once()
    [mail] = fakes.sendgrid.mails
    assert any(n.endswith(".vcf") for n in mail.attachment_types)
    assert len(_card_rows(clinic, appt)) == 1

    # while the token waits to be entered again, the store is not asked
    _book(clinic, TOMORROW_9 + timedelta(hours=2))
    engine.run_once()
    engine.run_once()
    assert len(blob.puts()) == 1
    assert len(fakes.twilio.sent) == 2 and len(fakes.sendgrid.mails) == 2


def test_a_store_that_stays_down_delays_the_text_then_the_card_goes_by_email(
    clinic: SmallClinic, fakes: Fakes, blob: FakeVercelBlob, keyring_store: MemoryKeyring
) -> None:
    secrets.set_secret(secrets.VERCEL_BLOB_TOKEN, TOKEN)
    _whatsapp_patient(clinic)
    engine = _engine(clinic, fakes, blob)
    appt = _book(clinic)
    blob.fail_next(503, times=3)
    for _ in range(2):
        report = engine.run_once()
        assert len(report.retried) == 1 and fakes.twilio.sent == []
        clinic.clock.advance(timedelta(minutes=10))
    assert len(engine.run_once().sent) == 1
    [sent] = fakes.twilio.sent
    assert sent.media_urls == []
    assert _calls(clinic) == [("put", "retry")] * 3
    assert len(_card_rows(clinic, appt)) == 1


def test_an_undelivered_card_is_deleted_after_a_day(
    clinic: SmallClinic, fakes: Fakes, blob: FakeVercelBlob, keyring_store: MemoryKeyring
) -> None:
    secrets.set_secret(secrets.VERCEL_BLOB_TOKEN, TOKEN)
    _whatsapp_patient(clinic)
    engine = _engine(clinic, fakes, blob)
    _book(clinic, TOMORROW_9 + timedelta(days=7))  # its reminders are days away
    engine.run_once()
    assert len(blob.files) == 1
    # Twilio cannot be asked for statuses (its answers fail): only the clock can free the card
    for minutes in (2, 60 * 23):
        fakes.twilio.fail_next(500, times=2)
        clinic.clock.advance(timedelta(minutes=minutes))
        engine.run_once()
        fakes.twilio.clear_failures()
        assert len(blob.files) == 1
    fakes.twilio.fail_next(500, times=2)
    clinic.clock.advance(timedelta(hours=1))
    engine.run_once()
    assert blob.files == {} and _kept_cards(clinic) == []


def test_a_whatsapp_template_message_sends_the_card_by_email_without_asking_the_store(
    clinic: SmallClinic, fakes: Fakes, blob: FakeVercelBlob, keyring_store: MemoryKeyring
) -> None:
    from medbookings_desktop.sync.config import SETTINGS_KEY, MessagingConfig

    content = fakes.twilio.add_content("confirmation", "Booked: {{1}} on {{2}} at {{3}}")
    with SqlUnitOfWork(clinic.engine) as uow:
        stored = MessagingConfig(whatsapp_from=WA_FROM, content_sids={"confirmation": content})
        uow.settings.set_value(SETTINGS_KEY, stored.to_json())
        uow.commit()
    secrets.set_secret(secrets.VERCEL_BLOB_TOKEN, TOKEN)
    _whatsapp_patient(clinic)
    engine = _engine(clinic, fakes, blob)
    appt = _book(clinic)
    engine.run_once()
    [sent] = fakes.twilio.sent
    assert sent.content_sid == content and sent.media_urls == []
    assert blob.requests == []
    engine.run_once()
    [mail] = fakes.sendgrid.mails
    assert any(n.endswith(".vcf") for n in mail.attachment_types)
    assert len(_card_rows(clinic, appt)) == 1


def test_the_settings_check_stores_a_file_and_deletes_it(blob: FakeVercelBlob) -> None:
    from medbookings_desktop.integrations.vercel_blob import VercelBlobClient
    from medbookings_desktop.messaging.errors import DeliveryError

    client = VercelBlobClient(TOKEN, api_url=blob.url, timeout=5)
    try:
        url = client.check()
        assert url.startswith(blob.url) and blob.files == {}
        assert len(blob.deleted) == 1 and blob.deleted[0].startswith("checks/")
        wrong = VercelBlobClient(TOKEN[:-4] + "XXXX", api_url=blob.url, timeout=5)
        with pytest.raises(DeliveryError) as caught:
            wrong.check()
        assert caught.value.credentials_rejected and "Vercel Blob" in caught.value.reason
        blob.fail_next(429, retry_after=7)
        with pytest.raises(DeliveryError) as caught:
            client.check()
        assert caught.value.retryable and caught.value.retry_after == 7
        wrong.close()
    finally:
        client.close()
