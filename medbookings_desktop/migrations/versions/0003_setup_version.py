"""A setup version token, so desks can cache the clinic's setup between slot searches

Slot searches read providers, services, locations, weekly hours and breaks, which change
rarely. Every change to them now also writes a new random token under the clinic_settings key
`setup_version` in the same transaction; a desk keeps what it read together with the token and
reads it again only when the token differs. The row is created here so that it exists before
any desk caches, and this revision keeps older versions of the app, which would change the
setup without a new token, from opening the database. No table changes.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:50:00
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_settings = sa.table("clinic_settings", sa.column("key", sa.String), sa.column("value", sa.JSON))


def upgrade() -> None:
    op.execute(_settings.delete().where(_settings.c.key == "setup_version"))
    op.execute(_settings.insert().values(key="setup_version", value=uuid.uuid4().hex))


def downgrade() -> None:
    op.execute(_settings.delete().where(_settings.c.key == "setup_version"))
