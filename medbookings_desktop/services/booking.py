"""Book, move, cancel, and walk appointments through their day; undo a status change or a move."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from medbookings_desktop.domain import messages
from medbookings_desktop.domain.appointments import (
    ACTIVE_STATUSES,
    UPCOMING_STATUSES,
    Appointment,
    Source,
    Status,
    StatusChange,
)
from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import InvalidInput, InvalidTransition, Refused
from medbookings_desktop.domain.messages import OutboxItem, OutboxKind, OutboxState
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.ports import UnitOfWork
from medbookings_desktop.services.slots import check_bookable, location_for, providers_for, search
from medbookings_desktop.services.snapshots import diff, snapshot


@dataclass(frozen=True)
class Outcome:
    """What a use case changed: the appointment as it now is and what was queued."""

    appointment: Appointment
    queued: tuple[OutboxKind, ...] = field(default_factory=tuple)
    superseded: int = 0
    # a move's appointment as it was before, so the desk can offer to undo the move
    previous: Appointment | None = None


def _queue(uow: UnitOfWork, items: list[OutboxItem], now: datetime) -> tuple[OutboxKind, ...]:
    uow.outbox.add_many(items, now)
    return tuple(i.kind for i in items)


def book(
    ctx: Context,
    *,
    patient_id: int,
    provider_id: int,
    service_id: int,
    start: datetime,
    location_id: int | None = None,
    online: bool | None = None,
    source: Source = Source.PHONE,
    notes: str = "",
    room_id: int | None = None,
) -> Outcome:
    """Book one appointment: the checks, the row, its audit entry and its outbox rows."""
    if start.tzinfo is None:
        raise InvalidInput(
            "Give the start with its UTC offset, e.g. 2026-03-08T09:00-05:00.", "start"
        )
    start = start.astimezone(UTC)  # so start + duration is elapsed time across a DST change
    now = ctx.now()
    with ctx.write() as uow:
        settings = uow.settings.clinic()
        uow.patients.get(patient_id)
        provider = uow.providers.get(provider_id)
        service = uow.services.get(service_id)
        if not provider.offers(service_id):
            raise Refused(f"{provider.display_name} does not offer {service.name}.")
        is_online = service.online if online is None else online
        end = start + service.duration
        if not is_online:
            if location_id is None:
                location_id = location_for(uow, provider, start, end, settings)
            elif location_id not in provider.location_ids:
                loc = uow.locations.get(location_id)
                raise Refused(f"{provider.display_name} does not work at {loc.name}.")
        appt = Appointment(
            patient_id=patient_id,
            provider_id=provider_id,
            service_id=service_id,
            start=start,
            end=end,
            location_id=None if is_online else location_id,
            online=is_online,
            room_id=room_id,
            source=source,
            notes=notes,
        )
        check_bookable(
            uow, settings, appt, service, provider, now=now, walk_in=source is Source.WALK_IN
        )
        appt = uow.appointments.add(appt, now)
        ctx.audit(uow, "book", "appointment", appt.id, None, snapshot(appt))
        queued = _queue(uow, messages.plan_booked(appt, settings, now), now)
        uow.commit()
    return Outcome(appt, queued)


def book_walk_in(
    ctx: Context,
    *,
    patient_id: int,
    service_id: int,
    provider_ids: list[int] | None = None,
    notes: str = "",
) -> Outcome:
    """The earliest free slot from now until the end of today, across providers."""
    now = ctx.now()
    with ctx.read() as uow:
        settings = uow.settings.clinic()
        service = uow.services.get(service_id)
        providers = providers_for(uow, service, provider_ids)
        until = now + timedelta(hours=24)
        walk_in_settings = replace(settings, minimum_notice=timedelta(0))
        slots = search(
            uow, walk_in_settings, service, providers, now=now, start_from=now, until=until, limit=1
        )
    if not slots:
        raise Refused(f"No free time for {service.name} in the next 24 hours.")
    slot = slots[0]
    return book(
        ctx,
        patient_id=patient_id,
        provider_id=slot.provider_id,
        service_id=service_id,
        start=slot.start,
        location_id=slot.location_id,
        source=Source.WALK_IN,
        notes=notes,
    )


def reschedule(
    ctx: Context,
    appointment_id: int,
    *,
    start: datetime,
    provider_id: int | None = None,
    location_id: int | None = None,
) -> Outcome:
    if start.tzinfo is None:
        raise InvalidInput("Give the start with its UTC offset.", "start")
    start = start.astimezone(UTC)  # so start + duration is elapsed time across a DST change
    now = ctx.now()
    with ctx.write() as uow:
        settings = uow.settings.clinic()
        old = uow.appointments.get(appointment_id)
        service = uow.services.get(old.service_id)
        provider = uow.providers.get(provider_id or old.provider_id)
        if not provider.offers(service.id or -1):
            raise Refused(f"{provider.display_name} does not offer {service.name}.")
        end = start + service.duration
        new_location = None
        if not old.online:
            if location_id is not None and location_id not in provider.location_ids:
                raise Refused(f"{provider.display_name} does not work at location #{location_id}.")
            new_location = location_id or location_for(uow, provider, start, end, settings)
        new = old.moved(start, end, provider_id=provider.id, location_id=new_location)
        check_bookable(uow, settings, new, service, provider, now=now)
        uow.appointments.update(new, now)
        before, after = diff(snapshot(old), snapshot(new))
        ctx.audit(uow, "reschedule", "appointment", new.id, before, after)
        superseded = uow.outbox.supersede(appointment_id, messages.OUTDATED_BY_MOVE)
        queued = _queue(uow, messages.plan_moved(old, new, settings, now), now)
        uow.commit()
    return Outcome(new, queued, superseded, previous=old)


_TOLD = (OutboxState.SENDING, OutboxState.SENT)


def _confirmation(appt: Appointment, settings: ClinicSettings, now: datetime) -> list[OutboxItem]:
    return [
        r for r in messages.plan_booked(appt, settings, now) if r.kind is OutboxKind.CONFIRMATION
    ]


def undo_reschedule(ctx: Context, move: Outcome) -> Outcome:
    """Put a moved appointment back where it was, if nothing changed it since the move.

    The patient hears of the way back only if they heard of the move; if they never heard of
    the original time either (the move came before the confirmation went out), they get a
    confirmation for it.
    """
    if move.previous is None or move.appointment.id is None:
        raise InvalidInput("That change was not a move.", "appointment")
    moved, before = move.appointment, move.previous
    now = ctx.now()
    with ctx.write() as uow:
        settings = uow.settings.clinic()
        current = uow.appointments.get(moved.id or -1)
        # "still where the move put it", not "untouched": an undone check-in since is fine
        where = (current.start, current.end, current.provider_id, current.location_id)
        if where != (moved.start, moved.end, moved.provider_id, moved.location_id):
            raise InvalidTransition(
                f"Appointment #{current.id} changed again since it was moved; "
                "the move cannot be undone."
            )
        back = current.moved(
            before.start,
            before.end,
            provider_id=before.provider_id,
            location_id=before.location_id,
        )
        service = uow.services.get(back.service_id)
        provider = uow.providers.get(back.provider_id)
        # the old slot may have been given away since; notice and horizon do not apply to it
        check_bookable(uow, settings, back, service, provider, now=now, reinstating=True)
        uow.appointments.update(back, now)
        before_audit, after_audit = diff(snapshot(current), snapshot(back))
        ctx.audit(uow, "undo:reschedule", "appointment", back.id, before_audit, after_audit)
        told = [i for i in uow.outbox.for_appointment(back.id or -1) if i.state in _TOLD]
        # the move's notice carries the revision the move gave the appointment in its key
        move_key = f"{OutboxKind.CHANGE_NOTICE.value}:{back.id}:r{moved.revision}"
        told_of_move = any(i.idempotency_key == move_key for i in told)
        told_at_all = any(
            i.kind in (OutboxKind.CONFIRMATION, OutboxKind.CHANGE_NOTICE) for i in told
        )
        superseded = uow.outbox.supersede(back.id or -1, messages.OUTDATED_BY_MOVE)
        rows = messages.plan_moved(current, back, settings, now)
        if not told_of_move:
            rows = [r for r in rows if r.kind is not OutboxKind.CHANGE_NOTICE]
            if not told_at_all:
                rows[:0] = _confirmation(back, settings, now)
        queued = _queue(uow, rows, now)
        uow.commit()
    return Outcome(back, queued, superseded, previous=current)


def _change_status(
    ctx: Context, appointment_id: int, status: Status, *, reason: str | None = None
) -> Outcome:
    now = ctx.now()
    with ctx.write() as uow:
        old = uow.appointments.get(appointment_id)
        new = old.with_status(status, by=ctx.actor_name, reason=reason)
        uow.appointments.update(new, now)
        uow.appointments.record_change(
            StatusChange(
                appointment_id=appointment_id,
                from_status=old.status,
                to_status=status,
                at=now,
                by_user_id=ctx.actor_id,
                reason=reason,
            )
        )
        before, after = diff(snapshot(old), snapshot(new))
        ctx.audit(uow, f"status:{status.value}", "appointment", appointment_id, before, after)
        superseded = 0
        queued: tuple[OutboxKind, ...] = ()
        if status is Status.CANCELLED:
            superseded = uow.outbox.supersede(appointment_id, messages.OUTDATED_BY_CANCEL)
            queued = _queue(uow, messages.plan_cancelled(new, now), now)
        elif status in (Status.ARRIVED, Status.NO_SHOW):
            superseded = uow.outbox.supersede(appointment_id, messages.OUTDATED_BY_ARRIVAL)
        uow.commit()
    return Outcome(new, queued, superseded)


def confirm(ctx: Context, appointment_id: int) -> Outcome:
    return _change_status(ctx, appointment_id, Status.CONFIRMED)


def check_in(ctx: Context, appointment_id: int) -> Outcome:
    return _change_status(ctx, appointment_id, Status.ARRIVED)


def start(ctx: Context, appointment_id: int) -> Outcome:
    return _change_status(ctx, appointment_id, Status.IN_PROGRESS)


def complete(ctx: Context, appointment_id: int) -> Outcome:
    return _change_status(ctx, appointment_id, Status.COMPLETED)


def no_show(ctx: Context, appointment_id: int) -> Outcome:
    return _change_status(ctx, appointment_id, Status.NO_SHOW)


def cancel(ctx: Context, appointment_id: int, *, reason: str) -> Outcome:
    if not reason or not reason.strip():
        raise InvalidInput("Say why the appointment is cancelled.", "reason")
    return _change_status(ctx, appointment_id, Status.CANCELLED, reason=reason.strip())


def undo_status_change(ctx: Context, appointment_id: int | None = None) -> Outcome:
    """Undo the last status change of this appointment (or the last one this user made)."""
    now = ctx.now()
    with ctx.write() as uow:
        settings = uow.settings.clinic()
        if appointment_id is None:
            change = uow.appointments.last_change(by_user_id=ctx.actor_id)
        else:
            change = uow.appointments.last_change(appointment_id=appointment_id)
        if change is None or change.id is None:
            raise Refused("There is no status change to undo.")
        old = uow.appointments.get(change.appointment_id)
        if old.status is not change.to_status:
            raise InvalidTransition(
                f"Appointment #{old.id} changed again since; the last change cannot be undone."
            )
        new = old.restored_to(change.from_status)
        if new.status in ACTIVE_STATUSES and old.status not in ACTIVE_STATUSES:
            service = uow.services.get(new.service_id)
            provider = uow.providers.get(new.provider_id)
            # the slot may have been given away since: re-check as for a booking
            check_bookable(uow, settings, new, service, provider, now=now, reinstating=True)
        uow.appointments.update(new, now)
        uow.appointments.mark_undone(change.id)
        before, after = diff(snapshot(old), snapshot(new))
        ctx.audit(uow, f"undo:{change.to_status.value}", "appointment", new.id, before, after)
        superseded = 0
        queued: tuple[OutboxKind, ...] = ()
        if change.to_status is Status.CANCELLED:
            told = uow.outbox.any_in_states(
                new.id or -1,
                [OutboxKind.CANCELLATION_NOTICE],
                [OutboxState.SENDING, OutboxState.SENT],
            )
            # a cancel supersedes an unsent confirmation: then the patient hears of no time yet
            heard = uow.outbox.any_in_states(
                new.id or -1, [OutboxKind.CONFIRMATION, OutboxKind.CHANGE_NOTICE], _TOLD
            )
            superseded = uow.outbox.supersede(new.id or -1, messages.OUTDATED_BY_REINSTATE)
            rows = messages.plan_reinstated(new, settings, now, patient_was_told=told)
            if not told and not heard:
                rows[:0] = _confirmation(new, settings, now)
            queued = _queue(uow, rows, now)
        elif new.status in UPCOMING_STATUSES:
            queued = _queue(uow, messages.reminders(new, settings, now), now)
        uow.commit()
    return Outcome(new, queued, superseded)
