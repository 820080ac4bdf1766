"""Reading a setup file: conversions, and every problem named by its place."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from medbookings_desktop.domain.setup_spec import (
    SetupInvalid,
    parse_setup,
    parse_setup_text,
    read_setup,
)


def provider_with(**hours: object) -> dict[str, object]:
    rule = {"location": "L", "days": ["mon"], "start": "09:00", "end": "17:00", **hours}
    return {"providers": [{"name": "P", "hours": [rule]}]}


def test_days_accept_short_and_full_names_and_ranges() -> None:
    spec = parse_setup(provider_with(days=["Monday", "wed-fri", "SUN"]))
    hours = spec.providers[0].hours
    assert hours is not None
    assert hours[0].weekdays == (0, 2, 3, 4, 6)


def test_24_00_ends_the_day_and_toml_times_are_accepted() -> None:
    spec = parse_setup(provider_with(start=time(18, 0), end="24:00"))
    rule = spec.providers[0].hours[0]  # type: ignore[index]
    assert (rule.start, rule.end) == (time(18), time(0))


@pytest.mark.parametrize("bad", ["24:30", "9", "09:60", "noon", 9, "24:00:00"])
def test_bad_times(bad: object) -> None:
    with pytest.raises(SetupInvalid) as caught:
        parse_setup(provider_with(start=bad))
    assert [p.place for p in caught.value.problems] == ["providers[0].hours[0].start"]


@pytest.mark.parametrize(
    ("price", "cents"), [(60, 6000), (60.5, 6050), ("60.50", 6050), ("0", 0), (0.1, 10)]
)
def test_prices_in_main_units(price: object, cents: int) -> None:
    spec = parse_setup({"services": [{"name": "S", "price": price}]})
    assert spec.services[0].values["price_cents"] == cents


def test_reminder_offsets_in_hours() -> None:
    spec = parse_setup({"clinic": {"reminder_offsets_hours": [2, 24, 0.5]}})
    assert spec.clinic is not None
    assert spec.clinic.values["reminder_offsets"] == (
        timedelta(hours=24), timedelta(hours=2), timedelta(minutes=30),
    )  # fmt: skip


def test_time_off_dates_cover_whole_local_days_across_a_dst_change() -> None:
    spec = parse_setup(
        {"providers": [{"name": "P", "time_off": [{"start": date(2026, 3, 28),
                                                   "end": date(2026, 3, 29)}]}]}
    )  # fmt: skip
    start, end = spec.providers[0].time_off[0].instants("Europe/London")
    # London moves to summer time on 29 March 2026: the span is 47 hours long
    assert start == datetime(2026, 3, 28, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 23, tzinfo=UTC)


def test_time_off_with_an_offset_ignores_the_zone() -> None:
    spec = parse_setup_text(
        '[[providers]]\nname = "P"\n[[providers.time_off]]\n'
        "start = 2026-07-06T09:00:00-04:00\nend = 2026-07-06T10:00:00-04:00\n"
    )
    start, end = spec.providers[0].time_off[0].instants("Asia/Tokyo")
    assert (start, end) == (
        datetime(2026, 7, 6, 13, tzinfo=UTC),
        datetime(2026, 7, 6, 14, tzinfo=UTC),
    )


def test_read_setup_keeps_the_good_parts_and_lists_the_problems() -> None:
    spec, problems = read_setup(
        {
            "locations": [{"name": "A", "zone": "Europe/London"}, {"name": "B", "zone": "Nope"}],
            "services": [{"name": "S", "duration_minutes": 0}],
        }
    )
    assert [loc.name for loc in spec.locations] == ["A", "B"]
    assert "zone" not in spec.locations[1].values
    assert [str(p) for p in problems] == [
        'locations[1].zone: "Nope" is not an IANA time zone (e.g. "Europe/London")',
        "services[0].duration_minutes: 0 must be between 1 and 720",
    ]


def test_sections_must_have_the_right_shape() -> None:
    _, problems = read_setup({"clinic": [1], "locations": {"name": "x"}, "providers": [3]})
    assert [str(p) for p in problems] == [
        "clinic: must be a table",
        "locations: must be an array of tables ([[...]])",
        "providers[0]: must be a table",
    ]
