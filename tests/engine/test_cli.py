"""`medbookings sync --once`, `attention` and `health` in-process, with the vendors' fakes named
by MEDBOOKINGS_* variables as a headless desk would."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.engine.conftest import Fakes
from tests.engine.support import book_many
from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import Cli


@pytest.fixture
def cli(db_url: str, capsys: pytest.CaptureFixture[str]) -> Cli:
    return Cli(db_url, capsys)


def test_sync_once_then_attention_and_health(
    db_url: str,
    cli: Cli,
    fakes: Fakes,
    monkeypatch: pytest.MonkeyPatch,
    real_clinic: Callable[[str], SmallClinic],
) -> None:
    for name, value in {**fakes.env(), "MEDBOOKINGS_QUIET_HOURS": "off"}.items():
        monkeypatch.setenv(name, value)
    c = real_clinic(db_url)
    book_many(c, 2, c.ada.id or 0)

    done = cli("sync", "--once", "--json")
    assert done.code == 0, done.err
    assert done.json["sent"] == 2 and done.json["channels"] == ["email", "sms"]
    assert len(fakes.texts()) == 2

    listed = cli("attention", "list", "--json")
    assert listed.code == 0 and listed.json == []

    health = {h["service"]: h for h in cli("health", "--json").json}
    assert health["twilio"]["last_success"] is not None
    assert health["twilio"]["queue_depth"] == 0 and health["sendgrid"]["state"] == "idle"


def test_attention_resolve_from_the_command_line(
    db_url: str,
    cli: Cli,
    fakes: Fakes,
    monkeypatch: pytest.MonkeyPatch,
    real_clinic: Callable[[str], SmallClinic],
) -> None:
    for name, value in {**fakes.env(), "MEDBOOKINGS_QUIET_HOURS": "off"}.items():
        monkeypatch.setenv(name, value)
    c = real_clinic(db_url)
    book_many(c, 1, c.ben.id or 0)  # Ben agreed to no channel
    assert cli("sync", "--once").code == 0
    [item] = cli("attention", "list", "--json").json
    assert item["kind"] == "no_channel" and item["patient_id"] == c.ben.id
    assert "Ben" not in item["summary"]
    resolved = cli("attention", "resolve", str(item["id"]))
    assert resolved.code == 0 and f"#{item['id']}" in resolved.out
    again = cli("attention", "resolve", str(item["id"]))
    assert again.code == 2 and "already resolved" in again.err
    assert cli("attention", "list", "--json").json == []


def test_sync_without_any_service_says_what_to_set_up(
    cli: Cli, db_url: str, real_clinic: Callable[[str], SmallClinic]
) -> None:
    real_clinic(db_url)
    done = cli("sync", "--once")
    assert done.code == 1
    assert "no sending service is set up" in done.err


def test_attention_send_again_from_the_command_line(
    db_url: str,
    cli: Cli,
    fakes: Fakes,
    monkeypatch: pytest.MonkeyPatch,
    real_clinic: Callable[[str], SmallClinic],
) -> None:
    for name, value in {**fakes.env(), "MEDBOOKINGS_QUIET_HOURS": "off"}.items():
        monkeypatch.setenv(name, value)
    c = real_clinic(db_url)
    book_many(c, 1, c.ada.id or 0)
    fakes.twilio_fails(400)
    fakes.sendgrid.fail_next(400)
    assert cli("sync", "--once").code == 0
    assert cli("sync", "--once").code == 0  # SMS refused, then e-mail refused
    [item] = cli("attention", "list", "--json").json
    done = cli("attention", "send-again", str(item["id"]))
    assert done.code == 0, done.err
    assert cli("sync", "--once", "--json").json["sent"] == 1
    assert len(fakes.texts()) == 1
