"""Taking apart what a receptionist typed into the patient search."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from medbookings_desktop.domain.search import PatientQuery, parse_birth_date, parse_query


@pytest.mark.parametrize("text", ["", "   ", "\t\n"])
def test_nothing_typed_is_an_empty_query(text: str) -> None:
    assert parse_query(text).empty


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("o", ("o",)),
        ("Oka", ("oka",)),
        ("ada oka", ("ada", "oka")),
        ("Okafor, Ada", ("okafor", "ada")),
        ("ZOË", ("zoe",)),
        ("O'Brien", ("o'brien",)),
        ("Smith-Jones", ("smith-jones",)),
        ("ada van der berg", ("ada", "van")),  # two words steer the prefix search
    ],
)
def test_names_become_folded_prefix_words(text: str, words: tuple[str, ...]) -> None:
    query = parse_query(text)
    assert query.words == words
    assert query.birth_date is None


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("020 7946 0123", "02079460123"),
        ("+44 (20) 7946-0123", "442079460123"),
        ("7946", "7946"),
        ("012", "012"),
    ],
)
def test_phone_digits_become_one_substring(text: str, digits: str) -> None:
    assert parse_query(text) == PatientQuery((), (digits,))


@pytest.mark.parametrize("text", ["1", "12", "+4", "(1)"])
def test_fewer_than_three_digits_find_nothing(text: str) -> None:
    assert parse_query(text).empty


def test_email_parts_are_substrings_not_names() -> None:
    query = parse_query("Ada@Example")
    assert query.words == ()
    assert query.substrings == ("ada@example",)
    assert parse_query("example.com").substrings == ("example.com",)


def test_wildcards_are_kept_as_typed_for_the_storage_to_escape() -> None:
    query = parse_query("ann_lee%")
    assert query.words == ()
    assert query.substrings == ("ann_lee%",)


@pytest.mark.parametrize(
    ("text", "born"),
    [
        ("1985-04-12", date(1985, 4, 12)),
        ("12/04/1985", date(1985, 4, 12)),
        ("12.04.1985", date(1985, 4, 12)),
        ("2-4-1985", date(1985, 4, 2)),
        (" 12/04/1985 ", date(1985, 4, 12)),
    ],
)
def test_birth_dates_iso_and_day_first(text: str, born: date) -> None:
    assert parse_query(text) == PatientQuery((), (), born)


def test_month_first_when_the_clinic_writes_dates_so() -> None:
    assert parse_birth_date("04/12/1985", day_first=False) == date(1985, 4, 12)
    assert parse_query("04/12/1985", day_first=False).birth_date == date(1985, 4, 12)


@pytest.mark.parametrize("text", ["31/02/1985", "1985-13-01", "00/01/2000"])
def test_impossible_dates_are_not_dates(text: str) -> None:
    assert parse_birth_date(text) is None
    assert parse_query(text).birth_date is None


@given(st.text(max_size=40))
def test_any_text_parses(text: str) -> None:
    query = parse_query(text)
    assert len(query.words) <= 2
    assert all(w == w.casefold() for w in query.words)
