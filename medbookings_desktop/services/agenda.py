"""Read models: a clinic's day, listed for the desk or the command line."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.availability import resolve_wall_time
from medbookings_desktop.domain.clinic import Location, Provider
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.ports import DaySpan


@dataclass(frozen=True, slots=True)
class AgendaLine:
    appointment: Appointment
    patient_name: str
    provider_name: str
    service_name: str
    location_name: str | None
    zone: str

    @property
    def local_start(self) -> datetime:
        return self.appointment.start.astimezone(ZoneInfo(self.zone))

    @property
    def local_end(self) -> datetime:
        return self.appointment.end.astimezone(ZoneInfo(self.zone))


def day(
    ctx: Context, on: date, *, provider_id: int | None = None, include_cancelled: bool = True
) -> list[AgendaLine]:
    """Every appointment on `on`, each location's day taken in that location's own zone."""
    with ctx.read() as uow:
        setup = ctx.setup.snapshot(uow)
        settings = setup.settings
        locations = {loc.id: loc for loc in setup.locations}
        providers = {p.id: p for p in setup.providers}
        services = setup.services
        pids = [provider_id] if provider_id is not None else None
        if provider_id is not None and provider_id not in providers:
            uow.providers.get(provider_id)  # raises NotFound
        home_zones = {pid: _home_zone(p, locations, settings.zone) for pid, p in providers.items()}
        # with the patient's name in the same query: a busy day has hundreds of lines
        appts = uow.appointments.starting_in(
            _day_spans(on, locations, home_zones, settings.zone),
            provider_ids=pids,
            include_inactive=include_cancelled,
        )
        check_every_date = False
        if any(a.provider_id not in providers or a.service_id not in services for a, _ in appts):
            # booked with a provider or service added at another desk after the setup was read
            setup = ctx.setup.snapshot(uow, fresh=True)
            providers = {p.id: p for p in setup.providers}
            services = setup.services
            home_zones = {
                pid: _home_zone(p, locations, settings.zone) for pid, p in providers.items()
            }
            check_every_date = True  # the query's bounds may have used older homes
    # per location and per provider's home, what every line there shares
    at_location = {lid: (loc.zone, loc.name) for lid, loc in locations.items()}
    names = {pid: p.display_name for pid, p in providers.items()}
    service_names = {sid: svc.name for sid, svc in services.items()}
    unsure = {
        zone
        for zone in {settings.zone, *(z for z, _ in at_location.values())}
        if not _day_is_one_span(on, zone)
    }
    lines = []
    for a, patient_name in appts:
        found = at_location.get(a.location_id) if a.location_id is not None else None
        if found is not None:
            zone, location_name = found
        else:
            zone = home_zones[a.provider_id]
            location_name = None
        # the query kept to each zone's day; only where clocks go back across midnight do
        # some instants inside those bounds show another date
        if (check_every_date or zone in unsure) and a.start.astimezone(ZoneInfo(zone)).date() != on:
            continue
        lines.append(
            AgendaLine(
                appointment=a,
                patient_name=patient_name,
                provider_name=names[a.provider_id],
                service_name=service_names[a.service_id],
                location_name=location_name,
                zone=zone,
            )
        )
    return lines


def _day_is_one_span(on: date, zone: str) -> bool:
    """Whether local date `on` is exactly [its first midnight, the next one's first)."""
    tz = ZoneInfo(zone)
    return all(
        resolve_wall_time(d, time(0), tz) == resolve_wall_time(d, time(0), tz, is_end=True)
        for d in (on, on + timedelta(days=1))
    )


def _home_zone(provider: Provider, locations: Mapping[int | None, Location], clinic: str) -> str:
    """The zone of an online appointment: the provider's first location's, else the clinic's."""
    home = sorted(provider.location_ids)
    return locations[home[0]].zone if home else clinic


def _day_spans(
    on: date,
    locations: Mapping[int | None, Location],
    home_zones: Mapping[int | None, str],
    clinic_zone: str,
) -> list[DaySpan]:
    """Each zone's local day `on`, with the locations and online providers it applies to."""
    zones = {clinic_zone, *(loc.zone for loc in locations.values())}
    spans = []
    for zone in sorted(zones):
        tz = ZoneInfo(zone)
        spans.append(
            DaySpan(
                start=resolve_wall_time(on, time(0), tz),
                # the later midnight where clocks go back across it: that hour is still `on`
                end=resolve_wall_time(on + timedelta(days=1), time(0), tz, is_end=True),
                location_ids=frozenset(
                    lid for lid, loc in locations.items() if lid is not None and loc.zone == zone
                ),
                online_provider_ids=frozenset(
                    pid for pid, z in home_zones.items() if pid is not None and z == zone
                ),
            )
        )
    return spans
