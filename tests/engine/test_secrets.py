"""Secrets go to the OS keyring (here the real `keyring` package over an in-memory backend);
an environment variable wins for headless runs."""

from __future__ import annotations

import pytest

from medbookings_desktop import secrets
from tests.helpers.memory_keyring import memory_keyring


def test_a_secret_round_trips_through_the_keyring() -> None:
    with memory_keyring() as store:
        assert secrets.get_secret(secrets.SENDGRID_API_KEY, env={}) is None
        secrets.set_secret(secrets.SENDGRID_API_KEY, " SG.test-key ")
        assert store.store[("MedBookings Desktop", "sendgrid.api_key")] == "SG.test-key"
        assert secrets.get_secret(secrets.SENDGRID_API_KEY, env={}) == "SG.test-key"
        secrets.delete_secret(secrets.SENDGRID_API_KEY)
        secrets.delete_secret(secrets.SENDGRID_API_KEY)  # twice is fine
        assert not secrets.has_secret(secrets.SENDGRID_API_KEY, env={})


def test_the_environment_wins() -> None:
    with memory_keyring():
        secrets.set_secret(secrets.TWILIO_AUTH_TOKEN, "from-keyring")
        env = {"MEDBOOKINGS_TWILIO_AUTH_TOKEN": "from-env"}
        assert secrets.get_secret(secrets.TWILIO_AUTH_TOKEN, env=env) == "from-env"
        assert secrets.env_name("twilio.auth_token") == "MEDBOOKINGS_TWILIO_AUTH_TOKEN"


def test_empty_and_oversized_secrets_are_refused() -> None:
    with memory_keyring():
        with pytest.raises(secrets.SecretsError):
            secrets.set_secret(secrets.SENDGRID_API_KEY, "  ")
        with pytest.raises(secrets.SecretsError):
            secrets.set_secret(secrets.SENDGRID_API_KEY, "x" * 2561)
