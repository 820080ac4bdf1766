"""Faster overlap guard on SQLite; patients indexed by first name, then last name

The 0001 SQLite triggers looked for an active appointment with `start_at < NEW.end_at AND
end_at > NEW.start_at`; the index on (provider_id, start_at) bounds only the upper side, so
each insert walked every earlier appointment of the provider (years of them in a busy clinic:
about a millisecond a booking, and minutes for a bulk load). An active appointment now lasts
less than a day (services last at most 12 hours), which the trigger enforces, so anything
overlapping the new one started at most a day before it: `start_at >= datetime(NEW.start_at,
'-1 day')` makes the check a short index range. PostgreSQL's exclusion constraint needs no
change.

The typeahead lists first-name matches ordered by first then last name; an index on both
(replacing the one on first_name_key alone) serves that order without sorting thousands of
rows, and lets a "first last" search filter on the last name inside the index.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 06:30:00
"""

from __future__ import annotations

from collections.abc import Callable

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

ACTIVE = "('booked', 'confirmed', 'arrived', 'in_progress', 'completed')"
EVENTS = ("INSERT", "UPDATE")
COLUMNS = ("provider_id", "room_id")


def _name(column: str, event: str) -> str:
    return f"no_{column.removesuffix('_id')}_overlap_{event.lower()}"


def _bounded(column: str, event: str) -> str:
    same_row = "AND a.id <> NEW.id" if event == "UPDATE" else ""
    # stored instants are 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC); datetime() drops the fraction,
    # which only widens the look-back, and compares correctly as text
    return f"""
        CREATE TRIGGER {_name(column, event)}
        BEFORE {event} ON appointments
        WHEN NEW.status IN {ACTIVE} AND NEW.{column} IS NOT NULL
        BEGIN
            SELECT RAISE(ABORT, 'appointment longer than a day')
            WHERE NEW.end_at > datetime(NEW.start_at, '+1 day');
            SELECT RAISE(ABORT, 'appointment overlap')
            WHERE EXISTS (
                SELECT 1 FROM appointments a
                WHERE a.{column} = NEW.{column} {same_row}
                  AND a.start_at >= datetime(NEW.start_at, '-1 day')
                  AND a.start_at < NEW.end_at AND a.end_at > NEW.start_at
                  AND a.status IN {ACTIVE}
            );
        END
        """


def _unbounded(column: str, event: str) -> str:
    same_row = "AND a.id <> NEW.id" if event == "UPDATE" else ""
    return f"""
        CREATE TRIGGER {_name(column, event)}
        BEFORE {event} ON appointments
        WHEN NEW.status IN {ACTIVE} AND NEW.{column} IS NOT NULL
        BEGIN
            SELECT RAISE(ABORT, 'appointment overlap')
            WHERE EXISTS (
                SELECT 1 FROM appointments a
                WHERE a.{column} = NEW.{column} {same_row}
                  AND a.status IN {ACTIVE}
                  AND a.start_at < NEW.end_at AND a.end_at > NEW.start_at
            );
        END
        """


def _replace(make: Callable[[str, str], str]) -> None:
    if op.get_context().dialect.name != "sqlite":
        return
    for event in EVENTS:
        for column in COLUMNS:
            op.execute(f"DROP TRIGGER IF EXISTS {_name(column, event)}")
            op.execute(make(column, event))


def upgrade() -> None:
    _replace(_bounded)
    op.drop_index("ix_patients_first_name_key", table_name="patients")
    op.create_index(
        "ix_patients_first_name_key_last_name_key", "patients", ["first_name_key", "last_name_key"]
    )


def downgrade() -> None:
    op.drop_index("ix_patients_first_name_key_last_name_key", table_name="patients")
    op.create_index("ix_patients_first_name_key", "patients", ["first_name_key"])
    _replace(_unbounded)
