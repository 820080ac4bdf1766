"""Two-way Google Calendar sync: `CalendarSync(db, config).run_once(now)` reconciles every
connected provider's calendar (DESIGN "Google Calendar sync").

Per calendar, one desk at a time (on PostgreSQL a session advisory lock keyed by the calendar;
a desk that cannot take it skips the calendar this pass):
1. Import: `events.list` with the stored sync token (all pages, single events, deleted ones
   included; 410 clears the token and reads in full). Outside busy events become busy blocks
   (source "google"); a new one over a booking becomes a "Needs attention" item; a move or a
   deletion of one of our events in Google becomes an "accept or revert" item and its status
   is held (`conflict`) until the desk resolves the item. A calendar that held many of our
   events and reads empty is refused: an item, nothing changed, no token kept.
2. Export: the calendar rows of the outbox (calendar_upsert / calendar_delete, which the
   message engine leaves to us) name the appointments to reconcile; each is planned
   (calendar_plan.plan_export) and carried out on its own: insert with a deterministic id
   (409: it got through before, so patch it), patch and delete with If-Match (412: re-read
   and re-plan), Meet links polled while pending and kept in appointments.meet_url. Each
   appointment's outcome, its status row and its outbox rows commit together; an error
   retries that appointment later (backoff) without stopping the others.

`invalid_grant` or a 401 turns the provider's link to needs_reconnect (sync for them pauses)
with a "Needs attention" item naming the provider. No patient data is logged.

Every Google request of a pass (each list, insert, patch, batch, token refresh) is recorded
(integrations/google_call_log.py), stamped with the pass's time, and written to the
integration log in one short transaction as the pass ends, with the calls the desk's screens
made meanwhile (address lookups, sign-in): the health panel's Google rows and the alerts read
them.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine as DbEngine
from sqlalchemy import and_, select, text

from medbookings_desktop.domain.appointments import ACTIVE_STATUSES, Appointment, Status
from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.messages import OutboxKind
from medbookings_desktop.integrations import google_call_log
from medbookings_desktop.integrations.google_auth import (
    GoogleConfig,
    NeedsReconnect,
    credentials_for,
)
from medbookings_desktop.integrations.google_calendar import (
    CalendarApi,
    CalendarError,
    Duplicate,
    Gone,
    NotFound,
    PreconditionFailed,
    RateLimited,
    batch_url,
    list_changes,
)
from medbookings_desktop.services.context import utc_now
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.repositories.calendars import (
    CONFLICT,
    CONNECTED,
    EXPORTED,
    NEEDS_RECONNECT,
    CalendarRepository,
)
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from medbookings_desktop.sync import calendar_plan as plan

log = logging.getLogger(__name__)

CALENDAR_KINDS = [OutboxKind.CALENDAR_UPSERT.value, OutboxKind.CALENDAR_DELETE.value]
OPTIONS_KEY = "calendar_sync"  # clinic_settings: {"all_day_blocks": bool}
LOCK_CLASS = 0x4D424743  # "MBGC": the first key of the per-calendar advisory lock

# attention item kinds
CHANGED_IN_GOOGLE = "calendar_changed"
DELETED_IN_GOOGLE = "calendar_deleted"
BUSY_OVER_BOOKING = "calendar_busy_overlap"
CALENDAR_EMPTIED = "calendar_emptied"
CALENDAR_FAILED = "calendar_failed"
CREDENTIALS_REJECTED = "credentials_rejected"
HELD_KINDS = (CHANGED_IN_GOOGLE, DELETED_IN_GOOGLE)


def service_name(provider_id: int) -> str:
    """attention_items.service for a provider's Google link."""
    return f"google:{provider_id}"


@dataclass
class CalendarSyncConfig:
    google: GoogleConfig
    timeout: float = 20.0
    meet_polls: int = 5
    meet_poll_delay: float = 1.0
    empty_guard: int = plan.EMPTY_GUARD
    max_attempts: int = 8
    sleep: Callable[[float], None] = time.sleep
    retry_delays: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0)
    # a calendar read less than this long ago (by any desk) waits, unless a booking of its
    # provider is waiting to be written: the runner may call run_once on every commit
    poll_interval: timedelta = timedelta(seconds=60)


@dataclass
class CalendarReport:
    calendars: int = 0
    skipped_locked: int = 0
    skipped_recent: int = 0
    events_read: int = 0
    full_reads: int = 0
    busy_added: int = 0
    busy_removed: int = 0
    outside_changes: int = 0
    inserted: int = 0
    patched: int = 0
    deleted: int = 0
    conflicts: int = 0
    errors: int = 0
    refused: int = 0
    paused: list[int] = field(default_factory=list)
    requests: int = 0

    def as_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


