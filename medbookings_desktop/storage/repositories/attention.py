"""The "Needs attention" inbox: what the engine could not do by itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from medbookings_desktop.storage import tables as t

AI = t.attention_items

# an open item of this kind pauses its service (credentials the vendor rejected)
CREDENTIALS_REJECTED = "credentials_rejected"


@dataclass(frozen=True, slots=True)
class AttentionRow:
    id: int
    kind: str
    service: str | None
    appointment_id: int | None
    patient_id: int | None
    outbox_id: int | None
    summary: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None


class AttentionRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def add(
        self,
        kind: str,
        summary: str,
        now: datetime,
        *,
        service: str | None = None,
        appointment_id: int | None = None,
        patient_id: int | None = None,
        outbox_id: int | None = None,
    ) -> int:
        done = self.conn.execute(
            insert(AI)
            .values(
                kind=kind,
                service=service,
                appointment_id=appointment_id,
                patient_id=patient_id,
                outbox_id=outbox_id,
                summary=summary,
                created_at=now,
            )
            .returning(AI.c.id)
        )
        return int(done.scalar_one())

    def open_items(self, limit: int = 500) -> list[AttentionRow]:
        q = (
            select(AI)
            .where(AI.c.resolved_at.is_(None))
            .order_by(AI.c.created_at.desc(), AI.c.id.desc())
            .limit(limit)
        )
        return [AttentionRow(**r._mapping) for r in self.conn.execute(q)]

    def get(self, item_id: int) -> AttentionRow | None:
        r = self.conn.execute(select(AI).where(AI.c.id == item_id)).first()
        return None if r is None else AttentionRow(**r._mapping)

    def count_open(self) -> int:
        q = select(func.count()).select_from(AI).where(AI.c.resolved_at.is_(None))
        return int(self.conn.scalar(q) or 0)

    def resolve(self, item_id: int, by: str, now: datetime) -> bool:
        done = self.conn.execute(
            update(AI)
            .where(AI.c.id == item_id, AI.c.resolved_at.is_(None))
            .values(resolved_at=now, resolved_by=by)
        )
        return bool(done.rowcount)

    def is_open(
        self, kind: str, *, service: str | None = None, outbox_id: int | None = None
    ) -> bool:
        q = select(AI.c.id).where(AI.c.kind == kind, AI.c.resolved_at.is_(None))
        if service is not None:
            q = q.where(AI.c.service == service)
        if outbox_id is not None:
            q = q.where(AI.c.outbox_id == outbox_id)
        return self.conn.scalar(q.limit(1)) is not None

    def paused_services(self) -> set[str]:
        """Services whose credentials were rejected and nobody has marked fixed yet."""
        q = select(AI.c.service).where(
            AI.c.kind == CREDENTIALS_REJECTED,
            AI.c.resolved_at.is_(None),
            AI.c.service.is_not(None),
        )
        return {str(s) for s in self.conn.scalars(q.distinct())}
