"""The engine as real processes: killed in the middle of a batch and restarted; two engines
on one PostgreSQL database. The vendors are the local fakes, reached by the real packages."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from medbookings_desktop.domain.messages import OutboxItem, OutboxKind, OutboxState
from medbookings_desktop.domain.patients import Channel
from medbookings_desktop.services import attention, patients
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from tests.engine.conftest import Fakes
from tests.engine.support import book_many, outbox
from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import process_env

pytestmark = pytest.mark.slow


def _engine_process(url: str, home: Path, fakes: Fakes, *args: str) -> subprocess.Popen[str]:
    env = {**process_env(home), **fakes.env(), "MEDBOOKINGS_QUIET_HOURS": "off"}
    return subprocess.Popen(
        [sys.executable, "-m", "medbookings_desktop", "--database", url, "sync", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(condition: Callable[[], bool], timeout: float = 60) -> None:
    """Poll what another process does (it has no signal to wait on), up to `timeout`."""
    done = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        done.wait(0.02)
    raise AssertionError("timed out waiting for the engine process")


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_killed_mid_batch_then_restarted_every_text_goes_once(
    db: str,
    request: pytest.FixtureRequest,
    fakes: Fakes,
    tmp_path: Path,
    real_clinic: Callable[[str], SmallClinic],
) -> None:
    url = str(request.getfixturevalue("sqlite_url" if db == "sqlite" else "pg_url"))
    c = real_clinic(url)
    appointments = book_many(c, 12, c.ada.id or 0)
    wanted = {a.id for a in appointments}
    first = _engine_process(url, tmp_path, fakes, "--forever", "--interval", "0.2", "--batch", "4")
    try:
        _wait_for(lambda: len(fakes.texts()) >= 4)
        # from now on Twilio sends the text and never answers: kill the engine while it waits
        sent_before = len(fakes.texts())
        fakes.twilio.hang_after_create = True
        _wait_for(lambda: len(fakes.texts()) > sent_before)
        first.send_signal(signal.SIGKILL)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate(timeout=30)
    fakes.twilio.hang_after_create = False
    assert first.returncode == -signal.SIGKILL
    # the rows of the batch in hand: one in the vendor's hands, the rest not yet tried
    interrupted = outbox(c.engine, state=OutboxState.SENDING.value)
    assert 1 <= len(interrupted) <= 4

    second = _engine_process(url, tmp_path, fakes, "--once", "--json")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    report = json.loads(out)
    outcomes = {r["outbox_id"]: r["outcome"] for r in report["recovered"]}
    assert set(outcomes) == {i.id for i in interrupted}
    # the text in Twilio's hands is found there and not sent again; the rest of the batch
    # was never handed over, so it goes back to the queue without asking Twilio
    assert sorted(outcomes.values()) == [
        "found at the vendor: marked sent",
        *["never handed to the vendor: back in the queue"] * (len(outcomes) - 1),
    ]

    confirmations = [
        i
        for i in outbox(c.engine, kind=OutboxKind.CONFIRMATION.value)
        if i.appointment_id in wanted
    ]
    assert {i.state for i in confirmations} == {OutboxState.SENT}
    bodies = Counter(t.body for t in fakes.texts())
    assert len(bodies) == len(wanted)  # every appointment's confirmation reached the vendor
    assert set(bodies.values()) == {1}  # and none twice
    log = (tmp_path / "logs" / "medbookings.log").read_text(encoding="utf-8")
    for item in interrupted:
        assert f"outbox #{item.id} (confirmation by sms" in log
        assert f"interrupted while sending: {outcomes[item.id]}" in log
    assert "+44" not in log and "Okafor" not in log


@pytest.mark.postgres
def test_two_engines_on_one_database_send_each_message_once(
    pg_url: str, fakes: Fakes, tmp_path: Path, real_clinic: Callable[[str], SmallClinic]
) -> None:
    c = real_clinic(pg_url)
    patients.edit(c.ctx, c.ada.id or 0, preferred_channel=Channel.EMAIL)
    [appt] = book_many(c, 1, c.ada.id or 0)
    now = c.clock.now
    with SqlUnitOfWork(c.engine) as uow:
        uow.outbox.add_many(
            [
                OutboxItem(
                    OutboxKind.CONFIRMATION, f"patient:{c.ada.id}", now, f"bulk:{n}", appt.id
                )
                for n in range(1000)
            ],
            now,
        )
        uow.commit()
    engines = [
        _engine_process(pg_url, tmp_path / f"desk{n}", fakes, "--once", "--json", "--batch", "20")
        for n in range(2)
    ]
    reports = []
    for p in engines:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        reports.append(json.loads(out))
    assert sum(r["sent"] for r in reports) == 1001  # 1000 + the booking's own confirmation
    assert all(r["sent"] > 0 for r in reports)  # both took part
    references = Counter(m.reference for m in fakes.emails())
    assert len(references) == 1001 and set(references.values()) == {1}
    assert {i.state for i in outbox(c.engine, kind="confirmation")} == {OutboxState.SENT}


def test_sigterm_stops_the_engine_cleanly(
    sqlite_url: str, fakes: Fakes, tmp_path: Path, real_clinic: Callable[[str], SmallClinic]
) -> None:
    c = real_clinic(sqlite_url)
    book_many(c, 3, c.ada.id or 0)
    p = _engine_process(sqlite_url, tmp_path, fakes, "--forever", "--json", "--interval", "0.2")
    try:
        _wait_for(lambda: len(fakes.texts()) == 3)
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate(timeout=30)
    assert p.returncode == 0, err
    report = json.loads(out)
    assert report["sent"] == 3 and report["channels"] == ["email", "sms"]
    assert outbox(c.engine, state=OutboxState.SENDING.value) == []


def test_killed_while_sendgrid_holds_an_email_it_is_marked_for_attention_not_resent(
    sqlite_url: str, fakes: Fakes, tmp_path: Path, real_clinic: Callable[[str], SmallClinic]
) -> None:
    c = real_clinic(sqlite_url)
    patients.edit(c.ctx, c.ada.id or 0, preferred_channel=Channel.EMAIL)
    book_many(c, 6, c.ada.id or 0)
    first = _engine_process(sqlite_url, tmp_path, fakes, "--forever", "--batch", "2")
    try:
        _wait_for(lambda: len(fakes.emails()) >= 2)
        before = len(fakes.emails())
        fakes.sendgrid.hang_after_accept = True
        _wait_for(lambda: len(fakes.emails()) > before)
        first.send_signal(signal.SIGKILL)
    finally:
        if first.poll() is None:
            first.kill()
        first.communicate(timeout=30)
    fakes.sendgrid.hang_after_accept = False
    interrupted = outbox(c.engine, state=OutboxState.SENDING.value)

    second = _engine_process(sqlite_url, tmp_path, fakes, "--once", "--json")
    out, err = second.communicate(timeout=120)
    assert second.returncode == 0, err
    outcomes = {r["outbox_id"]: r["outcome"] for r in json.loads(out)["recovered"]}
    assert set(outcomes) == {i.id for i in interrupted}
    assert sorted(outcomes.values()) == [
        "e-mail cannot be checked: marked for attention",
        *["never handed to the vendor: back in the queue"] * (len(outcomes) - 1),
    ]
    references = Counter(m.reference for m in fakes.emails())
    assert set(references.values()) == {1}  # nothing went twice
    # the one SendGrid held had gone out; the rest went on restart: all six arrived
    assert len(references) == 6
    [item] = attention.list_open(c.ctx)  # only the one SendGrid held
    assert item.kind == "uncertain_delivery"
    assert outcomes[item.outbox_id or 0] == "e-mail cannot be checked: marked for attention"
