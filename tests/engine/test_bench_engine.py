"""`medbookings bench engine` runs against the local fakes and prints every figure; and the
engine's throughput parts that can be counted rather than timed (compiled templates kept,
one Twilio connection for many sends, a warm-up that sends nothing).

Timings are printed, never asserted (shared machines are noisy); counts are checked.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from medbookings_desktop.messaging.message import OutgoingMessage
from medbookings_desktop.messaging.twilio_messages import TwilioChannel
from medbookings_desktop.services import booking, templates
from tests.engine.bench_engine import CHANNELS, TARGETS, vendors
from tests.engine.conftest import Fakes, make_engine
from tests.engine.support import outbox
from tests.fakes.twilio_server import ACCOUNT_SID, AUTH_TOKEN
from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import Cli


@pytest.mark.slow
def test_bench_engine_prints_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = Cli(f"sqlite:///{tmp_path / 'desk.sqlite3'}", capsys)(
        "bench", "engine", "--rounds", "1", "--json"
    )
    assert done.code == 0, done.err
    figures = done.json
    assert set(TARGETS) <= set(figures)
    assert figures["idle_pass_requests"] == 0  # nothing due: nobody is called
    assert figures["idle_pass_ms"] > 0
    assert set(figures["messages_per_s"]) == set(CHANNELS)
    assert all(rate > 0 for rate in figures["messages_per_s"].values())
    # texts share the twilio package's keep-alive connection (opened by an earlier pass)
    assert figures["connections_per_channel"]["sms"] <= 1
    assert figures["connections_per_channel"]["whatsapp"] <= 1
    assert figures["ui_messages_sent"] == 1000
    assert figures["ui_max_block_ms"] >= 0 and figures["ui_engine_start_max_block_ms"] >= 0


def test_bench_engine_refuses_a_silly_round_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = Cli(f"sqlite:///{tmp_path / 'desk.sqlite3'}", capsys)("bench", "engine", "--rounds", "0")
    assert done.code != 0 and "--rounds" in done.err


def test_a_template_is_compiled_once_per_text() -> None:
    text = "{{ clinic_name }}: a bench reminder for {{ patient_first_name }} at {{ time }}."
    facts = {"clinic_name": "Riverside Clinic", "patient_first_name": "Ada", "time": "10:00"}
    before = templates.compiled.cache_info()
    first = templates.render_text(text, facts)
    second = templates.render_text(text, {**facts, "patient_first_name": "Ben"})
    after = templates.compiled.cache_info()
    assert first == "Riverside Clinic: a bench reminder for Ada at 10:00."
    assert second.endswith("for Ben at 10:00.")
    assert after.misses - before.misses <= 1 and after.hits - before.hits >= 1
    assert after.maxsize == templates.COMPILED_CACHE_SIZE  # bounded


def test_a_broken_template_is_refused_every_time() -> None:
    for _ in range(2):
        with pytest.raises(templates.TemplateProblem, match="Line 1"):
            templates.check_template("{{ date", "reminder")
        with pytest.raises(templates.TemplateProblem, match="Unknown placeholder 'nope'"):
            templates.check_template("{{ nope }}", "reminder")


def test_many_texts_go_through_one_twilio_connection() -> None:
    with vendors() as v:
        channel = TwilioChannel(
            ACCOUNT_SID, AUTH_TOKEN, sms_from="+442079460999", base_url=v.twilio.url
        )
        try:
            for i in range(5):
                channel.send(
                    OutgoingMessage(
                        channel="sms",
                        to="+442079460123",
                        kind="reminder",
                        subject="",
                        text=f"Reminder {i}",
                    )
                )
        finally:
            channel.close()
        assert len(v.twilio.sent) == 5
        assert v.connections["twilio"] == 1


def test_warming_up_the_engine_sends_nothing_and_calls_nobody(
    clinic: SmallClinic, fakes: Fakes
) -> None:
    engine = make_engine(clinic, fakes)
    booking.book(
        clinic.ctx,
        patient_id=clinic.ada.id or 0,
        provider_id=clinic.dr_a.id or 0,
        service_id=clinic.checkup.id or 0,
        start=datetime(2026, 6, 2, 8, 0, tzinfo=UTC),
    )
    before = outbox(clinic.engine)
    engine.warm_up()
    assert fakes.sendgrid.requests == [] and fakes.twilio.requests == []
    assert outbox(clinic.engine) == before  # the confirmation still waits for a pass
    assert len(engine.run_once().sent) == 1
