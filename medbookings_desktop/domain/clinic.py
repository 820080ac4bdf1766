"""The clinic's setup: locations, providers, services, rooms, hours and staff."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import available_timezones

from medbookings_desktop.domain.errors import InvalidInput

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def check_zone(name: str) -> str:
    """Return an IANA zone name unchanged, or raise if the zone database lacks it."""
    if name not in _zone_names():
        raise InvalidInput(
            f"Unknown time zone {name!r}: use an IANA name such as 'Europe/London'.", "zone"
        )
    return name


def check_colour(value: str) -> str:
    if not _COLOUR.match(value):
        raise InvalidInput(f"Colour {value!r} must look like #1a7f5a.", "colour")
    return value.lower()


class Role(StrEnum):
    RECEPTIONIST = "receptionist"
    PROVIDER = "provider"
    MANAGER = "manager"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class StaffUser:
    name: str
    role: Role = Role.RECEPTIONIST
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ClinicSettings:
    """Clinic-wide settings kept in the database, shared by every desk."""

    name: str = "MedBookings Clinic"
    zone: str = "UTC"
    reminder_offsets: tuple[timedelta, ...] = (timedelta(hours=24), timedelta(hours=2))
    slot_grid: timedelta = timedelta(minutes=15)
    minimum_notice: timedelta = timedelta(0)
    booking_horizon: timedelta = timedelta(days=180)
    names_in_calendar: bool = False
    phone_region: str = "GB"
    locale: str = "en_GB"

    def __post_init__(self) -> None:
        check_zone(self.zone)
        if any(o <= timedelta(0) for o in self.reminder_offsets):
            raise InvalidInput("Reminder offsets must be positive.", "reminder_offsets")
        if self.slot_grid < timedelta(minutes=5) or self.slot_grid > timedelta(hours=2):
            raise InvalidInput("The slot grid must be between 5 and 120 minutes.", "slot_grid")


@dataclass(frozen=True, slots=True)
class Location:
    name: str
    zone: str
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("A location needs a name.", "name")
        check_zone(self.zone)

    @property
    def address(self) -> str:
        parts = (
            self.address_line1,
            self.address_line2,
            self.city,
            self.region,
            self.postal_code,
            self.country,
        )
        return ", ".join(p for p in parts if p)


@dataclass(frozen=True, slots=True)
class Room:
    name: str
    location_id: int
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Service:
    """An appointment type: how long it takes and what it costs."""

    name: str
    duration: timedelta
    buffer_before: timedelta = timedelta(0)
    buffer_after: timedelta = timedelta(0)
    price_cents: int = 0
    deposit_cents: int = 0
    currency: str = "GBP"
    online: bool = False
    colour: str = "#4a7bd0"
    active: bool = True
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("A service needs a name.", "name")
        if self.duration <= timedelta(0) or self.duration > timedelta(hours=12):
            raise InvalidInput("A service lasts between 1 minute and 12 hours.", "duration")
        if self.buffer_before < timedelta(0) or self.buffer_after < timedelta(0):
            raise InvalidInput("Buffers cannot be negative.", "buffer")
        if self.price_cents < 0 or not 0 <= self.deposit_cents <= max(self.price_cents, 0):
            raise InvalidInput("The deposit must lie between 0 and the price.", "deposit")
        check_colour(self.colour)


@dataclass(frozen=True, slots=True)
class Provider:
    name: str
    title: str = ""
    colour: str = "#1a7f5a"
    location_ids: frozenset[int] = field(default_factory=frozenset)
    service_ids: frozenset[int] = field(default_factory=frozenset)
    google_calendar_id: str | None = None
    email: str | None = None
    active: bool = True
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("A provider needs a name.", "name")
        check_colour(self.colour)

    @property
    def display_name(self) -> str:
        return f"{self.title} {self.name}".strip()

    def offers(self, service_id: int) -> bool:
        return service_id in self.service_ids


def _check_span(start: time, end: time) -> None:
    # end 00:00 stands for midnight at the end of the day
    if end != time(0) and end <= start:
        raise InvalidInput(f"{start:%H:%M}–{end:%H:%M} ends before it starts.", "hours")


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """A weekly wall-clock rule: this provider works here on this weekday."""

    provider_id: int
    location_id: int
    weekday: int
    start: time
    end: time
    valid_from: date | None = None
    valid_until: date | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidInput("Weekday runs from 0 (Monday) to 6 (Sunday).", "weekday")
        _check_span(self.start, self.end)

    def applies_on(self, day: date) -> bool:
        return (
            day.weekday() == self.weekday
            and (self.valid_from is None or day >= self.valid_from)
            and (self.valid_until is None or day <= self.valid_until)
        )


@dataclass(frozen=True, slots=True)
class Break:
    """A recurring weekly break (lunch), in the wall-clock time of its location."""

    provider_id: int
    location_id: int
    weekday: int
    start: time
    end: time
    label: str = "Break"
    id: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise InvalidInput("Weekday runs from 0 (Monday) to 6 (Sunday).", "weekday")
        _check_span(self.start, self.end)


@dataclass(frozen=True, slots=True)
class ExtraHours:
    """One-off working hours on a date, on top of the weekly rules."""

    provider_id: int
    location_id: int
    day: date
    start: time
    end: time
    id: int | None = None

    def __post_init__(self) -> None:
        _check_span(self.start, self.end)


@dataclass(frozen=True, slots=True)
class TimeOff:
    """Absence between two instants (UTC), e.g. holiday or training."""

    provider_id: int
    start: datetime
    end: datetime
    reason: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidInput("Time off needs times with a zone.", "time_off")
        if self.end <= self.start:
            raise InvalidInput("Time off ends before it starts.", "time_off")


@dataclass(frozen=True, slots=True)
class BusyBlock:
    """Time blocked by something outside the clinic (a Google Calendar event)."""

    provider_id: int
    start: datetime
    end: datetime
    label: str = "Busy (Google)"
    source: str = "google"
    external_id: str | None = None
    id: int | None = None
