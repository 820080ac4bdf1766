"""Helpers for the engine's tests: a clinic on the real clock, many bookings, the outbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, select

from medbookings_desktop.domain.appointments import Appointment
from medbookings_desktop.domain.messages import OutboxItem
from medbookings_desktop.services import booking
from medbookings_desktop.storage import outbox_rows
from medbookings_desktop.storage import tables as t
from tests.fakes.sendgrid_server import API_KEY as SENDGRID_KEY
from tests.fakes.twilio_server import ACCOUNT_SID as TWILIO_SID
from tests.fakes.twilio_server import AUTH_TOKEN as TWILIO_TOKEN
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

LONDON = ZoneInfo("Europe/London")


def real_time_clinic(url: str) -> SmallClinic:
    """The small clinic on today's clock, for tests that run `medbookings` as a process."""
    return build_small_clinic(url, Clock(datetime.now(UTC)))


def _weekdays_from(first: date) -> Iterator[date]:
    day = first
    while True:
        if day.weekday() < 5:
            yield day
        day += timedelta(days=1)


def checkup_starts(today: date) -> Iterator[datetime]:
    """Dr A's 15-minute slots from a week ahead: 09:00–12:30 and 13:00–17:00, London."""
    for day in _weekdays_from(today + timedelta(days=7)):
        for h, m in [(h, m) for h in range(9, 17) for m in (0, 15, 30, 45)]:
            if time(12, 30) <= time(h, m) < time(13):
                continue
            yield datetime.combine(day, time(h, m), tzinfo=LONDON)


def book_many(c: SmallClinic, n: int, patient_id: int) -> list[Appointment]:
    starts = checkup_starts(c.clock.now.date())
    return [
        booking.book(
            c.ctx,
            patient_id=patient_id,
            provider_id=c.dr_a.id or 0,
            service_id=c.checkup.id or 0,
            start=next(starts),
        ).appointment
        for _ in range(n)
    ]


def outbox(engine: Engine, **where: Any) -> list[OutboxItem]:
    q = select(t.outbox).order_by(t.outbox.c.id)
    for name, value in where.items():
        q = q.where(t.outbox.c[name] == value)
    with engine.connect() as conn:
        return [outbox_rows.outbox_item(r) for r in conn.execute(q)]


def table(engine: Engine, name: str) -> list[dict[str, Any]]:
    tab = t.metadata.tables[name]
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(tab).order_by(tab.c.id))]


def vendor_env(sendgrid_url: str, twilio_url: str, *, sms_from: str) -> dict[str, str]:
    """The MEDBOOKINGS_* variables that point an engine (or its child process) at the fakes."""
    return {
        "MEDBOOKINGS_SENDGRID_API_URL": sendgrid_url,
        "MEDBOOKINGS_SENDGRID_API_KEY": SENDGRID_KEY,
        "MEDBOOKINGS_SENDGRID_FROM_EMAIL": "desk@example.org",
        "MEDBOOKINGS_SENDGRID_FROM_NAME": "Riverside Clinic",
        "MEDBOOKINGS_TWILIO_API_URL": twilio_url,
        "MEDBOOKINGS_TWILIO_ACCOUNT_SID": TWILIO_SID,
        "MEDBOOKINGS_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "MEDBOOKINGS_TWILIO_SMS_FROM": sms_from,
    }
