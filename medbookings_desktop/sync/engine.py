"""The outbox dispatcher: `run_once(now)` claims due message rows, sends them, records what
happened (DESIGN invariant 4).

One pass:
1. Resolve attempts left behind by an engine that died (its process is gone, or its lease ran
   out). An attempt only claimed, never handed to the vendor, goes straight back to the queue.
   One in flight is looked up: Twilio is asked whether the text went out (`find_sent`) and it
   is marked sent or sent again; an e-mail cannot be looked up at SendGrid, so it is never
   sent twice blindly: it fails with a clear reason and a "Needs attention" item ("may not
   have gone out: check, send again").
2. Claim due rows in one write transaction (PostgreSQL `FOR UPDATE SKIP LOCKED`; SQLite's
   write lock), decide for each: superseded (a reminder whose visit started, a notice for a
   visit that is over or no longer active), deferred (quiet hours for texts, a paused
   service), failed (no way to reach the person), or to send, by which channel. Rows to send
   are marked `sending` (one more attempt, an attempt record naming this engine) and the
   transaction commits; the messages are rendered after it, outside the write lock.
3. Send each claimed row. Its attempt is marked in flight in the commit before the call (with
   the previous row's outcome), and its outcome is committed at once with its integration-log
   entry: sent; retry later (exponential backoff with jitter, at least the vendor's
   Retry-After); failed on this channel (the next channel the patient agreed to is tried, else
   the row fails with a readable reason and a "Needs attention" item); credentials rejected (a
   "Needs attention" item naming the service, which pauses it until resolved).
4. Poll Twilio for the delivery status of sent texts, and for patient replies.

Calendar rows (calendar_upsert/delete) are left alone: the calendar reconciler owns them.
No patient data goes to the log: rows are named by id, kind and channel.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Protocol, cast

from sqlalchemy import Engine as DbEngine
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from medbookings_desktop.domain.appointments import UPCOMING_STATUSES, Appointment
from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.domain.messages import OutboxItem, OutboxKind, OutboxState
from medbookings_desktop.domain.patients import Patient
from medbookings_desktop.services.context import Context, utc_now
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.repositories.attention import CREDENTIALS_REJECTED
from medbookings_desktop.storage.repositories.deliveries import CLAIMED, SENDING, Delivery
from medbookings_desktop.storage.repositories.deliveries import (
    FINAL_STATUSES as DELIVERY_FINAL,
)
from medbookings_desktop.storage.repositories.integration_log import CallRecord
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from medbookings_desktop.sync import policy
from medbookings_desktop.sync.config import SETTINGS_KEY, MessagingConfig

log = logging.getLogger(__name__)

# attention item kinds
UNDELIVERABLE = "undeliverable"
NO_CHANNEL = "no_channel"
UNCERTAIN = "uncertain_delivery"
REPLY = "patient_reply"

REPLIES_CURSOR_KEY = "engine.replies_since"
ALL_CHANNELS = ("email", "sms", "whatsapp")
# a row the engine adds itself may say which one channel it goes by (a card sent by e-mail)
ONLY_CHANNEL = "only_channel"

# vCards on WhatsApp: media needs a public URL, so the card is put in the clinic's Blob store
# (a settings row per outbox row names it, so a retry reuses it) and deleted once the message
# is through; without a store, the card goes by e-mail in a row of its own
CARD_KINDS = frozenset({OutboxKind.CONFIRMATION, OutboxKind.PROVIDER_NOTICE})
BLOB_KEY = "vercel_blob.outbox."  # + outbox id -> {"url", "outbox_id", "uploaded_at"}
BLOB_LIFETIME = timedelta(hours=24)
CARD_UPLOAD_TRIES = 3  # attempts that wait for a Blob store that is down; then e-mail
CARD_BY_EMAIL = ":card-by-email"  # idempotency key suffix of the card's e-mail row


class Sender(Protocol):
    def send(self, msg: Any) -> str: ...


@dataclass(frozen=True)
class EngineConfig:
    batch_size: int = 50
    # an attempt older than this whose engine cannot be seen alive is taken over
    lease: timedelta = timedelta(minutes=5)
    max_attempts: int = 8
    backoff: policy.Backoff = field(default_factory=policy.Backoff)
    # while a service's credentials are rejected, its rows wait this long between looks
    paused_wait: timedelta = timedelta(minutes=10)
    status_poll_every: timedelta = timedelta(minutes=1)
    status_poll_limit: int = 100
    # a text whose carrier never reports a final status is let go after this
    status_give_up: timedelta = timedelta(hours=48)
    replies_every: timedelta = timedelta(minutes=1)


@dataclass
class RunReport:
    """What one pass did, by outbox row id (no patient data)."""

    claimed: int = 0
    sent: list[int] = field(default_factory=list)
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    released: list[int] = field(default_factory=list)
    recovered: list[tuple[int, str]] = field(default_factory=list)
    statuses: int = 0
    replies: int = 0
    more: bool = False  # a full batch was claimed: run again soon
    calendars: dict[str, Any] | None = None  # the calendar sync's pass, when one ran

    def as_json(self) -> dict[str, Any]:
        return {
            "claimed": self.claimed,
            "sent": len(self.sent),
            "retried": len(self.retried),
            "failed": len(self.failed),
            "superseded": len(self.superseded),
            "deferred": len(self.deferred),
            "released": len(self.released),
            "recovered": [{"outbox_id": i, "outcome": o} for i, o in self.recovered],
            "statuses_polled": self.statuses,
            "replies": self.replies,
            "more": self.more,
            "calendars": self.calendars,
        }

    def merge(self, other: RunReport) -> None:
        self.claimed += other.claimed
        for name in ("sent", "retried", "failed", "superseded", "deferred", "released"):
            getattr(self, name).extend(getattr(other, name))
        self.recovered.extend(other.recovered)
        self.statuses += other.statuses
        self.replies += other.replies
        self.more = other.more


@dataclass
class _Records:
    """What a message is rendered from, loaded in the claiming transaction."""

    clinic: ClinicSettings
    appointment: Appointment | None
    patient: Patient | None
    provider: Any
    service: Any
    location: Any
    templates: Any = None  # the clinic's own wording (clinic_settings message_templates)


@dataclass
class _Claim:
    item: OutboxItem
    delivery_id: int
    channel: str
    msg: Any
    records: _Records | None = None
    recipient: str | None = None


def engine_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_gone(identity: str) -> bool:
    """Whether the engine named `host:pid` is known to be dead (only checkable on this host)."""
    host, _, pid_text = identity.rpartition(":")
    if host != socket.gethostname() or not pid_text.isdigit() or os.name != "posix":
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Engine:
    """The outbox dispatcher over one database. `run_once` is safe to call from one thread at
    a time per Engine; several Engines (desks, processes) may share the database."""

    def __init__(
        self,
        db: DbEngine,
        channels: Mapping[str, Sender],
        *,
        messaging: MessagingConfig | None = None,
        config: EngineConfig | None = None,
        clock: Callable[[], datetime] = utc_now,
        rng: random.Random | None = None,
        identity: str | None = None,
        render: Callable[..., Any] | None = None,
        calendars: Any = None,
        blobs: Any = None,
    ) -> None:
        self.db = db
        self.calendars = calendars  # a CalendarSync, when Google is set up on this desk
        self.channels = dict(channels)
        self.messaging = messaging or MessagingConfig()
        self.config = config or EngineConfig()
        self.clock = clock
        self.rng = rng or random.Random()
        self.identity = identity or engine_identity()
        self._render = render
        self.stop_requested = threading.Event()
        self._last_status_poll: datetime | None = None
        self._last_replies_poll: datetime | None = None
        self.blobs = blobs  # a VercelBlobClient when the clinic has a Blob store
        self._last_blob_sweep: datetime | None = None

    # -- the pass --------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None) -> RunReport:
        now = (now or self.clock()).astimezone(UTC)
        report = RunReport()
        self.recover(now, report)
        if self.channels:  # else message rows wait for a desk that can send them
            claims = self._claim(now, report)
            self._send_all(claims, now, report)
            if not self.stop_requested.is_set():
                self._poll_statuses(now, report)
                self._poll_replies(now, report)
                self._sweep_blobs(now)
        if self.calendars is not None and not self.stop_requested.is_set():
            self.sync_calendars(now, report)
        # Google calls made at the desk (address lookups, sign-ins) reach the integration log
        # here even where no calendar sync runs; nothing is written when there are none
        from medbookings_desktop.integrations import google_call_log

        google_call_log.flush_pending(self.db)
        return report

    def sync_calendars(self, now: datetime, report: RunReport, *, force: bool = False) -> None:
        """The Google Calendar pass; its failures are its own (logged), never the messages'."""
        try:
            report.calendars = self.calendars.run_once(now, force=force).as_json()
        except Exception:
            log.exception("calendar sync pass failed")

    def warm_up(self) -> None:
        """Load, once, what the first message needs: the vendor packages' request modules and
        the clinic's locale data and built-in templates (a made-up reminder is rendered for
        each channel; nothing is sent). Loading them holds Python's GIL for tens of
        milliseconds (babel's pickled locale data above all), which the window feels: the
        Runner calls this as the engine starts, just after the first paint, rather than
        letting it fall on the first booking's confirmation while someone types."""
        from medbookings_desktop.messaging import render

        try:
            with SqlUnitOfWork(self.db, write=False) as uow:
                clinic = uow.settings.clinic()
            facts = render.sample_facts(clinic)
            for channel, sender in self.channels.items():
                render.render(OutboxKind.REMINDER.value, channel, facts)
                warm = getattr(sender, "warm_up", None)
                if warm is not None:
                    warm()
        except Exception:
            log.warning("the engine could not warm up; its first message will", exc_info=True)

    def _uow(self) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db)

    # -- 1. interrupted attempts -----------------------------------------------------------

    def _is_stale(self, d: Delivery, now: datetime) -> bool:
        # a pass starts with nothing in hand, so even our own attempts here are leftovers
        # (a database error after the vendor call); they too wait out the lease
        return d.started_at <= now - self.config.lease or _process_gone(d.engine)

    def recover(self, now: datetime, report: RunReport) -> None:
        with SqlUnitOfWork(self.db, write=False) as uow:
            stuck = [
                (item, d)
                for item, d in uow.deliveries.interrupted(policy.MESSAGE_KINDS)
                if self._is_stale(d, now)
            ]
        for item, d in stuck:
            assert item.id is not None
            outcome = self._resolve_interrupted(item, d, now)
            if outcome:
                report.recovered.append((item.id, outcome))

    def _resolve_interrupted(self, item: OutboxItem, d: Delivery, now: datetime) -> str | None:
        assert item.id is not None
        if d.status == CLAIMED:
            return self._requeue_untried(item, d)
        calls: list[CallRecord] = []
        found: str | None = None
        checked = False
        sender = self.channels.get(d.channel)
        if (
            d.channel in policy.LOUD_CHANNELS
            and sender is not None
            and hasattr(sender, "find_sent")
        ):
            msg = self._rerender(item, d.channel)
            if msg is not None:
                body = _body_marker(msg)
                try:
                    found = self._call(
                        calls,
                        "twilio",
                        "find_sent",
                        now,
                        lambda: sender.find_sent(
                            d.recipient, d.started_at - timedelta(minutes=2), body
                        ),
                    )
                    checked = True
                except Exception:
                    checked = False
        with self._uow() as uow:
            uow.integration_log.record(calls)
            # only one engine may resolve an attempt: the one that moves it off `sending`
            taken = uow.conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.id == d.id, t.deliveries.c.status == SENDING)
                .values(updated_at=now)
            ).rowcount
            if not taken:
                uow.commit()
                return None
            if d.channel in policy.LOUD_CHANNELS:
                if not checked:
                    # Twilio could not be asked now: leave it for the next pass
                    uow.rollback()
                    self._log_calls_only(calls)
                    log.warning(
                        "outbox #%s (%s by %s) was interrupted; Twilio could not be asked yet",
                        item.id,
                        item.kind.value,
                        d.channel,
                    )
                    return None
                if found:
                    uow.deliveries.sent(item.id, d.id, found, now)
                    outcome = "found at the vendor: marked sent"
                else:
                    uow.deliveries.retry(item.id, d.id, now, "interrupted; not sent", now)
                    outcome = "not found at the vendor: sent again"
            else:
                why = (
                    "Sending was interrupted and SendGrid cannot tell whether the e-mail "
                    "went out. Check with the recipient, or send it again."
                )
                uow.deliveries.unknown(item.id, d.id, why, now)
                uow.attention.add(
                    UNCERTAIN,
                    f"{_kind_label(item.kind)} for appointment #{item.appointment_id} may not "
                    "have gone out by e-mail (sending was interrupted).",
                    now,
                    service="sendgrid",
                    appointment_id=item.appointment_id,
                    outbox_id=item.id,
                )
                outcome = "e-mail cannot be checked: marked for attention"
            uow.commit()
        log.warning(
            "outbox #%s (%s by %s, attempt by %s) was interrupted while sending: %s",
            item.id,
            item.kind.value,
            d.channel,
            d.engine,
            outcome,
        )
        return outcome

    def _requeue_untried(self, item: OutboxItem, d: Delivery) -> str | None:
        """Claimed by an engine that stopped before handing it to the vendor: back it goes."""
        assert item.id is not None
        with self._uow() as uow:
            taken = uow.conn.execute(
                update(t.deliveries)
                .where(t.deliveries.c.id == d.id, t.deliveries.c.status == CLAIMED)
                .values(status=SENDING)
            ).rowcount
            if not taken:
                return None
            uow.deliveries.release(item.id, d.id)
            uow.commit()
        outcome = "never handed to the vendor: back in the queue"
        log.warning(
            "outbox #%s (%s by %s, claimed by %s) was interrupted while sending: %s",
            item.id,
            item.kind.value,
            d.channel,
            d.engine,
            outcome,
        )
        return outcome

    def _log_calls_only(self, calls: list[CallRecord]) -> None:
        if calls:
            with self._uow() as uow:
                uow.integration_log.record(calls)
                uow.commit()

    def _rerender(self, item: OutboxItem, channel: str) -> Any:
        with SqlUnitOfWork(self.db, write=False) as uow:
            try:
                records = self._load(uow, item)
                recipient = self._recipient(item, records, channel)
                if recipient is None:
                    return None
                return self._render_msg(item, records, channel, recipient)
            except Exception:
                log.exception("outbox #%s: cannot render it again to look it up", item.id)
                return None

    # -- 2. claim --------------------------------------------------------------------------

    def _claim(self, now: datetime, report: RunReport) -> list[_Claim]:
        claims: list[_Claim] = []
        with self._uow() as uow:
            items = uow.deliveries.claim_due(now, policy.MESSAGE_KINDS, self.config.batch_size)
            if not items:
                return []
            report.claimed = len(items)
            report.more = len(items) >= self.config.batch_size
            paused = uow.attention.paused_services()
            cache: dict[Any, Any] = {}
            for item in items:
                claim = self._decide(uow, item, paused, now, report, cache)
                if claim is not None:
                    claims.append(claim)
            uow.commit()
        return self._render_claims(claims, now, report)

    def _decide(
        self,
        uow: SqlUnitOfWork,
        item: OutboxItem,
        paused: set[str],
        now: datetime,
        report: RunReport,
        cache: dict[Any, Any] | None = None,
    ) -> _Claim | None:
        assert item.id is not None
        try:
            records = self._load(uow, item, cache)
        except DomainError as exc:
            self._fail(uow, item, f"The records for this message are gone: {exc.message}", now)
            report.failed.append(item.id)
            return None
        why = _outdated(item, records.appointment, now)
        if why:
            uow.deliveries.supersede_row(item.id, why)
            report.superseded.append(item.id)
            log.info("outbox #%s (%s) superseded: %s", item.id, item.kind.value, why)
            return None
        failed = uow.deliveries.failed_channels(item.id)
        if item.target.startswith("provider:"):
            options = ["email"] if "email" not in failed else []
            if not records.provider or not records.provider.email:
                # the clinic keeps no address for this provider: nothing to tell, nothing wrong
                why = "the provider has no e-mail address"
                uow.deliveries.supersede_row(item.id, why)
                report.superseded.append(item.id)
                return None
        else:
            assert records.patient is not None
            patient = records.patient
            everything = policy.candidates(patient, _channels_of(item), ())
            if not everything:
                if policy.wants_no_messages(patient) or ONLY_CHANNEL in item.payload:
                    why = "the patient receives no messages"
                    if ONLY_CHANNEL in item.payload:
                        why += f" by {item.payload[ONLY_CHANNEL]}"
                    uow.deliveries.supersede_row(item.id, why)
                    report.superseded.append(item.id)
                    return None
                self._fail(
                    uow,
                    item,
                    "The patient agreed to no channel we have an address for "
                    "(check their phone, e-mail and consent).",
                    now,
                    kind=NO_CHANNEL,
                )
                report.failed.append(item.id)
                return None
            options = policy.candidates(patient, _channels_of(item), failed)
            if not options:
                self._fail(
                    uow,
                    item,
                    f"No channel left to try: failed on {', '.join(sorted(failed))}.",
                    now,
                )
                report.failed.append(item.id)
                return None
        live = [c for c in options if c in self.channels and policy.service_of(c) not in paused]
        if not live:
            waiting = sorted(
                f"{policy.service_of(c)} paused"
                if policy.service_of(c) in paused
                else f"no {c} service set up on this desk"
                for c in options
            )
            # not the message's fault: it waits for the clinic to fix the service (or for a
            # desk that has it) instead of failing
            uow.deliveries.defer(
                item.id, now + self.config.paused_wait, "waiting: " + "; ".join(waiting)
            )
            report.deferred.append(item.id)
            return None
        channel = live[0]
        quiet = self._quiet_hours(records.clinic)
        if channel in policy.LOUD_CHANNELS and quiet is not None and quiet.contains(now):
            until = quiet.end_after(now)
            uow.deliveries.defer(item.id, until, "waiting for the end of quiet hours")
            report.deferred.append(item.id)
            return None
        recipient = self._recipient(item, records, channel)
        assert recipient is not None
        delivery_id = uow.deliveries.mark_sending(
            item, channel=channel, recipient=recipient, engine=self.identity, now=now
        )
        # rendered after the claim commits: the write lock is not held while templates run
        claimed = replace(item, attempts=item.attempts + 1)
        return _Claim(claimed, delivery_id, channel, None, records, recipient)

    def _render_claims(
        self, claims: list[_Claim], now: datetime, report: RunReport
    ) -> list[_Claim]:
        ready, broken = [], []
        for c in claims:
            assert c.records is not None and c.recipient is not None
            try:
                c.msg = self._render_msg(c.item, c.records, c.channel, c.recipient)
            except Exception as exc:
                log.exception(
                    "outbox #%s (%s): cannot render the message", c.item.id, c.item.kind.value
                )
                broken.append((c, f"The message could not be prepared: {exc}"))
            else:
                ready.append(c)
        if broken:
            with self._uow() as uow:
                for c, why in broken:
                    assert c.item.id is not None
                    uow.deliveries.failed_attempt(c.delivery_id, why, now)
                    self._fail(uow, c.item, why, now)
                    report.failed.append(c.item.id)
                uow.commit()
        return ready

    def _quiet_hours(self, clinic: ClinicSettings) -> policy.QuietHours | None:
        q = self.messaging.quiet_hours
        return policy.parse_quiet_hours(list(q), clinic.zone) if q else None

    def _load(
        self, uow: SqlUnitOfWork, item: OutboxItem, cache: dict[Any, Any] | None = None
    ) -> _Records:
        """The records a message is written from; `cache` keeps the clinic's setup (settings,
        providers, services, locations, templates) across the rows of one batch."""
        cache = {} if cache is None else cache

        def once(key: Any, load: Callable[[], Any]) -> Any:
            if key not in cache:
                cache[key] = load()
            return cache[key]

        clinic = once("clinic", uow.settings.clinic)
        appt = None if item.appointment_id is None else uow.appointments.get(item.appointment_id)
        patient = provider = service = location = None
        if appt is not None:
            patient = uow.patients.get(appt.patient_id)
            provider = once(
                ("provider", appt.provider_id), lambda: uow.providers.get(appt.provider_id)
            )
            service = once(("service", appt.service_id), lambda: uow.services.get(appt.service_id))
            if appt.location_id is not None:
                loc_id = appt.location_id
                location = once(("location", loc_id), lambda: uow.locations.get(loc_id))
        elif item.target.startswith("patient:"):
            patient = uow.patients.get(int(item.target.split(":", 1)[1]))
        templates = once("templates", lambda: uow.settings.value("message_templates"))
        return _Records(clinic, appt, patient, provider, service, location, templates)

    def _recipient(self, item: OutboxItem, records: _Records, channel: str) -> str | None:
        if item.target.startswith("provider:"):
            return records.provider.email if records.provider else None
        assert records.patient is not None
        return policy.address(records.patient, channel)

    def _render_msg(self, item: OutboxItem, records: _Records, channel: str, to: str) -> Any:
        from medbookings_desktop.messaging.render import MessageFacts

        assert records.patient is not None and records.appointment is not None
        old_start = item.payload.get("previous_start")
        offset = item.payload.get("offset_minutes")
        facts = MessageFacts(
            clinic=records.clinic,
            patient=records.patient,
            appointment=records.appointment,
            provider=records.provider,
            service=records.service,
            location=records.location,
            old_start=datetime.fromisoformat(old_start) if old_start else None,
            hours_before=int(offset) // 60 if offset else None,
        )
        overrides = records.templates
        if self._render is not None:
            msg = self._render(item.kind.value, channel, facts, overrides=overrides or None)
        else:
            from medbookings_desktop.messaging.render import render

            msg = render(item.kind.value, channel, facts, overrides=overrides or None)
        return replace(msg, to=to, reference=item.idempotency_key)

    # -- 3. send ---------------------------------------------------------------------------

    def _send_all(self, claims: list[_Claim], now: datetime, report: RunReport) -> None:
        """Each attempt is marked in flight in the commit before its call (the first on its
        own, the others with the previous one's outcome): after a crash, only an attempt
        marked so may have reached the vendor."""
        if not claims:
            return
        if not self.stop_requested.is_set():
            with self._uow() as uow:
                uow.deliveries.in_flight(claims[0].delivery_id)
                uow.commit()
        for i, claim in enumerate(claims):
            if self.stop_requested.is_set():
                self._release(claims[i:], report)
                return
            following = claims[i + 1] if i + 1 < len(claims) else None
            if self.stop_requested.is_set():
                following = None
            self._send_one(claim, now, report, following)

    def _release(self, claims: list[_Claim], report: RunReport) -> None:
        with self._uow() as uow:
            for c in claims:
                assert c.item.id is not None
                uow.deliveries.release(c.item.id, c.delivery_id)
                report.released.append(c.item.id)
            uow.commit()

    def _send_one(
        self, claim: _Claim, now: datetime, report: RunReport, following: _Claim | None = None
    ) -> None:
        from medbookings_desktop.messaging.errors import DeliveryError

        item, channel = claim.item, claim.channel
        assert item.id is not None
        service = policy.service_of(channel)
        sender = self.channels[channel]
        calls: list[CallRecord] = []
        vendor_id: str | None = None
        error: Exception | None = None
        try:
            if channel == "whatsapp" and item.kind in CARD_KINDS:
                self._attach_card(claim, now, calls)
            vendor_id = self._call(
                calls, service, f"send_{channel}", now, lambda: sender.send(claim.msg)
            )
        except Exception as exc:
            error = exc
        with self._uow() as uow:
            uow.integration_log.record(calls)
            if vendor_id is not None:
                uow.deliveries.sent(item.id, claim.delivery_id, vendor_id, now)
                report.sent.append(item.id)
            elif isinstance(error, DeliveryError) and error.credentials_rejected:
                self._credentials_rejected(uow, claim, service, str(error.reason), now)
                report.retried.append(item.id)
            elif isinstance(error, DeliveryError) and not error.retryable:
                if self._permanent(uow, claim, str(error.reason), now):
                    report.failed.append(item.id)
                else:
                    report.retried.append(item.id)
            else:
                reason = (
                    str(error.reason)
                    if isinstance(error, DeliveryError)
                    else f"unexpected error: {type(error).__name__}"
                )
                retry_after = error.retry_after if isinstance(error, DeliveryError) else None
                if not isinstance(error, DeliveryError):
                    log.error(
                        "outbox #%s: unexpected error from %s", item.id, service, exc_info=error
                    )
                if self._retry(uow, claim, reason, retry_after, now):
                    report.retried.append(item.id)
                else:
                    report.failed.append(item.id)
            if following is not None:
                uow.deliveries.in_flight(following.delivery_id)
            uow.commit()

    def _call(
        self,
        calls: list[CallRecord],
        service: str,
        operation: str,
        now: datetime,
        fn: Callable[[], Any],
    ) -> Any:
        """Run one vendor call and record it (service, operation, duration, outcome, error)."""
        from medbookings_desktop.messaging.errors import DeliveryError

        started = time.perf_counter()
        try:
            result = fn()
        except DeliveryError as exc:
            outcome = (
                "rejected" if exc.credentials_rejected else "retry" if exc.retryable else "failed"
            )
            calls.append(
                CallRecord(service, operation, now, _ms(started), outcome, str(exc.reason))
            )
            raise
        except Exception as exc:
            calls.append(
                CallRecord(service, operation, now, _ms(started), "retry", type(exc).__name__)
            )
            raise
        calls.append(CallRecord(service, operation, now, _ms(started), "ok"))
        return result

    def _retry(
        self,
        uow: SqlUnitOfWork,
        claim: _Claim,
        reason: str,
        retry_after: float | None,
        now: datetime,
    ) -> bool:
        """Back off and try again later; False when the row has used all its attempts."""
        item = claim.item
        assert item.id is not None
        if item.attempts >= self.config.max_attempts:
            uow.deliveries.failed_attempt(claim.delivery_id, reason, now)
            self._fail(
                uow, item, f"Gave up after {item.attempts} attempts. Last error: {reason}", now
            )
            return False
        wait = self.config.backoff.delay(item.attempts, self.rng, retry_after)
        uow.deliveries.retry(item.id, claim.delivery_id, now + wait, reason, now)
        log.info(
            "outbox #%s (%s by %s): retry in %ds after attempt %d",
            item.id,
            item.kind.value,
            claim.channel,
            wait.total_seconds(),
            item.attempts,
        )
        return True

    def _permanent(self, uow: SqlUnitOfWork, claim: _Claim, reason: str, now: datetime) -> bool:
        """This channel will never take it: try the next one, else fail. True when failed."""
        item = claim.item
        assert item.id is not None
        uow.deliveries.failed_attempt(claim.delivery_id, reason, now)
        failed = uow.deliveries.failed_channels(item.id) | {claim.channel}
        records = self._load(uow, item)
        if records.patient is not None and not item.target.startswith("provider:"):
            rest = policy.candidates(records.patient, _channels_of(item), failed)
            if rest:
                uow.deliveries.retry(item.id, None, now, f"{claim.channel}: {reason}", now)
                log.info(
                    "outbox #%s (%s): %s refused it, trying %s next",
                    item.id,
                    item.kind.value,
                    claim.channel,
                    rest[0],
                )
                return False
        self._fail(uow, item, f"{_channel_label(claim.channel)} refused it: {reason}", now)
        return True

    def _credentials_rejected(
        self, uow: SqlUnitOfWork, claim: _Claim, service: str, reason: str, now: datetime
    ) -> None:
        item = claim.item
        assert item.id is not None
        uow.deliveries.retry(item.id, claim.delivery_id, now, f"{service}: {reason}", now)
        if not uow.attention.is_open(CREDENTIALS_REJECTED, service=service):
            uow.attention.add(
                CREDENTIALS_REJECTED,
                f"{policy.SERVICE_NAMES[service]} did not accept the clinic's credentials "
                f"({reason}). Sending by it is paused: enter them again in Settings, then "
                "mark this item resolved.",
                now,
                service=service,
            )
            log.error("%s rejected the credentials; sending by it is paused", service)

    def _fail(
        self,
        uow: SqlUnitOfWork,
        item: OutboxItem,
        reason: str,
        now: datetime,
        *,
        kind: str = UNDELIVERABLE,
    ) -> None:
        assert item.id is not None
        uow.deliveries.fail(item.id, reason)
        patient_id = int(item.target.split(":")[1]) if item.target.startswith("patient:") else None
        uow.attention.add(
            kind,
            f"{_kind_label(item.kind)} for appointment #{item.appointment_id} was not sent. "
            + reason,
            now,
            appointment_id=item.appointment_id,
            patient_id=patient_id,
            outbox_id=item.id,
        )
        log.warning(
            "outbox #%s (%s) failed; a Needs attention item says why", item.id, item.kind.value
        )

    # -- vCards on WhatsApp -----------------------------------------------------------------

    def _attach_card(self, claim: _Claim, now: datetime, calls: list[CallRecord]) -> None:
        """Give a WhatsApp message its vCard as media: the public copy made for this row
        before, or a new one in the clinic's Blob store whose URL is committed before Twilio
        is called (so a retry after a crash reuses it). Without a store, with a template
        message (no media), or when the store refuses the card, the card goes by e-mail in a
        row of its own and the text goes alone. Raises a retryable error while the store is
        briefly unreachable: the row waits, up to CARD_UPLOAD_TRIES attempts."""
        from medbookings_desktop.integrations.vercel_blob import NAME, SERVICE
        from medbookings_desktop.messaging.errors import DeliveryError

        item = claim.item
        assert item.id is not None
        with SqlUnitOfWork(self.db, write=False) as uow:
            kept = uow.settings.value(BLOB_KEY + str(item.id))
            by_email = uow.conn.scalar(
                select(t.outbox.c.id).where(
                    t.outbox.c.idempotency_key == item.idempotency_key + CARD_BY_EMAIL
                )
            )
            paused = SERVICE in uow.attention.paused_services()
        if kept:
            claim.msg = replace(claim.msg, media_urls=(str(kept["url"]),))
            return
        card = None if by_email is not None else self._card_bytes(claim)
        if card is None:
            return
        carries = getattr(self.channels[claim.channel], "carries_media", None)
        url: str | None = None
        rejected: str | None = None
        if self.blobs is None:
            why = "no Blob store is set up"
        elif paused:
            why = f"{NAME} is paused"
        elif carries is not None and not carries(claim.msg):
            why = "a WhatsApp template message carries no media"
        else:
            blobs = self.blobs
            try:
                url = self._call(calls, SERVICE, "put", now, lambda: blobs.put_vcard(card)).url
                why = ""
            except DeliveryError as exc:
                if exc.retryable and item.attempts < CARD_UPLOAD_TRIES:
                    raise
                rejected = str(exc.reason) if exc.credentials_rejected else None
                why = str(exc.reason)
            except Exception as exc:
                if item.attempts < CARD_UPLOAD_TRIES:
                    raise
                why = f"unexpected error: {type(exc).__name__}"
        with self._uow() as uow:
            uow.integration_log.record(calls)
            calls.clear()
            if url is not None:
                kept = {"url": url, "outbox_id": item.id, "uploaded_at": now.isoformat()}
                uow.settings.set_value(BLOB_KEY + str(item.id), kept)
            else:
                if rejected and not uow.attention.is_open(CREDENTIALS_REJECTED, service=SERVICE):
                    uow.attention.add(
                        CREDENTIALS_REJECTED,
                        f"{NAME} did not accept the clinic's token ({rejected}). Contact cards "
                        "for WhatsApp go by e-mail instead: enter the token again in Settings, "
                        "then mark this item resolved.",
                        now,
                        service=SERVICE,
                    )
                    log.error("%s rejected the token; cards go by e-mail", SERVICE)
                self._card_by_email(uow, claim, why, now)
            uow.commit()
        if url is not None:
            claim.msg = replace(claim.msg, media_urls=(url,))

    def _card_bytes(self, claim: _Claim) -> bytes | None:
        """The vCard the e-mail of this message carries, if any."""
        assert claim.records is not None and claim.recipient is not None
        try:
            email = self._render_msg(claim.item, claim.records, "email", claim.recipient)
        except Exception:
            log.exception("outbox #%s: cannot prepare its contact card", claim.item.id)
            return None
        found = [a.data for a in email.attachments if a.filename.endswith(".vcf")]
        return found[0] if found else None

    def _card_by_email(self, uow: SqlUnitOfWork, claim: _Claim, why: str, now: datetime) -> None:
        """The e-mail of this message (it carries the card) as a row of its own, once."""
        item, patient = claim.item, claim.records.patient if claim.records else None
        if not item.target.startswith("patient:") or patient is None:
            return
        if policy.address(patient, "email") is None:
            log.info("outbox #%s: no card on WhatsApp (%s) and no e-mail for it", item.id, why)
            return
        row = replace(
            item,
            due_at=now,
            idempotency_key=item.idempotency_key + CARD_BY_EMAIL,
            payload={**item.payload, ONLY_CHANNEL: "email"},
        )
        try:
            with uow.conn.begin_nested():
                uow.outbox.add_many([row], now)
        except IntegrityError:
            return  # another attempt already made it
        log.info("outbox #%s: the card goes by e-mail (%s)", item.id, why)

    def _sweep_blobs(self, now: datetime) -> None:
        """Delete the public cards whose WhatsApp message is through (a final status, or it
        will not go by WhatsApp after all) or that are a day old: no card stays public."""
        from medbookings_desktop.integrations.vercel_blob import SERVICE

        every = self.config.status_poll_every
        if self.blobs is None or (
            self._last_blob_sweep is not None and now - self._last_blob_sweep < every
        ):
            return
        self._last_blob_sweep = now
        cs = t.clinic_settings
        in_store = (cs.c.key >= BLOB_KEY) & (cs.c.key < BLOB_KEY[:-1] + "/")
        with SqlUnitOfWork(self.db, write=False) as uow:
            kept = uow.conn.execute(select(cs.c.key, cs.c.value).where(in_store)).all()
            due = {key: str(v["url"]) for key, v in kept if self._blob_done(uow, v, now)}
        if not due:
            return
        blobs = self.blobs
        calls: list[CallRecord] = []
        try:
            self._call(calls, SERVICE, "delete", now, lambda: blobs.delete(list(due.values())))
        except Exception:
            self._log_calls_only(calls)  # the next sweep tries again
            return
        with self._uow() as uow:
            uow.integration_log.record(calls)
            uow.conn.execute(delete(cs).where(cs.c.key.in_(list(due))))
            uow.commit()
        log.info("deleted %d contact card(s) from the Blob store", len(due))

    @staticmethod
    def _blob_done(uow: SqlUnitOfWork, kept: Mapping[str, Any], now: datetime) -> bool:
        if datetime.fromisoformat(str(kept["uploaded_at"])) <= now - BLOB_LIFETIME:
            return True
        ob, dl = t.outbox, t.deliveries
        state = uow.conn.scalar(select(ob.c.state).where(ob.c.id == kept["outbox_id"]))
        if state is None or state in (OutboxState.FAILED.value, OutboxState.SUPERSEDED.value):
            return True
        last = uow.conn.scalar(
            select(dl.c.status)
            .where(dl.c.outbox_id == kept["outbox_id"], dl.c.channel == "whatsapp")
            .order_by(dl.c.id.desc())
            .limit(1)
        )
        return last in DELIVERY_FINAL

    # -- 4. delivery statuses and replies ---------------------------------------------------

    def _twilio(self) -> Any:
        return self.channels.get("sms") or self.channels.get("whatsapp")

    def _poll_statuses(self, now: datetime, report: RunReport) -> None:
        twilio = self._twilio()
        every = self.config.status_poll_every
        if twilio is None or (
            self._last_status_poll is not None and now - self._last_status_poll < every
        ):
            return
        self._last_status_poll = now
        with SqlUnitOfWork(self.db, write=False) as uow:
            if "twilio" in uow.attention.paused_services():
                return
            todo = uow.deliveries.to_poll(
                ("sms", "whatsapp"),
                now - every,
                self.config.status_poll_limit,
                sent_after=now - self.config.status_give_up,
            )
        calls: list[CallRecord] = []
        results: list[tuple[int, str]] = []
        for d in todo:
            sid = d.vendor_id
            assert sid is not None
            try:
                status = self._call(calls, "twilio", "status", now, partial(twilio.status, sid))
            except Exception:
                break  # the next pass tries again
            results.append((d.id, str(status)))
        if not calls:
            return
        with self._uow() as uow:
            uow.integration_log.record(calls)
            for delivery_id, status in results:
                uow.deliveries.set_status(delivery_id, status, now)
            uow.commit()
        report.statuses = len(results)

    def _poll_replies(self, now: datetime, report: RunReport) -> None:
        twilio = self._twilio()
        every = self.config.replies_every
        if (
            twilio is None
            or not hasattr(twilio, "replies")
            or (self._last_replies_poll is not None and now - self._last_replies_poll < every)
        ):
            return
        self._last_replies_poll = now
        with SqlUnitOfWork(self.db, write=False) as uow:
            if "twilio" in uow.attention.paused_services():
                return
            raw = uow.settings.value(REPLIES_CURSOR_KEY)
        since = datetime.fromisoformat(raw) if raw else now - timedelta(days=1)
        calls: list[CallRecord] = []
        try:
            replies = self._call(calls, "twilio", "replies", now, lambda: twilio.replies(since))
        except Exception:
            self._log_calls_only(calls)
            return
        self._log_calls_only(calls)
        from medbookings_desktop.sync.inbound import handle_reply

        newest = since
        for reply in replies:
            if handle_reply(self, reply, now):
                report.replies += 1
            received = getattr(reply, "received_at", None) or getattr(reply, "date_sent", None)
            if isinstance(received, datetime) and received > newest:
                newest = received
        if newest > since:
            with self._uow() as uow:
                # a little overlap: a reply stamped in the same second is not missed
                uow.settings.set_value(
                    REPLIES_CURSOR_KEY, (newest - timedelta(minutes=1)).isoformat()
                )
                uow.commit()

    def context(self, actor_name: str) -> Context:
        """A service context for what the engine does on a patient's behalf (replies)."""
        db = self.db
        # SqlUnitOfWork is the services' UnitOfWork; storage is not typed against the protocol
        return Context(
            write=lambda: cast(Any, SqlUnitOfWork(db)),
            read=lambda: cast(Any, SqlUnitOfWork(db, write=False)),
            actor_id=None,
            actor_name=actor_name,
            clock=self.clock,
        )


