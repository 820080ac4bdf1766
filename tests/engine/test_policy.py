"""The engine's pure decisions: channel order, backoff, quiet hours, replies."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

import pytest

from medbookings_desktop.domain.patients import Channel, Patient
from medbookings_desktop.sync.policy import (
    Backoff,
    QuietHours,
    ReplyMeaning,
    candidates,
    parse_quiet_hours,
    reply_meaning,
    wants_no_messages,
)

ALL = ("email", "sms", "whatsapp")


def _patient(**kw: object) -> Patient:
    base: dict[str, object] = {
        "first_name": "Ada",
        "last_name": "Okafor",
        "phone": "+442079460123",
        "email": "ada@example.org",
    }
    return Patient(**{**base, **kw})  # type: ignore[arg-type]


def test_the_patients_choice_comes_first_then_what_they_agreed_to() -> None:
    p = _patient(preferred_channel=Channel.WHATSAPP, consent_whatsapp=True, consent_email=True)
    assert candidates(p, ALL, ()) == ["whatsapp", "email"]


def test_no_consent_or_no_address_means_no_channel() -> None:
    p = _patient(preferred_channel=Channel.SMS, consent_sms=True, phone=None, consent_email=False)
    assert candidates(p, ALL, ()) == []


def test_failed_and_unconfigured_channels_are_skipped() -> None:
    p = _patient(consent_sms=True, consent_email=True, consent_whatsapp=True)
    assert candidates(p, ALL, {"sms"}) == ["whatsapp", "email"]
    assert candidates(p, ("email",), ()) == ["email"]


def test_a_patient_who_chose_no_messages() -> None:
    assert wants_no_messages(_patient(preferred_channel=Channel.NONE))
    assert not wants_no_messages(_patient(preferred_channel=Channel.NONE, consent_email=True))


def test_backoff_grows_with_jitter_and_stays_under_the_cap() -> None:
    b = Backoff(base=timedelta(seconds=30), cap=timedelta(hours=1))
    rng = random.Random(7)
    for attempt in range(1, 12):
        full = min(timedelta(hours=1), timedelta(seconds=30) * 2 ** (attempt - 1))
        waits = {b.delay(attempt, rng) for _ in range(20)}
        assert all(full / 2 <= w <= full for w in waits)
        assert len(waits) > 1  # jitter


def test_backoff_honours_retry_after() -> None:
    b = Backoff()
    assert b.delay(1, random.Random(1), retry_after=600) == timedelta(seconds=600)
    assert b.delay(1, random.Random(1), retry_after=1) < timedelta(seconds=31)


def test_quiet_hours_over_midnight_in_the_clinics_zone() -> None:
    q = QuietHours(time(21), time(8), "Europe/London")
    # 20:30 UTC in June is 21:30 in London
    assert q.contains(datetime(2026, 6, 1, 20, 30, tzinfo=UTC))
    assert not q.contains(datetime(2026, 6, 1, 19, 30, tzinfo=UTC))
    assert q.contains(datetime(2026, 6, 2, 6, 59, tzinfo=UTC))
    assert not q.contains(datetime(2026, 6, 2, 7, 0, tzinfo=UTC))
    assert q.end_after(datetime(2026, 6, 1, 20, 30, tzinfo=UTC)) == datetime(
        2026, 6, 2, 7, 0, tzinfo=UTC
    )


def test_quiet_hours_end_at_the_wall_clock_time_across_a_dst_change() -> None:
    q = QuietHours(time(21), time(8), "Europe/London")
    # the night the clocks go forward (29 March 2026): 08:00 BST is 07:00 UTC
    night = datetime(2026, 3, 28, 22, 0, tzinfo=UTC)
    assert q.contains(night)
    assert q.end_after(night) == datetime(2026, 3, 29, 7, 0, tzinfo=UTC)


def test_quiet_hours_setting() -> None:
    assert parse_quiet_hours(None, "UTC") is None
    assert parse_quiet_hours(["22:00", "07:30"], "UTC") == QuietHours(time(22), time(7, 30), "UTC")
    with pytest.raises(ValueError):
        parse_quiet_hours(["22:00"], "UTC")


@pytest.mark.parametrize(
    ("body", "meaning"),
    [
        ("C", ReplyMeaning.CONFIRM),
        (" yes! ", ReplyMeaning.CONFIRM),
        ("x", ReplyMeaning.CANCEL),
        ("Cancel.", ReplyMeaning.CANCEL),
        ("STOP", ReplyMeaning.STOP),
        ("yes please, and can I bring my son", ReplyMeaning.OTHER),
        ("", ReplyMeaning.OTHER),
    ],
)
def test_what_a_reply_means(body: str, meaning: ReplyMeaning) -> None:
    assert reply_meaning(body) is meaning
