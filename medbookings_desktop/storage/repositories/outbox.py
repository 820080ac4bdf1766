"""The outbox: every side effect waiting to happen, and what became of it."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, insert, select, update

from medbookings_desktop.domain.messages import OutboxItem, OutboxKind, OutboxState
from medbookings_desktop.storage import outbox_rows
from medbookings_desktop.storage import tables as t

OB = t.outbox


class OutboxRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add_many(self, items: Iterable[OutboxItem], now: datetime) -> None:
        values = [
            {
                "kind": i.kind.value,
                "target": i.target,
                "appointment_id": i.appointment_id,
                "payload": i.payload,
                "due_at": i.due_at,
                "attempts": 0,
                "next_try_at": None,
                "last_error": None,
                "state": OutboxState.PENDING.value,
                "idempotency_key": i.idempotency_key,
                "created_at": now,
                "sent_at": None,
            }
            for i in items
        ]
        if values:
            self.conn.execute(insert(OB), values)

    def supersede(self, appointment_id: int, kinds: Iterable[OutboxKind]) -> int:
        """Pending rows of these kinds will never go out; return how many."""
        done = self.conn.execute(
            update(OB)
            .where(
                OB.c.appointment_id == appointment_id,
                OB.c.kind.in_([k.value for k in kinds]),
                OB.c.state == OutboxState.PENDING.value,
            )
            .values(state=OutboxState.SUPERSEDED.value)
        )
        return int(done.rowcount)

    def for_appointment(self, appointment_id: int) -> list[OutboxItem]:
        q = select(OB).where(OB.c.appointment_id == appointment_id).order_by(OB.c.id)
        return [outbox_rows.outbox_item(r) for r in self.conn.execute(q)]

    def any_in_states(
        self, appointment_id: int, kinds: Iterable[OutboxKind], states: Iterable[OutboxState]
    ) -> bool:
        q = (
            select(OB.c.id)
            .where(
                OB.c.appointment_id == appointment_id,
                OB.c.kind.in_([k.value for k in kinds]),
                OB.c.state.in_([s.value for s in states]),
            )
            .limit(1)
        )
        return self.conn.scalar(q) is not None

    def pending_count(self) -> int:
        q = select(OB.c.id).where(OB.c.state == OutboxState.PENDING.value)
        return len(list(self.conn.scalars(q)))
