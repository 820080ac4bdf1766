"""Register, edit and find patients."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from typing import Any

from medbookings_desktop.domain.appointments import Appointment, Status
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.domain.patients import Channel, Patient, PatientRow, new_patient
from medbookings_desktop.domain.search import parse_query
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.snapshots import diff, snapshot

# Audit entries name what changed about a patient, not the personal values themselves.
_PERSONAL = ("first_name", "last_name", "date_of_birth", "phone", "email", "notes")


def _redacted(record: dict[str, Any]) -> dict[str, Any]:
    return {k: ("<changed>" if k in _PERSONAL else v) for k, v in record.items()}


def register(
    ctx: Context,
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date | None = None,
    phone: str | None = None,
    email: str | None = None,
    preferred_channel: Channel | str = Channel.SMS,
    consent_sms: bool = False,
    consent_whatsapp: bool = False,
    consent_email: bool = False,
    notes: str = "",
) -> Patient:
    now = ctx.now()
    with ctx.write() as uow:
        region = uow.settings.clinic().phone_region
        patient = new_patient(
            first_name=first_name,
            last_name=last_name,
            region=region,
            date_of_birth=date_of_birth,
            phone=phone,
            email=email,
            preferred_channel=preferred_channel,
            consent_sms=consent_sms,
            consent_whatsapp=consent_whatsapp,
            consent_email=consent_email,
            notes=notes,
        )
        patient = uow.patients.add(patient, now)
        ctx.audit(
            uow,
            "register",
            "patient",
            patient.id,
            None,
            _redacted(snapshot(patient, omit=("notes",))),
        )
        uow.commit()
    return patient


def edit(ctx: Context, patient_id: int, **changes: Any) -> Patient:
    """Change some fields; phone and e-mail are validated as at registration."""
    now = ctx.now()
    with ctx.write() as uow:
        region = uow.settings.clinic().phone_region
        old = uow.patients.get(patient_id)
        try:
            merged = replace(old, **changes)
        except TypeError:
            raise InvalidInput(f"Unknown patient field in {sorted(changes)}.") from None
        patient = new_patient(
            first_name=merged.first_name,
            last_name=merged.last_name,
            region=region,
            date_of_birth=merged.date_of_birth,
            phone=merged.phone,
            email=merged.email,
            preferred_channel=merged.preferred_channel,
            consent_sms=merged.consent_sms,
            consent_whatsapp=merged.consent_whatsapp,
            consent_email=merged.consent_email,
            notes=merged.notes,
            patient_id=patient_id,
        )
        uow.patients.update(patient, now)
        before, after = diff(snapshot(old), snapshot(patient))
        ctx.audit(uow, "edit", "patient", patient_id, _redacted(before), _redacted(after))
        uow.commit()
    return patient


def search(ctx: Context, text: str, *, limit: int = 20) -> list[Patient]:
    query = parse_query(text)
    if query.empty:
        return []
    with ctx.read() as uow:
        return uow.patients.search(query, limit)


def ids(ctx: Context, text: str = "") -> list[int]:
    """Every patient id in list order; with `text`, those `search` matches, unlimited."""
    query = None
    if text.strip():
        query = parse_query(text)
        if query.empty:
            return []
    with ctx.read() as uow:
        return uow.patients.ids(query)


def rows(ctx: Context, ids: Sequence[int]) -> list[PatientRow]:
    """A page of the list in the order of `ids`, with no-shows and the next appointment."""
    now = ctx.now()
    with ctx.read() as uow:
        return uow.patients.rows(ids, now)


def get(ctx: Context, patient_id: int) -> Patient:
    with ctx.read() as uow:
        return uow.patients.get(patient_id)


def history(ctx: Context, patient_id: int) -> list[Appointment]:
    with ctx.read() as uow:
        uow.patients.get(patient_id)
        return uow.appointments.for_patient(patient_id)


def no_show_count(appointments: list[Appointment]) -> int:
    return sum(1 for a in appointments if a.status is Status.NO_SHOW)
