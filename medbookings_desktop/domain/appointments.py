"""Appointments and their status state machine."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from medbookings_desktop.domain.errors import InvalidInput, InvalidTransition
from medbookings_desktop.domain.intervals import Interval


class Status(StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    ARRIVED = "arrived"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


# Statuses that hold the provider's time; the database enforces no overlap among these.
ACTIVE_STATUSES: frozenset[Status] = frozenset(
    {Status.BOOKED, Status.CONFIRMED, Status.ARRIVED, Status.IN_PROGRESS, Status.COMPLETED}
)

# Statuses whose appointment has not happened yet, so it can still be moved or messaged.
UPCOMING_STATUSES: frozenset[Status] = frozenset({Status.BOOKED, Status.CONFIRMED})

TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.BOOKED: frozenset({Status.CONFIRMED, Status.ARRIVED, Status.CANCELLED, Status.NO_SHOW}),
    Status.CONFIRMED: frozenset({Status.ARRIVED, Status.CANCELLED, Status.NO_SHOW}),
    Status.ARRIVED: frozenset({Status.IN_PROGRESS, Status.COMPLETED, Status.NO_SHOW}),
    Status.IN_PROGRESS: frozenset({Status.COMPLETED}),
    Status.COMPLETED: frozenset(),
    Status.CANCELLED: frozenset(),
    Status.NO_SHOW: frozenset(),
}


class Source(StrEnum):
    PHONE = "phone"
    WALK_IN = "walk_in"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class Appointment:
    """A booking of one patient with one provider for one service, from start to end (aware)."""

    patient_id: int
    provider_id: int
    service_id: int
    start: datetime
    end: datetime
    location_id: int | None = None
    online: bool = False
    room_id: int | None = None
    source: Source = Source.PHONE
    status: Status = Status.BOOKED
    notes: str = ""
    cancelled_by: str | None = None
    cancel_reason: str | None = None
    meet_url: str | None = None
    revision: int = 1
    id: int | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidInput("Appointment times need a zone.", "start")
        if self.end <= self.start:
            raise InvalidInput("An appointment must end after it starts.", "start")
        if not self.online and self.location_id is None:
            raise InvalidInput("An in-person appointment needs a location.", "location")

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def label(self) -> str:
        """How a refusal names this appointment without patient data."""
        return f"appointment #{self.id} ({self.start:%Y-%m-%d %H:%M} UTC)"

    def with_status(
        self, status: Status, *, by: str | None = None, reason: str | None = None
    ) -> Appointment:
        if status not in TRANSITIONS[self.status]:
            raise InvalidTransition(
                f"An appointment that is {self.status.value.replace('_', ' ')} cannot become "
                f"{status.value.replace('_', ' ')}."
            )
        if status is Status.CANCELLED:
            return replace(
                self,
                status=status,
                cancelled_by=by,
                cancel_reason=reason,
                revision=self.revision + 1,
            )
        return replace(self, status=status, revision=self.revision + 1)

    def restored_to(self, status: Status) -> Appointment:
        """Undo: go back to an earlier status, clearing what the undone change set."""
        return replace(
            self, status=status, cancelled_by=None, cancel_reason=None, revision=self.revision + 1
        )

    def moved(
        self,
        start: datetime,
        end: datetime,
        *,
        provider_id: int | None = None,
        location_id: int | None = None,
    ) -> Appointment:
        if self.status not in UPCOMING_STATUSES:
            raise InvalidTransition(
                f"An appointment that is {self.status.value.replace('_', ' ')} cannot be moved."
            )
        return replace(
            self,
            start=start,
            end=end,
            provider_id=self.provider_id if provider_id is None else provider_id,
            location_id=self.location_id if location_id is None else location_id,
            revision=self.revision + 1,
        )


@dataclass(frozen=True, slots=True)
class StatusChange:
    """One recorded status change; undo walks these back."""

    appointment_id: int
    from_status: Status
    to_status: Status
    at: datetime
    by_user_id: int | None
    reason: str | None = None
    undone: bool = False
    id: int | None = None
