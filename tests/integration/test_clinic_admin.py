"""Reminder offsets and the locations list, as the settings screen uses them, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from medbookings_desktop.domain.clinic import Location
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.domain.messages import OutboxKind
from medbookings_desktop.services import booking, clinic_admin, setup
from tests.helpers.clinic import SmallClinic


def test_offsets_are_saved_longest_first_and_used_by_the_next_booking(
    clinic: SmallClinic,
) -> None:
    saved = clinic_admin.set_reminder_offsets(
        clinic.ctx, [timedelta(minutes=90), timedelta(days=3)]
    )
    assert saved.reminder_offsets == (timedelta(days=3), timedelta(minutes=90))
    assert setup.clinic_settings(clinic.ctx).reminder_offsets == saved.reminder_offsets
    # Friday 5 June, 10:00 London: both reminders are ahead of Monday 07:00 UTC
    start = datetime(2026, 6, 5, 9, 0, tzinfo=UTC)
    outcome = booking.book(
        clinic.ctx,
        patient_id=clinic.ben.id or 0,
        provider_id=clinic.dr_a.id or 0,
        service_id=clinic.checkup.id or 0,
        start=start,
    )
    with clinic.ctx.read() as uow:
        rows = uow.outbox.for_appointment(outcome.appointment.id or 0)
    due = sorted(r.due_at for r in rows if r.kind is OutboxKind.REMINDER)
    assert due == [start - timedelta(days=3), start - timedelta(minutes=90)]


def test_no_reminders_at_all_is_allowed(clinic: SmallClinic) -> None:
    assert clinic_admin.set_reminder_offsets(clinic.ctx, []).reminder_offsets == ()


@pytest.mark.parametrize(
    ("offsets", "words"),
    [
        ([timedelta(hours=2), timedelta(hours=2)], "twice"),
        ([timedelta(0)], "before the visit"),
        ([timedelta(hours=-1)], "before the visit"),
        ([timedelta(days=31)], "30 days"),
        ([timedelta(seconds=90)], "whole minutes"),
    ],
)
def test_bad_offsets_are_refused_and_nothing_changes(
    clinic: SmallClinic, offsets: list[timedelta], words: str
) -> None:
    before = setup.clinic_settings(clinic.ctx)
    with pytest.raises(InvalidInput, match=words) as refused:
        clinic_admin.set_reminder_offsets(clinic.ctx, offsets)
    assert refused.value.field == "reminder_offsets"
    assert setup.clinic_settings(clinic.ctx) == before


def test_locations_are_listed_in_the_order_added(clinic: SmallClinic) -> None:
    setup.save_location(clinic.ctx, Location(name="Hillside", zone="Europe/London"))
    assert [loc.name for loc in clinic_admin.locations(clinic.ctx)] == ["Riverside", "Hillside"]
