"""`medbookings setup apply FILE`: idempotent, every problem named by its place, all or nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import create_db_engine
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork
from tests.helpers.clinic import SmallClinic
from tests.integration.admin_support import Cli, table_rows

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "clinic-setup.toml"


@pytest.fixture
def cli(
    db_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Cli:
    monkeypatch.setenv("MEDBOOKINGS_HOME", str(tmp_path / "home"))
    return Cli(db_url, capsys)


def write(tmp_path: Path, text: str, name: str = "setup.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_uow(url: str) -> SqlUnitOfWork:
    return SqlUnitOfWork(create_db_engine(url), write=False)


def test_example_file_sets_up_the_clinic(cli: Cli, db_url: str) -> None:
    result = cli("setup", "apply", EXAMPLE)
    assert result.code == 0, result.err
    assert 'created location "Riverside"' in result.out
    assert 'set weekly hours of "Thandi Mokoena" (5 rules, 5 breaks)' in result.out
    uow = read_uow(db_url)
    with uow:
        settings = uow.settings.clinic()
        assert settings.name == "Riverside Health"
        assert settings.zone == "Europe/London"
        assert settings.reminder_offsets == (timedelta(hours=24), timedelta(hours=2))
        assert settings.minimum_notice == timedelta(minutes=60)
        assert settings.booking_horizon == timedelta(days=180)
        assert settings.names_in_calendar is False
        riverside = uow.locations.by_name("Riverside")
        harbour = uow.locations.by_name("Harbour Street")
        assert riverside is not None and harbour is not None
        assert riverside.address == "12 River Walk, London, SE1 7XX, GB"
        assert harbour.address_line2 == "First floor"
        assert [r.name for r in uow.locations.rooms(riverside.id)] == [
            "Room 1", "Room 2", "Treatment room",
        ]  # fmt: skip
        consultation = uow.services.by_name("Consultation")
        video = uow.services.by_name("Video consultation")
        assert consultation is not None and video is not None
        assert consultation.duration == timedelta(minutes=30)
        assert consultation.buffer_after == timedelta(minutes=5)
        assert (consultation.price_cents, consultation.deposit_cents) == (6000, 1000)
        assert video.online and video.price_cents == 4550
        thandi = uow.providers.by_name("Thandi Mokoena")
        lars = uow.providers.by_name("Lars Berg")
        amara = uow.providers.by_name("Amara Nwosu")
        assert thandi is not None and lars is not None and amara is not None
        assert thandi.title == "Dr" and thandi.email == "thandi.mokoena@example.org"
        assert thandi.location_ids == {riverside.id, harbour.id}
        assert len(thandi.service_ids) == 3
        hours = uow.schedule.working_hours([thandi.id])  # type: ignore[list-item]
        fridays = [h for h in hours if h.weekday == 4]
        assert [(h.location_id, h.start, h.end, h.valid_from, h.valid_until) for h in fridays] == [
            (harbour.id, time(10), time(16), date(2026, 1, 1), date(2026, 12, 31))
        ]
        breaks = uow.schedule.breaks([thandi.id])  # type: ignore[list-item]
        assert {(b.weekday, b.start, b.label) for b in breaks} == {
            *((d, time(12, 30), "Lunch") for d in range(4)),
            (4, time(13), "Lunch"),
        }
        amara_days = sorted(h.weekday for h in uow.schedule.working_hours([amara.id]))  # type: ignore[list-item]
        assert amara_days == [0, 1, 2, 3, 4, 5]
        # whole days of holiday in London summer time (UTC+1), the end day included
        off = uow.schedule.time_off(
            [thandi.id],  # type: ignore[list-item]
            datetime(2026, 7, 1, tzinfo=UTC),
            datetime(2026, 9, 1, tzinfo=UTC),
        )
        assert [(o.start, o.end, o.reason) for o in off] == [
            (
                datetime(2026, 8, 2, 23, tzinfo=UTC),
                datetime(2026, 8, 14, 23, tzinfo=UTC),
                "Summer holiday",
            )
        ]
        training = uow.schedule.time_off(
            [lars.id],  # type: ignore[list-item]
            datetime(2026, 7, 1, tzinfo=UTC),
            datetime(2026, 8, 1, tzinfo=UTC),
        )
        assert [(o.start, o.end) for o in training] == [
            (datetime(2026, 7, 6, 8, tzinfo=UTC), datetime(2026, 7, 6, 11, tzinfo=UTC))
        ]
        extra = uow.schedule.extra_hours([thandi.id], date(2026, 6, 13), date(2026, 6, 13))  # type: ignore[list-item]
        assert [(e.location_id, e.start, e.end) for e in extra] == [
            (riverside.id, time(9), time(12))
        ]
    uow.engine.dispose()


def test_applying_the_same_file_twice_changes_nothing(cli: Cli, db_url: str) -> None:
    assert cli("setup", "apply", EXAMPLE).code == 0
    before = table_rows(db_url)
    again = cli("setup", "apply", EXAMPLE)
    assert again.code == 0, again.err
    assert again.out == "no changes\n"
    assert table_rows(db_url) == before  # not even an audit entry


def test_changed_fields_update_and_hours_are_replaced(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("setup", "apply", EXAMPLE).code == 0
    text = EXAMPLE.read_text(encoding="utf-8")
    text = text.replace("price = 60.00", "price = 65.00")
    text = text.replace('days = ["mon", "wed"]', 'days = ["tue"]')
    text = text.replace("slot_grid_minutes = 15", "slot_grid_minutes = 10")
    changed = write(tmp_path, text)
    before = table_rows(db_url)
    result = cli("setup", "apply", changed)
    assert result.code == 0, result.err
    lines = result.out.splitlines()[1:]
    assert lines == [
        "  updated clinic settings (slot_grid)",
        '  updated service "Consultation" (price)',
        '  set weekly hours of "Lars Berg" (1 rule, 0 breaks)',
    ]
    after = table_rows(db_url)
    for unchanged in ("locations", "rooms", "providers", "provider_locations", "breaks"):
        assert after[unchanged] == before[unchanged], unchanged
    uow = read_uow(db_url)
    with uow:
        svc = uow.services.by_name("Consultation")
        assert svc is not None and svc.price_cents == 6500 and svc.deposit_cents == 1000
        assert uow.settings.clinic().slot_grid == timedelta(minutes=10)
        lars = uow.providers.by_name("Lars Berg")
        assert lars is not None and lars.id is not None
        assert [(h.weekday, h.start, h.end) for h in uow.schedule.working_hours([lars.id])] == [
            (1, time(10), time(14))
        ]
        # the audit trail says what changed, from what to what
        entries = uow.audit.for_entity("service", svc.id)  # type: ignore[arg-type]
        assert entries[-1].before == {"price_cents": 6000}
        assert entries[-1].after == {"price_cents": 6500}
    uow.engine.dispose()
    assert cli("setup", "apply", changed).out == "no changes\n"


def test_keys_left_out_keep_their_values(cli: Cli, db_url: str, tmp_path: Path) -> None:
    assert cli("setup", "apply", EXAMPLE).code == 0
    small = write(
        tmp_path,
        '[[services]]\nname = "Consultation"\nduration_minutes = 40\n\n'
        '[[providers]]\nname = "Lars Berg"\ntitle = "Prof"\n',
    )
    result = cli("setup", "apply", small)
    assert result.code == 0, result.err
    uow = read_uow(db_url)
    with uow:
        svc = uow.services.by_name("Consultation")
        assert svc is not None
        assert svc.duration == timedelta(minutes=40)
        assert (svc.price_cents, svc.buffer_after, svc.colour) == (
            6000,
            timedelta(minutes=5),
            "#4a7bd0",
        )
        lars = uow.providers.by_name("Lars Berg")
        assert lars is not None and lars.id is not None
        assert lars.title == "Prof" and lars.colour == "#7a3db8" and len(lars.location_ids) == 1
        assert len(uow.schedule.working_hours([lars.id])) == 2  # no hours in the file: kept
    uow.engine.dispose()


BAD = """\
[clinic]
zone = "Europe/Londn"
slot_grid_minutes = 3
reminder_offsets_hours = [24, -2]
colour = "#ffffff"