def _channels_of(item: OutboxItem) -> tuple[str, ...]:
    only = item.payload.get(ONLY_CHANNEL)
    return (str(only),) if only else ALL_CHANNELS


def _outdated(item: OutboxItem, appt: Appointment | None, now: datetime) -> str | None:
    """Why this row must not go out any more, if so."""
    if appt is None:
        return None
    if item.kind is OutboxKind.REMINDER:
        if appt.start <= now:
            return "the appointment had started"
        if appt.status not in UPCOMING_STATUSES:
            return f"the appointment is {appt.status.value.replace('_', ' ')}"
        return None
    if item.kind is OutboxKind.CANCELLATION_NOTICE:
        return "the appointment time has passed" if appt.start <= now else None
    if appt.end <= now:
        return "the appointment is over"
    if item.kind in (OutboxKind.CONFIRMATION, OutboxKind.CHANGE_NOTICE) and not appt.active:
        return f"the appointment is {appt.status.value.replace('_', ' ')}"
    return None


def _body_marker(msg: Any) -> str:
    """What identifies this text among others to the same number: its own words."""
    return str(getattr(msg, "text", "") or "")


def _kind_label(kind: OutboxKind) -> str:
    return {
        OutboxKind.CONFIRMATION: "The confirmation",
        OutboxKind.CHANGE_NOTICE: "The change notice",
        OutboxKind.CANCELLATION_NOTICE: "The cancellation notice",
        OutboxKind.REMINDER: "The reminder",
        OutboxKind.PROVIDER_NOTICE: "The provider's notice",
    }.get(kind, kind.value)


