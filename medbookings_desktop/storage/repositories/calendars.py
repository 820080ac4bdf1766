"""Calendar sync records: each provider's calendar link and the reconciler's status table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, func, insert, select, update

from medbookings_desktop.storage import tables as t

CL = t.calendar_links
CE = t.calendar_events

CONNECTED = "connected"
NEEDS_RECONNECT = "needs_reconnect"
DISCONNECTED = "disconnected"
PAUSED = "paused"
LINK_STATES = (CONNECTED, NEEDS_RECONNECT, DISCONNECTED, PAUSED)

# calendar_events.state
EXPORTED = "exported"
CONFLICT = "conflict"


@dataclass(frozen=True, slots=True)
class CalendarLinkRow:
    id: int
    provider_id: int
    calendar_id: str
    account_email: str
    state: str
    sync_token: str | None
    last_sync_at: datetime | None
    last_error: str | None
    our_events_seen: int
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class CalendarEventRow:
    id: int
    appointment_id: int
    provider_id: int
    calendar_id: str
    event_id: str
    etag: str | None
    exported_revision: int
    exported_hash: str
    state: str
    updated_at: datetime


class CalendarRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    # -- links ---------------------------------------------------------------------------------

    def link(self, provider_id: int) -> CalendarLinkRow | None:
        r = self.conn.execute(select(CL).where(CL.c.provider_id == provider_id)).first()
        return None if r is None else CalendarLinkRow(**r._mapping)

    def links(self, state: str | None = None) -> list[CalendarLinkRow]:
        q = select(CL).order_by(CL.c.provider_id)
        if state is not None:
            q = q.where(CL.c.state == state)
        return [CalendarLinkRow(**r._mapping) for r in self.conn.execute(q)]

    def save_link(
        self,
        provider_id: int,
        state: str,
        now: datetime,
        *,
        account_email: str = "",
        calendar_id: str = "",
    ) -> None:
        """Create or update a provider's link. Choosing another calendar forgets the import
        cursor (the new calendar is read in full)."""
        if state not in LINK_STATES:
            raise ValueError(f"unknown calendar link state {state!r}")
        before = self.link(provider_id)
        if before is None:
            self.conn.execute(
                insert(CL).values(
                    provider_id=provider_id,
                    calendar_id=calendar_id,
                    account_email=account_email,
                    state=state,
                    our_events_seen=0,
                    updated_at=now,
                )
            )
            return
        values: dict[str, object] = {
            "calendar_id": calendar_id,
            "account_email": account_email,
            "state": state,
            "updated_at": now,
        }
        if calendar_id != before.calendar_id:
            values.update(sync_token=None, our_events_seen=0)
        if state == CONNECTED:
            values["last_error"] = None
        self.conn.execute(update(CL).where(CL.c.provider_id == provider_id).values(**values))

    def set_state(
        self, provider_id: int, state: str, now: datetime, error: str | None = None
    ) -> None:
        if state not in LINK_STATES:
            raise ValueError(f"unknown calendar link state {state!r}")
        self.conn.execute(
            update(CL)
            .where(CL.c.provider_id == provider_id)
            .values(state=state, last_error=error, updated_at=now)
        )

    def set_sync_token(self, provider_id: int, token: str | None) -> None:
        self.conn.execute(
            update(CL).where(CL.c.provider_id == provider_id).values(sync_token=token)
        )

    def record_sync(
        self, provider_id: int, now: datetime, *, our_events_seen: int | None = None
    ) -> None:
        values: dict[str, object] = {"last_sync_at": now, "last_error": None}
        if our_events_seen is not None:
            values["our_events_seen"] = our_events_seen
        self.conn.execute(update(CL).where(CL.c.provider_id == provider_id).values(**values))

    def record_error(self, provider_id: int, error: str, now: datetime) -> None:
        self.conn.execute(
            update(CL)
            .where(CL.c.provider_id == provider_id)
            .values(last_error=error, updated_at=now)
        )

    def pending_exports(self, kinds: list[str]) -> dict[int, int]:
        """Calendar rows still waiting, by provider id (for the health panel)."""
        OB = t.outbox
        q = (
            select(OB.c.target, func.count())
            .where(OB.c.state == "pending", OB.c.kind.in_(kinds))
            .group_by(OB.c.target)
        )
        out: dict[int, int] = {}
        for target, count in self.conn.execute(q):
            _, _, pid = str(target).partition(":")
            if pid.isdigit():
                out[int(pid)] = int(count)
        return out

    # -- status --------------------------------------------------------------------------------

    def statuses(self, calendar_id: str) -> list[CalendarEventRow]:
        q = select(CE).where(CE.c.calendar_id == calendar_id).order_by(CE.c.appointment_id)
        return [CalendarEventRow(**r._mapping) for r in self.conn.execute(q)]

    def status_for(self, appointment_id: int) -> list[CalendarEventRow]:
        q = select(CE).where(CE.c.appointment_id == appointment_id).order_by(CE.c.id)
        return [CalendarEventRow(**r._mapping) for r in self.conn.execute(q)]

    def status(self, calendar_id: str, event_id: str) -> CalendarEventRow | None:
        r = self.conn.execute(
            select(CE).where(CE.c.calendar_id == calendar_id, CE.c.event_id == event_id)
        ).first()
        return None if r is None else CalendarEventRow(**r._mapping)

    def save_status(
        self,
        *,
        appointment_id: int,
        provider_id: int,
        calendar_id: str,
        event_id: str,
        etag: str | None,
        exported_revision: int,
        exported_hash: str,
        state: str,
        now: datetime,
    ) -> None:
        values = {
            "appointment_id": appointment_id,
            "provider_id": provider_id,
            "etag": etag,
            "exported_revision": exported_revision,
            "exported_hash": exported_hash,
            "state": state,
            "updated_at": now,
        }
        done = self.conn.execute(
            update(CE)
            .where(CE.c.calendar_id == calendar_id, CE.c.event_id == event_id)
            .values(**values)
        )
        if done.rowcount == 0:
            self.conn.execute(
                insert(CE).values(calendar_id=calendar_id, event_id=event_id, **values)
            )

    def set_status_state(self, calendar_id: str, event_id: str, state: str, now: datetime) -> None:
        self.conn.execute(
            update(CE)
            .where(CE.c.calendar_id == calendar_id, CE.c.event_id == event_id)
            .values(state=state, updated_at=now)
        )

    def forget_status(self, calendar_id: str, event_id: str) -> None:
        self.conn.execute(
            delete(CE).where(CE.c.calendar_id == calendar_id, CE.c.event_id == event_id)
        )

    # -- what the reconciler reads and writes around the status --------------------------------

    def busy_ids(
        self, provider_id: int, source: str = "google"
    ) -> dict[str, tuple[datetime, datetime]]:
        """The provider's busy blocks from this source, by external id."""
        BB = t.busy_blocks
        q = select(BB.c.external_id, BB.c.start_at, BB.c.end_at).where(
            BB.c.provider_id == provider_id, BB.c.source == source
        )
        return {str(r.external_id): (r.start_at, r.end_at) for r in self.conn.execute(q)}

    def put_busy(
        self,
        provider_id: int,
        external_id: str,
        start: datetime,
        end: datetime,
        label: str = "Busy (Google)",
        source: str = "google",
    ) -> None:
        BB = t.busy_blocks
        done = self.conn.execute(
            update(BB)
            .where(BB.c.source == source, BB.c.external_id == external_id)
            .values(provider_id=provider_id, start_at=start, end_at=end, label=label)
        )
        if done.rowcount == 0:
            self.conn.execute(
                insert(BB).values(
                    provider_id=provider_id,
                    start_at=start,
                    end_at=end,
                    label=label,
                    source=source,
                    external_id=external_id,
                )
            )

    def add_busy_many(
        self,
        provider_id: int,
        blocks: list[tuple[str, datetime, datetime]],
        label: str = "Busy (Google)",
        source: str = "google",
    ) -> None:
        if blocks:
            self.conn.execute(
                insert(t.busy_blocks),
                [
                    {
                        "provider_id": provider_id,
                        "start_at": start,
                        "end_at": end,
                        "label": label,
                        "source": source,
                        "external_id": external_id,
                    }
                    for external_id, start, end in blocks
                ],
            )

    def appointment_spans(
        self, provider_id: int, start: datetime, end: datetime, statuses: list[str]
    ) -> list[tuple[int, datetime, datetime]]:
        """(id, start, end) of the provider's appointments in these statuses overlapping
        [start, end), by start (they never overlap one another, so by end too)."""
        A = t.appointments
        q = (
            select(A.c.id, A.c.start_at, A.c.end_at)
            .where(
                A.c.provider_id == provider_id,
                A.c.start_at < end,
                A.c.end_at > start,
                A.c.status.in_(statuses),
            )
            .order_by(A.c.start_at)
        )
        return [(int(r.id), r.start_at, r.end_at) for r in self.conn.execute(q)]

    def drop_busy(self, external_ids: list[str], source: str = "google") -> int:
        if not external_ids:
            return 0
        BB = t.busy_blocks
        done = self.conn.execute(
            delete(BB).where(BB.c.source == source, BB.c.external_id.in_(external_ids))
        )
        return int(done.rowcount)

    def appointments_overlapping(
        self, provider_id: int, start: datetime, end: datetime, statuses: list[str]
    ) -> list[int]:
        A = t.appointments
        q = (
            select(A.c.id)
            .where(
                A.c.provider_id == provider_id,
                A.c.start_at < end,
                A.c.end_at > start,
                A.c.status.in_(statuses),
            )
            .order_by(A.c.start_at)
        )
        return [int(i) for i in self.conn.scalars(q)]

    def unexported(
        self, provider_id: int, calendar_id: str, since: datetime, statuses: list[str]
    ) -> list[int]:
        """The provider's appointments from `since` on, in these statuses, with no event in
        this calendar yet (bookings made before the calendar was connected or chosen)."""
        A = t.appointments
        known = select(CE.c.appointment_id).where(CE.c.calendar_id == calendar_id)
        q = (
            select(A.c.id)
            .where(
                A.c.provider_id == provider_id,
                A.c.start_at >= since,
                A.c.status.in_(statuses),
                A.c.id.not_in(known),
            )
            .order_by(A.c.start_at)
        )
        return [int(i) for i in self.conn.scalars(q)]

    def set_meet_url(self, appointment_id: int, url: str) -> None:
        A = t.appointments
        self.conn.execute(update(A).where(A.c.id == appointment_id).values(meet_url=url))

    def clinic_option(self, key: str) -> object:
        return self.conn.scalar(
            select(t.clinic_settings.c.value).where(t.clinic_settings.c.key == key)
        )

    # -- the calendar rows of the outbox (the message engine leaves them to us) ----------------

    def due_calendar_rows(
        self, target: str, kinds: list[str], now: datetime, limit: int = 1000
    ) -> list[tuple[int, int | None]]:
        """(outbox id, appointment id) of the pending calendar rows due for one calendar."""
        OB = t.outbox
        q = (
            select(OB.c.id, OB.c.appointment_id)
            .where(
                OB.c.state == "pending",
                OB.c.kind.in_(kinds),
                OB.c.target == target,
                OB.c.due_at <= now,
                (OB.c.next_try_at.is_(None)) | (OB.c.next_try_at <= now),
            )
            .order_by(OB.c.id)
            .limit(limit)
        )
        return [(int(r.id), r.appointment_id) for r in self.conn.execute(q)]

    def due_targets(self, kinds: list[str], now: datetime) -> set[str]:
        """The targets ("calendar:<provider id>") with calendar rows due now."""
        OB = t.outbox
        q = (
            select(OB.c.target)
            .where(
                OB.c.state == "pending",
                OB.c.kind.in_(kinds),
                OB.c.due_at <= now,
                (OB.c.next_try_at.is_(None)) | (OB.c.next_try_at <= now),
            )
            .distinct()
        )
        return {str(x) for x in self.conn.scalars(q)}

    def rows_done(self, ids: list[int], now: datetime, note: str | None = None) -> None:
        if ids:
            OB = t.outbox
            self.conn.execute(
                update(OB)
                .where(OB.c.id.in_(ids), OB.c.state == "pending")
                .values(state="sent", sent_at=now, last_error=note)
            )

    def rows_retry(self, ids: list[int], error: str, retry_at: datetime) -> None:
        if ids:
            OB = t.outbox
            self.conn.execute(
                update(OB)
                .where(OB.c.id.in_(ids), OB.c.state == "pending")
                .values(attempts=OB.c.attempts + 1, last_error=error, next_try_at=retry_at)
            )

    def rows_failed(self, ids: list[int], error: str) -> None:
        if ids:
            OB = t.outbox
            self.conn.execute(
                update(OB)
                .where(OB.c.id.in_(ids), OB.c.state == "pending")
                .values(state="failed", last_error=error)
            )

    def attempts(self, ids: list[int]) -> int:
        if not ids:
            return 0
        OB = t.outbox
        return int(max(self.conn.scalars(select(OB.c.attempts).where(OB.c.id.in_(ids))), default=0))
