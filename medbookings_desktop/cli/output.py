"""The JSON shapes outside scripts rely on, and plain tables for people.

Key names here are a contract with the clinic's scripts: add keys, never rename them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from medbookings_desktop.cli.times import local_iso
from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.clinic import Location, Provider, Service
from medbookings_desktop.domain.patients import Patient


def _minutes(delta: Any) -> int:
    return int(delta.total_seconds() // 60)


def location_json(loc: Location) -> dict[str, Any]:
    return {
        "id": loc.id,
        "name": loc.name,
        "zone": loc.zone,
        "address": loc.address,
        "address_line1": loc.address_line1,
        "address_line2": loc.address_line2,
        "city": loc.city,
        "region": loc.region,
        "postal_code": loc.postal_code,
        "country": loc.country,
        "phone": loc.phone,
        # what Google Places filled in (empty when the address was typed)
        "place_id": loc.place_id,
        "latitude": loc.latitude,
        "longitude": loc.longitude,
        "website": loc.website,
        "opening_hours": list(loc.opening_hours),
    }


def provider_json(p: Provider) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "title": p.title,
        "display_name": p.display_name,
        "colour": p.colour,
        "location_ids": sorted(p.location_ids),
        "service_ids": sorted(p.service_ids),
        "active": p.active,
    }


def service_json(s: Service) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "duration_minutes": _minutes(s.duration),
        "buffer_before_minutes": _minutes(s.buffer_before),
        "buffer_after_minutes": _minutes(s.buffer_after),
        "price_cents": s.price_cents,
        "deposit_cents": s.deposit_cents,
        "currency": s.currency,
        "online": s.online,
        "colour": s.colour,
        "active": s.active,
    }


def patient_json(p: Patient) -> dict[str, Any]:
    return {
        "id": p.id,
        "first_name": p.first_name,
        "last_name": p.last_name,
        "full_name": p.full_name,
        "phone": p.phone,
        "email": p.email,
        "date_of_birth": p.date_of_birth.isoformat() if p.date_of_birth else None,
        "preferred_channel": p.preferred_channel.value,
        "consent_sms": p.consent_sms,
        "consent_whatsapp": p.consent_whatsapp,
        "consent_email": p.consent_email,
    }


def appointment_json(
    a: Appointment, zone: str, *, queued: Iterable[Any] | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": a.id,
        "start": local_iso(a.start, zone),
        "end": local_iso(a.end, zone),
        "status": a.status.value,
        "patient_id": a.patient_id,
        "provider_id": a.provider_id,
        "service_id": a.service_id,
        "location_id": a.location_id,
        "online": a.online,
        "zone": zone,
        "source": a.source.value,
        "notes": a.notes,
        "cancelled_by": a.cancelled_by,
        "cancel_reason": a.cancel_reason,
    }
    if queued is not None:
        out["queued"] = [str(getattr(k, "value", k)) for k in queued]
    return out


def print_table(out: TextIO, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Columns padded to their widest cell; an empty list says so."""
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    if not cells:
        print("(none)", file=out)
        return
    widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line.rstrip(), file=out)
    print("  ".join("-" * w for w in widths), file=out)
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip(), file=out)
