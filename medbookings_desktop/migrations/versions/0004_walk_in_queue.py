"""The walk-in queue: patients waiting at the desk for the first free provider

A walk-in who cannot be seen at once is added to the queue; the desk sees who is waiting and
for how long, and turns a queue entry into an appointment (state `booked`, with the
appointment's id) or closes it when the patient leaves (`left`). Kept in the database so that
every desk of the clinic sees the same queue.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medbookings_desktop.storage.types import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "walk_ins",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("patient_id", sa.Integer, nullable=False),
        sa.Column("service_id", sa.Integer),
        sa.Column("provider_id", sa.Integer),
        sa.Column("location_id", sa.Integer),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("arrived_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(10), nullable=False),
        sa.Column("appointment_id", sa.Integer),
        sa.Column("closed_at", UTCDateTime(timezone=True)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_ins")),
        *(
            sa.ForeignKeyConstraint(
                [f"{table[:-1]}_id"],
                [f"{table}.id"],
                name=op.f(f"fk_walk_ins_{table[:-1]}_id_{table}"),
            )
            for table in ("patients", "services", "providers", "locations", "appointments")
        ),
    )
    op.create_index(op.f("ix_walk_ins_state_arrived_at"), "walk_ins", ["state", "arrived_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_walk_ins_state_arrived_at"), table_name="walk_ins")
    op.drop_table("walk_ins")
