"""The engine's side of the outbox: claim due rows, record each attempt and what became of it.

Rows are claimed inside the caller's write transaction: on PostgreSQL with
`FOR UPDATE SKIP LOCKED`, so two engines never claim one row; on SQLite the transaction holds
the database's write lock (BEGIN IMMEDIATE) from the start, which serialises claims.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, insert, literal, or_, select, update
from sqlalchemy.exc import IntegrityError

from medbookings_desktop.domain.messages import OutboxItem, OutboxKind, OutboxState
from medbookings_desktop.storage import outbox_rows
from medbookings_desktop.storage import tables as t

OB = t.outbox
DL = t.deliveries
IN = t.inbound_messages

CLAIMED = "claimed"  # in a batch this engine holds, not yet handed to the vendor
SENDING = "sending"  # handed to the vendor: the call is in flight
SENT = "sent"  # the vendor accepted it (email: as far as we can know)
RETRY = "retry"  # a retryable error; the row waits for its next try
FAILED = "failed"  # a permanent error on this channel
UNKNOWN = "unknown"  # interrupted, and the vendor cannot say whether it went out
FAILED_BEFORE = "failed_before"  # failed, then the desk asked for the message to go again
# statuses polled from Twilio after SENT
FINAL_STATUSES = frozenset({"delivered", "read", "failed", "undelivered", "canceled", "expired"})


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    outbox_id: int
    channel: str
    recipient: str
    engine: str
    vendor_id: str | None
    status: str
    error: str | None
    started_at: datetime
    updated_at: datetime


def _delivery(r: Any) -> Delivery:
    return Delivery(**{c: r._mapping[c] for c in Delivery.__slots__})


class DeliveryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._pg = conn.dialect.name == "postgresql"

    # -- the outbox rows -------------------------------------------------------------------

    def claim_due(self, now: datetime, kinds: Iterable[OutboxKind], limit: int) -> list[OutboxItem]:
        q = (
            select(OB)
            .where(
                OB.c.state == OutboxState.PENDING.value,
                OB.c.kind.in_([k.value for k in kinds]),
                OB.c.due_at <= now,
                or_(OB.c.next_try_at.is_(None), OB.c.next_try_at <= now),
            )
            .order_by(OB.c.due_at, OB.c.id)
            .limit(limit)
        )
        if self._pg:
            q = q.with_for_update(skip_locked=True)
        return [outbox_rows.outbox_item(r) for r in self.conn.execute(q)]

    def mark_sending(
        self, item: OutboxItem, *, channel: str, recipient: str, engine: str, now: datetime
    ) -> int:
        """State `sending`, one more attempt, and the attempt's record; returns its id."""
        self.conn.execute(
            update(OB)
            .where(OB.c.id == item.id)
            .values(state=OutboxState.SENDING.value, attempts=OB.c.attempts + 1)
        )
        done = self.conn.execute(
            insert(DL)
            .values(
                outbox_id=item.id,
                channel=channel,
                recipient=recipient,
                engine=engine,
                status=CLAIMED,
                started_at=now,
                updated_at=now,
            )
            .returning(DL.c.id)
        )
        return int(done.scalar_one())

    def in_flight(self, delivery_id: int) -> None:
        """The next call hands this attempt to the vendor (committed before the call)."""
        self.conn.execute(update(DL).where(DL.c.id == delivery_id).values(status=SENDING))

    def defer(self, outbox_id: int, until: datetime, note: str | None = None) -> None:
        values: dict[str, Any] = {"state": OutboxState.PENDING.value, "next_try_at": until}
        if note is not None:
            values["last_error"] = note
        self.conn.execute(update(OB).where(OB.c.id == outbox_id).values(**values))

    def sent(self, outbox_id: int, delivery_id: int, vendor_id: str, now: datetime) -> None:
        self.conn.execute(
            update(OB)
            .where(OB.c.id == outbox_id)
            .values(state=OutboxState.SENT.value, sent_at=now, last_error=None)
        )
        self._attempt(delivery_id, SENT, now, vendor_id=vendor_id)

    def retry(
        self, outbox_id: int, delivery_id: int | None, until: datetime, error: str, now: datetime
    ) -> None:
        self.conn.execute(
            update(OB)
            .where(OB.c.id == outbox_id)
            .values(state=OutboxState.PENDING.value, next_try_at=until, last_error=error)
        )
        if delivery_id is not None:
            self._attempt(delivery_id, RETRY, now, error=error)

    def failed_attempt(self, delivery_id: int, error: str, now: datetime) -> None:
        """This channel failed for good; the row itself may still go by another channel."""
        self._attempt(delivery_id, FAILED, now, error=error)

    def fail(self, outbox_id: int, error: str) -> None:
        self.conn.execute(
            update(OB)
            .where(OB.c.id == outbox_id)
            .values(state=OutboxState.FAILED.value, last_error=error)
        )

    def supersede_row(self, outbox_id: int, why: str) -> None:
        self.conn.execute(
            update(OB)
            .where(OB.c.id == outbox_id)
            .values(state=OutboxState.SUPERSEDED.value, last_error=why)
        )

    def release(self, outbox_id: int, delivery_id: int) -> None:
        """Hand back a claimed row that was never tried (the engine is stopping)."""
        self.conn.execute(
            update(OB)
            .where(OB.c.id == outbox_id, OB.c.state == OutboxState.SENDING.value)
            .values(state=OutboxState.PENDING.value, attempts=OB.c.attempts - 1)
        )
        self.conn.execute(delete(DL).where(DL.c.id == delivery_id))

    def unknown(self, outbox_id: int, delivery_id: int, error: str, now: datetime) -> None:
        self.fail(outbox_id, error)
        self._attempt(delivery_id, UNKNOWN, now, error=error)

    def _attempt(self, delivery_id: int, status: str, now: datetime, **values: Any) -> None:
        self.conn.execute(
            update(DL).where(DL.c.id == delivery_id).values(status=status, updated_at=now, **values)
        )

    def item(self, outbox_id: int) -> OutboxItem:
        r = self.conn.execute(select(OB).where(OB.c.id == outbox_id)).one()
        return outbox_rows.outbox_item(r)

    # -- attempts --------------------------------------------------------------------------

    def interrupted(self, kinds: Iterable[OutboxKind]) -> list[tuple[OutboxItem, Delivery]]:
        """Rows in `sending` with their attempt (claimed or in flight), locked for this
        transaction."""
        q = (
            select(OB, *[DL.c[c].label(f"d_{c}") for c in Delivery.__slots__])
            .join(DL, and_(DL.c.outbox_id == OB.c.id, DL.c.status.in_([CLAIMED, SENDING])))
            .where(
                OB.c.state == OutboxState.SENDING.value,
                OB.c.kind.in_([k.value for k in kinds]),
            )
            .order_by(OB.c.id)
        )
        if self._pg:
            q = q.with_for_update(of=OB, skip_locked=True)
        found = []
        for r in self.conn.execute(q):
            m = r._mapping
            d = Delivery(**{c: m[f"d_{c}"] for c in Delivery.__slots__})
            found.append((outbox_rows.outbox_item(r), d))
        return found

    def orphaned_sending(self, kinds: Iterable[OutboxKind]) -> list[int]:
        """Rows in `sending` with no attempt in flight (a crash between two writes)."""
        live = select(DL.c.id).where(DL.c.outbox_id == OB.c.id, DL.c.status.in_([CLAIMED, SENDING]))
        q = select(OB.c.id).where(
            OB.c.state == OutboxState.SENDING.value,
            OB.c.kind.in_([k.value for k in kinds]),
            ~live.exists(),
        )
        return list(self.conn.scalars(q))

    def failed_channels(self, outbox_id: int) -> set[str]:
        q = select(DL.c.channel).where(DL.c.outbox_id == outbox_id, DL.c.status == FAILED)
        return set(self.conn.scalars(q))

    def for_outbox(self, outbox_id: int) -> list[Delivery]:
        q = select(DL).where(DL.c.outbox_id == outbox_id).order_by(DL.c.id)
        return [_delivery(r) for r in self.conn.execute(q)]

    def all(self) -> list[Delivery]:
        return [_delivery(r) for r in self.conn.execute(select(DL).order_by(DL.c.id))]

    def to_poll(
        self,
        channels: Iterable[str],
        checked_before: datetime,
        limit: int,
        sent_after: datetime | None = None,
    ) -> list[Delivery]:
        """Sent messages whose delivery status is not final and was last checked before
        `checked_before` (and sent after `sent_after`: carriers that never report are let go)."""
        q = (
            select(DL)
            .where(
                DL.c.started_at >= (sent_after or datetime(1970, 1, 1, tzinfo=UTC)),
                DL.c.channel.in_(list(channels)),
                DL.c.vendor_id.is_not(None),
                DL.c.status.not_in([CLAIMED, SENDING, RETRY, FAILED, UNKNOWN, *FINAL_STATUSES]),
                DL.c.updated_at <= checked_before,
            )
            .order_by(DL.c.updated_at)
            .limit(limit)
        )
        return [_delivery(r) for r in self.conn.execute(q)]

    def send_again(self, outbox_id: int) -> bool:
        """A failed row goes back to the queue, due now, with no channel ruled out."""
        done = self.conn.execute(
            update(OB)
            .where(OB.c.id == outbox_id, OB.c.state == OutboxState.FAILED.value)
            .values(state=OutboxState.PENDING.value, next_try_at=None, last_error=None)
        )
        if done.rowcount:
            self.conn.execute(
                update(DL)
                .where(DL.c.outbox_id == outbox_id, DL.c.status == FAILED)
                .values(status=FAILED_BEFORE)
            )
        return bool(done.rowcount)

    def set_status(self, delivery_id: int, status: str, now: datetime) -> None:
        self._attempt(delivery_id, status, now)

    def last_to(self, recipient: str, channels: Iterable[str]) -> OutboxItem | None:
        """The latest message sent to this address (to tie a reply to its appointment)."""
        q = (
            select(OB)
            .join(DL, DL.c.outbox_id == OB.c.id)
            .where(
                DL.c.recipient == recipient,
                DL.c.channel.in_(list(channels)),
                DL.c.vendor_id.is_not(None),
                OB.c.appointment_id.is_not(None),
            )
            .order_by(DL.c.started_at.desc(), DL.c.id.desc())
            .limit(1)
        )
        r = self.conn.execute(q).first()
        return None if r is None else outbox_rows.outbox_item(r)

    # -- queue figures for the health panel -------------------------------------------------

    def queue(self, kinds: Iterable[OutboxKind], now: datetime) -> tuple[int, datetime | None]:
        """Rows due and not yet sent (pending or sending), and the oldest due time among them."""
        q = select(func.count(), func.min(OB.c.due_at)).where(
            OB.c.state.in_([OutboxState.PENDING.value, OutboxState.SENDING.value]),
            OB.c.kind.in_([k.value for k in kinds]),
            OB.c.due_at <= now,
        )
        n, oldest = self.conn.execute(q).one()
        return int(n), _utc(oldest)

    def queue_by_channel(
        self, kinds: Iterable[OutboxKind], now: datetime
    ) -> dict[str, tuple[int, datetime | None]]:
        """Due messages not yet sent, by the channel they will most likely take: the
        patient's preferred one; a provider's notice goes by e-mail."""
        AP, PA = t.appointments, t.patients
        channel = case(
            (OB.c.target.like("provider:%"), literal("email")), else_=PA.c.preferred_channel
        ).label("channel")
        q = (
            select(channel, func.count(), func.min(OB.c.due_at))
            .select_from(OB)
            .join(AP, AP.c.id == OB.c.appointment_id)
            .join(PA, PA.c.id == AP.c.patient_id)
            .where(
                OB.c.state.in_([OutboxState.PENDING.value, OutboxState.SENDING.value]),
                OB.c.kind.in_([k.value for k in kinds]),
                OB.c.due_at <= now,
            )
            .group_by(channel)
        )
        return {str(c): (int(n), _utc(oldest)) for c, n, oldest in self.conn.execute(q)}

    # -- patient replies -------------------------------------------------------------------

    def record_inbound(self, values: dict[str, Any]) -> bool:
        """Remember a reply by its vendor id; False when another engine already took it."""
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(IN).values(**values))
        except IntegrityError:
            return False
        return True

    def inbound_seen(self, vendor_id: str) -> bool:
        return self.conn.scalar(select(IN.c.id).where(IN.c.vendor_id == vendor_id)) is not None

    def inbound(self) -> list[dict[str, Any]]:
        return [dict(r._mapping) for r in self.conn.execute(select(IN).order_by(IN.c.id))]


def _utc(value: Any) -> datetime | None:
    # an aggregate bypasses the column type: SQLite gives text, PostgreSQL an aware datetime
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
