"""Set up the clinic: settings, locations, rooms, services, providers and their hours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from itertools import pairwise
from typing import Any

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
)
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.snapshots import diff, snapshot


def clinic_settings(ctx: Context) -> ClinicSettings:
    with ctx.read() as uow:
        return uow.settings.clinic()


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
    with ctx.write() as uow:
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
