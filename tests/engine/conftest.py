"""The engine's tests: the vendor fakes running, and engines wired to them the way a desk is
(sync/config.py from `MEDBOOKINGS_*` variables, the real vendor channels)."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from medbookings_desktop.sync import config as cfg
from medbookings_desktop.sync.engine import Engine, EngineConfig, load_messaging_config
from tests.engine.support import real_time_clinic, vendor_env
from tests.fakes.sendgrid_server import FakeSendGrid
from tests.fakes.server import Request, Response, _Failure
from tests.fakes.twilio_server import ACCOUNT_SID as TWILIO_SID
from tests.fakes.twilio_server import AUTH_TOKEN as TWILIO_TOKEN
from tests.fakes.twilio_server import FakeTwilio
from tests.helpers.clinic import SmallClinic

SMS_FROM = "+442079460999"


@dataclass(frozen=True)
class Email:
    to: str
    reference: str
    message_id: str


@dataclass(frozen=True)
class Text:
    to: str
    body: str
    sid: str


class CrashyTwilio(FakeTwilio):
    """Twilio that, when told, creates the message and then never answers: the crash the
    engine must survive without sending twice (the text went out, the sender never heard)."""

    hang_after_create = False

    def handle(self, request: Request) -> Response | _Failure:
        result = super().handle(request)
        creating = request.method == "POST" and request.path.endswith("/Messages.json")
        answered = isinstance(result, Response) and result.status == 201
        if self.hang_after_create and creating and answered:
            return _Failure(None, hang_seconds=60)
        return result


class CrashySendGrid(FakeSendGrid):
    """SendGrid that, when told, accepts the mail and then never answers."""

    hang_after_accept = False

    def handle(self, request: Request) -> Response | _Failure:
        result = super().handle(request)
        accepted = isinstance(result, Response) and result.status in (200, 202)
        if self.hang_after_accept and accepted:
            return _Failure(None, hang_seconds=60)
        return result


class Fakes:
    """Both vendors' fakes, and what the engine sent to them, read plainly."""

    def __init__(self, sendgrid: CrashySendGrid, twilio: Any) -> None:
        self.sendgrid = sendgrid
        self.twilio = twilio
        self._twilio_seen = 0

    def env(self) -> dict[str, str]:
        return vendor_env(self.sendgrid.url, self.twilio.url, sms_from=SMS_FROM)

    def emails(self) -> list[Email]:
        with self.sendgrid.lock:
            mails = list(self.sendgrid.mails)
        return [
            Email(m.to[0], m.custom_args.get("medbookings_ref", ""), m.message_id) for m in mails
        ]

    def texts(self) -> list[Text]:
        return [Text(m.to, m.body, m.sid) for m in self.twilio.sent]

    def texts_requested(self) -> int:
        """Message creations Twilio was asked for, answered or not."""
        with self.twilio.lock:
            return sum(
                1 for r in self.twilio.requests if r.method == "POST" and "/Messages" in r.path
            )

    def twilio_fails(self, status: int, *, retry_after: float | None = None) -> None:
        self.twilio.fail_next(status, retry_after=retry_after)
        self._twilio_seen = len(self.twilio.requests)

    def twilio_requests_since_reset(self) -> int:
        """Requests Twilio got since the last failure switch, beyond the failed one."""
        return len(self.twilio.requests) - self._twilio_seen - 1

    def reply(self, sender: str, body: str) -> None:
        self.twilio.inject_reply(sender, body, to=SMS_FROM)


@pytest.fixture
def fakes() -> Iterator[Fakes]:
    sendgrid = CrashySendGrid()
    twilio = CrashyTwilio(TWILIO_SID, TWILIO_TOKEN)
    sendgrid.start()
    twilio.start()
    try:
        yield Fakes(sendgrid, twilio)
    finally:
        sendgrid.stop()
        twilio.stop()
    for fake in (sendgrid, twilio):
        assert fake.violations == [], f"{fake.name} saw requests outside its description"


@pytest.fixture
def real_clinic() -> Iterator[Callable[[str], SmallClinic]]:
    """Makes the small clinic on today's clock (for `medbookings` processes) and closes its
    connections after the test, whatever the test's outcome."""
    made: list[SmallClinic] = []

    def make(url: str) -> SmallClinic:
        made.append(real_time_clinic(url))
        return made[-1]

    yield make
    for c in made:
        c.engine.dispose()


def make_engine(c: SmallClinic, fakes: Fakes, *, identity: str | None = None) -> Engine:
    """An engine as a desk builds it, on the test's clock, with a fixed random jitter."""
    fakes.twilio.clock = c.clock  # Twilio stamps messages on the same clock
    env = fakes.env()
    messaging = load_messaging_config(c.engine, env=env)
    return Engine(
        c.engine,
        cfg.build_channels(messaging, env=env),
        messaging=messaging,
        config=EngineConfig(),
        clock=c.clock,
        rng=random.Random(4),
        identity=identity,
    )
