"""The "Needs attention" inbox: what the background engine could not do by itself.

Items name an appointment or a patient by id and say in one sentence what happened; the desk
resolves them. An open `credentials_rejected` item pauses its service: resolving it (after
entering the credentials again) lets the engine send by that service again.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, cast

from medbookings_desktop.domain.errors import NotFound, Refused
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.ports import UnitOfWork


class AttentionRecord(Protocol):
    """What the storage layer returns for an item (storage/repositories/attention.py)."""

    @property
    def id(self) -> int: ...
    @property
    def kind(self) -> str: ...
    @property
    def service(self) -> str | None: ...
    @property
    def appointment_id(self) -> int | None: ...
    @property
    def patient_id(self) -> int | None: ...
    @property
    def outbox_id(self) -> int | None: ...
    @property
    def summary(self) -> str: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def resolved_at(self) -> datetime | None: ...
    @property
    def resolved_by(self) -> str | None: ...


class AttentionRepo(Protocol):
    def open_items(self, limit: int = ...) -> builtins.list[AttentionRecord]: ...
    def get(self, item_id: int) -> AttentionRecord | None: ...
    def count_open(self) -> int: ...
    def resolve(self, item_id: int, by: str, now: datetime) -> bool: ...


class _SendAgainRepo(Protocol):
    def send_again(self, outbox_id: int) -> bool: ...


class _WithAttention(Protocol):
    attention: AttentionRepo


class _WithDeliveries(Protocol):
    deliveries: _SendAgainRepo


@dataclass(frozen=True, slots=True)
class AttentionItem:
    id: int
    kind: str
    summary: str
    created_at: datetime
    service: str | None = None
    appointment_id: int | None = None
    patient_id: int | None = None
    outbox_id: int | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None


def _repo(uow: UnitOfWork) -> AttentionRepo:
    return cast(_WithAttention, uow).attention


def _item(r: AttentionRecord) -> AttentionItem:
    return AttentionItem(
        id=r.id,
        kind=r.kind,
        summary=r.summary,
        created_at=r.created_at,
        service=r.service,
        appointment_id=r.appointment_id,
        patient_id=r.patient_id,
        outbox_id=r.outbox_id,
        resolved_at=r.resolved_at,
        resolved_by=r.resolved_by,
    )


def list_open(ctx: Context, *, limit: int = 500) -> list[AttentionItem]:
    """Open items, newest first."""
    with ctx.read() as uow:
        return [_item(r) for r in _repo(uow).open_items(limit)]


def count(ctx: Context) -> int:
    """How many items are open (the status bar's number)."""
    with ctx.read() as uow:
        return _repo(uow).count_open()


def resolve(ctx: Context, item_id: int) -> AttentionItem:
    """Mark an item dealt with, by the acting staff member; resolving twice is refused."""
    now = ctx.now()
    with ctx.write() as uow:
        repo = _repo(uow)
        found = repo.get(item_id)
        if found is None:
            raise NotFound(f"No Needs attention item #{item_id}.")
        if found.resolved_at is not None:
            raise NotFound(f"Item #{item_id} was already resolved by {found.resolved_by}.")
        repo.resolve(item_id, ctx.actor_name, now)
        ctx.audit(uow, "resolve", "attention_item", item_id, None, {"kind": found.kind})
        uow.commit()
        resolved = repo.get(item_id)
    assert resolved is not None
    return _item(resolved)


def send_again(ctx: Context, item_id: int) -> AttentionItem:
    """Put the message an item is about back in the queue (every channel may be tried again)
    and resolve the item: for a message that failed, or that may not have gone out."""
    now = ctx.now()
    with ctx.write() as uow:
        repo = _repo(uow)
        found = repo.get(item_id)
        if found is None:
            raise NotFound(f"No Needs attention item #{item_id}.")
        if found.resolved_at is not None:
            raise NotFound(f"Item #{item_id} was already resolved by {found.resolved_by}.")
        if found.outbox_id is None:
            raise Refused("This item is not about a message, so there is nothing to send again.")
        if not cast(_WithDeliveries, uow).deliveries.send_again(found.outbox_id):
            raise Refused("That message is no longer waiting to be sent again.")
        repo.resolve(item_id, ctx.actor_name, now)
        ctx.audit(
            uow, "send_again", "attention_item", item_id, None, {"outbox_id": found.outbox_id}
        )
        uow.commit()
        resolved = repo.get(item_id)
    assert resolved is not None
    return _item(resolved)
