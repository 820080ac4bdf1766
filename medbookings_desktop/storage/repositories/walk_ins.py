"""The walk-in queue table (migration 0004)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, Row, insert, select, update

from medbookings_desktop.domain.errors import NotFound
from medbookings_desktop.domain.walk_ins import WalkIn, WalkInState
from medbookings_desktop.storage import tables as t

W = t.walk_ins


def _walk_in(r: Row[tuple[object, ...]]) -> WalkIn:
    m = r._mapping
    return WalkIn(
        id=m["id"],
        patient_id=m["patient_id"],
        service_id=m["service_id"],
        provider_id=m["provider_id"],
        location_id=m["location_id"],
        note=m["note"],
        arrived_at=m["arrived_at"],
        state=WalkInState(m["state"]),
        appointment_id=m["appointment_id"],
        closed_at=m["closed_at"],
    )


class WalkInRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(self, entry: WalkIn) -> WalkIn:
        new_id = self.conn.execute(
            insert(W)
            .values(
                patient_id=entry.patient_id,
                service_id=entry.service_id,
                provider_id=entry.provider_id,
                location_id=entry.location_id,
                note=entry.note,
                arrived_at=entry.arrived_at,
                state=entry.state.value,
                appointment_id=entry.appointment_id,
                closed_at=entry.closed_at,
            )
            .returning(W.c.id)
        ).scalar_one()
        return self.get(int(new_id))

    def get(self, walk_in_id: int, *, for_update: bool = False) -> WalkIn:
        q = select(W).where(W.c.id == walk_in_id)
        if for_update:
            q = q.with_for_update()
        r = self.conn.execute(q).first()
        if r is None:
            raise NotFound(f"No walk-in #{walk_in_id}.")
        return _walk_in(r)

    def waiting(self) -> list[WalkIn]:
        q = select(W).where(W.c.state == WalkInState.WAITING.value).order_by(W.c.arrived_at, W.c.id)
        return [_walk_in(r) for r in self.conn.execute(q)]

    def in_states(self, states: Sequence[WalkInState], since: datetime) -> list[WalkIn]:
        q = (
            select(W)
            .where(W.c.state.in_([s.value for s in states]), W.c.arrived_at >= since)
            .order_by(W.c.arrived_at, W.c.id)
        )
        return [_walk_in(r) for r in self.conn.execute(q)]

    def close(
        self,
        walk_in_id: int,
        state: WalkInState,
        now: datetime,
        *,
        appointment_id: int | None = None,
    ) -> bool:
        """Close a waiting entry; False when it was no longer waiting (another desk closed it)."""
        done = self.conn.execute(
            update(W)
            .where(W.c.id == walk_in_id, W.c.state == WalkInState.WAITING.value)
            .values(state=state.value, closed_at=now, appointment_id=appointment_id)
        )
        return done.rowcount == 1
