"""Fixtures for the calendar sync tests: the local Google Calendar (with its token endpoint),
a memory keyring holding each connected provider's refresh token, and a desk's CalendarSync
pointed at the fake the way a desk is (GoogleConfig endpoints)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from medbookings_desktop.integrations.google_auth import GoogleConfig, refresh_token_key
from medbookings_desktop.secrets import set_secret
from medbookings_desktop.services import booking
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.repositories.calendars import CONNECTED, CalendarRepository
from medbookings_desktop.sync.calendar_sync import CalendarSync, CalendarSyncConfig
from tests.fakes.google_calendar_server import FakeGoogleCalendar
from tests.fakes.google_oauth_server import CLIENT_ID, CLIENT_SECRET
from tests.helpers.clinic import SmallClinic
from tests.helpers.memory_keyring import MemoryKeyring, memory_keyring

CAL_A = "dr.mokoena.example.org_abc@group.calendar.google.com"
CAL_B = "dr.berg.example.org_def@group.calendar.google.com"
NINE = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 09:00 in London


def book(clinic: SmallClinic, start: datetime = NINE, *, video: bool = False) -> int:
    assert clinic.dr_a.id and clinic.ada.id
    service = clinic.video if video else clinic.consultation
    assert service.id
    outcome = booking.book(
        clinic.ctx,
        patient_id=clinic.ada.id,
        provider_id=clinic.dr_a.id,
        service_id=service.id,
        start=start,
        location_id=None if video else clinic.london.id,
        online=video,
    )
    appt_id = outcome.appointment.id
    assert appt_id is not None
    return appt_id


@pytest.fixture
def gcal() -> Iterator[FakeGoogleCalendar]:
    fake = FakeGoogleCalendar()
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()
    assert fake.violations == []
    assert fake.problems == []


@pytest.fixture
def keyring_store() -> Iterator[MemoryKeyring]:
    with memory_keyring() as store:
        yield store


def google_config(fake: FakeGoogleCalendar) -> GoogleConfig:
    return GoogleConfig(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        auth_url=fake.auth_url,
        token_url=fake.token_url,
        revoke_url=fake.revoke_url,
        api_url=fake.url,
    )


@dataclass
class Sleeps:
    """The sync's sleep: records the pauses asked for, never waits."""

    taken: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.taken.append(seconds)


def connect(clinic: SmallClinic, fake: FakeGoogleCalendar, provider_id: int, cal: str) -> None:
    set_secret(refresh_token_key(provider_id), fake.refresh_token())
    with clinic.ctx.write() as uow:
        CalendarRepository(uow.conn).save_link(  # type: ignore[attr-defined]
            provider_id, CONNECTED, clinic.clock(), account_email=cal, calendar_id=cal
        )
        uow.commit()


def desk_sync(clinic: SmallClinic, fake: FakeGoogleCalendar, sleeps: Sleeps) -> CalendarSync:
    config = CalendarSyncConfig(
        google_config(fake),
        timeout=5,
        sleep=sleeps,
        meet_poll_delay=0.5,
        poll_interval=timedelta(0),  # every pass reads (the tests' clock stands still)
    )
    return CalendarSync(clinic.engine, config, clock=clinic.clock)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def desk(
    clinic: SmallClinic, gcal: FakeGoogleCalendar, keyring_store: MemoryKeyring, sleeps: Sleeps
) -> CalendarSync:
    assert clinic.dr_a.id is not None
    connect(clinic, gcal, clinic.dr_a.id, CAL_A)
    return desk_sync(clinic, gcal, sleeps)


def rows(clinic: SmallClinic, table: Any, *where: Any) -> list[Any]:
    with clinic.engine.connect() as conn:
        return list(conn.execute(select(table).where(*where)))


def open_items(clinic: SmallClinic, kind: str | None = None) -> list[Any]:
    AI = t.attention_items
    where = [AI.c.resolved_at.is_(None)]
    if kind is not None:
        where.append(AI.c.kind == kind)
    return rows(clinic, AI, *where)