[[locations]]
name = "Riverside"
zone = "Europe/London"
country = "Great Britain"
rooms = ["A", "A"]

[[locations]]
name = "Hilltop"

[[services]]
name = "Consultation"
duration_minutes = 30
price = 10
deposit = 20
colour = "blue"

[[services]]
name = "Massage"
price = "12.345"

[[providers]]
name = "Thandi Mokoena"
locations = ["Riverside", "Atlantis"]
services = ["Consultation", "Dentistry"]
email = "not-an-address"

  [[providers.hours]]
  location = "Riverside"
  days = ["mon", "funday"]
  start = "09:00"
  end = "17:00"

  [[providers.hours]]
  location = "Riverside"
  days = ["tue"]
  start = "9am"
  end = "17:00"

  [[providers.hours]]
  location = "Riverside"
  days = ["wed"]
  start = "09:00"
  end = "25:00"
  breaks = [{ start = "12:00", end = "11:00" }]

  [[providers.hours]]
  location = "Elsewhere"
  days = ["thu"]
  start = "09:00"
  end = "17:00"
  valid_from = 2026-05-01
  valid_until = 2026-04-01

  [[providers.hours]]
  location = "Riverside"
  days = ["thu"]
  start = "16:00"
  end = "18:00"
  bogus = 1

  [[providers.time_off]]
  start = 2026-08-10
  end = 2026-08-01

  [[providers.extra_hours]]
  location = "Riverside"
  date = "2026-13-01"
  start = "09:00"
  end = "12:00"

