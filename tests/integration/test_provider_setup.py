"""What the providers view asks of the services, on both databases: a provider's schedule read
in one go, details and offered services changed one at a time, one-off rules added and removed,
each change audited and a refusal leaving the database as it was."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time

import pytest

from medbookings_desktop.domain.clinic import (
    ExtraHours,
    Location,
    Provider,
    TimeOff,
    WorkingHours,
)
from medbookings_desktop.domain.errors import InvalidInput, NotFound
from medbookings_desktop.services import setup, slots
from tests.helpers.clinic import SmallClinic

WED = date(2026, 6, 3)


def audit_actions(clinic: SmallClinic, provider_id: int) -> list[str]:
    with clinic.ctx.read() as uow:
        return [e.action for e in uow.audit.for_entity("provider", provider_id)]


def test_provider_schedule_reads_hours_breaks_and_one_off_rules(clinic: SmallClinic) -> None:
    pid = clinic.dr_a.id
    assert pid is not None and clinic.london.id is not None
    off = TimeOff(pid, datetime(2026, 6, 10, 8, tzinfo=UTC), datetime(2026, 6, 11, 8, tzinfo=UTC))
    setup.add_time_off(clinic.ctx, off)
    # already over when the list starts: left out
    setup.add_time_off(
        clinic.ctx,
        TimeOff(pid, datetime(2026, 5, 1, 8, tzinfo=UTC), datetime(2026, 5, 2, 8, tzinfo=UTC)),
    )
    setup.add_extra_hours(
        clinic.ctx, ExtraHours(pid, clinic.london.id, date(2026, 6, 6), time(9), time(12))
    )
    setup.add_extra_hours(
        clinic.ctx, ExtraHours(pid, clinic.london.id, date(2026, 5, 30), time(9), time(12))
    )

    found = setup.provider_schedule(clinic.ctx, pid, since=date(2026, 6, 1))

    assert found.provider.name == "Thandi Mokoena"
    assert found.zone == "Europe/London"
    assert [(h.weekday, h.start, h.end) for h in found.hours] == [
        (d, time(9), time(17)) for d in range(5)
    ]
    assert {b.label for b in found.breaks} == {"Lunch"} and len(found.breaks) == 5
    assert [e.day for e in found.extra_hours] == [date(2026, 6, 6)]
    assert [(o.start, o.end) for o in found.time_off] == [(off.start, off.end)]


def test_unknown_provider_is_not_found(clinic: SmallClinic) -> None:
    with pytest.raises(NotFound):
        setup.provider_schedule(clinic.ctx, 9999, since=WED)


def test_all_providers_lists_inactive_ones_by_name(clinic: SmallClinic) -> None:
    setup.save_provider(clinic.ctx, Provider(name="Aisha Khan", title="Dr", active=False))
    names = [p.name for p in setup.all_providers(clinic.ctx)]
    assert names == ["Aisha Khan", "Lars Berg", "Thandi Mokoena"]
    assert [s.name for s in setup.all_services(clinic.ctx)] == [
        "Consultation",
        "Check-up",
        "Video consultation",
    ]


def test_edit_provider_changes_only_what_is_given(clinic: SmallClinic) -> None:
    pid = clinic.dr_b.id
    assert pid is not None
    # another desk changed the services meanwhile: a details edit keeps their change
    setup.set_offers(clinic.ctx, pid, clinic.consultation.id or 0, True)

    saved = setup.edit_provider(clinic.ctx, pid, title="Prof", colour="#AA3300", active=False)

    assert saved.display_name == "Prof Lars Berg"
    assert saved.colour == "#aa3300" and not saved.active
    again = setup.provider_schedule(clinic.ctx, pid, since=WED).provider
    assert again.service_ids == {clinic.checkup.id, clinic.consultation.id}
    assert again.location_ids == {clinic.london.id}
    assert audit_actions(clinic, pid)[-2:] == ["offer", "edit"]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "  "}, "A provider needs a name."),
        ({"colour": "red"}, "Colour 'red' must look like #1a7f5a."),
        ({"room": 3}, "Unknown provider detail: room."),
        ({"service_ids": {424242}}, "No service #424242."),
    ],
)
def test_edit_provider_refusals_change_nothing(
    clinic: SmallClinic, changes: dict[str, object], message: str
) -> None:
    pid = clinic.dr_a.id
    assert pid is not None
    before = setup.provider_schedule(clinic.ctx, pid, since=WED).provider
    with pytest.raises((InvalidInput, NotFound)) as caught:
        setup.edit_provider(clinic.ctx, pid, **changes)
    assert caught.value.message == message
    assert setup.provider_schedule(clinic.ctx, pid, since=WED).provider == before


def test_set_offers_toggles_one_service_and_the_slot_search_follows(clinic: SmallClinic) -> None:
    pid, sid = clinic.dr_b.id, clinic.consultation.id
    assert pid is not None and sid is not None
    search = {"service_id": sid, "provider_ids": [pid], "start_from": WED, "days": 7}
    with pytest.raises(Exception, match="does not offer Consultation"):
        slots.find_slots(clinic.ctx, **search)  # type: ignore[arg-type]

    setup.set_offers(clinic.ctx, pid, sid, True)
    assert slots.find_slots(clinic.ctx, **search)  # type: ignore[arg-type]

    provider = setup.set_offers(clinic.ctx, pid, sid, False)
    assert provider.service_ids == {clinic.checkup.id}
    # asking again for what is already so changes nothing and is not audited
    count = len(audit_actions(clinic, pid))
    setup.set_offers(clinic.ctx, pid, sid, False)
    assert len(audit_actions(clinic, pid)) == count
    with pytest.raises(NotFound):
        setup.set_offers(clinic.ctx, pid, 424242, True)


def test_remove_time_off_gives_the_day_back(clinic: SmallClinic) -> None:
    pid, sid = clinic.dr_b.id, clinic.checkup.id
    assert pid is not None and sid is not None
    # Dr Berg works Mondays and Wednesdays; away all Wednesday 3 June (London)
    off_id = setup.add_time_off(
        clinic.ctx,
        TimeOff(
            pid,
            datetime(2026, 6, 2, 23, tzinfo=UTC),
            datetime(2026, 6, 3, 23, tzinfo=UTC),
            "Training",
        ),
    )

    def days_offered() -> set[date]:
        found = slots.find_slots(
            clinic.ctx,
            service_id=sid,
            provider_ids=[pid],
            start_from=date(2026, 6, 2),
            days=6,
            limit=200,
        )
        return {s.local_start().date() for s in found}

    assert WED not in days_offered()
    setup.remove_time_off(clinic.ctx, pid, off_id)
    assert WED in days_offered()
    assert setup.provider_schedule(clinic.ctx, pid, since=WED).time_off == ()
    with pytest.raises(NotFound, match="already removed"):
        setup.remove_time_off(clinic.ctx, pid, off_id)
    assert audit_actions(clinic, pid)[-2:] == ["add_time_off", "remove_time_off"]


def test_time_off_of_another_provider_is_not_removed(clinic: SmallClinic) -> None:
    a, b = clinic.dr_a.id, clinic.dr_b.id
    assert a is not None and b is not None
    off = TimeOff(a, datetime(2026, 6, 10, 8, tzinfo=UTC), datetime(2026, 6, 10, 12, tzinfo=UTC))
    off_id = setup.add_time_off(clinic.ctx, off)
    with pytest.raises(NotFound):
        setup.remove_time_off(clinic.ctx, b, off_id)
    assert [o.id for o in setup.provider_schedule(clinic.ctx, a, since=WED).time_off] == [off_id]


def test_extra_hours_added_at_a_location_and_removed(clinic: SmallClinic) -> None:
    pid, sid, lid = clinic.dr_b.id, clinic.checkup.id, clinic.london.id
    assert pid is not None and sid is not None and lid is not None
    saturday = date(2026, 6, 6)
    extra_id = setup.add_extra_hours_at(
        clinic.ctx, ExtraHours(pid, lid, saturday, time(9), time(11))
    )

    def offered_on_saturday() -> list[datetime]:
        found = slots.find_slots(
            clinic.ctx, service_id=sid, provider_ids=[pid], start_from=saturday, days=1, limit=50
        )
        return [s.local_start() for s in found]

    assert offered_on_saturday()[0].time() == time(9)
    setup.remove_extra_hours(clinic.ctx, pid, extra_id)
    assert offered_on_saturday() == []
    with pytest.raises(NotFound):
        setup.remove_extra_hours(clinic.ctx, pid, extra_id)


def test_extra_hours_at_a_location_the_provider_does_not_work_at_are_refused(
    clinic: SmallClinic,
) -> None:
    pid = clinic.dr_b.id
    assert pid is not None
    leeds = setup.save_location(clinic.ctx, Location(name="Leeds", zone="Europe/London"))
    assert leeds.id is not None
    with pytest.raises(InvalidInput, match=r"Dr Lars Berg does not work at Leeds\."):
        setup.add_extra_hours_at(
            clinic.ctx, ExtraHours(pid, leeds.id, date(2026, 6, 6), time(9), time(11))
        )
    assert setup.provider_schedule(clinic.ctx, pid, since=WED).extra_hours == ()


def test_weekly_hours_overlap_refused_and_nothing_changes(clinic: SmallClinic) -> None:
    pid, lid = clinic.dr_b.id, clinic.london.id
    assert pid is not None and lid is not None
    before = setup.provider_schedule(clinic.ctx, pid, since=WED)
    hours = [*before.hours, WorkingHours(pid, lid, 0, time(13), time(15))]
    with pytest.raises(InvalidInput) as caught:
        setup.set_weekly_hours(clinic.ctx, pid, hours)
    assert caught.value.message == "Hours 10:00–14:00 and 13:00–15:00 on the same day overlap."
    assert setup.provider_schedule(clinic.ctx, pid, since=WED).hours == before.hours


def test_home_zone_is_the_first_location(clinic: SmallClinic) -> None:
    pid = clinic.dr_b.id
    assert pid is not None
    online = setup.save_provider(clinic.ctx, Provider(name="Remote Only", colour="#123456"))
    assert online.id is not None
    assert setup.provider_schedule(clinic.ctx, online.id, since=WED).zone == "Europe/London"
    ny = setup.save_location(clinic.ctx, Location(name="Aardvark NY", zone="America/New_York"))
    assert ny.id is not None
    moved = replace(
        setup.provider_schedule(clinic.ctx, online.id, since=WED).provider,
        location_ids=frozenset({ny.id}),
    )
    setup.save_provider(clinic.ctx, moved)
    assert setup.provider_schedule(clinic.ctx, online.id, since=WED).zone == "America/New_York"
    assert setup.rooms(clinic.ctx) == []


def test_works_at_a_second_location_and_leaves_it(clinic: SmallClinic) -> None:
    pid = clinic.dr_b.id
    assert pid is not None
    leeds = setup.save_location(clinic.ctx, Location(name="Leeds", zone="Europe/London"))
    assert leeds.id is not None

    saved = setup.set_works_at(clinic.ctx, pid, leeds.id, True)
    assert saved.location_ids == {clinic.london.id, leeds.id}
    # hours at Leeds are now accepted
    hours = [
        *setup.provider_schedule(clinic.ctx, pid, since=WED).hours,
        WorkingHours(pid, leeds.id, 4, time(9), time(12)),
    ]
    setup.set_weekly_hours(clinic.ctx, pid, hours)

    # while those hours stand, Leeds cannot be taken away
    with pytest.raises(InvalidInput) as caught:
        setup.set_works_at(clinic.ctx, pid, leeds.id, False)
    assert caught.value.message == (
        "Dr Lars Berg has hours at Leeds: remove them before taking the location away."
    )
    assert setup.provider_schedule(clinic.ctx, pid, since=WED).provider.location_ids == {
        clinic.london.id,
        leeds.id,
    }

    setup.set_weekly_hours(clinic.ctx, pid, hours[:-1])
    saved = setup.set_works_at(clinic.ctx, pid, leeds.id, False)
    assert saved.location_ids == {clinic.london.id}
    assert audit_actions(clinic, pid)[-1] == "remove_location"
    with pytest.raises(NotFound):
        setup.set_works_at(clinic.ctx, pid, 424242, True)


def test_extra_hours_at_a_location_keep_it(clinic: SmallClinic) -> None:
    pid, lid = clinic.dr_b.id, clinic.london.id
    assert pid is not None and lid is not None
    setup.set_weekly_hours(clinic.ctx, pid, [])
    setup.add_extra_hours_at(clinic.ctx, ExtraHours(pid, lid, date(2026, 6, 6), time(9), time(11)))
    with pytest.raises(InvalidInput, match="has hours at Riverside"):
        setup.set_works_at(clinic.ctx, pid, lid, False)
