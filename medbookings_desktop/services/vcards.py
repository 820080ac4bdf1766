"""vCard 3.0 cards for a patient (exported from the desk) and for the clinic (sent to patients).

vobject writes the text, so commas, semicolons and new lines in names and addresses are escaped
the way every address book reads them back.
"""

from __future__ import annotations

from typing import Any

from medbookings_desktop.domain.clinic import ClinicSettings, Location
from medbookings_desktop.domain.patients import Patient

PRODID = "-//MedBookings Desktop//vCard//EN"


def _new_card() -> Any:
    import vobject  # imported when first needed: it slows the window's start

    card = vobject.vCard()
    card.add("prodid").value = PRODID
    return card


def _name(family: str = "", given: str = "") -> Any:
    import vobject

    return vobject.vcard.Name(family=family, given=given)


def patient_card(patient: Patient) -> str:
    """The patient's names, birth date, phone and e-mail; notes stay in the clinic."""
    card = _new_card()
    card.add("n").value = _name(family=patient.last_name, given=patient.first_name)
    card.add("fn").value = patient.full_name
    if patient.date_of_birth is not None:
        card.add("bday").value = patient.date_of_birth.isoformat()
    if patient.phone:
        tel = card.add("tel")
        tel.value = patient.phone
        tel.type_param = "CELL"
    if patient.email:
        email = card.add("email")
        email.value = patient.email
        email.type_param = "INTERNET"
    text: str = card.serialize()
    return text


def clinic_card(clinic: ClinicSettings, location: Location | None) -> str:
    """The clinic as an organisation card; with a location, its address, phone, website and
    coordinates."""
    import vobject

    card = _new_card()
    name = clinic.name if location is None else f"{clinic.name} – {location.name}"
    # an organisation has an empty N (3.0 requires the property) and shows as a company
    card.add("n").value = _name()
    card.add("fn").value = name
    card.add("org").value = [clinic.name] if location is None else [clinic.name, location.name]
    card.add("x-abshowas").value = "COMPANY"
    if location is not None:
        street = "\n".join(
            line for line in (location.address_line1, location.address_line2) if line
        )
        if street or location.city or location.postal_code or location.country:
            adr = card.add("adr")
            adr.value = vobject.vcard.Address(
                street=street,
                city=location.city,
                region=location.region,
                code=location.postal_code,
                country=location.country,
            )
            adr.type_param = "WORK"
        if location.phone:
            tel = card.add("tel")
            tel.value = location.phone
            tel.type_param = "WORK"
        if location.website:
            card.add("url").value = location.website
        if location.coordinates is not None:
            # vCard 3.0 GEO: latitude;longitude, both decimal degrees
            card.add("geo").value = f"{location.latitude:.6f};{location.longitude:.6f}"
    text: str = card.serialize()
    return text
