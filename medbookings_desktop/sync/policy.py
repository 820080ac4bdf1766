"""The engine's decisions that need no database and no network: channels, backoff, quiet hours,
what a patient's reply means."""

from __future__ import annotations

import random
import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.messages import OutboxKind
from medbookings_desktop.domain.patients import Channel, Patient

# What the engine sends; calendar rows belong to the calendar reconciler.
MESSAGE_KINDS = frozenset(
    {
        OutboxKind.CONFIRMATION,
        OutboxKind.CHANGE_NOTICE,
        OutboxKind.CANCELLATION_NOTICE,
        OutboxKind.REMINDER,
        OutboxKind.PROVIDER_NOTICE,
    }
)

SERVICE_OF_CHANNEL = {"email": "sendgrid", "sms": "twilio", "whatsapp": "twilio"}
SERVICE_NAMES = {"sendgrid": "SendGrid (e-mail)", "twilio": "Twilio (SMS and WhatsApp)"}
# after the patient's own choice, the order in which other channels are tried
FALLBACK_ORDER = ("sms", "whatsapp", "email")
# channels that wait for the end of quiet hours (a text wakes people; an e-mail does not)
LOUD_CHANNELS = frozenset({"sms", "whatsapp"})


def service_of(channel: str) -> str:
    return SERVICE_OF_CHANNEL[channel]


def address(patient: Patient, channel: str) -> str | None:
    """Where a channel reaches the patient, if they agreed to it and we have the address."""
    if channel == "email":
        return patient.email if patient.consent_email and patient.email else None
    if channel == "sms":
        return patient.phone if patient.consent_sms and patient.phone else None
    if channel == "whatsapp":
        return patient.phone if patient.consent_whatsapp and patient.phone else None
    return None


def channel_order(patient: Patient) -> list[str]:
    preferred = patient.preferred_channel.value
    rest = [c for c in FALLBACK_ORDER if c != preferred]
    return [preferred, *rest] if preferred in FALLBACK_ORDER else rest


def candidates(patient: Patient, configured: Collection[str], failed: Collection[str]) -> list[str]:
    """Channels to try, best first: the patient's choice, then the others they agreed to,
    among those this desk can send by, minus those that already failed for good."""
    return [
        c
        for c in channel_order(patient)
        if c in configured and c not in failed and address(patient, c) is not None
    ]


def wants_no_messages(patient: Patient) -> bool:
    return patient.preferred_channel is Channel.NONE and not (
        patient.consent_email or patient.consent_sms or patient.consent_whatsapp
    )


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: the n-th retry waits between half and all of
    base * 2**(n-1), at most `cap`; never less than what the vendor asked (Retry-After)."""

    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def delay(
        self, attempt: int, rng: random.Random, retry_after: float | None = None
    ) -> timedelta:
        full: timedelta = min(self.cap, self.base * 2 ** max(0, attempt - 1))
        wait: timedelta = full / 2 + full / 2 * rng.random()
        if retry_after is not None and retry_after > 0:
            wait = max(wait, timedelta(seconds=retry_after))
        return wait


@dataclass(frozen=True)
class QuietHours:
    """Local hours (in the clinic's zone) when texts wait; start > end spans midnight."""

    start: time
    end: time
    zone: str

    def contains(self, instant: datetime) -> bool:
        local = instant.astimezone(ZoneInfo(self.zone)).time().replace(tzinfo=None)
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def end_after(self, instant: datetime) -> datetime:
        """The first end of quiet hours after `instant`, in UTC (the wall-clock end, so a DST
        change in the night does not move it)."""
        zone = ZoneInfo(self.zone)
        after = instant.astimezone(UTC)  # compared in UTC: wall times in one zone ignore fold
        day = instant.astimezone(zone).date()
        for offset in range(3):
            wall = datetime.combine(day + timedelta(days=offset), self.end)
            first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
            second = wall.replace(tzinfo=zone, fold=1).astimezone(UTC)
            # a repeated wall time (autumn) ends at either occurrence, whichever is still ahead;
            # a skipped one (spring) reads with the offset before the change: later by the gap
            repeated = first != second and first.astimezone(zone).replace(tzinfo=None) == wall
            for candidate in (first, second) if repeated else (first,):
                if candidate > after:
                    return candidate
        raise AssertionError("unreachable: an end of quiet hours within two days")


def parse_quiet_hours(value: object, zone: str) -> QuietHours | None:
    """From the clinic setting: ["21:00", "08:00"], or null/empty for none."""
    if not value:
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        raise ValueError(f"quiet hours must be two times like ['21:00', '08:00'], not {value!r}")
    start, end = (time.fromisoformat(str(v)) for v in value)
    return QuietHours(start, end, zone)


class ReplyMeaning(StrEnum):
    CONFIRM = "confirm"
    CANCEL = "cancel"
    STOP = "stop"
    OTHER = "other"


_WORDS = {
    "C": ReplyMeaning.CONFIRM,
    "YES": ReplyMeaning.CONFIRM,
    "X": ReplyMeaning.CANCEL,
    "CANCEL": ReplyMeaning.CANCEL,
    "STOP": ReplyMeaning.STOP,
}


def reply_meaning(body: str) -> ReplyMeaning:
    """One word, case and surrounding punctuation ignored; anything longer is for a person."""
    word = re.sub(r"^[\W_]+|[\W_]+$", "", body.strip()).upper()
    return _WORDS.get(word, ReplyMeaning.OTHER)


def phone_of(sender: str) -> str:
    """`whatsapp:+4420...` and `+4420...` both name the number."""
    return sender.removeprefix("whatsapp:").strip()
