"""A location's place details (place id, coordinates, phone, website, opening hours): stored
and read back on SQLite and PostgreSQL, and migration 0007 adds and removes their columns
around a location that is already there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, select, text

from medbookings_desktop.domain.clinic import Location
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.services import clinic_admin, setup
from medbookings_desktop.storage import migrate, revisions
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import create_db_engine
from tests.conftest import drop_postgres_database, fresh_postgres_database
from tests.helpers.clinic import SmallClinic

HOURS = (
    "Monday: 8:00 AM – 6:00 PM",
    "Tuesday: 8:00 AM – 6:00 PM",
    "Saturday: Closed",
    "Sunday: Closed",
)
PLACE_COLUMNS = {"place_id", "latitude", "longitude", "website", "opening_hours"}


def _harley() -> Location:
    return Location(
        name="Harley Street Practice",
        zone="Europe/London",
        address_line1="10 Harley Street",
        city="London",
        postal_code="W1G 9PF",
        country="GB",
        phone="020 7946 0123",
        place_id="ChIJ-harley-street-clinic",
        latitude=51.5186,
        longitude=-0.1477,
        website="https://harley.example.org/",
        opening_hours=HOURS,
    )


def test_place_details_round_trip(clinic: SmallClinic) -> None:
    saved = setup.save_location(clinic.ctx, _harley())
    assert saved.id is not None
    found = {loc.id: loc for loc in clinic_admin.locations(clinic.ctx)}[saved.id]
    assert found == saved
    assert found.place_id == "ChIJ-harley-street-clinic"
    assert found.coordinates == pytest.approx((51.5186, -0.1477))
    assert found.phone == "020 7946 0123"
    assert found.website == "https://harley.example.org/"
    assert found.opening_hours == HOURS
    with clinic.ctx.read() as uow:
        assert uow.locations.get(saved.id) == saved
        assert uow.locations.by_name("Harley Street Practice") == saved


def test_a_location_typed_by_hand_stores_nulls(clinic: SmallClinic) -> None:
    saved = setup.save_location(clinic.ctx, Location(name="Hillside", zone="Europe/London"))
    with clinic.engine.connect() as conn:
        row = conn.execute(select(t.locations).where(t.locations.c.id == saved.id)).one()
        # SQL NULL, not a JSON null or an empty string: "no data from Google"
        raw = conn.execute(
            text("SELECT opening_hours IS NULL FROM locations WHERE id = :i"), {"i": saved.id}
        ).scalar()
    assert (row.place_id, row.latitude, row.longitude, row.website) == (None, None, None, None)
    assert bool(raw)
    found = {loc.name: loc for loc in clinic_admin.locations(clinic.ctx)}["Hillside"]
    assert (found.place_id, found.coordinates, found.website, found.opening_hours) == (
        "",
        None,
        "",
        (),
    )


def test_editing_keeps_or_clears_the_place_details(clinic: SmallClinic) -> None:
    from dataclasses import replace

    saved = setup.save_location(clinic.ctx, _harley())
    setup.save_location(clinic.ctx, replace(saved, address_line2="Second floor"))
    again = {loc.id: loc for loc in clinic_admin.locations(clinic.ctx)}[saved.id]
    assert again.place_id == saved.place_id and again.opening_hours == HOURS
    cleared = replace(
        saved, place_id="", latitude=None, longitude=None, website="", opening_hours=()
    )
    setup.save_location(clinic.ctx, cleared)
    last = {loc.id: loc for loc in clinic_admin.locations(clinic.ctx)}[saved.id]
    assert last == cleared


def test_the_phone_is_read_in_the_clinics_region(clinic: SmallClinic) -> None:
    saved = setup.save_location(
        clinic.ctx, Location(name="Hillside", zone="Europe/London", phone="02079460999")
    )
    assert saved.phone == "020 7946 0999"  # a local number, written the local way
    abroad = setup.save_location(
        clinic.ctx, Location(name="Hudson", zone="America/New_York", phone="+1 212 555 0100")
    )
    assert abroad.phone == "+1 212-555-0100"
    with pytest.raises(InvalidInput) as refused:
        setup.save_location(clinic.ctx, Location(name="Bad", zone="UTC", phone="12"))
    assert refused.value.field == "phone"
    assert "not a valid phone number (read as GB)" in refused.value.message
    with pytest.raises(InvalidInput, match="not a phone number"):
        setup.save_location(clinic.ctx, Location(name="Bad", zone="UTC", phone="call us"))
    assert "Bad" not in {loc.name for loc in clinic_admin.locations(clinic.ctx)}


# -- migration 0007 ---------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine_at_0006(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A database at 0006 holding one location (and a room and a provider that use it)."""
    if request.param == "sqlite":
        engine = create_db_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
        name = None
    else:
        url, name = fresh_postgres_database()
        engine = create_db_engine(url)
    migrate.upgrade(engine, "0006")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO locations (id, name, zone, address_line1, address_line2, city, "
                "region, postal_code, country, phone) VALUES (1, 'Riverside', 'Europe/London', "
                "'1 River Street', '', 'London', '', 'SE1 7PB', 'GB', '020 7946 0000')"
            )
        )
        conn.execute(text("INSERT INTO rooms (id, location_id, name) VALUES (1, 1, 'Room 1')"))
    yield engine
    engine.dispose()
    if name is not None:
        drop_postgres_database(name)


