"""The walk-in queue: patients waiting at the desk for the first free provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class WalkInState(StrEnum):
    WAITING = "waiting"
    BOOKED = "booked"
    LEFT = "left"


@dataclass(frozen=True, slots=True)
class WalkIn:
    patient_id: int
    arrived_at: datetime  # UTC
    service_id: int | None = None
    provider_id: int | None = None
    location_id: int | None = None
    note: str = ""
    state: WalkInState = WalkInState.WAITING
    appointment_id: int | None = None
    closed_at: datetime | None = None
    id: int | None = None

    def waited_minutes(self, now: datetime) -> int:
        """Whole minutes since arrival (until closed, for a closed entry); never negative."""
        end = self.closed_at or now
        return max(0, int((end - self.arrived_at).total_seconds() // 60))


@dataclass(frozen=True, slots=True)
class WaitingLine:
    """One entry of the queue as the desk reads it: who, for what, with whom."""

    entry: WalkIn
    patient_name: str
    service_name: str
    provider_name: str  # "" for any provider
