"""Walk-ins: book the earliest slot today, or queue the patient and book them later."""

from __future__ import annotations

import builtins
from dataclasses import replace
from datetime import datetime
from types import TracebackType
from typing import Any, Protocol, cast

from medbookings_desktop.domain.errors import Refused
from medbookings_desktop.domain.walk_ins import WaitingLine, WalkIn, WalkInState
from medbookings_desktop.services import booking
from medbookings_desktop.services.booking import Outcome
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.ports import UnitOfWork


class WalkInRepo(Protocol):
    """What storage/repositories/walk_ins.py offers."""

    def add(self, entry: WalkIn) -> WalkIn: ...
    def get(self, walk_in_id: int, *, for_update: bool = ...) -> WalkIn: ...
    def waiting(self) -> builtins.list[WalkIn]: ...
    def close(
        self,
        walk_in_id: int,
        state: WalkInState,
        now: datetime,
        *,
        appointment_id: int | None = ...,
    ) -> bool: ...


def _repo(uow: UnitOfWork) -> WalkInRepo:
    return cast(WalkInRepo, cast(Any, uow).walk_ins)


class _Joined:
    """The caller's open unit of work lent to another use case: it commits with the caller."""

    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)

    def __enter__(self) -> _Joined:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    def commit(self) -> None:
        """The caller commits everything at once."""

    def rollback(self) -> None:
        """The caller's own exit rolls back."""


def _joined(ctx: Context, uow: UnitOfWork) -> Context:
    lent = cast(UnitOfWork, _Joined(uow))
    return replace(ctx, write=lambda: lent)


def book_now(
    ctx: Context,
    *,
    patient_id: int,
    service_id: int,
    provider_id: int | None = None,
    note: str = "",
) -> Outcome:
    """The earliest free slot from now, across providers (or with the one asked for)."""
    return booking.book_walk_in(
        ctx,
        patient_id=patient_id,
        service_id=service_id,
        provider_ids=[provider_id] if provider_id else None,
        notes=note,
    )


def add_to_queue(
    ctx: Context,
    *,
    patient_id: int,
    service_id: int | None = None,
    provider_id: int | None = None,
    location_id: int | None = None,
    note: str = "",
) -> WalkIn:
    now = ctx.now()
    with ctx.write() as uow:
        uow.patients.get(patient_id)  # raises NotFound
        if service_id is not None:
            uow.services.get(service_id)
        if provider_id is not None:
            uow.providers.get(provider_id)
        if location_id is not None:
            uow.locations.get(location_id)
        entry = _repo(uow).add(
            WalkIn(
                patient_id=patient_id,
                arrived_at=now,
                service_id=service_id,
                provider_id=provider_id,
                location_id=location_id,
                note=note.strip(),
            )
        )
        ctx.audit(
            uow,
            "walk_in:queue",
            "walk_in",
            entry.id,
            None,
            {"patient_id": patient_id, "service_id": service_id, "provider_id": provider_id},
        )
        uow.commit()
    return entry


def waiting(ctx: Context) -> list[WaitingLine]:
    """Who is waiting, in order of arrival, with the names the desk reads."""
    with ctx.read() as uow:
        entries = _repo(uow).waiting()
        people = uow.patients.get_many({e.patient_id for e in entries})
        services = {s.id: s.name for s in uow.services.list()}
        providers = {p.id: p.display_name for p in uow.providers.list()}
    return [
        WaitingLine(
            entry=e,
            patient_name=people[e.patient_id].full_name if e.patient_id in people else "",
            service_name=services.get(e.service_id, "") if e.service_id else "",
            provider_name=providers.get(e.provider_id, "") if e.provider_id else "",
        )
        for e in entries
    ]


def take_from_queue(ctx: Context, walk_in_id: int, *, service_id: int | None = None) -> Outcome:
    """Book the earliest slot for a waiting entry and mark it booked, in one transaction."""
    now = ctx.now()
    with ctx.write() as uow:
        repo = _repo(uow)
        entry = repo.get(walk_in_id, for_update=True)
        if entry.state is not WalkInState.WAITING:
            raise Refused(f"Walk-in #{walk_in_id} is no longer waiting ({entry.state.value}).")
        service = service_id or entry.service_id
        if service is None:
            raise Refused("Choose a service for this walk-in first.")
        outcome = booking.book_walk_in(
            _joined(ctx, uow),
            patient_id=entry.patient_id,
            service_id=service,
            provider_ids=[entry.provider_id] if entry.provider_id else None,
            notes=entry.note,
        )
        if not repo.close(
            walk_in_id, WalkInState.BOOKED, now, appointment_id=outcome.appointment.id
        ):
            raise Refused(f"Walk-in #{walk_in_id} was closed by another desk meanwhile.")
        ctx.audit(
            uow,
            "walk_in:booked",
            "walk_in",
            walk_in_id,
            {"state": WalkInState.WAITING.value},
            {"state": WalkInState.BOOKED.value, "appointment_id": outcome.appointment.id},
        )
        uow.commit()
    return outcome


def patient_left(ctx: Context, walk_in_id: int) -> WalkIn:
    now = ctx.now()
    with ctx.write() as uow:
        repo = _repo(uow)
        entry = repo.get(walk_in_id, for_update=True)
        if not repo.close(walk_in_id, WalkInState.LEFT, now):
            raise Refused(f"Walk-in #{walk_in_id} is no longer waiting ({entry.state.value}).")
        ctx.audit(
            uow,
            "walk_in:left",
            "walk_in",
            walk_in_id,
            {"state": WalkInState.WAITING.value},
            {"state": WalkInState.LEFT.value},
        )
        uow.commit()
        return repo.get(walk_in_id)
