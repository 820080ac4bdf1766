"""What a change to an appointment must cause outside the clinic: the outbox plan.

Services write these rows in the same transaction as the change (DESIGN invariant 3); the
background engine sends them later. Rows carry ids and times, never patient details: the
engine renders messages from the records at send time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.clinic import ClinicSettings


class OutboxKind(StrEnum):
    CONFIRMATION = "confirmation"
    CHANGE_NOTICE = "change_notice"
    CANCELLATION_NOTICE = "cancellation_notice"
    REMINDER = "reminder"
    PROVIDER_NOTICE = "provider_notice"
    CALENDAR_UPSERT = "calendar_upsert"
    CALENDAR_DELETE = "calendar_delete"


class OutboxState(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
    SUPERSEDED = "superseded"


@dataclass(frozen=True, slots=True)
class OutboxItem:
    kind: OutboxKind
    target: str
    due_at: datetime
    idempotency_key: str
    appointment_id: int | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    state: OutboxState = OutboxState.PENDING
    attempts: int = 0
    next_try_at: datetime | None = None
    last_error: str | None = None
    id: int | None = None


# Pending rows that a later change makes wrong, by the change that outdates them.
PATIENT_NOTICES = frozenset(
    {OutboxKind.CONFIRMATION, OutboxKind.CHANGE_NOTICE, OutboxKind.REMINDER}
)
OUTDATED_BY_MOVE = PATIENT_NOTICES | {OutboxKind.CALENDAR_UPSERT, OutboxKind.PROVIDER_NOTICE}
OUTDATED_BY_CANCEL = OUTDATED_BY_MOVE
OUTDATED_BY_ARRIVAL = frozenset({OutboxKind.REMINDER})
OUTDATED_BY_REINSTATE = frozenset({OutboxKind.CANCELLATION_NOTICE, OutboxKind.CALENDAR_DELETE})


def _key(kind: OutboxKind, appt: Appointment, suffix: str = "") -> str:
    return f"{kind.value}:{appt.id}:r{appt.revision}{suffix}"


def _times(appt: Appointment) -> dict[str, Any]:
    return {"start": appt.start.isoformat(), "end": appt.end.isoformat()}


def _row(
    kind: OutboxKind,
    target: str,
    appt: Appointment,
    due: datetime,
    payload: dict[str, Any] | None = None,
    suffix: str = "",
) -> OutboxItem:
    return OutboxItem(
        kind=kind,
        target=target,
        due_at=due,
        idempotency_key=_key(kind, appt, suffix),
        appointment_id=appt.id,
        payload={**_times(appt), **(payload or {})},
    )


def patient_target(appt: Appointment) -> str:
    return f"patient:{appt.patient_id}"


DAY = timedelta(days=1)


def at_wall_time(wall: datetime, zone: str) -> datetime:
    """The instant (UTC) a clock in `zone` shows the naive wall time `wall`.

    A wall time that never happens (the hour a spring-forward change skips) is read with the
    offset in force before the change, so it lands as far after the change as it was after
    its start: 01:30 on London's spring-forward day is 02:30 BST. A wall time that happens
    twice (the hour a fall-back change repeats) is its first occurrence, the earlier instant:
    01:30 on London's fall-back day is 01:30 BST. (PEP 495's fold=0 in both cases.)
    """
    return wall.replace(tzinfo=ZoneInfo(zone), fold=0).astimezone(UTC)


def reminder_due(start: datetime, offset: timedelta, zone: str) -> datetime:
    """When a reminder `offset` before a visit at `start` goes out, in UTC.

    Whole days (24 h, 48 h, ...) are calendar days in the clinic's zone: the reminder keeps the
    visit's wall-clock time, so "24 h before" a 10:00 Monday visit is 10:00 on Sunday even when
    the clocks change in between (then it is 23 or 25 hours of elapsed time). Any other offset
    (2 h, 90 min, 36 h) is elapsed time. A wall time the change skips or repeats resolves as
    `at_wall_time` says.
    """
    if offset % DAY:
        return (start - offset).astimezone(UTC)
    local = start.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return at_wall_time(local - offset, zone)


def reminders(appt: Appointment, settings: ClinicSettings, now: datetime) -> list[OutboxItem]:
    """A row per reminder offset still ahead; a 24 h reminder for a visit in 3 h is moot.
    Day-sized offsets keep the visit's wall-clock time in the clinic's zone (`reminder_due`)."""
    rows = []
    for offset in settings.reminder_offsets:
        due = reminder_due(appt.start, offset, settings.zone)
        if due > now:
            minutes = int(offset / timedelta(minutes=1))
            rows.append(
                _row(
                    OutboxKind.REMINDER,
                    patient_target(appt),
                    appt,
                    due,
                    {"offset_minutes": minutes},
                    suffix=f":{minutes}m",
                )
            )
    return rows


def plan_booked(appt: Appointment, settings: ClinicSettings, now: datetime) -> list[OutboxItem]:
    return [
        _row(OutboxKind.CONFIRMATION, patient_target(appt), appt, now),
        _row(OutboxKind.PROVIDER_NOTICE, f"provider:{appt.provider_id}", appt, now),
        _row(OutboxKind.CALENDAR_UPSERT, f"calendar:{appt.provider_id}", appt, now),
        *reminders(appt, settings, now),
    ]


def plan_moved(
    old: Appointment, new: Appointment, settings: ClinicSettings, now: datetime
) -> list[OutboxItem]:
    rows = [
        _row(
            OutboxKind.CHANGE_NOTICE,
            patient_target(new),
            new,
            now,
            {
                "previous_start": old.start.isoformat(),
                "previous_end": old.end.isoformat(),
                "previous_provider_id": old.provider_id,
            },
        ),
        _row(OutboxKind.CALENDAR_UPSERT, f"calendar:{new.provider_id}", new, now),
        *reminders(new, settings, now),
    ]
    if old.provider_id != new.provider_id:
        # the event leaves the old provider's calendar and a notice tells the new provider
        rows.append(_row(OutboxKind.CALENDAR_DELETE, f"calendar:{old.provider_id}", new, now))
        rows.append(_row(OutboxKind.PROVIDER_NOTICE, f"provider:{new.provider_id}", new, now))
    return rows


def plan_cancelled(appt: Appointment, now: datetime) -> list[OutboxItem]:
    return [
        _row(
            OutboxKind.CANCELLATION_NOTICE,
            patient_target(appt),
            appt,
            now,
            {"reason": appt.cancel_reason or ""},
        ),
        _row(OutboxKind.CALENDAR_DELETE, f"calendar:{appt.provider_id}", appt, now),
    ]


def plan_reinstated(
    appt: Appointment, settings: ClinicSettings, now: datetime, *, patient_was_told: bool
) -> list[OutboxItem]:
    """Undo of a cancellation: put the event back; tell the patient only if they heard."""
    rows = [
        _row(OutboxKind.CALENDAR_UPSERT, f"calendar:{appt.provider_id}", appt, now),
        *reminders(appt, settings, now),
    ]
    if patient_was_told:
        rows.insert(
            0, _row(OutboxKind.CHANGE_NOTICE, patient_target(appt), appt, now, {"reinstated": True})
        )
    return rows
