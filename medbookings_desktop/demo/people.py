"""Demo patients: deterministic for a seed, with fictional phone numbers and e-mail domains.

Phones come only from ranges reserved for fiction: UK +44 7700 900000–900999 and US
+1 202-555-0100–0199. Those ranges are small, so in a large clinic many patients share a
number (as families do) and some have none. E-mail addresses use example.com/.org/.net.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from medbookings_desktop.demo.names import FIRST_NAMES, LAST_NAMES, PATIENT_NOTES
from medbookings_desktop.demo.plan import ClinicPlan
from medbookings_desktop.domain.patients import Channel, Patient, fold
from medbookings_desktop.storage.patient_rows import patient_values

EMAIL_DOMAINS = ("example.com", "example.org", "example.net")
# age bands (years) and their share of a general practice list
AGE_BANDS = ((0, 17, 0.2), (18, 39, 0.3), (40, 64, 0.32), (65, 96, 0.18))


def uk_mobile(n: int) -> str:
    return f"+447700900{n % 1000:03d}"


def us_phone(n: int) -> str:
    return f"+1202555{100 + n % 100:04d}"


@dataclass(frozen=True)
class PatientBlock:
    """Patients with ids in [first_id, last_id] live near one location (index in the plan)."""

    location_index: int
    first_id: int
    last_id: int


def blocks(plan: ClinicPlan, first_id: int = 1) -> list[PatientBlock]:
    out = []
    start = first_id
    total = plan.patients
    for i, loc in enumerate(plan.locations):
        last = (
            first_id + total - 1
            if i == len(plan.locations) - 1
            else start + round(total * loc.patient_share) - 1
        )
        out.append(PatientBlock(i, start, last))
        start = last + 1
    return out


def _local_part(first: str, last: str) -> str:
    keep = "".join(ch for ch in fold(f"{first}.{last}") if ch.isalnum() or ch == ".")
    return keep.encode("ascii", "ignore").decode() or "patient"


def _birth_date(rng: random.Random, today: date) -> date:
    pick = rng.random()
    low, high = AGE_BANDS[-1][:2]
    for band_low, band_high, share in AGE_BANDS:
        if pick < share:
            low, high = band_low, band_high
            break
        pick -= share
    age_days = rng.randint(low * 365, high * 365 + 364)
    return today - timedelta(days=age_days + 1)


def patient_rows(
    plan: ClinicPlan, seed: int, now: datetime, first_id: int = 1
) -> Iterator[dict[str, Any]]:
    """Rows for the patients table, search keys filled exactly as storage fills them."""
    rng = random.Random(f"demo-patients-{seed}")
    today = now.date()
    for block in blocks(plan, first_id):
        country = plan.locations[block.location_index].country
        for pid in range(block.first_id, block.last_id + 1):
            patient = _patient(rng, country, today)
            created = now - timedelta(days=rng.randint(1, 6 * 365), minutes=rng.randint(0, 1439))
            yield {
                **patient_values(patient),
                "id": pid,
                "created_at": created,
                "updated_at": created,
            }


def _patient(rng: random.Random, country: str, today: date) -> Patient:
    first = rng.choice(FIRST_NAMES)
    last = rng.choice(LAST_NAMES)
    if rng.random() < 0.04:
        last = f"{last}-{rng.choice(LAST_NAMES)}"
    phone: str | None = None
    roll = rng.random()
    if country == "GB" and roll < 0.85:
        phone = uk_mobile(rng.randrange(1000))
    elif country == "US" and roll < 0.8:
        phone = us_phone(rng.randrange(100))
    elif roll < 0.3:
        # visitors and expatriates: numbers from the other fictional range
        phone = uk_mobile(rng.randrange(1000)) if roll < 0.2 else us_phone(rng.randrange(100))
    email = None
    if rng.random() < 0.65:
        suffix = str(rng.randint(1, 99)) if rng.random() < 0.6 else ""
        email = f"{_local_part(first, last)}{suffix}@{rng.choice(EMAIL_DOMAINS)}"
    channel = _channel(rng, phone, email)
    return Patient(
        first_name=first,
        last_name=last,
        date_of_birth=_birth_date(rng, today) if rng.random() < 0.97 else None,
        phone=phone,
        email=email,
        preferred_channel=channel,
        consent_sms=phone is not None and (channel is Channel.SMS or rng.random() < 0.5),
        consent_whatsapp=phone is not None and (channel is Channel.WHATSAPP or rng.random() < 0.2),
        consent_email=email is not None and (channel is Channel.EMAIL or rng.random() < 0.6),
        notes=rng.choice(PATIENT_NOTES) if rng.random() < 0.03 else "",
    )


def _channel(rng: random.Random, phone: str | None, email: str | None) -> Channel:
    roll = rng.random()
    if phone and roll < 0.6:
        return Channel.SMS
    if phone and roll < 0.85:
        return Channel.WHATSAPP
    if email and roll < 0.97:
        return Channel.EMAIL
    return Channel.SMS if phone else Channel.NONE