def _channel_label(channel: str) -> str:
    return {"email": "E-mail", "sms": "SMS", "whatsapp": "WhatsApp"}.get(channel, channel)


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def load_messaging_config(
    db: DbEngine, desk: Any = None, env: Mapping[str, str] | None = None
) -> MessagingConfig:
    """The clinic's messaging row, the desk's endpoints, the environment."""
    from medbookings_desktop.sync import config as cfg

    with SqlUnitOfWork(db, write=False) as uow:
        stored = uow.settings.value(SETTINGS_KEY)
    return cfg.load(
        stored,
        sendgrid_url=getattr(desk, "sendgrid_base_url", None),
        twilio_url=getattr(desk, "twilio_base_url", None),
        env=env,
    )


def for_desk(db: DbEngine, desk: Any = None, *, config: EngineConfig | None = None) -> Engine:
    """The engine as a desk runs it: the clinic's messaging settings, the desk's endpoints,
    secrets from the keyring (or MEDBOOKINGS_* variables), the real vendor channels."""
    from medbookings_desktop.sync.config import build_blob_store, build_channels

    messaging = load_messaging_config(db, desk)
    return Engine(
        db,
        build_channels(messaging),
        blobs=build_blob_store(messaging),
        messaging=messaging,
        config=config,
        calendars=_calendar_sync(db, desk),
    )


def _calendar_sync(db: DbEngine, desk: Any) -> Any:
    """The desk's Google Calendar sync when Google is set up here (client id known)."""
    from medbookings_desktop.integrations.google_auth import GoogleConfig
    from medbookings_desktop.sync import calendar_sync

    if not GoogleConfig.load(desk).configured:
        return None
    return calendar_sync.for_desk(db, desk)
