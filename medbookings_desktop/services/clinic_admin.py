"""Small use cases the settings screen needs beyond services/setup.py."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from medbookings_desktop.domain.clinic import ClinicSettings, Location
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.services import setup
from medbookings_desktop.services.context import Context

# a reminder sent further ahead than this is not a reminder any more
MAX_REMINDER_OFFSET = timedelta(days=30)


def locations(ctx: Context) -> list[Location]:
    with ctx.read() as uow:
        return uow.locations.list()


def check_reminder_offsets(offsets: Iterable[timedelta]) -> tuple[timedelta, ...]:
    """Positive, at most 30 days, no two alike; returned longest first (the order sent)."""
    found = tuple(offsets)
    for offset in found:
        if offset <= timedelta(0):
            raise InvalidInput("A reminder must be sent before the visit.", "reminder_offsets")
        if offset > MAX_REMINDER_OFFSET:
            raise InvalidInput(
                "A reminder can be sent at most 30 days before the visit.", "reminder_offsets"
            )
        if offset % timedelta(minutes=1):
            raise InvalidInput("Reminder offsets are whole minutes.", "reminder_offsets")
    if len(set(found)) != len(found):
        raise InvalidInput("The same reminder is listed twice.", "reminder_offsets")
    return tuple(sorted(found, reverse=True))


def set_reminder_offsets(ctx: Context, offsets: Iterable[timedelta]) -> ClinicSettings:
    """Bookings made from now on get these reminders; those already queued keep theirs."""
    return setup.update_clinic(ctx, reminder_offsets=check_reminder_offsets(offsets))
