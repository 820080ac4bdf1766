"""Set up the clinic: settings, locations, rooms, services, providers and their hours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any, NamedTuple
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.clinic import (
    Break,
    ClinicSettings,
    ExtraHours,
    Location,
    Provider,
    Room,
    Service,
    TimeOff,
    WorkingHours,
    check_colour,
)
from medbookings_desktop.domain.errors import InvalidInput, NotFound
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.snapshots import diff, snapshot


def clinic_settings(ctx: Context) -> ClinicSettings:
    with ctx.read() as uow:
        return uow.settings.clinic()


def is_set_up(ctx: Context) -> bool:
    """Whether the database holds a clinic (saved settings or a provider): else the desk's
    first run shows the set-up wizard."""
    with ctx.read() as uow:
        return uow.settings.is_set_up() or bool(uow.providers.list())


def active_providers(ctx: Context) -> list[Provider]:
    """The providers taking appointments, as the desk's calendar shows them (by name)."""
    with ctx.read() as uow:
        found = ctx.setup.snapshot(uow).active_providers()
    return sorted(found, key=lambda p: (p.name.casefold(), p.id or 0))


def update_clinic(ctx: Context, **changes: Any) -> ClinicSettings:
    with ctx.write() as uow:
        old = uow.settings.clinic()
        try:
            new = replace(old, **changes)
        except TypeError as exc:
            raise InvalidInput(f"Unknown clinic setting: {exc}") from None
        uow.settings.save_clinic(new)
        before, after = diff(snapshot(old), snapshot(new))
        ctx.audit(uow, "settings", "clinic", None, before, after)
        uow.commit()
    return new


def save_location(ctx: Context, location: Location) -> Location:
    """Add or change a location; its phone is read in the clinic's phone region (and kept
    in the national format when it is a local number)."""
    with ctx.write() as uow:
        location = location.checked(uow.settings.clinic().phone_region)
        saved = uow.locations.save(location)
        ctx.audit(uow, "save", "location", saved.id, None, snapshot(saved))
        uow.commit()
    return saved


def save_room(ctx: Context, room: Room) -> Room:
    with ctx.write() as uow:
        uow.locations.get(room.location_id)
        saved = uow.locations.save_room(room)
        uow.commit()
    return saved


def save_service(ctx: Context, service: Service) -> Service:
    with ctx.write() as uow:
        saved = uow.services.save(service)
        ctx.audit(uow, "save", "service", saved.id, None, snapshot(saved))
        uow.commit()
    return saved


def save_provider(ctx: Context, provider: Provider) -> Provider:
    with ctx.write() as uow:
        for lid in provider.location_ids:
            uow.locations.get(lid)
        for sid in provider.service_ids:
            uow.services.get(sid)
        saved = uow.providers.save(provider)
        ctx.audit(uow, "save", "provider", saved.id, None, snapshot(saved))
        uow.commit()
    return saved


def set_weekly_hours(
    ctx: Context, provider_id: int, hours: Sequence[WorkingHours], breaks: Sequence[Break] = ()
) -> None:
    """Replace a provider's weekly hours and breaks; each must be at one of their locations."""
    with ctx.write() as uow:
        provider = uow.providers.get(provider_id)
        rules: list[WorkingHours | Break] = [*hours, *breaks]
        for rule in rules:
            if rule.provider_id != provider_id:
                raise InvalidInput("Hours belong to another provider.", "provider")
            if rule.location_id not in provider.location_ids:
                loc = uow.locations.get(rule.location_id)
                raise InvalidInput(
                    f"{provider.display_name} does not work at {loc.name}.", "location"
                )
        _check_no_overlap(hours)
        uow.schedule.replace_weekly(provider_id, hours, breaks)
        ctx.audit(
            uow,
            "set_hours",
            "provider",
            provider_id,
            None,
            {
                "hours": [snapshot(h, omit=("id",)) for h in hours],
                "breaks": [snapshot(b, omit=("id",)) for b in breaks],
            },
        )
        uow.commit()


