"""Clinic settings, staff, locations, rooms, services, providers."""

from __future__ import annotations

import uuid
from dataclasses import asdict, replace
from datetime import timedelta
from typing import Any

from sqlalchemy import Connection, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from medbookings_desktop.domain.clinic import (
    ClinicSettings,
    Location,
    Provider,
    Role,
    Room,
    Service,
    StaffUser,
)
from medbookings_desktop.domain.errors import NotFound
from medbookings_desktop.storage import rows
from medbookings_desktop.storage import tables as t

_DURATIONS = ("reminder_offsets", "slot_grid", "minimum_notice", "booking_horizon")
# clinic_settings key whose value changes with every change to what slot searches cache
SETUP_VERSION = "setup_version"

# built once: every slot search reads the setup version
_VALUE = select(t.clinic_settings.c.value).where(t.clinic_settings.c.key == bindparam("key"))


def bump_setup_version(conn: Connection) -> None:
    """Mark the clinic's setup as changed, in the caller's transaction.

    A fresh random token rather than a counter: two desks bumping at once can never leave
    one value standing for two different setups, nor can a restored backup.
    """
    cs = t.clinic_settings
    token = uuid.uuid4().hex
    done = conn.execute(update(cs).where(cs.c.key == SETUP_VERSION).values(value=token))
    if done.rowcount:
        return
    try:
        with conn.begin_nested():
            conn.execute(insert(cs).values(key=SETUP_VERSION, value=token))
    except IntegrityError:
        # another desk inserted it a moment ago
        conn.execute(update(cs).where(cs.c.key == SETUP_VERSION).values(value=token))


def _settings_to_json(s: ClinicSettings) -> dict[str, Any]:
    data = asdict(s)
    data["reminder_offsets"] = [int(o / timedelta(minutes=1)) for o in s.reminder_offsets]
    for key in ("slot_grid", "minimum_notice", "booking_horizon"):
        data[key] = int(getattr(s, key) / timedelta(minutes=1))
    return data


def _settings_from_json(data: dict[str, Any]) -> ClinicSettings:
    known = set(ClinicSettings.__dataclass_fields__)
    values = {k: v for k, v in data.items() if k in known}
    if "reminder_offsets" in values:
        values["reminder_offsets"] = tuple(timedelta(minutes=m) for m in values["reminder_offsets"])
    for key in _DURATIONS[1:]:
        if key in values:
            values[key] = timedelta(minutes=values[key])
    return ClinicSettings(**values)


class SettingsRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def clinic(self) -> ClinicSettings:
        value = self.conn.scalar(
            select(t.clinic_settings.c.value).where(t.clinic_settings.c.key == "clinic")
        )
        return ClinicSettings() if value is None else _settings_from_json(value)

    def is_set_up(self) -> bool:
        return (
            self.conn.scalar(
                select(t.clinic_settings.c.key).where(t.clinic_settings.c.key == "clinic")
            )
            is not None
        )

    def save_clinic(self, settings: ClinicSettings) -> None:
        self.set_value("clinic", _settings_to_json(settings))

    def value(self, key: str) -> Any:
        return self.conn.scalar(_VALUE, {"key": key})

    def set_value(self, key: str, value: Any) -> None:
        done = self.conn.execute(
            update(t.clinic_settings).where(t.clinic_settings.c.key == key).values(value=value)
        )
        if done.rowcount == 0:
            self.conn.execute(insert(t.clinic_settings).values(key=key, value=value))
        if key == "clinic":
            bump_setup_version(self.conn)


class StaffRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def get(self, user_id: int) -> StaffUser:
        r = self.conn.execute(select(t.staff_users).where(t.staff_users.c.id == user_id)).first()
        if r is None:
            raise NotFound(f"No staff user #{user_id}.")
        return rows.staff(r)

    def by_name(self, name: str) -> StaffUser | None:
        r = self.conn.execute(select(t.staff_users).where(t.staff_users.c.name == name)).first()
        return None if r is None else rows.staff(r)

    def ensure(self, name: str, role: Role = Role.RECEPTIONIST) -> StaffUser:
        found = self.by_name(name)
        if found is not None:
            return found
        try:
            with self.conn.begin_nested():
                new_id = self.conn.execute(
                    insert(t.staff_users).values(name=name, role=role.value)
                ).inserted_primary_key[0]  # type: ignore[index]
        except IntegrityError:
            # another desk added the same name a moment ago
            again = self.by_name(name)
            if again is None:
                raise
            return again
        return StaffUser(id=new_id, name=name, role=role)

    def list(self) -> list[StaffUser]:
        return [
            rows.staff(r)
            for r in self.conn.execute(select(t.staff_users).order_by(t.staff_users.c.name))
        ]


def _location_values(loc: Location) -> dict[str, object]:
    """The row for `loc`: the place details it lacks are NULL, the opening hours a JSON list."""
    values = {k: v for k, v in asdict(loc).items() if k != "id"}
    values["place_id"] = loc.place_id or None
    values["website"] = loc.website or None
    values["opening_hours"] = list(loc.opening_hours) or None
    return values


class LocationRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def list(self) -> list[Location]:
        return [
            rows.location(r)
            for r in self.conn.execute(select(t.locations).order_by(t.locations.c.id))
        ]

    def get(self, location_id: int) -> Location:
        r = self.conn.execute(select(t.locations).where(t.locations.c.id == location_id)).first()
        if r is None:
            raise NotFound(f"No location #{location_id}.")
        return rows.location(r)

    def by_name(self, name: str) -> Location | None:
        r = self.conn.execute(select(t.locations).where(t.locations.c.name == name)).first()
        return None if r is None else rows.location(r)

    def save(self, loc: Location) -> Location:
        values = _location_values(loc)
        if loc.id is None:
            new_id = self.conn.execute(insert(t.locations).values(**values)).inserted_primary_key[0]  # type: ignore[index]
            bump_setup_version(self.conn)
            return replace(loc, id=new_id)
        self.conn.execute(update(t.locations).where(t.locations.c.id == loc.id).values(**values))
        bump_setup_version(self.conn)
        return loc

    def rooms(self, location_id: int | None = None) -> list[Room]:
        q = select(t.rooms).order_by(t.rooms.c.id)
        if location_id is not None:
            q = q.where(t.rooms.c.location_id == location_id)
        return [rows.room(r) for r in self.conn.execute(q)]

    def save_room(self, room: Room) -> Room:
        existing = self.conn.execute(
            select(t.rooms.c.id).where(
                t.rooms.c.location_id == room.location_id, t.rooms.c.name == room.name
            )
        ).scalar()
        if existing is not None:
            return Room(id=existing, name=room.name, location_id=room.location_id)
        new_id = self.conn.execute(
            insert(t.rooms).values(name=room.name, location_id=room.location_id)
        ).inserted_primary_key[0]  # type: ignore[index]
        return Room(id=new_id, name=room.name, location_id=room.location_id)


class ServiceRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def list(self, *, active_only: bool = False) -> list[Service]:
        q = select(t.services).order_by(t.services.c.id)
        if active_only:
            q = q.where(t.services.c.active.is_(True))
        return [rows.service(r) for r in self.conn.execute(q)]

    def get(self, service_id: int) -> Service:
        r = self.conn.execute(select(t.services).where(t.services.c.id == service_id)).first()
        if r is None:
            raise NotFound(f"No service #{service_id}.")
        return rows.service(r)

    def by_name(self, name: str) -> Service | None:
        r = self.conn.execute(select(t.services).where(t.services.c.name == name)).first()
        return None if r is None else rows.service(r)

    def save(self, svc: Service) -> Service:
        values = {k: v for k, v in asdict(svc).items() if k != "id"}
        if svc.id is None:
            new_id = self.conn.execute(insert(t.services).values(**values)).inserted_primary_key[0]  # type: ignore[index]
            bump_setup_version(self.conn)
            return Service(**{**values, "id": new_id})
        self.conn.execute(update(t.services).where(t.services.c.id == svc.id).values(**values))
        bump_setup_version(self.conn)
        return svc


class ProviderRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _links(self) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
        locs: dict[int, set[int]] = {}
        svcs: dict[int, set[int]] = {}
        for pid, lid in self.conn.execute(select(t.provider_locations)):
            locs.setdefault(pid, set()).add(lid)
        for pid, sid in self.conn.execute(select(t.provider_services)):
            svcs.setdefault(pid, set()).add(sid)
        return locs, svcs

    def list(self, *, active_only: bool = False) -> list[Provider]:
        locs, svcs = self._links()
        q = select(t.providers).order_by(t.providers.c.id)
        if active_only:
            q = q.where(t.providers.c.active.is_(True))
        return [
            rows.provider(r, frozenset(locs.get(r.id, ())), frozenset(svcs.get(r.id, ())))
            for r in self.conn.execute(q)
        ]

    def get(self, provider_id: int) -> Provider:
        r = self.conn.execute(select(t.providers).where(t.providers.c.id == provider_id)).first()
        if r is None:
            raise NotFound(f"No provider #{provider_id}.")
        locs = self.conn.scalars(
            select(t.provider_locations.c.location_id).where(
                t.provider_locations.c.provider_id == provider_id
            )
        )
        svcs = self.conn.scalars(
            select(t.provider_services.c.service_id).where(
                t.provider_services.c.provider_id == provider_id
            )
        )
        return rows.provider(r, frozenset(locs), frozenset(svcs))

    def by_name(self, name: str) -> Provider | None:
        found = self.conn.scalar(select(t.providers.c.id).where(t.providers.c.name == name))
        return None if found is None else self.get(found)

    def save(self, prov: Provider) -> Provider:
        values = {
            "name": prov.name,
            "title": prov.title,
            "colour": prov.colour,
            "google_calendar_id": prov.google_calendar_id,
            "email": prov.email,
            "active": prov.active,
        }
        if prov.id is None:
            pid = self.conn.execute(insert(t.providers).values(**values)).inserted_primary_key[0]  # type: ignore[index]
        else:
            pid = prov.id
            self.conn.execute(update(t.providers).where(t.providers.c.id == pid).values(**values))
            self.conn.execute(
                delete(t.provider_locations).where(t.provider_locations.c.provider_id == pid)
            )
            self.conn.execute(
                delete(t.provider_services).where(t.provider_services.c.provider_id == pid)
            )
        if prov.location_ids:
            self.conn.execute(
                insert(t.provider_locations),
                [{"provider_id": pid, "location_id": lid} for lid in sorted(prov.location_ids)],
            )
        if prov.service_ids:
            self.conn.execute(
                insert(t.provider_services),
                [{"provider_id": pid, "service_id": sid} for sid in sorted(prov.service_ids)],
            )
        bump_setup_version(self.conn)
        return Provider(
            **{
                **asdict(prov),
                "id": pid,
                "location_ids": prov.location_ids,
                "service_ids": prov.service_ids,
            }
        )
