"""The first run of a desk on an empty database: is a clinic set up, and set one up at once.

`set_up_clinic` writes the clinic settings, its first location, service and provider with
weekly hours through `apply_setup`: one unit of work, checked before the first write, so a
refusal leaves nothing half-saved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import time, timedelta

from medbookings_desktop.domain.clinic import check_zone
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.domain.setup_spec import (
    ClinicSpec,
    HoursSpec,
    LocationSpec,
    ProviderSpec,
    ServiceSpec,
    SetupSpec,
)
from medbookings_desktop.services import setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.setup_file import SetupResult, apply_setup

MONDAY_TO_FRIDAY = (0, 1, 2, 3, 4)


def needs_first_run(ctx: Context) -> bool:
    """True while the database holds no clinic: no clinic settings saved and no provider."""
    return not setup.is_set_up(ctx)


@dataclass(frozen=True, slots=True)
class DayHours:
    weekday: int  # 0 = Monday
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class FirstClinic:
    """What the first-run wizard asks for."""

    clinic_name: str
    zone: str
    locale: str
    location_name: str
    provider_name: str
    service_name: str
    service_minutes: int
    hours: Sequence[DayHours] = ()
    address_line1: str = ""
    city: str = ""
    postal_code: str = ""
    phone_region: str = ""

    def check(self) -> None:
        """The first problem a person must fix, as InvalidInput with the field's name."""
        for value, field_name, what in (
            (self.clinic_name, "clinic_name", "the clinic's name"),
            (self.location_name, "location_name", "the location's name"),
            (self.provider_name, "provider_name", "the provider's name"),
            (self.service_name, "service_name", "the service's name"),
        ):
            if not value.strip():
                raise InvalidInput(f"Enter {what}.", field_name)
        check_zone(self.zone)
        if not 5 <= self.service_minutes <= 8 * 60:
            raise InvalidInput("A service lasts between 5 minutes and 8 hours.", "service_minutes")
        for day in self.hours:
            if day.end <= day.start:
                raise InvalidInput("Each day's hours must end after they start.", "hours")


def set_up_clinic(ctx: Context, first: FirstClinic) -> SetupResult:
    """Save the whole first setup in one unit of work, or nothing (InvalidInput, SetupInvalid)."""
    first.check()
    clinic_values: dict[str, object] = {
        "name": first.clinic_name.strip(),
        "zone": first.zone,
        "locale": first.locale,
    }
    if first.phone_region:
        clinic_values["phone_region"] = first.phone_region
    location = first.location_name.strip()
    service = first.service_name.strip()
    hours = tuple(
        HoursSpec(
            place=f"providers[0].hours[{i}]",
            location=location,
            weekdays=(day.weekday,),
            start=day.start,
            end=day.end,
        )
        for i, day in enumerate(first.hours)
    )
    spec = SetupSpec(
        clinic=ClinicSpec(values=clinic_values),
        locations=(
            LocationSpec(
                place="locations[0]",
                name=location,
                values={
                    "zone": first.zone,
                    "address_line1": first.address_line1.strip(),
                    "city": first.city.strip(),
                    "postal_code": first.postal_code.strip(),
                },
            ),
        ),
        services=(
            ServiceSpec(
                place="services[0]",
                name=service,
                values={"duration": timedelta(minutes=first.service_minutes)},
            ),
        ),
        providers=(
            ProviderSpec(
                place="providers[0]",
                name=first.provider_name.strip(),
                values={},
                locations=(("providers[0].locations[0]", location),),
                services=(("providers[0].services[0]", service),),
                hours=hours,
                location_refs=tuple((h.place, location) for h in hours),
            ),
        ),
    )
    return apply_setup(ctx, spec)
