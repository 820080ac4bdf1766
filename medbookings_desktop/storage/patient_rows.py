"""Conversions between the patients table's rows and Patient."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from medbookings_desktop.domain.patients import Channel, Patient, fold
from medbookings_desktop.storage.rows import as_dict, enum_reader

if TYPE_CHECKING:
    from sqlalchemy import Row

_channel = enum_reader(Channel)


def patient(r: Row[Any]) -> Patient:
    m = as_dict(r)
    return Patient(
        id=m["id"],
        first_name=m["first_name"],
        last_name=m["last_name"],
        date_of_birth=m["date_of_birth"],
        phone=m["phone"],
        email=m["email"],
        preferred_channel=_channel(m["preferred_channel"]),
        consent_sms=m["consent_sms"],
        consent_whatsapp=m["consent_whatsapp"],
        consent_email=m["consent_email"],
        notes=m["notes"],
    )


def patient_values(p: Patient) -> dict[str, Any]:
    return {
        "first_name": p.first_name,
        "last_name": p.last_name,
        "date_of_birth": p.date_of_birth,
        "phone": p.phone,
        "email": p.email,
        "preferred_channel": p.preferred_channel.value,
        "consent_sms": p.consent_sms,
        "consent_whatsapp": p.consent_whatsapp,
        "consent_email": p.consent_email,
        "notes": p.notes,
        "last_name_key": fold(p.last_name),
        "first_name_key": fold(p.first_name),
        "search_text": p.search_text,
    }
