"""Typeahead over patients on both databases: name prefixes, two-word names, folded accents,
phone digits, e-mail parts and birth dates; wildcards typed by a person are literal."""

from __future__ import annotations

from datetime import date

import pytest

from medbookings_desktop.domain.patients import Patient
from medbookings_desktop.services import patients
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


def names(ctx: Context, text: str, limit: int = 20) -> list[str]:
    return [p.full_name for p in patients.search(ctx, text, limit=limit)]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("o", "Ada Okafor"),  # one letter: last-name prefix
        ("ok", "Ada Okafor"),
        ("okaf", "Ada Okafor"),
        ("ada", "Ada Okafor"),  # first-name prefix
        ("ada oka", "Ada Okafor"),
        ("okafor ada", "Ada Okafor"),
        ("zoe", "Zoë Ødegård"),
        ("odegard", "Zoë Ødegård"),
        ("ZOË ØDE", "Zoë Ødegård"),
    ],
)
def test_names(ctx: Context, typed: str, expected: str) -> None:
    assert expected in names(ctx, typed)


def test_prefix_results_come_in_name_order(ctx: Context) -> None:
    found = names(ctx, "o")
    assert found.index("Ada Okafor") < found.index("Oscar Okonkwo")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("555 0142", "Zoë Ødegård"),
        ("2025550142", "Zoë Ødegård"),
        ("+12025550142", "Zoë Ødegård"),
        ("0999", "Oscar Okonkwo"),
        ("020 7946 0999", "Oscar Okonkwo"),  # national form
        ("4420 7946 0999", "Oscar Okonkwo"),  # international digits
    ],
)
def test_phone_digits(ctx: Context, typed: str, expected: str) -> None:
    assert names(ctx, typed) == [expected]


def test_email_part(ctx: Context) -> None:
    assert names(ctx, "nwosu@exa") == ["Adaeze Nwosu"]


@pytest.mark.parametrize("typed", ["1984-03-02", "02/03/1984", "2.3.1984"])
def test_birth_date(ctx: Context, typed: str) -> None:
    assert names(ctx, typed) == ["Adaeze Nwosu"]


def test_nonsense_finds_nothing(ctx: Context) -> None:
    assert names(ctx, "qqxzv") == []
    assert names(ctx, "   ") == []


def test_wildcards_are_literal(ctx: Context) -> None:
    assert names(ctx, "%") == []
    assert names(ctx, "ada_") == ["Tom Ada_Smith"]
    assert "Ada Okafor" not in names(ctx, "ada_")


def test_limit(ctx: Context) -> None:
    assert len(names(ctx, "a", limit=2)) == 2


@pytest.mark.parametrize("typed", ["b", "be", "ben", "BEN", "Ben A", "adams ben"])
def test_first_name_prefixes_and_both_orders(ctx: Context, typed: str) -> None:
    assert "Ben Adams" in names(ctx, typed)


@pytest.mark.parametrize("typed", ["osca", "okon", "oscar ok", "okonkwo o", "o o"])
def test_one_to_four_letters_narrow_to_the_patient(ctx: Context, typed: str) -> None:
    assert names(ctx, typed) == ["Oscar Okonkwo"]


def test_last_name_matches_come_before_first_name_matches(ctx: Context) -> None:
    found = names(ctx, "ada")
    # last names starting "ada" (Ada_Smith, Adams), then first names (Ada, Adaeze)
    assert found[:4] == ["Tom Ada_Smith", "Ben Adams", "Ada Okafor", "Adaeze Nwosu"]


def test_two_words_that_belong_to_different_patients_find_nothing(ctx: Context) -> None:
    assert names(ctx, "ben okafor") == []


@pytest.mark.parametrize("typed", ["zoë", "ZOE", "Zoe Ødegård", "zoe odeg", "ødegård zoë"])
def test_accents_fold_on_both_sides(ctx: Context, typed: str) -> None:
    assert names(ctx, typed) == ["Zoë Ødegård"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("555", ["Zoë Ødegård"]),  # three digits are enough
        ("+1 (202) 555-0142", ["Zoë Ødegård"]),
        ("7946 0123", ["Ada Okafor"]),
        ("+44 20 7946 0123", ["Ada Okafor"]),
        ("02079460123", ["Ada Okafor"]),
        ("7946 0456", ["Ben Adams"]),
    ],
)
def test_more_phone_forms(ctx: Context, typed: str, expected: list[str]) -> None:
    assert names(ctx, typed) == expected


def test_too_few_digits_search_nothing(ctx: Context) -> None:
    assert names(ctx, "55") == []


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("example.org", ["Zoë Ødegård"]),
        ("@example.net", ["Adaeze Nwosu"]),
        ("ada@example.com", ["Ada Okafor"]),
        ("ZOE@EXAMPLE", ["Zoë Ødegård"]),
    ],
)
def test_more_email_parts(ctx: Context, typed: str, expected: list[str]) -> None:
    assert names(ctx, typed) == expected


@pytest.mark.parametrize("typed", ["1990-04-07", "07/04/1990", "7/4/1990", "07.04.1990"])
def test_birth_date_forms(ctx: Context, typed: str) -> None:
    assert names(ctx, typed) == ["Zoë Ødegård"]


@pytest.mark.parametrize("typed", ["1990-04-08", "31/02/1984", "2001-12-30"])
def test_other_or_impossible_dates_find_nothing(ctx: Context, typed: str) -> None:
    assert names(ctx, typed) == []


@pytest.mark.parametrize("typed", ["%", "_", "%%", "a%", "%kafor", "ad_ms", "ok%r", "_kafor"])
def test_wildcards_never_act_as_wildcards(ctx: Context, typed: str) -> None:
    assert names(ctx, typed) == []


def test_the_limit_is_respected_everywhere(clinic: SmallClinic, ctx: Context) -> None:
    with clinic.ctx.write() as uow:
        uow.patients.add_many(
            [Patient(first_name=f"Pat{i:02}", last_name="Smith") for i in range(30)],
            clinic.clock(),
        )
        uow.commit()
    assert len(names(ctx, "smith")) == 20  # the default
    assert len(names(ctx, "smith", limit=5)) == 5
    assert len(names(ctx, "smith", limit=25)) == 25
    assert len(names(ctx, "mit", limit=7)) == 7  # substring search
    assert len(names(ctx, "pat", limit=3)) == 3  # first-name prefixes
    assert names(ctx, "smith", limit=3) == ["Pat00 Smith", "Pat01 Smith", "Pat02 Smith"]


def test_an_edited_patient_is_found_by_the_new_details_only(
    clinic: SmallClinic, ctx: Context
) -> None:
    patients.edit(ctx, clinic.ada.id or 0, last_name="Eze", phone="020 7946 0777")
    assert names(ctx, "okafor") == []
    assert names(ctx, "kafo") == []
    assert names(ctx, "7946 0123") == []
    assert names(ctx, "ada eze")[0] == "Ada Eze"
    assert names(ctx, "0777") == ["Ada Eze"]
