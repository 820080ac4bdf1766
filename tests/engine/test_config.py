"""The clinic's messaging settings: saved in the database, overridden by MEDBOOKINGS_* variables,
secrets never stored with them; the "send test message" path against the fakes."""

from __future__ import annotations

import pytest

from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.messaging.errors import DeliveryError
from medbookings_desktop.sync import config as cfg
from tests.engine.conftest import Fakes
from tests.helpers.clinic import SmallClinic
from tests.helpers.memory_keyring import memory_keyring


def test_saved_settings_hold_no_secret_and_the_environment_wins(clinic: SmallClinic) -> None:
    saved = cfg.MessagingConfig(
        email_from="desk@example.org",
        sms_from="+442079460999",
        template_ids={"confirmation": "d-123"},
        quiet_hours=("22:00", "07:00"),
    )
    cfg.save(clinic.ctx, saved)
    back = cfg.stored(clinic.ctx)
    assert back.email_from == "desk@example.org" and back.quiet_hours == ("22:00", "07:00")
    assert back.template_ids == {"confirmation": "d-123"}
    with clinic.ctx.read() as uow:
        raw = uow.settings.value(cfg.SETTINGS_KEY)
    assert "sendgrid_url" not in raw and not any("key" in k or "token" in k for k in raw)
    env = {"MEDBOOKINGS_TWILIO_SMS_FROM": "+442079460998", "MEDBOOKINGS_QUIET_HOURS": "off"}
    merged = cfg.load(raw, twilio_url="http://127.0.0.1:9", env=env)
    assert merged.sms_from == "+442079460998" and merged.quiet_hours is None
    assert merged.twilio_url == "http://127.0.0.1:9"


def test_bad_quiet_hours_are_refused(clinic: SmallClinic) -> None:
    with pytest.raises(InvalidInput, match="Quiet hours"):
        cfg.save(clinic.ctx, cfg.MessagingConfig(quiet_hours=("22:00", "late")))


def test_channels_need_their_secret_from_the_keyring(fakes: Fakes) -> None:
    env = {k: v for k, v in fakes.env().items() if not k.endswith(("API_KEY", "AUTH_TOKEN"))}
    config = cfg.load(None, env=env)
    with memory_keyring():
        assert cfg.build_channels(config, env=env) == {}
        from medbookings_desktop import secrets

        secrets.set_secret(secrets.SENDGRID_API_KEY, fakes.env()["MEDBOOKINGS_SENDGRID_API_KEY"])
        assert sorted(cfg.build_channels(config, env=env)) == ["email"]
        sent = cfg.send_test_message(config, "email", "desk@example.org", env=env)
    assert sent == fakes.sendgrid.mails[0].message_id


def test_a_test_message_with_a_wrong_token_says_so(fakes: Fakes) -> None:
    env = {**fakes.env(), "MEDBOOKINGS_TWILIO_AUTH_TOKEN": "wrong"}
    config = cfg.load(None, env=env)
    with pytest.raises(DeliveryError) as caught:
        cfg.send_test_message(config, "sms", "+442079460123", env=env)
    assert caught.value.credentials_rejected
    with pytest.raises(ValueError, match="whatsapp is not set up"):
        cfg.send_test_message(config, "whatsapp", "+442079460123", env=env)