def _check_no_overlap(hours: Sequence[WorkingHours]) -> None:
    by_day: dict[int, list[WorkingHours]] = {}
    for h in hours:
        by_day.setdefault(h.weekday, []).append(h)
    for day_rules in by_day.values():
        ordered = sorted(day_rules, key=lambda h: h.start)
        for a, b in pairwise(ordered):
            a_end = a.end.hour * 60 + a.end.minute or 24 * 60
            if b.start.hour * 60 + b.start.minute < a_end and _periods_meet(a, b):
                raise InvalidInput(
                    f"Hours {a.start:%H:%M}–{a.end:%H:%M} and {b.start:%H:%M}–{b.end:%H:%M} "
                    "on the same day overlap.",
                    "hours",
                )


def _periods_meet(a: WorkingHours, b: WorkingHours) -> bool:
    lo_a, hi_a = a.valid_from or date.min, a.valid_until or date.max
    lo_b, hi_b = b.valid_from or date.min, b.valid_until or date.max
    return lo_a <= hi_b and lo_b <= hi_a


def add_extra_hours(ctx: Context, extra: ExtraHours) -> int:
    with ctx.write() as uow:
        new_id = uow.schedule.add_extra_hours(extra)
        ctx.audit(uow, "add_extra_hours", "provider", extra.provider_id, None, snapshot(extra))
        uow.commit()
    return new_id


def add_time_off(ctx: Context, off: TimeOff) -> int:
    with ctx.write() as uow:
        uow.providers.get(off.provider_id)
        new_id = uow.schedule.add_time_off(off)
        ctx.audit(uow, "add_time_off", "provider", off.provider_id, None, snapshot(off))
        uow.commit()
    return new_id


# -- the providers view: read a provider's whole setup, change one thing at a time -------------


# time off and extra hours listed from a day on: far enough for any planned absence
_LISTED_AHEAD = timedelta(days=3 * 366)
_PROVIDER_FIELDS = frozenset(
    {"name", "title", "colour", "active", "email", "google_calendar_id", "service_ids"}
)


# a NamedTuple rather than a frozen dataclass: a tenth of the cost to define at start-up
class ProviderSchedule(NamedTuple):
    """One provider's rules as the providers view edits them, times in `zone`."""

    provider: Provider
    zone: str  # the provider's home zone: their first location's, else the clinic's
    hours: tuple[WorkingHours, ...]
    breaks: tuple[Break, ...]
    extra_hours: tuple[ExtraHours, ...]
    time_off: tuple[TimeOff, ...]


def all_providers(ctx: Context) -> list[Provider]:
    """Every provider, inactive ones too, by name."""
    with ctx.read() as uow:
        found = uow.providers.list()
    return sorted(found, key=lambda p: (p.name.casefold(), p.id or 0))


def all_services(ctx: Context) -> list[Service]:
    with ctx.read() as uow:
        return uow.services.list()


def rooms(ctx: Context) -> list[Room]:
    with ctx.read() as uow:
        return uow.locations.rooms()


def provider_schedule(ctx: Context, provider_id: int, *, since: date) -> ProviderSchedule:
    """The provider, their weekly hours and breaks, and one-off rules from `since` on."""
    with ctx.read() as uow:
        provider = uow.providers.get(provider_id)
        zone = _home_zone(uow.locations.list(), provider, uow.settings.clinic().zone)
        start = datetime.combine(since, time(0), ZoneInfo(zone)) - timedelta(days=1)
        hours = uow.schedule.working_hours([provider_id])
        breaks = uow.schedule.breaks([provider_id])
        extra = uow.schedule.extra_hours([provider_id], since, since + _LISTED_AHEAD)
        off = uow.schedule.time_off([provider_id], start, start + _LISTED_AHEAD)
    return ProviderSchedule(
        provider=provider,
        zone=zone,
        hours=tuple(sorted(hours, key=lambda h: (h.weekday, h.start, h.location_id))),
        breaks=tuple(sorted(breaks, key=lambda b: (b.weekday, b.start, b.location_id))),
        extra_hours=tuple(sorted(extra, key=lambda e: (e.day, e.start, e.id or 0))),
        time_off=tuple(sorted(off, key=lambda o: (o.start, o.id or 0))),
    )


def _home_zone(locations: Sequence[Location], provider: Provider, clinic_zone: str) -> str:
    home = sorted(provider.location_ids)
    by_id = {loc.id: loc for loc in locations}
    return by_id[home[0]].zone if home and home[0] in by_id else clinic_zone


