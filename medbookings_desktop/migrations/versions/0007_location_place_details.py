"""A location's place details, usually from the address lookup (Google Places)

- `locations.place_id`: Google's place id (the "Open in Maps" link is built from it);
- `locations.latitude`, `locations.longitude`: the coordinates;
- `locations.website`: the location's web address;
- `locations.opening_hours`: readable lines, one per weekday, as JSON.

All nullable: a location typed by hand has none of them. Adding columns needs no table
copy on SQLite; dropping them uses SQLite's own DROP COLUMN (3.35 and later), else a copy.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 12:10:00
"""

from __future__ import annotations

import sqlite3

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = ("place_id", "latitude", "longitude", "website", "opening_hours")


def upgrade() -> None:
    op.add_column("locations", sa.Column("place_id", sa.String(512), nullable=True))
    op.add_column("locations", sa.Column("latitude", sa.Float, nullable=True))
    op.add_column("locations", sa.Column("longitude", sa.Float, nullable=True))
    op.add_column("locations", sa.Column("website", sa.String(2048), nullable=True))
    op.add_column("locations", sa.Column("opening_hours", sa.JSON, nullable=True))


def downgrade() -> None:
    native = op.get_bind().dialect.name != "sqlite" or sqlite3.sqlite_version_info >= (3, 35)
    if native:
        for name in reversed(COLUMNS):
            op.drop_column("locations", name)
        return
    with op.batch_alter_table("locations") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
