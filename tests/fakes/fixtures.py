"""Pytest fixtures for the local vendor fakes.

Import them into a test folder's conftest.py:
`from tests.fakes.fixtures import sendgrid_fake, twilio_fake  # noqa: F401`.
Each fake runs on a free loopback port for one test and fails the test at teardown if a request
broke the vendor's description (set `fake.allow_violations = True` in a test that sends one on
purpose).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakes.sendgrid_server import FakeSendGrid
from tests.fakes.server import FakeVendor
from tests.fakes.twilio_server import FakeTwilio


def _no_violations(fake: FakeVendor) -> None:
    if not getattr(fake, "allow_violations", False):
        assert fake.violations == [], f"{fake.name} saw requests outside its description"
    assert fake.answer_problems == [], f"{fake.name} answered outside its description"


@pytest.fixture
def sendgrid_fake() -> Iterator[FakeSendGrid]:
    fake = FakeSendGrid()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    _no_violations(fake)


@pytest.fixture
def twilio_fake() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    _no_violations(fake)
