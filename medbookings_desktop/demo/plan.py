"""What a demo clinic looks like: its locations, services, providers, hours and how busy it is.

Pure data and arithmetic; `setup.py` writes it through the services, `schedule.py` walks it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from medbookings_desktop.demo.names import FIRST_NAMES, LAST_NAMES


class Size(StrEnum):
    SMALL = "small"
    LARGE = "large"


@dataclass(frozen=True)
class LocationPlan:
    name: str
    zone: str
    address_line1: str
    city: str
    region: str
    postal_code: str
    country: str
    phone: str = ""
    patient_share: float = 1.0  # the part of the patient list who live near and come here


@dataclass(frozen=True)
class ServicePlan:
    key: str
    name: str
    minutes: int
    before: int = 0
    after: int = 0
    price_cents: int = 0
    deposit_cents: int = 0
    online: bool = False
    colour: str = "#4a7bd0"


# key, name, minutes, buffer before and after, price and deposit (cents)
SERVICES: tuple[ServicePlan, ...] = (
    ServicePlan("consult", "Consultation", 30, 0, 5, 6000, 1000, colour="#2f6fb3"),
    ServicePlan("checkup", "Check-up", 15, 0, 0, 3500, colour="#3f9d6b"),
    ServicePlan("long", "Long consultation", 45, 5, 10, 9500, 2000, colour="#1f4e8c"),
    ServicePlan("vaccine", "Vaccination", 10, 0, 5, 2500, colour="#c58b1d"),
    ServicePlan("physio", "Physiotherapy session", 45, 0, 15, 7000, 1500, colour="#8a4fbf"),
    ServicePlan("video", "Video consultation", 20, 0, 0, 4500, online=True, colour="#d0567a"),
)
LARGE_ONLY_SERVICES: tuple[ServicePlan, ...] = (
    ServicePlan("blood", "Blood test", 10, 0, 0, 3000, colour="#b03a2e"),
    ServicePlan("procedure", "Minor procedure", 60, 10, 10, 18000, 5000, colour="#5d6d7e"),
)


@dataclass(frozen=True)
class Shift:
    """Weekly hours on some weekdays, with an optional break, in the location's wall clock."""

    weekdays: tuple[int, ...]
    start: time
    end: time
    break_start: time | None = None
    break_end: time | None = None


@dataclass(frozen=True)
class Role:
    title: str
    shifts: tuple[Shift, ...]
    mix: tuple[tuple[str, float], ...]  # service key, weight


MON_FRI = (0, 1, 2, 3, 4)
DOCTOR_FULL = Role(
    "Dr",
    (Shift(MON_FRI, time(8, 30), time(18), time(12, 30), time(13, 30)),),
    (("consult", 0.55), ("checkup", 0.12), ("long", 0.15), ("video", 0.15), ("procedure", 0.03)),
)
DOCTOR_PART = Role(
    "Dr",
    (Shift((0, 1, 3), time(9), time(17), time(13), time(13, 30)),),
    (("consult", 0.6), ("long", 0.2), ("video", 0.2)),
)
NURSE = Role(
    "Nurse",
    (
        Shift(MON_FRI, time(8), time(16), time(12), time(12, 30)),
        Shift((5,), time(9), time(12, 30)),
    ),
    (("checkup", 0.4), ("vaccine", 0.4), ("blood", 0.2)),
)
PHYSIO = Role(
    "",
    (Shift((1, 2, 3, 4, 5), time(10), time(18, 30), time(14), time(14, 45)),),
    (("physio", 0.85), ("video", 0.15)),
)


@dataclass(frozen=True)
class ProviderPlan:
    name: str
    role: Role
    location: str  # LocationPlan.name
    colour: str


@dataclass(frozen=True)
class ClinicPlan:
    size: Size
    clinic_name: str
    zone: str
    phone_region: str
    booking_horizon_days: int
    locations: tuple[LocationPlan, ...]
    services: tuple[ServicePlan, ...]
    providers: tuple[ProviderPlan, ...]
    patients: int
    past_days: int
    future_days: int


def occupancy(days_ahead: int) -> float:
    """How full a day is: the past and the next fortnight busy, the far future sparse."""
    if days_ahead < 0:
        return 0.82
    if days_ahead <= 14:
        return 0.85 - days_ahead * 0.01
    if days_ahead <= 35:
        return 0.55
    if days_ahead <= 90:
        return 0.3
    return 0.1


LONDON = LocationPlan(
    "Riverside Health Centre",
    "Europe/London",
    "12 Wharf Road",
    "London",
    "",
    "N1 9ZZ",
    "GB",
    "+447700900001",
    0.45,
)
NEW_YORK = LocationPlan(
    "Hudson Street Medical",
    "America/New_York",
    "400 Hudson Street",
    "New York",
    "NY",
    "10014",
    "US",
    "+12025550100",
    0.35,
)
SYDNEY = LocationPlan(
    "Harbourside Clinic",
    "Australia/Sydney",
    "8 Quay Lane",
    "Sydney",
    "NSW",
    "2000",
    "AU",
    "",
    0.20,
)

COLOURS = (
    "#1a7f5a", "#7a3db8", "#c0392b", "#2471a3", "#d68910", "#117a65", "#884ea0", "#a04000",
    "#1f618d", "#b7950b",
)  # fmt: skip


def small_plan() -> ClinicPlan:
    loc = LONDON.name
    return ClinicPlan(
        size=Size.SMALL,
        clinic_name="Riverside Family Clinic",
        zone="Europe/London",
        phone_region="GB",
        booking_horizon_days=180,
        locations=(LONDON,),
        services=SERVICES,
        providers=(
            ProviderPlan("Amara Okafor", DOCTOR_FULL, loc, COLOURS[0]),
            ProviderPlan("James Whitfield", DOCTOR_PART, loc, COLOURS[1]),
            ProviderPlan("Priya Sharma", NURSE, loc, COLOURS[2]),
            ProviderPlan("Søren Nielsen", PHYSIO, loc, COLOURS[3]),
        ),
        patients=200,
        past_days=14,
        future_days=28,
    )


LARGE_ROLES = (DOCTOR_FULL,) * 4 + (DOCTOR_PART,) * 2 + (NURSE,) * 2 + (PHYSIO,) * 2


def large_plan(seed: int) -> ClinicPlan:
    rng = random.Random(f"demo-providers-{seed}")
    locations = (LONDON, NEW_YORK, SYDNEY)
    names: set[str] = set()
    providers = []
    for loc in locations:
        for i, role in enumerate(LARGE_ROLES):
            name = ""
            while not name or name in names:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            names.add(name)
            providers.append(ProviderPlan(name, role, loc.name, COLOURS[i % len(COLOURS)]))
    return ClinicPlan(
        size=Size.LARGE,
        clinic_name="Riverside Health Group",
        zone="Europe/London",
        phone_region="GB",
        booking_horizon_days=365,
        locations=locations,
        services=SERVICES + LARGE_ONLY_SERVICES,
        providers=tuple(providers),
        patients=200_000,
        past_days=365,
        future_days=365,
    )


def plan_for(size: Size, seed: int) -> ClinicPlan:
    return small_plan() if size is Size.SMALL else large_plan(seed)
