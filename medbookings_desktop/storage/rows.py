"""Conversions between table rows and domain objects: the clinic's set-up and appointments.

Patients' rows are in patient_rows.py and outbox rows in outbox_rows.py: the window's first
day (storage/quick_read.py) maps with this module and does not load those domains.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    # for annotations only: storage/quick_read.py maps sqlite3 rows without SQLAlchemy
    from sqlalchemy import Row

from medbookings_desktop.domain.appointments import Appointment, Source, Status, StatusChange
from medbookings_desktop.domain.clinic import (
    Break,
    BusyBlock,
    ExtraHours,
    Location,
    Provider,
    Role,
    Room,
    Service,
    StaffUser,
    TimeOff,
    WorkingHours,
)

E = TypeVar("E", bound=Enum)


def as_dict(r: Row[Any]) -> dict[str, Any]:
    """The row's values by name, in one step: reading a Row's attributes costs about 0.6 µs
    each, which for a day list of hundreds of appointments was most of its time."""
    return dict(zip(r._fields, r, strict=True))


def enum_reader(kind: type[E]) -> Callable[[str], E]:
    by_value: dict[str, E] = {member.value: member for member in kind}

    def read(value: str) -> E:
        found = by_value.get(value)
        return kind(value) if found is None else found  # unknown values raise as before

    return read


_status = enum_reader(Status)
_source = enum_reader(Source)


def location(r: Row[Any]) -> Location:
    m = as_dict(r)
    return Location(
        id=m["id"],
        name=m["name"],
        zone=m["zone"],
        address_line1=m["address_line1"],
        address_line2=m["address_line2"],
        city=m["city"],
        region=m["region"],
        postal_code=m["postal_code"],
        country=m["country"],
        phone=m["phone"],
        place_id=m["place_id"] or "",
        latitude=m["latitude"],
        longitude=m["longitude"],
        website=m["website"] or "",
        opening_hours=tuple(m["opening_hours"] or ()),
    )


def room(r: Row[Any]) -> Room:
    m = as_dict(r)
    return Room(id=m["id"], name=m["name"], location_id=m["location_id"])


def service(r: Row[Any]) -> Service:
    m = as_dict(r)
    return Service(
        id=m["id"],
        name=m["name"],
        duration=m["duration"],
        buffer_before=m["buffer_before"],
        buffer_after=m["buffer_after"],
        price_cents=m["price_cents"],
        deposit_cents=m["deposit_cents"],
        currency=m["currency"],
        online=m["online"],
        colour=m["colour"],
        active=m["active"],
    )


def provider(r: Row[Any], location_ids: frozenset[int], service_ids: frozenset[int]) -> Provider:
    m = as_dict(r)
    return Provider(
        id=m["id"],
        name=m["name"],
        title=m["title"],
        colour=m["colour"],
        location_ids=location_ids,
        service_ids=service_ids,
        google_calendar_id=m["google_calendar_id"],
        email=m["email"],
        active=m["active"],
    )


def staff(r: Row[Any]) -> StaffUser:
    m = as_dict(r)
    return StaffUser(id=m["id"], name=m["name"], role=Role(m["role"]))


def working_hours(r: Row[Any]) -> WorkingHours:
    m = as_dict(r)
    return WorkingHours(
        id=m["id"],
        provider_id=m["provider_id"],
        location_id=m["location_id"],
        weekday=m["weekday"],
        start=m["start"],
        end=m["end"],
        valid_from=m["valid_from"],
        valid_until=m["valid_until"],
    )


def break_(r: Row[Any]) -> Break:
    m = as_dict(r)
    return Break(
        id=m["id"],
        provider_id=m["provider_id"],
        location_id=m["location_id"],
        weekday=m["weekday"],
        start=m["start"],
        end=m["end"],
        label=m["label"],
    )


def extra_hours(r: Row[Any]) -> ExtraHours:
    m = as_dict(r)
    return ExtraHours(
        id=m["id"],
        provider_id=m["provider_id"],
        location_id=m["location_id"],
        day=m["day"],
        start=m["start"],
        end=m["end"],
    )


def time_off(r: Row[Any]) -> TimeOff:
    m = as_dict(r)
    return TimeOff(
        id=m["id"],
        provider_id=m["provider_id"],
        start=m["start_at"],
        end=m["end_at"],
        reason=m["reason"],
    )


def busy_block(r: Row[Any]) -> BusyBlock:
    m = as_dict(r)
    return BusyBlock(
        id=m["id"],
        provider_id=m["provider_id"],
        start=m["start_at"],
        end=m["end_at"],
        label=m["label"],
        source=m["source"],
        external_id=m["external_id"],
    )


def appointment(r: Row[Any]) -> Appointment:
    m = as_dict(r)
    return Appointment(
        id=m["id"],
        patient_id=m["patient_id"],
        provider_id=m["provider_id"],
        service_id=m["service_id"],
        location_id=m["location_id"],
        room_id=m["room_id"],
        online=m["online"],
        start=m["start_at"],
        end=m["end_at"],
        source=_source(m["source"]),
        status=_status(m["status"]),
        notes=m["notes"],
        cancelled_by=m["cancelled_by"],
        cancel_reason=m["cancel_reason"],
        meet_url=m["meet_url"],
        revision=m["revision"],
    )


# the columns stored_appointment reads, in its order
STORED_APPOINTMENT_COLUMNS = (
    "id",
    "patient_id",
    "provider_id",
    "service_id",
    "location_id",
    "room_id",
    "online",
    "start_at",
    "end_at",
    "source",
    "status",
    "notes",
    "cancelled_by",
    "cancel_reason",
    "meet_url",
    "revision",
)
_new = object.__new__
_set = object.__setattr__


def stored_appointment(values: Sequence[Any]) -> Appointment:
    """An appointment from a stored row's values in STORED_APPOINTMENT_COLUMNS order.

    For long lists: trusts what the database holds (it was checked when written), so it
    skips the constructor's checks and the lookups by name.
    """
    (
        id_,
        patient_id,
        provider_id,
        service_id,
        location_id,
        room_id,
        online,
        start,
        end,
        source,
        status,
        notes,
        cancelled_by,
        cancel_reason,
        meet_url,
        revision,
    ) = values
    a = _new(Appointment)
    _set(a, "id", id_)
    _set(a, "patient_id", patient_id)
    _set(a, "provider_id", provider_id)
    _set(a, "service_id", service_id)
    _set(a, "location_id", location_id)
    _set(a, "room_id", room_id)
    _set(a, "online", online)
    _set(a, "start", start)
    _set(a, "end", end)
    _set(a, "source", _source(source))
    _set(a, "status", _status(status))
    _set(a, "notes", notes)
    _set(a, "cancelled_by", cancelled_by)
    _set(a, "cancel_reason", cancel_reason)
    _set(a, "meet_url", meet_url)
    _set(a, "revision", revision)
    return a


def appointment_values(a: Appointment) -> dict[str, Any]:
    return {
        "patient_id": a.patient_id,
        "provider_id": a.provider_id,
        "service_id": a.service_id,
        "location_id": a.location_id,
        "room_id": a.room_id,
        "online": a.online,
        "start_at": a.start,
        "end_at": a.end,
        "source": a.source.value,
        "status": a.status.value,
        "notes": a.notes,
        "cancelled_by": a.cancelled_by,
        "cancel_reason": a.cancel_reason,
        "meet_url": a.meet_url,
        "revision": a.revision,
    }


def status_change(r: Row[Any]) -> StatusChange:
    m = as_dict(r)
    return StatusChange(
        id=m["id"],
        appointment_id=m["appointment_id"],
        from_status=Status(m["from_status"]),
        to_status=Status(m["to_status"]),
        at=m["at"],
        by_user_id=m["by_user_id"],
        reason=m["reason"],
        undone=m["undone"],
    )