def _location_columns(engine: Engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("locations")}


def test_upgrade_from_0006_keeps_the_location_and_adds_empty_details(
    engine_at_0006: Engine,
) -> None:
    engine = engine_at_0006
    assert not PLACE_COLUMNS & _location_columns(engine)
    migrate.upgrade(engine, "0007")
    assert migrate.current_revision(engine) == "0007"
    assert _location_columns(engine) >= PLACE_COLUMNS
    with engine.connect() as conn:
        from medbookings_desktop.storage import rows

        loc = rows.location(conn.execute(select(t.locations)).one())
    assert loc == Location(
        id=1,
        name="Riverside",
        zone="Europe/London",
        address_line1="1 River Street",
        city="London",
        postal_code="SE1 7PB",
        country="GB",
        phone="020 7946 0000",
    )
    # the new columns take values
    with engine.begin() as conn:
        conn.execute(
            t.locations.update()
            .where(t.locations.c.id == 1)
            .values(
                place_id="ChIJ-riverside",
                latitude=51.5,
                longitude=-0.09,
                website="https://riverside.example.org/",
                opening_hours=list(HOURS),
            )
        )
        back = rows.location(conn.execute(select(t.locations)).one())
    assert back.opening_hours == HOURS and back.coordinates == (51.5, -0.09)


def test_downgrade_to_0006_drops_the_columns_and_keeps_the_row(engine_at_0006: Engine) -> None:
    engine = engine_at_0006
    migrate.upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            t.locations.update()
            .where(t.locations.c.id == 1)
            .values(place_id="ChIJ-riverside", latitude=51.5, longitude=-0.09)
        )
    migrate.downgrade(engine, "0006")
    assert migrate.current_revision(engine) == "0006"
    assert not PLACE_COLUMNS & _location_columns(engine)
    with engine.connect() as conn:
        name, phone = conn.execute(text("SELECT name, phone FROM locations WHERE id = 1")).one()
        room = conn.execute(text("SELECT location_id FROM rooms WHERE id = 1")).scalar()
    assert (name, phone, room) == ("Riverside", "020 7946 0000", 1)
    # and up again
    migrate.upgrade(engine, "0007")
    assert _location_columns(engine) >= PLACE_COLUMNS


def test_the_new_head_is_known_without_alembic() -> None:
    known = revisions.known_revisions()
    assert "0007" in known
    assert known.index("0007") == known.index("0006") + 1


def test_a_setup_file_location_phone_is_read_in_the_clinics_region(clinic: SmallClinic) -> None:
    from medbookings_desktop.domain.setup_spec import SetupInvalid, parse_setup_text
    from medbookings_desktop.services.setup_file import apply_setup

    saved = setup.save_location(clinic.ctx, _harley())
    spec = parse_setup_text(
        '[[locations]]\nname = "Harley Street Practice"\nphone = "02079460999"\n'
    )
    result = apply_setup(clinic.ctx, spec)
    assert [str(c) for c in result.changes] == ['updated location "Harley Street Practice" (phone)']
    again = {loc.id: loc for loc in clinic_admin.locations(clinic.ctx)}[saved.id]
    assert again.phone == "020 7946 0999"
    assert again.place_id == saved.place_id and again.opening_hours == HOURS  # kept
    assert not apply_setup(clinic.ctx, spec).changed  # the same file again changes nothing

    bad = parse_setup_text('[[locations]]\nname = "Harley Street Practice"\nphone = "12"\n')
    with pytest.raises(SetupInvalid) as refused:
        apply_setup(clinic.ctx, bad)
    assert [p.place for p in refused.value.problems] == ["locations[0].phone"]
