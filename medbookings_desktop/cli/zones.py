"""Which time zone a command's times are read and shown in.

An appointment lives in its location's zone; an online one in its provider's home location's
zone; failing both, the clinic's zone (as services.slots does when it checks a booking).
"""

from __future__ import annotations

from collections.abc import Iterable

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.clinic import ClinicSettings, Location, Provider
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.services.context import Context


def provider_zone(
    provider: Provider, locations: dict[int, Location], settings: ClinicSettings
) -> str:
    home = sorted(provider.location_ids)
    return locations[home[0]].zone if home and home[0] in locations else settings.zone


def zone_for(
    location_id: int | None,
    provider: Provider,
    locations: dict[int, Location],
    settings: ClinicSettings,
) -> str:
    if location_id is not None and location_id in locations:
        return locations[location_id].zone
    return provider_zone(provider, locations, settings)


def booking_zone(
    ctx: Context, provider_id: int, location_id: int | None, *, online: bool = False
) -> str:
    """The zone a wall-clock start for this provider (and location) is read in.

    Raises when the provider works in several zones and nothing says which one is meant.
    """
    with ctx.read() as uow:
        settings = uow.settings.clinic()
        provider = uow.providers.get(provider_id)
        if location_id is not None:
            return uow.locations.get(location_id).zone
        locations = {loc.id or -1: loc for loc in uow.locations.list()}
    zones = {locations[i].zone for i in provider.location_ids if i in locations}
    if len(zones) > 1 and not online:
        raise InvalidInput(
            f"{provider.display_name} works in several time zones ({', '.join(sorted(zones))}): "
            "give --location or a start with its UTC offset.",
            "start",
        )
    return provider_zone(provider, locations, settings)


def appointment_zones(ctx: Context, appointments: Iterable[Appointment]) -> dict[int, str]:
    """Each appointment's zone by id, in one read."""
    appts = list(appointments)
    if not appts:
        return {}
    with ctx.read() as uow:
        settings = uow.settings.clinic()
        locations = {loc.id or -1: loc for loc in uow.locations.list()}
        providers = {p.id or -1: p for p in uow.providers.list()}
    return {
        a.id or -1: zone_for(a.location_id, providers[a.provider_id], locations, settings)
        for a in appts
    }


def appointment_zone(ctx: Context, appointment: Appointment) -> str:
    return appointment_zones(ctx, [appointment])[appointment.id or -1]
