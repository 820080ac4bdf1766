"""The clinic's setup: locations, providers, services, rooms, hours and staff."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from medbookings_desktop.domain.errors import InvalidInput

_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def _loads(name: str) -> bool:
    """Whether the zone database has a zone file of that name (one file read, where listing
    every zone, as available_timezones does, walks the whole database: a start-up cost)."""
    if name == "posixrules" or name.startswith(("right/", "posix/", "/")) or not name:
        return False  # never in available_timezones(): the full check decides
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return False
    return True


def check_zone(name: str) -> str:
    """Return an IANA zone name unchanged, or raise if the zone database lacks it."""
    if not _loads(name) and name not in _zone_names():
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
    """Someone who signs in at a desk, and what their role lets them do."""

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


PHONE_MAX = 20  # the locations table's phone column


def check_location_phone(raw: str, region: str) -> str:
    """Return a location's phone as people write it: national format for a number of the
    clinic's `region`, international otherwise; raise if it is not a phone number."""
    raw = raw.strip()
    if not raw:
        return ""
    import phonenumbers  # imported when first needed: it slows the window's start

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"{raw!r} is not a phone number.", "phone") from None
    # the shape of a number (its length for the country), not whether it is in service
    # today: a clinic's own number must not be refused for a stale copy of the numbering plan
    if not phonenumbers.is_possible_number(number):
        raise InvalidInput(f"{raw!r} is not a valid phone number (read as {region}).", "phone")
    home = number.country_code == phonenumbers.country_code_for_region(region)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    text = str(phonenumbers.format_number(number, style))
    if len(text) > PHONE_MAX:
        text = str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return text


def check_website(value: str) -> str:
    """Return an http(s) address unchanged (trimmed), or raise if it is not one."""
    from urllib.parse import urlsplit

    value = value.strip()
    if not value:
        return ""
    try:
        parts = urlsplit(value)
        scheme, host = parts.scheme.lower(), parts.hostname or ""
    except ValueError:
        scheme, host = "", ""
    if scheme not in ("http", "https") or not host or any(c.isspace() for c in value):
        raise InvalidInput(
            f"Website {value!r} must be a web address such as https://clinic.example.org/.",
            "website",
        )
    return value


def maps_url(place_id: str, query: str) -> str:
    """A Google Maps link (Maps URLs, `api=1`) to the place `place_id`; `query` (its
    coordinates "lat,lng", or its name and address) is what Maps shows if it cannot use the
    id. "" without a place id."""
    if not place_id:
        return ""
    from urllib.parse import urlencode

    return "https://www.google.com/maps/search/?" + urlencode(
        {"api": "1", "query": query or place_id, "query_place_id": place_id}
    )


@dataclass(frozen=True, slots=True)
class Location:
    """A site of the clinic. The place id, coordinates, website and opening hours usually
    come from the address lookup (Google Places); every one of them is optional."""

    name: str
    zone: str
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = ""
    phone: str = ""
    place_id: str = ""  # Google's place id
    latitude: float | None = None
    longitude: float | None = None
    website: str = ""
    opening_hours: tuple[str, ...] = ()  # readable lines, e.g. "Monday: 8:00 AM – 6:00 PM"
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InvalidInput("A location needs a name.", "name")
        check_zone(self.zone)
        if (self.latitude is None) != (self.longitude is None):
            raise InvalidInput("Coordinates need both a latitude and a longitude.", "coordinates")
        if self.latitude is not None and not -90 <= self.latitude <= 90:
            raise InvalidInput(
                f"Latitude {self.latitude} must lie between -90 and 90.", "coordinates"
            )
        if self.longitude is not None and not -180 <= self.longitude <= 180:
            raise InvalidInput(
                f"Longitude {self.longitude} must lie between -180 and 180.", "coordinates"
            )
        if self.website:
            check_website(self.website)
        if not isinstance(self.opening_hours, tuple):
            # a list read from JSON: keep the record hashable and immutable
            object.__setattr__(self, "opening_hours", tuple(self.opening_hours))
        if any(not isinstance(line, str) for line in self.opening_hours):
            raise InvalidInput("Opening hours are lines of text.", "opening_hours")

    def checked(self, phone_region: str) -> Location:
        """This location with its phone read in the clinic's `phone_region` (raises if it is
        not a phone number) and its website trimmed."""
        from dataclasses import replace

        return replace(
            self,
            phone=check_location_phone(self.phone, phone_region),
            website=check_website(self.website),
        )

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

    @property
    def coordinates(self) -> tuple[float, float] | None:
        if self.latitude is None or self.longitude is None:
            return None
        return (self.latitude, self.longitude)

    @property
    def maps_url(self) -> str:
        """A Google Maps link to this place ("" without a place id)."""
        if self.coordinates is not None:
            query = f"{self.latitude},{self.longitude}"
        else:
            query = ", ".join(p for p in (self.name, self.address) if p)
        return maps_url(self.place_id, query)


@dataclass(frozen=True, slots=True)
class Room:
    """A room at one location that appointments can be booked into."""

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
    """A clinician patients book: where they work, what they offer, their calendar colour."""

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