def edit_provider(ctx: Context, provider_id: int, **changes: Any) -> Provider:
    """Change some of a provider's details as they are now (another desk may have changed
    the rest): name, title, colour, active, email, google_calendar_id, service_ids."""
    unknown = set(changes) - _PROVIDER_FIELDS
    if unknown:
        raise InvalidInput(f"Unknown provider detail: {', '.join(sorted(unknown))}.")
    if "service_ids" in changes:
        changes["service_ids"] = frozenset(changes["service_ids"])
    if "colour" in changes:
        changes["colour"] = check_colour(changes["colour"])
    with ctx.write() as uow:
        old = uow.providers.get(provider_id)
        new = replace(old, **changes)  # the dataclass checks name and colour
        for sid in new.service_ids - old.service_ids:
            uow.services.get(sid)
        saved = uow.providers.save(new)
        before, after = diff(snapshot(old), snapshot(saved))
        ctx.audit(uow, "edit", "provider", provider_id, before, after)
        uow.commit()
    return saved


def set_offers(ctx: Context, provider_id: int, service_id: int, offered: bool) -> Provider:
    """Add or remove one service from what a provider offers, leaving the others as they are."""
    with ctx.write() as uow:
        old = uow.providers.get(provider_id)
        service = uow.services.get(service_id)
        ids = old.service_ids | {service_id} if offered else old.service_ids - {service_id}
        if ids == old.service_ids:
            return old
        saved = uow.providers.save(replace(old, service_ids=frozenset(ids)))
        ctx.audit(
            uow,
            "offer" if offered else "stop_offering",
            "provider",
            provider_id,
            None,
            {"service_id": service_id, "service": service.name},
        )
        uow.commit()
    return saved


def add_extra_hours_at(ctx: Context, extra: ExtraHours) -> int:
    """Like `add_extra_hours`, refusing a location the provider does not work at."""
    with ctx.write() as uow:
        provider = uow.providers.get(extra.provider_id)
        if extra.location_id not in provider.location_ids:
            loc = uow.locations.get(extra.location_id)
            raise InvalidInput(f"{provider.display_name} does not work at {loc.name}.", "location")
        new_id = uow.schedule.add_extra_hours(extra)
        ctx.audit(uow, "add_extra_hours", "provider", extra.provider_id, None, snapshot(extra))
        uow.commit()
    return new_id


def remove_extra_hours(ctx: Context, provider_id: int, extra_id: int) -> None:
    with ctx.write() as uow:
        if not uow.schedule.remove_extra_hours(provider_id, extra_id):
            raise NotFound("Those extra hours were already removed.")
        ctx.audit(
            uow, "remove_extra_hours", "provider", provider_id, {"extra_hours_id": extra_id}, None
        )
        uow.commit()


def remove_time_off(ctx: Context, provider_id: int, time_off_id: int) -> None:
    with ctx.write() as uow:
        if not uow.schedule.remove_time_off(provider_id, time_off_id):
            raise NotFound("That time off was already removed.")
        ctx.audit(
            uow, "remove_time_off", "provider", provider_id, {"time_off_id": time_off_id}, None
        )
        uow.commit()


def set_works_at(ctx: Context, provider_id: int, location_id: int, works: bool) -> Provider:
    """Add or remove one location a provider works at; one still in their hours (weekly,
    breaks, or extra hours from today on) is refused until those hours are moved."""
    with ctx.write() as uow:
        old = uow.providers.get(provider_id)
        location = uow.locations.get(location_id)
        ids = old.location_ids | {location_id} if works else old.location_ids - {location_id}
        if ids == old.location_ids:
            return old
        if not works:
            today = ctx.now().astimezone(ZoneInfo(location.zone)).date()
            held: list[WorkingHours | Break | ExtraHours] = [
                *uow.schedule.working_hours([provider_id]),
                *uow.schedule.breaks([provider_id]),
                *uow.schedule.extra_hours([provider_id], today, today + _LISTED_AHEAD),
            ]
            if any(rule.location_id == location_id for rule in held):
                raise InvalidInput(
                    f"{old.display_name} has hours at {location.name}: "
                    "remove them before taking the location away.",
                    "location",
                )
        saved = uow.providers.save(replace(old, location_ids=frozenset(ids)))
        ctx.audit(
            uow,
            "add_location" if works else "remove_location",
            "provider",
            provider_id,
            None,
            {"location_id": location_id, "location": location.name},
        )
        uow.commit()
    return saved