[[providers]]
name = "Thandi Mokoena"
titel = "Dr"

[surgeries]
name = "x"
"""

EXPECTED_PROBLEMS = [
    "clinic.colour: unknown key",
    'clinic.zone: "Europe/Londn" is not an IANA time zone (e.g. "Europe/London")',
    "clinic.slot_grid_minutes: 3 must be between 5 and 120",
    "clinic.reminder_offsets_hours: -2 must be a number of hours above 0 (at most 720)",
    'locations[0].country: "GREAT BRITAIN" is not a two-letter country code',
    'locations[0].rooms[1]: "A" is listed twice',
    "locations[1].zone: is required for a new location",
    'services[0].colour: "blue" is not a colour like "#1a7f5a"',
    "services[0].deposit: is more than the price",
    'services[1].price: "12.345" has more than two decimal places',
    "services[1].duration_minutes: is required for a new service",
    'providers[0].email: "not-an-address" is not an e-mail address',
    'providers[0].hours[0].days: "funday" is not a day (use mon, tue, ... sun)',
    'providers[0].hours[1].start: "9am" is not a time',
    'providers[0].hours[2].end: "25:00" is not a time',
    "providers[0].hours[2].breaks[0].end: 11:00 is not after the start (12:00)",
    "providers[0].hours[3].valid_until: 2026-04-01 is before valid_from",
    "providers[0].hours[4].bogus: unknown key",
    "providers[0].time_off[0].end: is not after the start",
    'providers[0].extra_hours[0].date: "2026-13-01" is not a date (YYYY-MM-DD)',
    'providers[0].locations[1]: no location named "Atlantis"',
    'providers[0].services[1]: no service named "Dentistry"',
    'providers[0].hours[3].location: "Thandi Mokoena" does not work at "Elsewhere" '
    "(add it to locations)",
    'providers[1].titel: unknown key (did you mean "title"?)',
    'providers[1].name: "Thandi Mokoena" is already used by providers[0]; each provider once',
    'surgeries: unknown key (did you mean "services"?)',
]


def test_every_problem_is_reported_with_its_place_and_nothing_applied(
    clinic: SmallClinic, cli: Cli, db_url: str, tmp_path: Path
) -> None:
    before = table_rows(db_url)
    result = cli("setup", "apply", write(tmp_path, BAD))
    assert result.code == 2
    assert result.out == ""
    prefix = f"{tmp_path / 'setup.toml'}: "
    reported = [
        line.removeprefix(prefix) for line in result.err.splitlines() if line.startswith(prefix)
    ]
    assert sorted(reported) == sorted(EXPECTED_PROBLEMS)
    assert result.err.splitlines()[-1] == (
        f"medbookings: {len(EXPECTED_PROBLEMS)} problems in the setup file; nothing was applied."
    )
    assert table_rows(db_url) == before


def test_problems_come_in_the_order_of_the_file(cli: Cli, tmp_path: Path) -> None:
    text = (
        '[[providers]]\nname = "A"\nlocations = ["Nowhere"]\ncolour = "red"\n\n'
        '[[locations]]\nname = "L"\nzone = "Mars/Olympus"\n\n[clinic]\nzone = "X"\n'
    )
    result = cli("setup", "apply", write(tmp_path, text))
    assert result.code == 2
    places = [line.split(": ")[1] for line in result.err.splitlines()[:-1]]
    assert places == ["clinic.zone", "locations[0].zone", "providers[0].colour",
                      "providers[0].locations[0]"]  # fmt: skip


def test_overlapping_hours_are_a_problem(cli: Cli, tmp_path: Path) -> None:
    text = EXAMPLE.read_text(encoding="utf-8").replace(
        'days = ["sat"]\n  start = "09:00"', 'days = ["fri", "sat"]\n  start = "11:00"'
    )
    result = cli("setup", "apply", write(tmp_path, text))
    assert result.code == 2
    assert "providers[2].hours[1]: overlaps providers[2].hours[0] on fri (08:00–12:00)" in (
        result.err
    )


def test_a_provider_cannot_leave_a_location_where_hours_remain(
    cli: Cli, db_url: str, tmp_path: Path
) -> None:
    assert cli("setup", "apply", EXAMPLE).code == 0
    before = table_rows(db_url)
    moved = write(tmp_path, '[[providers]]\nname = "Lars Berg"\nlocations = ["Harbour Street"]\n')
    result = cli("setup", "apply", moved)
    assert result.code == 2
    assert (
        'providers[0].locations: "Lars Berg" has weekly hours at "Riverside": keep it here or '
        "give the provider's hours in the file"
    ) in result.err
    assert table_rows(db_url) == before
    with_hours = write(
        tmp_path,
        '[[providers]]\nname = "Lars Berg"\nlocations = ["Harbour Street"]\n'
        '[[providers.hours]]\nlocation = "Harbour Street"\ndays = ["mon"]\n'
        'start = "10:00"\nend = "14:00"\n',
    )
    result = cli("setup", "apply", with_hours)
    assert result.code == 0, result.err
    assert result.out.splitlines()[1:] == [
        '  updated provider "Lars Berg" (locations)',
        '  set weekly hours of "Lars Berg" (1 rule, 0 breaks)',
    ]


def test_dry_run_shows_the_changes_and_writes_nothing(cli: Cli, db_url: str) -> None:
    before = table_rows(db_url)
    result = cli("setup", "apply", EXAMPLE, "--dry-run")
    assert result.code == 0, result.err
    assert result.out.startswith("Dry run, nothing written. Would have:\n")
    assert 'created provider "Amara Nwosu"' in result.out
    assert table_rows(db_url) == before


def test_json_output_lists_the_changes(cli: Cli) -> None:
    first = cli("setup", "apply", EXAMPLE, "--json")
    assert first.code == 0, first.err
    assert first.json["applied"] is True
    assert 'created service "Check-up"' in first.json["changes"]
    assert cli("setup", "apply", EXAMPLE, "--json").json["changes"] == []


def test_applies_over_a_clinic_set_up_another_way(
    clinic: SmallClinic, cli: Cli, db_url: str, tmp_path: Path
) -> None:
    text = """\
