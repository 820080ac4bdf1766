"""Calendar sync records: each provider's calendar link and the reconciler's status table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update

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
