"""The patient list's reads on both databases: every matching id in list order, and a page
of rows (name, birth date, phone, e-mail, no-shows, next appointment) in one query."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from medbookings_desktop.domain.patients import Patient
from medbookings_desktop.services import booking, patients
from medbookings_desktop.services.context import Context
from tests.helpers.clinic import SmallClinic


@pytest.fixture
def ctx(clinic: SmallClinic) -> Context:
    for first, last, dob, phone, email in [
        ("Zoë", "Ødegård", date(1990, 4, 7), "+1 202 555 0142", "zoe@example.org"),
        ("Adaeze", "Nwosu", date(1984, 3, 2), None, "a.nwosu@example.net"),
        ("Tom", "Ada_Smith", None, None, None),
        ("Oscar", "Okonkwo", date(2001, 12, 31), "020 7946 0999", None),
    ]:
        patients.register(
            clinic.ctx,
            first_name=first,
            last_name=last,
            date_of_birth=dob,
            phone=phone,
            email=email,
        )
    return clinic.ctx


def listed(ctx: Context, text: str = "") -> list[str]:
    ids = patients.ids(ctx, text)
    by_id = {r.id: r.full_name for r in patients.rows(ctx, ids)}
    return [by_id[i] for i in ids]


def test_everyone_in_last_name_then_first_name_order(ctx: Context) -> None:
    assert listed(ctx) == [
        "Tom Ada_Smith",
        "Ben Adams",
        "Adaeze Nwosu",
        "Zoë Ødegård",  # folded: "odegard" sorts before "okafor"
        "Ada Okafor",
        "Oscar Okonkwo",
    ]
    assert listed(ctx, "   ") == listed(ctx)


@pytest.mark.parametrize(
    "typed",
    [
        "a",
        "ada",
        "o",
        "ada oka",
        "okafor ada",
        "zoe",
        "ZOË ØDE",
        "555 0142",
        "0999",
        "7946",
        "example",
        "nwosu@exa",
        "1984-03-02",
        "02/03/1984",
        "ada_",
        "%",
        "qqxzv",
        "55",
    ],
)
def test_the_same_patients_as_search_without_its_limit(ctx: Context, typed: str) -> None:
    unlimited = {p.id for p in patients.search(ctx, typed, limit=10_000)}
    ids = patients.ids(ctx, typed)
    assert len(ids) == len(set(ids))
    assert set(ids) == unlimited


def test_search_groups_come_in_searchs_order_each_by_name(ctx: Context) -> None:
    # last names starting "ada", then first names starting "ada"
    assert listed(ctx, "ada")[:4] == ["Tom Ada_Smith", "Ben Adams", "Adaeze Nwosu", "Ada Okafor"]
    assert listed(ctx, "o") == ["Zoë Ødegård", "Ada Okafor", "Oscar Okonkwo"]
    assert listed(ctx, "ben okafor") == []
    assert listed(ctx, "okon o") == ["Oscar Okonkwo"]


def test_the_first_page_of_a_search_is_what_search_shows(clinic: SmallClinic, ctx: Context) -> None:
    with ctx.write() as uow:
        uow.patients.add_many(
            [Patient(first_name=f"Pat{i:02}", last_name="Smith") for i in range(30)],
            clinic.clock(),
        )
        uow.commit()
    ids = patients.ids(ctx, "smith")
    # thirty Smiths by last name, then Tom Ada_Smith, found by substring
    assert len(ids) == 31
    assert ids[:20] == [p.id for p in patients.search(ctx, "smith")]
    assert len(patients.ids(ctx, "mit")) == 31  # substring search, unlimited
    assert len(patients.ids(ctx)) == 36


def test_rows_come_in_the_order_asked_and_skip_unknown_ids(
    clinic: SmallClinic, ctx: Context
) -> None:
    ada, ben = clinic.ada.id or 0, clinic.ben.id or 0
    found = patients.rows(ctx, [ben, 999_999, ada, ben])
    assert [r.id for r in found] == [ben, ada]
    assert patients.rows(ctx, []) == []
    row = found[1]
    assert (row.first_name, row.last_name, row.full_name) == ("Ada", "Okafor", "Ada Okafor")
    assert row.phone == "+442079460123"
    assert row.email == "ada@example.com"
    assert row.date_of_birth is None
    assert row.no_shows == 0
    assert row.next_start is None


def _at(day: int, hour: int) -> datetime:
    # June: London is UTC+1
    return datetime(2026, 6, day, hour - 1, tzinfo=UTC)


def test_rows_count_no_shows_and_give_the_next_booked_appointment(clinic: SmallClinic) -> None:
    ctx = clinic.ctx
    ada, ben = clinic.ada.id or 0, clinic.ben.id or 0
    dr_a, checkup = clinic.dr_a.id or 0, clinic.checkup.id or 0

    def book(patient: int, day: int, hour: int) -> int:
        outcome = booking.book(
            ctx, patient_id=patient, provider_id=dr_a, service_id=checkup, start=_at(day, hour)
        )
        assert outcome.appointment.id is not None
        return outcome.appointment.id

    missed_1, missed_2 = book(ada, 1, 9), book(ada, 1, 10)
    cancelled = book(ada, 2, 9)
    book(ada, 4, 11)
    book(ada, 3, 15)  # booked after the later one: the next is still the soonest
    book(ben, 1, 11)
    clinic.clock.now = _at(1, 12)
    booking.no_show(ctx, missed_1)
    booking.no_show(ctx, missed_2)
    booking.cancel(ctx, cancelled, reason="Rang to cancel")

    by_id = {r.id: r for r in patients.rows(ctx, [ada, ben])}
    assert by_id[ada].no_shows == 2
    assert by_id[ada].next_start == _at(3, 15)
    assert by_id[ada].next_start is not None and by_id[ada].next_start.tzinfo is not None
    # Ben's appointment this morning has passed and was never closed: nothing upcoming
    assert by_id[ben].no_shows == 0
    assert by_id[ben].next_start is None

    clinic.clock.now = _at(3, 16)
    assert patients.rows(ctx, [ada])[0].next_start == _at(4, 11)


def test_a_page_of_rows_is_one_query(clinic: SmallClinic, ctx: Context) -> None:
    with ctx.write() as uow:
        uow.patients.add_many(
            [Patient(first_name=f"P{i:03}", last_name="Lee") for i in range(100)], clinic.clock()
        )
        uow.commit()
    ids = patients.ids(ctx, "lee")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(clinic.engine, "before_cursor_execute", count)
    try:
        page = patients.rows(ctx, ids)
    finally:
        event.remove(clinic.engine, "before_cursor_execute", count)
    assert [r.id for r in page] == ids
    patient_reads = [s for s in statements if "FROM patients" in s]
    assert len(patient_reads) == 1


def test_rows_reflect_an_edit(clinic: SmallClinic, ctx: Context) -> None:
    ada = clinic.ada.id or 0
    patients.edit(ctx, ada, last_name="Eze", date_of_birth=date(1970, 1, 2))
    row = patients.rows(ctx, [ada])[0]
    assert row.full_name == "Ada Eze"
    assert row.date_of_birth == date(1970, 1, 2)
    assert patients.ids(ctx, "okafor") == []
    assert patients.ids(ctx, "eze")[0] == ada  # then Adaeze, by substring


def test_no_match_for_text_that_searches_nothing(ctx: Context) -> None:
    assert patients.ids(ctx, "55") == []
    assert patients.ids(ctx, "%") == []
