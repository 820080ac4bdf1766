"""Typeahead over patients on both databases: name prefixes, two-word names, folded accents,
phone digits, e-mail parts and birth dates; wildcards typed by a person are literal."""

from __future__ import annotations

from datetime import date

import pytest

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
