"""Vendor answers mapped to DeliveryError, Retry-After read, patient data kept out of reasons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from medbookings_desktop.messaging._scrub import scrub
from medbookings_desktop.messaging.errors import from_status, network, retry_after_seconds


@pytest.mark.parametrize(
    ("status", "retryable", "credentials"),
    [
        (400, False, False),
        (404, False, False),
        (413, False, False),
        (422, False, False),
        (401, False, True),
        (403, False, True),
        (429, True, False),
        (500, True, False),
        (502, True, False),
        (503, True, False),
        (504, True, False),
    ],
)
def test_status_mapping(status: int, retryable: bool, credentials: bool) -> None:
    err = from_status("SendGrid", status)
    assert (err.retryable, err.credentials_rejected, err.status) == (
        retryable,
        credentials,
        status,
    )
    assert f"HTTP {status}" in err.reason
    assert err.reason.startswith(("SendGrid", "could not"))


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(" 1.5 ") == 1.5
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("") is None
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds("-3") == 0.0
    later = datetime.now(UTC) + timedelta(seconds=120)
    seconds = retry_after_seconds(format_datetime(later, usegmt=True))
    assert seconds is not None and 100 < seconds <= 120
    assert from_status("Twilio", 503, retry_after="30").retry_after == 30.0


def test_network_failures_are_retryable() -> None:
    assert network("Twilio", TimeoutError("timed out")).reason == "Twilio did not answer in time"
    err = network("Twilio", ConnectionRefusedError(111, "Connection refused"))
    assert err.retryable is True
    assert err.reason == "could not reach Twilio (ConnectionRefusedError)"


def test_scrub_blanks_addresses_and_numbers() -> None:
    text = "Invalid 'To' Phone Number: +44 7700 900123 for ada.okafor@example.org (code 21211)"
    assert scrub(text) == "Invalid 'To' Phone Number: <number> for <address> (code 21211)"
    assert len(scrub("x" * 500)) == 200