[[services]]
name = "Consultation"
price = 60
deposit = 10

[[providers]]
name = "Thandi Mokoena"
[[providers.hours]]
location = "Riverside"
days = ["mon-fri"]
start = "09:00"
end = "17:00"
breaks = [{ start = "12:30", end = "13:00", label = "Lunch" }]
"""
    # the same as the clinic already has: nothing to do
    before = table_rows(db_url)
    result = cli("setup", "apply", write(tmp_path, text))
    assert (result.code, result.out) == (0, "no changes\n"), result.err
    assert table_rows(db_url) == before
    later = text.replace('"mon-fri"', '"mon-thu"')
    result = cli("setup", "apply", write(tmp_path, later))
    assert result.out.splitlines()[1:] == [
        '  set weekly hours of "Thandi Mokoena" (4 rules, 4 breaks)'
    ]


def test_malformed_toml_names_the_line(cli: Cli, tmp_path: Path) -> None:
    result = cli("setup", "apply", write(tmp_path, '[clinic]\nname = "Unclosed\n'))
    assert result.code == 2
    assert "not valid TOML" in result.err and "line 2" in result.err


def test_missing_or_undecodable_file_is_bad_input(cli: Cli, tmp_path: Path) -> None:
    missing = cli("setup", "apply", tmp_path / "nope.toml")
    assert missing.code == 2 and "cannot read" in missing.err
    latin1 = tmp_path / "latin1.toml"
    latin1.write_bytes('[clinic]\nname = "Clínica"\n'.encode("latin-1"))
    result = cli("setup", "apply", latin1)
    assert result.code == 2 and "not UTF-8" in result.err


def test_audit_entries_name_the_admin(cli: Cli, db_url: str) -> None:
    assert cli("setup", "apply", EXAMPLE).code == 0
    engine = create_db_engine(db_url)
    with engine.connect() as conn:
        users = dict(conn.execute(select(t.staff_users.c.id, t.staff_users.c.name)).all())
        entries = conn.execute(select(t.audit_log.c.user_id, t.audit_log.c.entity)).all()
    engine.dispose()
    assert entries
    assert {users[e.user_id] for e in entries} == {"admin-test"}
    assert {e.entity for e in entries} >= {"clinic", "location", "service", "provider"}


def test_a_clinic_table_with_defaults_only_is_saved_once(cli: Cli, tmp_path: Path) -> None:
    path = write(tmp_path, '[clinic]\nzone = "UTC"\n')
    first = cli("setup", "apply", path)
    assert first.out.splitlines()[1:] == ["  created clinic settings"]
    assert cli("setup", "apply", path).out == "no changes\n"
