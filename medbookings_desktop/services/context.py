"""What every use case runs with: storage, the clock, and who is acting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from medbookings_desktop.services.ports import UnitOfWork
from medbookings_desktop.services.setup_cache import SetupCache


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    """`write()` opens a unit of work that takes the write lock; `read()` one that does not."""

    write: Callable[[], UnitOfWork]
    read: Callable[[], UnitOfWork]
    actor_id: int | None = None
    actor_name: str = "system"
    clock: Callable[[], datetime] = utc_now
    # this desk's copy of the clinic's setup, checked against the database on every use
    setup: SetupCache = field(default_factory=SetupCache, compare=False, repr=False)

    def now(self) -> datetime:
        return self.clock().astimezone(UTC)

    def audit(
        self,
        uow: UnitOfWork,
        action: str,
        entity: str,
        entity_id: int | None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        # here, not at the top: reading (the window's first day) never needs it
        from medbookings_desktop.domain.audit import AuditEntry

        uow.audit.record(
            AuditEntry(
                at=self.now(),
                user_id=self.actor_id,
                action=action,
                entity=entity,
                entity_id=entity_id,
                before=before,
                after=after,
            )
        )
