"""One row per vendor call: service, operation, duration, outcome, error. No patient data."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, case, func, insert, select

from medbookings_desktop.storage import tables as t

IL = t.integration_log


@dataclass(frozen=True, slots=True)
class CallRecord:
    service: str
    operation: str
    started_at: datetime
    duration_ms: int
    outcome: str  # ok, retry, failed, rejected
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceCalls:
    service: str
    calls: int
    errors: int
    last_success: datetime | None
    last_error: str | None


class IntegrationLogRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def record(self, calls: Iterable[CallRecord]) -> None:
        values = [
            {
                "service": c.service,
                "operation": c.operation,
                "started_at": c.started_at,
                "duration_ms": c.duration_ms,
                "outcome": c.outcome,
                "error": c.error,
            }
            for c in calls
        ]
        if values:
            self.conn.execute(insert(IL), values)

    def recent(self, limit: int = 200, service: str | None = None) -> list[CallRecord]:
        q = select(IL).order_by(IL.c.started_at.desc(), IL.c.id.desc()).limit(limit)
        if service is not None:
            q = q.where(IL.c.service == service)
        return [
            CallRecord(r.service, r.operation, r.started_at, r.duration_ms, r.outcome, r.error)
            for r in self.conn.execute(q)
        ]

    def summary(self, since: datetime) -> dict[str, ServiceCalls]:
        """Per service: calls and errors since `since`, the last success ever, the last error."""
        failed = case((IL.c.outcome != "ok", 1), else_=0)
        window = (
            select(IL.c.service, func.count(), func.coalesce(func.sum(failed), 0))
            .where(IL.c.started_at >= since)
            .group_by(IL.c.service)
        )
        counts = {s: (int(n), int(e)) for s, n, e in self.conn.execute(window)}
        last_ok = dict(
            self.conn.execute(
                select(IL.c.service, func.max(IL.c.started_at))
                .where(IL.c.outcome == "ok")
                .group_by(IL.c.service)
            ).all()
        )
        services = set(counts) | set(last_ok)
        result = {}
        for s in services:
            err = self.conn.scalar(
                select(IL.c.error)
                .where(IL.c.service == s, IL.c.outcome != "ok")
                .order_by(IL.c.started_at.desc(), IL.c.id.desc())
                .limit(1)
            )
            n, e = counts.get(s, (0, 0))
            last = last_ok.get(s)
            result[s] = ServiceCalls(s, n, e, _utc(last), err)
        return result


def _utc(value: datetime | None) -> datetime | None:
    # aggregates bypass the column type: SQLite returns text, PostgreSQL an aware datetime
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
