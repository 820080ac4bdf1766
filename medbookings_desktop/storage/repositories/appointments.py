"""Appointments, their status history, and the overlap guard's errors made readable."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    bindparam,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from medbookings_desktop.domain.appointments import (
    ACTIVE_STATUSES,
    Appointment,
    StatusChange,
)
from medbookings_desktop.domain.errors import NotFound, SlotTaken, StaleRecord
from medbookings_desktop.services.ports import DaySpan
from medbookings_desktop.storage import rows
from medbookings_desktop.storage import tables as t

A = t.appointments
S = t.services
_ACTIVE = [s.value for s in ACTIVE_STATUSES]
# what rows.appointment reads (not the bookkeeping times)
_APPOINTMENT_COLUMNS = [c for c in A.c if c.name not in ("created_at", "updated_at")]
# the same, in the order rows.stored_appointment takes them
_DAY_COLUMNS = [A.c[name] for name in rows.STORED_APPOINTMENT_COLUMNS]

# built once: a slot search runs it for every window
_OCCUPIED = (
    select(
        A.c.id,
        A.c.provider_id,
        A.c.room_id,
        A.c.start_at,
        A.c.end_at,
        S.c.buffer_before,
        S.c.buffer_after,
    )
    .join(S, S.c.id == A.c.service_id)
    .where(
        A.c.provider_id.in_(bindparam("pids", expanding=True)),
        A.c.status.in_(_ACTIVE),
        A.c.start_at < bindparam("before_end"),
        A.c.start_at >= bindparam("from_start"),
        A.c.end_at > bindparam("after_start"),
    )
)


@lru_cache(maxsize=64)
def _day_statement(
    shape: tuple[tuple[int, bool, bool], ...], by_provider: bool, include_inactive: bool
) -> Select[Any]:
    """The day list's query for spans of this shape (built once: a day view asks often)."""
    P = t.patients
    which = []
    for n, has_locations, has_online in shape:
        where: list[ColumnElement[bool]] = []
        if has_locations:
            where.append(A.c.location_id.in_(bindparam(f"locs{n}", expanding=True)))
        if has_online:
            where.append(
                A.c.location_id.is_(None)
                & A.c.provider_id.in_(bindparam(f"online{n}", expanding=True))
            )
        which.append(
            and_(
                A.c.start_at >= bindparam(f"start{n}"),
                A.c.start_at < bindparam(f"end{n}"),
                or_(*where),
            )
        )
    q = (
        select(*_DAY_COLUMNS, P.c.first_name, P.c.last_name)
        .join(P, P.c.id == A.c.patient_id)
        .where(
            # the whole range first, so the start_at index bounds the scan
            A.c.start_at >= bindparam("lo"),
            A.c.start_at < bindparam("hi"),
            or_(*which),
        )
        .order_by(A.c.start_at, A.c.provider_id)
    )
    if by_provider:
        q = q.where(A.c.provider_id.in_(bindparam("pids", expanding=True)))
    if not include_inactive:
        q = q.where(A.c.status.in_(_ACTIVE))
    return q


class Occupied(NamedTuple):
    """An active appointment's time as the slot engine needs it, buffers included."""

    id: int
    provider_id: int
    room_id: int | None
    start: datetime
    end: datetime
    buffer_before: timedelta
    buffer_after: timedelta


def _is_overlap(exc: IntegrityError) -> bool:
    orig: Any = exc.orig
    if getattr(orig, "sqlstate", None) == "23P01":  # exclusion_violation
        return True
    return "appointment overlap" in str(orig)


class AppointmentRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._buffers: tuple[timedelta, timedelta] | None = None

    def get(self, appointment_id: int) -> Appointment:
        r = self.conn.execute(select(A).where(A.c.id == appointment_id)).first()
        if r is None:
            raise NotFound(f"No appointment #{appointment_id}.")
        return rows.appointment(r)

    def add(self, appt: Appointment, now: datetime) -> Appointment:
        values = {**rows.appointment_values(appt), "created_at": now, "updated_at": now}
        try:
            with self.conn.begin_nested():
                new_id = self.conn.execute(insert(A).values(**values)).inserted_primary_key[0]  # type: ignore[index]
        except IntegrityError as exc:
            self._raise_clash(exc, appt)
        return replace(appt, id=new_id)

    def update(self, appt: Appointment, now: datetime) -> Appointment:
        """Write a changed appointment; refuse if another desk changed it since it was read."""
        values = {**rows.appointment_values(appt), "updated_at": now}
        try:
            with self.conn.begin_nested():
                done = self.conn.execute(
                    update(A)
                    .where(A.c.id == appt.id, A.c.revision == appt.revision - 1)
                    .values(**values)
                )
        except IntegrityError as exc:
            self._raise_clash(exc, appt)
        if done.rowcount == 0:
            raise StaleRecord(
                f"Appointment #{appt.id} was changed at another desk meanwhile; "
                "look again and retry."
            )
        return appt

    def _raise_clash(self, exc: IntegrityError, appt: Appointment) -> None:
        if not _is_overlap(exc):
            raise exc
        clash = self.clashes(appt)
        if clash:
            raise SlotTaken(
                f"That time is taken by {clash[0].label} meanwhile.", clash[0].id
            ) from None
        raise SlotTaken("That time was taken at another desk meanwhile.") from None

    def clashes(self, appt: Appointment) -> list[Appointment]:
        """Active appointments overlapping this one for its provider or room (not itself)."""
        who = A.c.provider_id == appt.provider_id
        if appt.room_id is not None:
            who = who | (A.c.room_id == appt.room_id)
        q = (
            select(A)
            .where(
                who,
                A.c.status.in_(_ACTIVE),
                A.c.start_at < appt.end,
                A.c.end_at > appt.start,
            )
            .order_by(A.c.start_at)
        )
        if appt.id is not None:
            q = q.where(A.c.id != appt.id)
        return [rows.appointment(r) for r in self.conn.execute(q)]

    def occupied(
        self, provider_ids: Iterable[int], start: datetime, end: datetime
    ) -> list[Occupied]:
        """Active appointments whose time, widened by their service's buffers, meets [start, end).

        Only those: a slot search reads this for every provider and window, and each row
        costs more to turn into Python than to find, so the bounds use the longest buffers
        the clinic's services have rather than a wide fixed margin.
        """
        longest = timedelta(hours=12)  # no appointment is longer (services last at most that)
        before, after = self._longest_buffers()
        found = self.conn.execute(
            _OCCUPIED,
            {
                "pids": list(provider_ids),
                "before_end": end + before,
                "from_start": start - longest - after,
                "after_start": start - after,
            },
        )
        return [Occupied(*r) for r in found.all()]

    def _longest_buffers(self) -> tuple[timedelta, timedelta]:
        """The services' longest buffers, read once per unit of work (a search asks often)."""
        if self._buffers is None:
            before, after = self.conn.execute(
                select(func.max(S.c.buffer_before), func.max(S.c.buffer_after))
            ).one()
            self._buffers = (before or timedelta(0), after or timedelta(0))
        return self._buffers

    def between(
        self,
        start: datetime,
        end: datetime,
        *,
        provider_ids: Iterable[int] | None = None,
        include_inactive: bool = True,
    ) -> list[Appointment]:
        q = (
            select(A)
            .where(
                A.c.start_at < end, A.c.start_at >= start - timedelta(hours=12), A.c.end_at > start
            )
            .order_by(A.c.start_at, A.c.provider_id)
        )
        if provider_ids is not None:
            q = q.where(A.c.provider_id.in_(list(provider_ids)))
        if not include_inactive:
            q = q.where(A.c.status.in_(_ACTIVE))
        return [rows.appointment(r) for r in self.conn.execute(q)]

    def starting_between(
        self,
        start: datetime,
        end: datetime,
        *,
        provider_ids: Iterable[int] | None = None,
        include_inactive: bool = True,
    ) -> list[tuple[Appointment, str]]:
        """Appointments starting in [start, end), each with its patient's name: one query.

        For day lists, which show an appointment on the day it starts: no look-back for
        ones already running, and only the columns an Appointment needs.
        """
        P = t.patients
        q = (
            select(*_APPOINTMENT_COLUMNS, P.c.first_name, P.c.last_name)
            .join(P, P.c.id == A.c.patient_id)
            .where(A.c.start_at >= start, A.c.start_at < end)
            .order_by(A.c.start_at, A.c.provider_id)
        )
        if provider_ids is not None:
            q = q.where(A.c.provider_id.in_(list(provider_ids)))
        if not include_inactive:
            q = q.where(A.c.status.in_(_ACTIVE))
        # the name as Patient.full_name spells it
        return [
            (rows.appointment(r), f"{r.first_name} {r.last_name}".strip())
            for r in self.conn.execute(q)
        ]

    def starting_in(
        self,
        spans: Sequence[DaySpan],
        *,
        provider_ids: Iterable[int] | None = None,
        include_inactive: bool = True,
    ) -> list[tuple[Appointment, str]]:
        """Appointments starting within one of the spans, each with its patient's name.

        A day list covering several zones asks for each zone's own local day, so only the
        rows it shows are read (the union of the days spans some 40 hours).
        """
        params: dict[str, Any] = {}
        shape = []
        for n, span in enumerate(spans):
            locs, online = sorted(span.location_ids), sorted(span.online_provider_ids)
            if locs or online:
                shape.append((n, bool(locs), bool(online)))
                params |= {f"start{n}": span.start, f"end{n}": span.end}
                params |= {f"locs{n}": locs, f"online{n}": online}
        if not shape:
            return []
        params["lo"] = min(span.start for span in spans)
        params["hi"] = max(span.end for span in spans)
        if provider_ids is not None:
            params["pids"] = list(provider_ids)
        q = _day_statement(tuple(shape), provider_ids is not None, include_inactive)
        # the name as Patient.full_name spells it
        return [
            (rows.stored_appointment(r[:-2]), f"{r[-2]} {r[-1]}".strip())
            for r in self.conn.execute(q, params).all()
        ]

    def for_patient(self, patient_id: int) -> list[Appointment]:
        q = select(A).where(A.c.patient_id == patient_id).order_by(A.c.start_at)
        return [rows.appointment(r) for r in self.conn.execute(q)]

    def record_change(self, change: StatusChange) -> int:
        return int(
            self.conn.execute(
                insert(t.status_changes).values(
                    appointment_id=change.appointment_id,
                    from_status=change.from_status.value,
                    to_status=change.to_status.value,
                    at=change.at,
                    by_user_id=change.by_user_id,
                    reason=change.reason,
                    undone=False,
                )
            ).inserted_primary_key[0]
        )  # type: ignore[index]

    def last_change(
        self, *, appointment_id: int | None = None, by_user_id: int | None = None
    ) -> StatusChange | None:
        C = t.status_changes
        q = select(C).where(C.c.undone.is_(False)).order_by(C.c.id.desc()).limit(1)
        if appointment_id is not None:
            q = q.where(C.c.appointment_id == appointment_id)
        if by_user_id is not None:
            q = q.where(C.c.by_user_id == by_user_id)
        r = self.conn.execute(q).first()
        return None if r is None else rows.status_change(r)

    def mark_undone(self, change_id: int) -> None:
        C = t.status_changes
        self.conn.execute(update(C).where(C.c.id == change_id).values(undone=True))
