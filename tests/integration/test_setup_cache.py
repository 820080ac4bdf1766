"""A desk keeps the clinic's setup between slot searches, and sees another desk's changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, time, timedelta

from medbookings_desktop.bootstrap import context_for, open_engine
from medbookings_desktop.domain.clinic import WorkingHours
from medbookings_desktop.services import agenda, booking, setup, slots
from tests.helpers.clinic import SmallClinic

MONDAY = date(2026, 6, 8)


def _first_start(clinic: SmallClinic, service_id: int) -> str:
    found = slots.find_slots(clinic.ctx, service_id=service_id, start_from=MONDAY, limit=1)
    return found[0].local_start().strftime("%a %H:%M")


def test_another_desks_setup_changes_reach_the_next_search(
    clinic: SmallClinic, db_url: str
) -> None:
    assert _first_start(clinic, clinic.checkup.id or 0) == "Mon 09:00"
    # the same desk searches again: answered from its copy of the setup
    assert _first_start(clinic, clinic.checkup.id or 0) == "Mon 09:00"

    other_engine, _ = open_engine(db_url, backup_dir=None)
    try:
        other = context_for(other_engine, actor="second-desk", clock=clinic.clock)
        dr_a, dr_b = clinic.dr_a.id or 0, clinic.dr_b.id or 0
        london = clinic.london.id or 0
        # weekly hours: Dr Mokoena works Mondays 11-17 only now, Dr Berg starts at 10:30
        setup.set_weekly_hours(other, dr_a, [WorkingHours(dr_a, london, 0, time(11), time(17))])
        setup.set_weekly_hours(other, dr_b, [WorkingHours(dr_b, london, 0, time(10, 30), time(14))])
        assert _first_start(clinic, clinic.checkup.id or 0) == "Mon 10:30"

        # a provider: Dr Berg stops offering check-ups
        setup.save_provider(other, replace(clinic.dr_b, service_ids=frozenset()))
        assert _first_start(clinic, clinic.checkup.id or 0) == "Mon 11:00"

        # a service: check-ups need 30 minutes to prepare
        setup.save_service(other, replace(clinic.checkup, buffer_before=timedelta(minutes=30)))
        assert _first_start(clinic, clinic.checkup.id or 0) == "Mon 11:30"

        # clinic settings: a 25-minute grid
        setup.update_clinic(other, slot_grid=timedelta(minutes=25))
        setup.save_service(other, clinic.checkup)
        assert _first_start(clinic, clinic.checkup.id or 0) == "Mon 11:15"
    finally:
        other_engine.dispose()


def test_the_day_list_names_what_another_desk_renamed(clinic: SmallClinic, db_url: str) -> None:
    start = slots.find_slots(clinic.ctx, service_id=clinic.checkup.id or 0, start_from=MONDAY)[0]
    booking.book(
        clinic.ctx,
        patient_id=clinic.ada.id or 0,
        provider_id=start.provider_id,
        service_id=clinic.checkup.id or 0,
        start=start.start,
    )
    [line] = agenda.day(clinic.ctx, MONDAY)
    assert (line.service_name, line.location_name) == ("Check-up", "Riverside")

    other_engine, _ = open_engine(db_url, backup_dir=None)
    try:
        other = context_for(other_engine, actor="second-desk", clock=clinic.clock)
        setup.save_service(other, replace(clinic.checkup, name="Annual check-up"))
        setup.save_location(other, replace(clinic.london, name="Riverside House"))
    finally:
        other_engine.dispose()
    [line] = agenda.day(clinic.ctx, MONDAY)
    assert (line.service_name, line.location_name) == ("Annual check-up", "Riverside House")