@dataclass
class _Done:
    """What carrying out one appointment's step came to."""

    etag: str | None = None
    forget: bool = False
    meet_url: str | None = None
    conflict: dict[str, Any] | None = None  # the event as Google has it, changed outside
    op: str = "none"


def _known(row: Any) -> plan.Known:
    return plan.Known(
        row.appointment_id,
        row.event_id,
        row.etag,
        row.exported_revision,
        row.exported_hash,
        row.state,
    )


def _lock_key(calendar_id: str) -> int:
    return int.from_bytes(hashlib.sha256(calendar_id.encode()).digest()[:4], "big", signed=True)


class CalendarSync:
    def __init__(
        self,
        db: DbEngine,
        config: CalendarSyncConfig,
        *,
        credentials: Callable[[int], Any] | None = None,
        api_factory: Callable[[GoogleConfig, Any], CalendarApi] | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.db = db
        self.config = config
        self.credentials = credentials or (lambda pid: credentials_for(config.google, pid))
        self.api_factory = api_factory or self._api
        self.clock = clock
        # credentials per provider, kept across passes so an access token is reused until it
        # expires (a new refresh token, after a reconnect, replaces them)
        self._credentials: dict[int, Any] = {}
        # every Google call of a pass, stamped with the pass's time, written as it ends
        self._pass_now: datetime | None = None
        self.call_log = google_call_log.GoogleCallLog(clock=self._call_time)

    def _call_time(self) -> datetime:
        return self._pass_now or self.clock()

    def flush_calls(self) -> None:
        """Write the Google calls recorded so far (this sync's and the shared log's, e.g. the
        address picker's) to the integration log, in a transaction of their own."""
        self.call_log.flush(self.db)
        google_call_log.flush_pending(self.db)

    def _credentials_for(self, provider_id: int) -> Any:
        fresh = self.credentials(provider_id)
        kept = self._credentials.get(provider_id)
        if kept is not None and getattr(kept, "refresh_token", None) == getattr(
            fresh, "refresh_token", object()
        ):
            return kept
        self._credentials[provider_id] = fresh
        return fresh

    def _api(self, google: GoogleConfig, credentials: Any) -> CalendarApi:
        return CalendarApi(
            google,
            credentials,
            timeout=self.config.timeout,
            sleep=self.config.sleep,
            retry_delays=self.config.retry_delays,
            calls=self.call_log,
        )

    def _uow(self, write: bool = True) -> SqlUnitOfWork:
        return SqlUnitOfWork(self.db, write=write)

    # -- the pass ------------------------------------------------------------------------------

    def run_once(self, now: datetime | None = None, *, force: bool = False) -> CalendarReport:
        """One pass over the connected calendars; `force` reads each one even if it was read
        within the poll interval. Calendars with nothing waiting to be written are asked
        first in one batched request; only those that changed are then synced one by one."""
        now = now or self.clock()
        self._pass_now = now
        try:
            return self._run_once(now, force)
        finally:
            self._pass_now = None
            self.flush_calls()  # no transaction of the pass is open here

    def _run_once(self, now: datetime, force: bool) -> CalendarReport:
        report = CalendarReport()
        with self._uow(write=False) as uow:
            repo = CalendarRepository(uow.conn)
            links = repo.links(CONNECTED)
            waiting = repo.due_targets(CALENDAR_KINDS, now)
        todo = []
        for link in links:
            if not link.calendar_id:
                continue
            recent = (
                link.last_sync_at is not None
                and now - link.last_sync_at < self.config.poll_interval
            )
            if recent and not force and f"calendar:{link.provider_id}" not in waiting:
                report.skipped_recent += 1
                continue
            todo.append(link)
        if not todo:
            return report
        with self._calendar_locks() as take:
            mine = []
            for link in todo:
                if take(link.calendar_id):
                    mine.append(link)
                else:
                    report.skipped_locked += 1
            idle = [
                link
                for link in mine
                if link.sync_token and f"calendar:{link.provider_id}" not in waiting
            ]
            quiet = self._poll_batched(idle, now, report) if len(idle) > 1 else set()
            for link in mine:
                report.calendars += 1
                if link.provider_id not in quiet:
                    self.sync_provider(link.provider_id, now, report)
        return report

    @contextmanager
    def _calendar_locks(self) -> Iterator[Callable[[str], bool]]:
        """On PostgreSQL session advisory locks, one per calendar, held on a connection of
        this pass's own until it ends (vendor calls happen outside any transaction); while
        another desk's pass holds one, `take` says False."""
        if self.db.dialect.name != "postgresql":
            yield lambda calendar_id: True
            return
        held: list[int] = []
        with self.db.connect() as conn:

            def take(calendar_id: str) -> bool:
                key = _lock_key(calendar_id)
                got = bool(
                    conn.scalar(
                        text("SELECT pg_try_advisory_lock(:c, :k)"), {"c": LOCK_CLASS, "k": key}
                    )
                )
                conn.commit()
                if got:
                    held.append(key)
                return got

            try:
                yield take
            finally:
                for key in held:
                    conn.execute(
                        text("SELECT pg_advisory_unlock(:c, :k)"), {"c": LOCK_CLASS, "k": key}
                    )
                conn.commit()

    def _poll_batched(self, links: list[Any], now: datetime, report: CalendarReport) -> set[int]:
        """Ask every idle calendar for changes since its token in batched requests; those
        with none keep the new token and count as synced. Any trouble: none are quiet, each
        calendar is then synced on its own (which sorts the error out)."""
        apis: dict[int, CalendarApi] = {}
        try:
            polls = []
            for link in links:
                api = self.api_factory(self.config.google, self._credentials_for(link.provider_id))
                apis[link.provider_id] = api
                polls.append((link.provider_id, api, link.calendar_id, str(link.sync_token)))
            answers = list_changes(polls, batch_url(self.config.google))
        except (CalendarError, NeedsReconnect) as exc:
            log.info("a batched calendar poll failed (%s); polling one by one", type(exc).__name__)
            return set()
        finally:
            for api in apis.values():
                report.requests += api.calls
                api.close()
        quiet: dict[int, str] = {}
        for pid, answer in answers.items():
            if answer and not answer.get("items") and not answer.get("nextPageToken"):
                token = answer.get("nextSyncToken")
                if token:
                    quiet[pid] = str(token)
        if quiet:
            with self._uow() as uow:
                repo = CalendarRepository(uow.conn)
                for pid, token in quiet.items():
                    repo.set_sync_token(pid, token)
                    repo.record_sync(pid, now)
                uow.commit()
        return set(quiet)

    def sync_provider(self, provider_id: int, now: datetime, report: CalendarReport) -> None:
        api: CalendarApi | None = None
        try:
            with self._uow(write=False) as uow:
                repo = CalendarRepository(uow.conn)
                link = repo.link(provider_id)
                if link is None or link.state != CONNECTED or not link.calendar_id:
                    return
                clinic = uow.settings.clinic()
                options = repo.clinic_option(OPTIONS_KEY)
                known = {s.event_id: _known(s) for s in repo.statuses(link.calendar_id)}
            all_day = bool(isinstance(options, dict) and options.get("all_day_blocks"))
            api = self.api_factory(self.config.google, self._credentials_for(provider_id))
            events, token, full = self._read(api, provider_id, link.calendar_id, link.sync_token)
            report.events_read += len(events)
            report.full_reads += int(full)
            found = plan.plan_import(
                events,
                known,
                provider_id=provider_id,
                zone=clinic.zone,
                full=full,
                all_day_blocks=all_day,
                empty_guard=self.config.empty_guard,
            )
            self._apply_import(provider_id, link.calendar_id, found, token, full, now, report)
            if found.refused:
                report.refused += 1
                return
            self._export(api, provider_id, link.calendar_id, clinic, now, report, backfill=full)
        except NeedsReconnect as exc:
            self._credentials.pop(provider_id, None)
            self._needs_reconnect(provider_id, exc.message, now)
            report.paused.append(provider_id)
        except CalendarError as exc:
            report.errors += 1
            with self._uow() as uow:
                CalendarRepository(uow.conn).record_error(provider_id, exc.message, now)
                uow.commit()
        finally:
            if api is not None:
                report.requests += api.calls
                api.close()

    # -- import --------------------------------------------------------------------------------

    def _read(
        self, api: CalendarApi, provider_id: int, calendar_id: str, token: str | None
    ) -> tuple[list[dict[str, Any]], str | None, bool]:
        try:
            return (*self._pages(api, calendar_id, token), token is None)
        except Gone:
            if token is None:
                raise
            log.info("calendar of provider %s: sync token expired, reading in full", provider_id)
            with self._uow() as uow:
                CalendarRepository(uow.conn).set_sync_token(provider_id, None)
                uow.commit()
            return (*self._pages(api, calendar_id, None), True)

    def _pages(
        self, api: CalendarApi, calendar_id: str, token: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        events: list[dict[str, Any]] = []
        next_token: str | None = None
        for page in api.pages(calendar_id, token):
            events += page.items
            next_token = page.next_sync_token or next_token
        return events, next_token

    def _apply_import(
        self,
        provider_id: int,
        calendar_id: str,
        found: plan.ImportPlan,
        token: str | None,
        full: bool,
        now: datetime,
        report: CalendarReport,
    ) -> None:
        with self._uow() as uow:
            repo = CalendarRepository(uow.conn)
            if found.refused:
                if not self._open_item(uow, CALENDAR_EMPTIED, service=service_name(provider_id)):
                    uow.attention.add(
                        CALENDAR_EMPTIED, found.refused, now, service=service_name(provider_id)
                    )
                repo.record_error(provider_id, "The calendar read empty; nothing changed.", now)
                uow.commit()
                return
            before = repo.busy_ids(provider_id)
            latest = {b.external_id: b for b in found.busy}  # the last word on each event
            seen = set(latest)
            changed = [b for b in latest.values() if before.get(b.external_id) != (b.start, b.end)]
            repo.add_busy_many(
                provider_id,
                [(b.external_id, b.start, b.end) for b in changed if b.external_id not in before],
            )
            for b in changed:
                if b.external_id in before:
                    repo.put_busy(provider_id, b.external_id, b.start, b.end)
            report.busy_added += len(changed)
            if changed:
                spans = repo.appointment_spans(
                    provider_id,
                    min(b.start for b in changed),
                    max(b.end for b in changed),
                    [s.value for s in ACTIVE_STATUSES],
                )
                ends = [end for _, _, end in spans]
                for b in changed:
                    i = bisect.bisect_right(ends, b.start)
                    while i < len(spans) and spans[i][1] < b.end:
                        appt_id = spans[i][0]
                        i += 1
                        uow.attention.add(
                            BUSY_OVER_BOOKING,
                            "Something new in the provider's Google Calendar overlaps "
                            f"appointment #{appt_id} ({b.start:%Y-%m-%d %H:%M} UTC): check the "
                            "booking.",
                            now,
                            appointment_id=appt_id,
                        )
            gone = [i for i in found.unbusy if i in before]
            if full:  # a full read names every event there is; the rest are gone
                gone += [i for i in before if i not in seen and i not in gone]
            report.busy_removed += repo.drop_busy(gone)
            for change in found.outside:
                report.outside_changes += 1
                kind = DELETED_IN_GOOGLE if change.deleted else CHANGED_IN_GOOGLE
                if change.deleted:
                    summary = (
                        f"Appointment #{change.appointment_id}'s event was deleted in Google "
                        "Calendar. Accept (cancel the booking) or revert (put the event back), "
                        "then resolve this item."
                    )
                else:
                    summary = (
                        f"Appointment #{change.appointment_id}'s event was moved in Google "
                        f"Calendar to {change.start:%Y-%m-%d %H:%M} UTC. Accept (move the "
                        "booking) or revert (put the event back), then resolve this item."
                    )
                uow.attention.add(kind, summary, now, appointment_id=change.appointment_id)
                status = repo.status(calendar_id, change.event_id)
                if status is not None:
                    repo.save_status(
                        appointment_id=status.appointment_id,
                        provider_id=status.provider_id,
                        calendar_id=calendar_id,
                        event_id=status.event_id,
                        etag=change.etag,
                        exported_revision=status.exported_revision,
                        exported_hash=status.exported_hash,
                        state=CONFLICT,
                        now=now,
                    )
            for event_id, etag in found.etags.items():
                status = repo.status(calendar_id, event_id)
                if status is not None:
                    repo.save_status(
                        appointment_id=status.appointment_id,
                        provider_id=status.provider_id,
                        calendar_id=calendar_id,
                        event_id=event_id,
                        etag=etag,
                        exported_revision=status.exported_revision,
                        exported_hash=status.exported_hash,
                        state=status.state,
                        now=now,
                    )
            if token:
                repo.set_sync_token(provider_id, token)
            repo.record_sync(provider_id, now, our_events_seen=found.ours_seen if full else None)
            uow.commit()

    # -- export --------------------------------------------------------------------------------

    def _export(
        self,
        api: CalendarApi,
        provider_id: int,
        calendar_id: str,
        clinic: ClinicSettings,
        now: datetime,
        report: CalendarReport,
        *,
        backfill: bool = False,
    ) -> None:
        """The outbox's calendar rows, the held events the desk has resolved, and after a full
        read (a calendar just connected or chosen) the upcoming bookings it lacks."""
        with self._uow(write=False) as uow:
            repo = CalendarRepository(uow.conn)
            rows = repo.due_calendar_rows(f"calendar:{provider_id}", CALENDAR_KINDS, now)
            missing = (
                repo.unexported(
                    provider_id,
                    calendar_id,
                    now - timedelta(days=1),
                    [s.value for s in ACTIVE_STATUSES],
                )
                if backfill
                else []
            )
            held = [s for s in repo.statuses(calendar_id) if s.state == CONFLICT]
            still_open = self._open_appointments(uow, [s.appointment_id for s in held])
        by_appt: dict[int, list[int]] = {}
        orphans: list[int] = []
        for row_id, appt_id in rows:
            if appt_id is None:
                orphans.append(row_id)
            else:
                by_appt.setdefault(appt_id, []).append(row_id)
        reverts = {s.appointment_id for s in held if s.appointment_id not in still_open}
        if orphans:
            with self._uow() as uow:
                CalendarRepository(uow.conn).rows_done(orphans, now, "no appointment")
                uow.commit()
        for appt_id in sorted(set(by_appt) | reverts | set(missing)):
            row_ids = by_appt.get(appt_id, [])
            try:
                self._export_one(
                    api, provider_id, calendar_id, clinic, appt_id, row_ids,
                    revert=appt_id in reverts, now=now, report=report,
                )  # fmt: skip
            except NeedsReconnect:
                raise
            except CalendarError as exc:
                report.errors += 1
                self._item_failed(appt_id, row_ids, exc, now)
                if isinstance(exc, RateLimited):
                    break  # the rest wait for the next pass

    def _open_appointments(self, uow: SqlUnitOfWork, appointment_ids: list[int]) -> set[int]:
        if not appointment_ids:
            return set()
        AI = t.attention_items
        q = select(AI.c.appointment_id).where(
            and_(
                AI.c.resolved_at.is_(None),
                AI.c.kind.in_(HELD_KINDS),
                AI.c.appointment_id.in_(appointment_ids),
            )
        )
        return {int(i) for i in uow.conn.scalars(q)}

    def _open_item(self, uow: SqlUnitOfWork, kind: str, *, service: str) -> bool:
        AI = t.attention_items
        q = select(AI.c.id).where(
            AI.c.resolved_at.is_(None), AI.c.kind == kind, AI.c.service == service
        )
        return uow.conn.scalar(q.limit(1)) is not None

    def _desired(
        self, uow: SqlUnitOfWork, appt: Appointment, provider_id: int, clinic: ClinicSettings
    ) -> plan.Desired | None:
        if appt.status == Status.CANCELLED or appt.provider_id != provider_id:
            return None
        assert appt.id is not None
        service = uow.services.get(appt.service_id)
        location_text = ""
        if appt.location_id is not None:
            loc = uow.locations.get(appt.location_id)
            location_text = ", ".join(
                p for p in (loc.name, loc.address_line1, loc.city, loc.postal_code) if p
            )
        patient_name = None
        notes = None
        if clinic.names_in_calendar:
            patient = uow.patients.get(appt.patient_id)
            patient_name = f"{patient.first_name} {patient.last_name}"
            notes = appt.notes or None
        body = plan.event_body(
            appointment_id=appt.id,
            start=appt.start,
            end=appt.end,
            zone=clinic.zone,
            online=appt.online,
            service_name=service.name,
            location_text=location_text,
            meet_url=appt.meet_url,
            patient_name=patient_name,
            notes=notes,
        )
        return plan.Desired(
            appt.id,
            appt.revision,
            body,
            plan.fingerprint(appt.start, appt.end, False),
            appt.online,
            appt.meet_url,
        )

    def _export_one(
        self,
        api: CalendarApi,
        provider_id: int,
        calendar_id: str,
        clinic: ClinicSettings,
        appt_id: int,
        row_ids: list[int],
        *,
        revert: bool,
        now: datetime,
        report: CalendarReport,
    ) -> None:
        with self._uow(write=False) as uow:
            repo = CalendarRepository(uow.conn)
            appt = uow.appointments.get(appt_id)
            desired = self._desired(uow, appt, provider_id, clinic)
            row = repo.status(calendar_id, plan.event_id_for(appt_id))
            known = None if row is None else _known(row)
        action = plan.plan_export(appt_id, desired, known, revert=revert)
        done = self._carry(api, calendar_id, action, known)
        with self._uow() as uow:
            repo = CalendarRepository(uow.conn)
            if done.conflict is not None:
                report.conflicts += 1
                cancelled = done.conflict.get("status") == "cancelled"
                kind = DELETED_IN_GOOGLE if cancelled else CHANGED_IN_GOOGLE
                uow.attention.add(
                    kind,
                    f"Appointment #{appt_id}'s event was "
                    f"{'deleted' if cancelled else 'changed'} in Google Calendar while it "
                    "changed here too. Accept or revert, then resolve this item.",
                    now,
                    appointment_id=appt_id,
                )
                if known is not None:
                    repo.save_status(
                        appointment_id=appt_id,
                        provider_id=provider_id,
                        calendar_id=calendar_id,
                        event_id=action.event_id,
                        etag=done.conflict.get("etag"),
                        exported_revision=known.exported_revision,
                        exported_hash=known.exported_hash,
                        state=CONFLICT,
                        now=now,
                    )
            elif done.forget:
                repo.forget_status(calendar_id, action.event_id)
            elif action.desired is not None and done.op in ("insert", "patch"):
                repo.save_status(
                    appointment_id=appt_id,
                    provider_id=provider_id,
                    calendar_id=calendar_id,
                    event_id=action.event_id,
                    etag=done.etag,
                    exported_revision=action.desired.revision,
                    exported_hash=action.desired.hash,
                    state=EXPORTED,
                    now=now,
                )
            if done.meet_url and done.meet_url != appt.meet_url:
                repo.set_meet_url(appt_id, done.meet_url)
            note = "held: changed in Google" if action.op == "held" else None
            repo.rows_done(row_ids, now, note)
            uow.commit()
        if done.op == "insert":
            report.inserted += 1
        elif done.op == "patch":
            report.patched += 1
        elif done.op == "delete":
            report.deleted += 1

    # -- the vendor calls for one step ---------------------------------------------------------

    def _carry(
        self, api: CalendarApi, calendar_id: str, action: plan.Action, known: plan.Known | None
    ) -> _Done:
        if action.op == "insert":
            assert action.desired is not None
            return self._insert(api, calendar_id, action)
        if action.op == "patch":
            assert action.desired is not None
            return self._patch(api, calendar_id, action, known)
        if action.op == "delete":
            return self._delete(api, calendar_id, action, known)
        return _Done()

    def _with_conference(self, desired: plan.Desired, new: bool) -> dict[str, Any]:
        body = dict(desired.body)
        if desired.online:
            if desired.meet_url:
                if new:  # a new calendar: the same link, copied
                    body["conferenceData"] = {
                        "conferenceSolution": {"key": {"type": "hangoutsMeet"}},
                        "entryPoints": [{"entryPointType": "video", "uri": desired.meet_url}],
                    }
            else:
                body["conferenceData"] = plan.conference_request(
                    desired.appointment_id, desired.revision
                )
        return body

    def _insert(self, api: CalendarApi, calendar_id: str, action: plan.Action) -> _Done:
        desired = action.desired
        assert desired is not None
        body = {"id": action.event_id, **self._with_conference(desired, new=True)}
        try:
            event = api.insert(calendar_id, body, conference=desired.online)
        except Duplicate:
            # an earlier try got through (or the event was deleted and keeps its id): take it over
            event = api.get(calendar_id, action.event_id)
            if plan.our_appointment(event) not in (desired.appointment_id, None):
                raise CalendarError(
                    "Another event holds this booking's id in Google Calendar.", 409
                ) from None
            patch = self._with_conference(desired, new=False)
            if desired.online and (plan.meet_link(event) or plan.conference_status(event)):
                patch.pop("conferenceData", None)
            event = api.patch(
                calendar_id, action.event_id, patch, etag=event.get("etag"),
                conference=desired.online,
            )  # fmt: skip
        event = self._await_meet(api, calendar_id, action.event_id, event, desired)
        return _Done(etag=event.get("etag"), meet_url=plan.meet_link(event), op="insert")

    def _patch(
        self,
        api: CalendarApi,
        calendar_id: str,
        action: plan.Action,
        known: plan.Known | None,
        *,
        second: bool = False,
    ) -> _Done:
        desired = action.desired
        assert desired is not None and known is not None
        body = self._with_conference(desired, new=False)
        if desired.online and not desired.meet_url:
            current = api.get(calendar_id, action.event_id)
            if plan.meet_link(current) or plan.conference_status(current) == "pending":
                body.pop("conferenceData", None)
        try:
            event = api.patch(
                calendar_id, action.event_id, body, etag=action.etag, conference=desired.online
            )
        except PreconditionFailed:
            if second:
                raise
            event = api.get(calendar_id, action.event_id)
            same = plan.event_fingerprint(event, "UTC") == known.exported_hash
            if same or known.state == CONFLICT:
                again = plan.Action("patch", action.appointment_id, action.event_id, desired,
                                    etag=event.get("etag"))  # fmt: skip
                return self._patch(api, calendar_id, again, known, second=True)
            return _Done(conflict=event)
        except (NotFound, Gone):
            # removed from the calendar for good: put it back only when the desk said so
            if known.state == CONFLICT:
                return self._insert(api, calendar_id, action)
            return _Done(conflict={"status": "cancelled"})
        event = self._await_meet(api, calendar_id, action.event_id, event, desired)
        return _Done(etag=event.get("etag"), meet_url=plan.meet_link(event), op="patch")

    def _delete(
        self, api: CalendarApi, calendar_id: str, action: plan.Action, known: plan.Known | None
    ) -> _Done:
        try:
            api.delete(calendar_id, action.event_id, etag=action.etag)
        except (NotFound, Gone):
            return _Done(forget=True)
        except PreconditionFailed:
            event = api.get(calendar_id, action.event_id)
            if event.get("status") == "cancelled":
                return _Done(forget=True)
            same = known is not None and plan.event_fingerprint(event, "UTC") == known.exported_hash
            if not same and (known is None or known.state != CONFLICT):
                return _Done(conflict=event)
            with suppress(NotFound, Gone):
                api.delete(calendar_id, action.event_id, etag=event.get("etag"))
        return _Done(forget=True, op="delete")

    def _await_meet(
        self,
        api: CalendarApi,
        calendar_id: str,
        event_id: str,
        event: dict[str, Any],
        desired: plan.Desired,
    ) -> dict[str, Any]:
        if not desired.online:
            return event
        for _ in range(self.config.meet_polls):
            if plan.conference_status(event) != "pending":
                break
            self.config.sleep(self.config.meet_poll_delay)
            event = api.get(calendar_id, event_id)
        return event

    # -- errors --------------------------------------------------------------------------------

    def _item_failed(
        self, appt_id: int, row_ids: list[int], exc: CalendarError, now: datetime
    ) -> None:
        with self._uow() as uow:
            repo = CalendarRepository(uow.conn)
            attempts = repo.attempts(row_ids) + 1
            permanent = (
                exc.status is not None
                and 400 <= exc.status < 500
                and not isinstance(exc, RateLimited | PreconditionFailed)
            )
            if permanent or attempts >= self.config.max_attempts:
                repo.rows_failed(row_ids, exc.message)
                uow.attention.add(
                    CALENDAR_FAILED,
                    f"Appointment #{appt_id} could not be written to Google Calendar: "
                    f"{exc.message}",
                    now,
                    appointment_id=appt_id,
                )
            else:
                repo.rows_retry(row_ids, exc.message, now + plan.backoff(attempts))
            uow.commit()

    def _needs_reconnect(self, provider_id: int, message: str, now: datetime) -> None:
        with self._uow() as uow:
            repo = CalendarRepository(uow.conn)
            repo.set_state(provider_id, NEEDS_RECONNECT, now, message)
            if not self._open_item(uow, CREDENTIALS_REJECTED, service=service_name(provider_id)):
                provider = uow.providers.get(provider_id)
                uow.attention.add(
                    CREDENTIALS_REJECTED,
                    f"Google no longer accepts {provider.title} {provider.name}'s sign-in "
                    "(expired or revoked). Calendar sync for them is paused: reconnect the "
                    "account in Providers → Google Calendar.",
                    now,
                    service=service_name(provider_id),
                )
            uow.commit()


def accept_outside_change(sync: CalendarSync, ctx: Any, appointment_id: int) -> str:
    """The desk accepts what was done to a booking's event in Google: a move moves the
    booking to the event's start (the checks of a reschedule apply: a DomainError says why
    not), a deletion cancels it; then the booking's open "changed/deleted in Google" items are
    resolved. Blocking (one Google read): run it off the UI thread. Returns what was done:
    "moved", "cancelled" or "unchanged"."""
    from medbookings_desktop.services import booking

    with SqlUnitOfWork(sync.db, write=False) as uow:
        rows = [
            r
            for r in CalendarRepository(uow.conn).status_for(appointment_id)
            if r.state == CONFLICT
        ]
        appt = uow.appointments.get(appointment_id)
    if not rows:
        return "unchanged"
    row = rows[0]
    api = sync.api_factory(sync.config.google, sync._credentials_for(row.provider_id))
    try:
        try:
            event: dict[str, Any] | None = api.get(row.calendar_id, row.event_id)
        except (NotFound, Gone):
            event = None
    finally:
        api.close()
        sync.flush_calls()
    times = (
        None if event is None or event.get("status") == "cancelled" else plan.times_of(event, "UTC")
    )
    done = "unchanged"
    if times is None:
        if appt.status != Status.CANCELLED:
            booking.cancel(ctx, appointment_id, reason="deleted in Google Calendar")
            done = "cancelled"
    elif times[0] != appt.start:
        booking.reschedule(ctx, appointment_id, start=times[0])
        done = "moved"
    _settle_held(ctx, appointment_id, "accept")
    return done


def revert_outside_change(ctx: Any, appointment_id: int) -> int:
    """The desk keeps its own booking: the booking's open "changed/deleted in Google" items
    are resolved and its event is queued to be written back as the desk has it (the next
    sync puts it back, moved or deleted in Google). No Google call: safe to run at once.
    Returns how many items were resolved; none open raises NotFound."""
    return _settle_held(ctx, appointment_id, "revert")


def _settle_held(ctx: Any, appointment_id: int, how: str) -> int:
    """Resolve the booking's open held items and queue one calendar row naming it, so the
    next pass writes the desk's version even when its calendar is otherwise idle (an idle
    calendar is only polled, not exported)."""
    from medbookings_desktop.domain.errors import NotFound as NoSuchItem
    from medbookings_desktop.domain.messages import OutboxItem

    now = ctx.now()
    with ctx.write() as uow:
        AI = t.attention_items
        ids = list(
            uow.conn.scalars(
                select(AI.c.id).where(
                    AI.c.resolved_at.is_(None),
                    AI.c.kind.in_(HELD_KINDS),
                    AI.c.appointment_id == appointment_id,
                )
            )
        )
        if not ids and how == "revert":
            raise NoSuchItem(
                f"Nothing is waiting for a decision about appointment #{appointment_id}'s "
                "calendar event (another desk may have dealt with it)."
            )
        for item_id in ids:
            uow.attention.resolve(item_id, ctx.actor_name, now)
            ctx.audit(uow, how, "attention_item", item_id, None, {"appointment_id": appointment_id})
        held = [
            r
            for r in CalendarRepository(uow.conn).status_for(appointment_id)
            if r.state == CONFLICT
        ]
        for row in held:
            uow.outbox.add_many(
                [
                    OutboxItem(
                        kind=OutboxKind.CALENDAR_UPSERT,
                        target=f"calendar:{row.provider_id}",
                        due_at=now,
                        # a fresh key: each decision is written back once more
                        idempotency_key=f"calendar_upsert:{appointment_id}:{how}:{uuid.uuid4()}",
                        appointment_id=appointment_id,
                    )
                ],
                now,
            )
        uow.commit()
    return len(ids)


def export_backlog(ctx: Any, provider_id: int) -> tuple[int, int]:
    """For the providers view: how many bookings wait to be written to the provider's
    calendar, and how many still ahead could not be (given up on; each has a Needs attention
    item)."""
    from sqlalchemy import func, or_

    OB, A = t.outbox, t.appointments
    q = (
        select(OB.c.state, func.count(OB.c.appointment_id.distinct()))
        .select_from(OB.join(A, A.c.id == OB.c.appointment_id))
        .where(OB.c.kind.in_(CALENDAR_KINDS), OB.c.target == f"calendar:{provider_id}")
        .where(or_(OB.c.state == "pending", and_(OB.c.state == "failed", A.c.end_at >= ctx.now())))
        .group_by(OB.c.state)
    )
    with ctx.read() as uow:
        counts = {str(state): int(n) for state, n in uow.conn.execute(q)}
    return counts.get("pending", 0), counts.get("failed", 0)


def all_day_blocks(ctx: Any) -> bool:
    """Whether all-day events in the providers' Google calendars block their days (the
    clinic's `calendar_sync` setting; off unless turned on)."""
    with ctx.read() as uow:
        options = uow.settings.value(OPTIONS_KEY)
    return bool(isinstance(options, dict) and options.get("all_day_blocks"))


def set_all_day_blocks(ctx: Any, on: bool) -> bool:
    """Save the clinic's choice. When it changes, every calendar is read in full at its next
    sync (its token is dropped), so the all-day events already there are blocked, or freed,
    too, not only those changed from now on. Returns whether it changed."""
    with ctx.write() as uow:
        options = uow.settings.value(OPTIONS_KEY)
        options = dict(options) if isinstance(options, dict) else {}
        if bool(options.get("all_day_blocks")) == on:
            return False
        before = dict(options)
        options["all_day_blocks"] = on
        uow.settings.set_value(OPTIONS_KEY, options)
        repo = CalendarRepository(uow.conn)
        for link in repo.links():
            repo.set_sync_token(link.provider_id, None)
        ctx.audit(uow, "settings", OPTIONS_KEY, None, before, options)
        uow.commit()
    return True


@dataclass(frozen=True, slots=True)
class ProviderSyncHealth:
    provider_id: int
    state: str
    calendar_id: str
    last_sync_at: datetime | None
    last_error: str | None
    pending_exports: int


def sync_health(db: DbEngine) -> list[ProviderSyncHealth]:
    """Per linked provider: the link's state, the last successful sync, the bookings waiting
    to be written and the last error (the health panel and the providers view)."""
    with SqlUnitOfWork(db, write=False) as uow:
        repo = CalendarRepository(uow.conn)
        pending = repo.pending_exports(CALENDAR_KINDS)
        return [
            ProviderSyncHealth(
                link.provider_id,
                link.state,
                link.calendar_id,
                link.last_sync_at,
                link.last_error,
                pending.get(link.provider_id, 0),
            )
            for link in repo.links()
        ]


def for_desk(db: DbEngine, settings: Any = None) -> CalendarSync:
    """The desk's calendar sync from its settings, the environment and the keyring (reads the
    keyring: build it on the engine's thread)."""
    return CalendarSync(db, CalendarSyncConfig(GoogleConfig.load(settings)))
