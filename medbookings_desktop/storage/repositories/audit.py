"""The audit trail: who changed what, when, from what to what."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from medbookings_desktop.domain.audit import AuditEntry
from medbookings_desktop.storage import tables as t


class AuditRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, entry: AuditEntry) -> None:
        self.conn.execute(
            insert(t.audit_log).values(
                at=entry.at,
                user_id=entry.user_id,
                action=entry.action,
                entity=entry.entity,
                entity_id=entry.entity_id,
                before=entry.before,
                after=entry.after,
            )
        )

    def for_entity(self, entity: str, entity_id: int) -> list[AuditEntry]:
        L = t.audit_log
        q = select(L).where(L.c.entity == entity, L.c.entity_id == entity_id).order_by(L.c.id)
        return [
            AuditEntry(
                id=r.id,
                at=r.at,
                user_id=r.user_id,
                action=r.action,
                entity=r.entity,
                entity_id=r.entity_id,
                before=r.before,
                after=r.after,
            )
            for r in self.conn.execute(q)
        ]
