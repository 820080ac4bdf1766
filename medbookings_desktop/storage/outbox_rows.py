"""Conversions between the outbox table's rows and OutboxItem."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from medbookings_desktop.domain.messages import OutboxItem, OutboxKind, OutboxState
from medbookings_desktop.storage.rows import as_dict

if TYPE_CHECKING:
    from sqlalchemy import Row


def outbox_item(r: Row[Any]) -> OutboxItem:
    m = as_dict(r)
    return OutboxItem(
        id=m["id"],
        kind=OutboxKind(m["kind"]),
        target=m["target"],
        due_at=m["due_at"],
        idempotency_key=m["idempotency_key"],
        appointment_id=m["appointment_id"],
        payload=m["payload"],
        state=OutboxState(m["state"]),
        attempts=m["attempts"],
        next_try_at=m["next_try_at"],
        last_error=m["last_error"],
    )
