"""Read models: a clinic's day, listed for the desk or the command line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.services.context import Context


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
        settings = uow.settings.clinic()
        locations = {loc.id: loc for loc in uow.locations.list()}
        zones = {settings.zone, *(loc.zone for loc in locations.values())}
        starts = [datetime.combine(on, time(0), ZoneInfo(z)) for z in zones]
        window_start = min(starts)
        window_end = max(starts) + timedelta(days=1, hours=1)
        pids = [provider_id] if provider_id is not None else None
        if provider_id is not None:
            uow.providers.get(provider_id)
        # with the patient's name in the same query: a busy day has hundreds of lines
        appts = uow.appointments.starting_between(
            window_start, window_end, provider_ids=pids, include_inactive=include_cancelled
        )
        providers = {p.id: p for p in uow.providers.list()}
        services = {s.id: s for s in uow.services.list()}
    lines = []
    for a, patient_name in appts:
        loc = locations.get(a.location_id) if a.location_id is not None else None
        if loc is not None:
            zone = loc.zone
        else:
            home = sorted(providers[a.provider_id].location_ids)
            zone = locations[home[0]].zone if home else settings.zone
        if a.start.astimezone(ZoneInfo(zone)).date() != on:
            continue
        lines.append(
            AgendaLine(
                appointment=a,
                patient_name=patient_name,
                provider_name=providers[a.provider_id].display_name,
                service_name=services[a.service_id].name,
                location_name=loc.name if loc else None,
                zone=zone,
            )
        )
    return lines
