"""Which weekly rules a window of local dates needs: `occurs_between` against every date."""

from __future__ import annotations

from datetime import date, timedelta
from datetime import time as wall_time

from hypothesis import given
from hypothesis import strategies as st

from medbookings_desktop.domain.wall_clock import WallClockRule, expand_rules, occurs_between

DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31))


@given(weekday=st.integers(0, 6), first=DAYS, length=st.integers(-3, 20))
def test_a_weekday_occurs_between_two_dates_when_one_of_them_falls_on_it(
    weekday: int, first: date, length: int
) -> None:
    last = first + timedelta(days=length)
    every_date = [first + timedelta(days=n) for n in range(max(0, length + 1))]
    assert occurs_between(weekday, first, last) == any(d.weekday() == weekday for d in every_date)


@given(weekday=st.integers(0, 6), first=DAYS, length=st.integers(0, 9))
def test_a_rule_skipped_for_its_weekday_would_have_expanded_to_nothing(
    weekday: int, first: date, length: int
) -> None:
    last = first + timedelta(days=length)
    rule = WallClockRule(weekday, wall_time(9), wall_time(17), "Europe/London")
    assert bool(expand_rules([rule], first, last)) == occurs_between(weekday, first, last)
