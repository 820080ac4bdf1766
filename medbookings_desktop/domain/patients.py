"""Patients: who they are, how to reach them, and what they agreed to receive."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from medbookings_desktop.domain.errors import InvalidInput


class Channel(StrEnum):
    SMS = "sms"
    WHATSAPP = "whatsapp"
    EMAIL = "email"
    NONE = "none"


def normalize_phone(raw: str, region: str) -> str:
    """Return the number in E.164, reading it in `region` when it has no country code."""
    import phonenumbers  # imported when first needed: it slows the window's start

    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        raise InvalidInput(f"{raw!r} is not a phone number.", "phone") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput(f"{raw!r} is not a valid phone number (read as {region}).", "phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_email(raw: str) -> str:
    """Return the address in its normal form; the domain is not looked up (desks may be offline)."""
    import email_validator  # imported when first needed: it slows the window's start

    try:
        info = email_validator.validate_email(raw, check_deliverability=False)
    except email_validator.EmailNotValidError as exc:
        raise InvalidInput(f"{raw!r} is not an e-mail address: {exc}", "email") from None
    return info.normalized


# Letters that Unicode does not decompose into a base letter plus an accent.
_LETTERS = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "đ": "d", "ł": "l", "þ": "th", "ð": "d", "ı": "i"}
)


def fold(text: str) -> str:
    """Lower-case without accents, so 'Zoë' is found by 'zoe' and 'Ødegård' by 'odegard'."""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return bare.translate(_LETTERS)


_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Patient:
    first_name: str
    last_name: str
    date_of_birth: date | None = None
    phone: str | None = None
    email: str | None = None
    preferred_channel: Channel = Channel.SMS
    consent_sms: bool = False
    consent_whatsapp: bool = False
    consent_email: bool = False
    notes: str = ""
    id: int | None = None

    def __post_init__(self) -> None:
        if not self.first_name.strip() and not self.last_name.strip():
            raise InvalidInput("A patient needs a first or a last name.", "last_name")
        if self.date_of_birth is not None and self.date_of_birth.year < 1880:
            raise InvalidInput("That date of birth is too far in the past.", "date_of_birth")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def consents_to(self, channel: Channel) -> bool:
        return {
            Channel.SMS: self.consent_sms and bool(self.phone),
            Channel.WHATSAPP: self.consent_whatsapp and bool(self.phone),
            Channel.EMAIL: self.consent_email and bool(self.email),
            Channel.NONE: False,
        }[channel]

    @property
    def phone_digits(self) -> str:
        return "".join(ch for ch in self.phone or "" if ch.isdigit())

    @property
    def search_text(self) -> str:
        """What the typeahead matches: names, phone digits (also national), e-mail, birth date."""
        parts = [fold(self.first_name), fold(self.last_name), fold(self.full_name)]
        if self.phone:
            parts.append(self.phone_digits)
            national = _national_digits(self.phone)
            if national:
                parts.append(national)
        if self.email:
            parts.append(self.email.casefold())
        if self.date_of_birth:
            parts.append(self.date_of_birth.isoformat())
        return _SPACES.sub(" ", " | ".join(parts))


def _national_digits(e164: str) -> str:
    import phonenumbers

    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return ""
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return "".join(ch for ch in national if ch.isdigit())


def new_patient(
    *,
    first_name: str,
    last_name: str,
    region: str,
    date_of_birth: date | None = None,
    phone: str | None = None,
    email: str | None = None,
    preferred_channel: Channel | str = Channel.SMS,
    consent_sms: bool = False,
    consent_whatsapp: bool = False,
    consent_email: bool = False,
    notes: str = "",
    patient_id: int | None = None,
) -> Patient:
    """Validate and normalize what was typed at the desk into a Patient."""
    try:
        channel = Channel(preferred_channel)
    except ValueError:
        choices = ", ".join(c.value for c in Channel)
        raise InvalidInput(
            f"Unknown channel {preferred_channel!r}: choose one of {choices}.", "preferred_channel"
        ) from None
    return Patient(
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        date_of_birth=date_of_birth,
        phone=normalize_phone(phone, region) if phone and phone.strip() else None,
        email=normalize_email(email.strip()) if email and email.strip() else None,
        preferred_channel=channel,
        consent_sms=consent_sms,
        consent_whatsapp=consent_whatsapp,
        consent_email=consent_email,
        notes=notes,
        id=patient_id,
    )


@dataclass(frozen=True, slots=True)
class PatientRow:
    """One line of the patient list: enough to show, nothing to edit."""

    id: int
    first_name: str
    last_name: str
    date_of_birth: date | None
    phone: str | None
    email: str | None
    no_shows: int
    next_start: datetime | None  # the next booked or confirmed appointment, UTC

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
