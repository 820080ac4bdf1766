"""Google Calendar sync: each provider's calendar link and the reconciler's status table

- `calendar_links`: one per provider: the account, the calendar chosen, the link's state
  (connected, needs_reconnect, disconnected, paused), the import's sync token, the last
  successful sync and error, and how many of our events the last import saw.
- `calendar_events`: vdirsyncer's status store: per appointment and calendar, the event id,
  its etag and what was last exported (revision and body hash), so the planner can tell a
  change made at the desk from one made in Google.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medbookings_desktop.storage.types import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_links",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("provider_id", sa.Integer, nullable=False),
        sa.Column("calendar_id", sa.String(254), nullable=False, server_default=""),
        sa.Column("account_email", sa.String(254), nullable=False, server_default=""),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("sync_token", sa.Text),
        sa.Column("last_sync_at", UTCDateTime(timezone=True)),
        sa.Column("last_error", sa.Text),
        sa.Column("our_events_seen", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_links")),
        sa.UniqueConstraint("provider_id", name=op.f("uq_calendar_links_provider_id")),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_calendar_links_provider_id_providers"),
            ondelete="CASCADE",
        ),
    )
    op.create_table(
        "calendar_events",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("appointment_id", sa.Integer, nullable=False),
        sa.Column("provider_id", sa.Integer, nullable=False),
        sa.Column("calendar_id", sa.String(254), nullable=False),
        sa.Column("event_id", sa.String(1024), nullable=False),
        sa.Column("etag", sa.String(200)),
        sa.Column("exported_revision", sa.Integer, nullable=False),
        sa.Column("exported_hash", sa.String(64), nullable=False),
        sa.Column("state", sa.String(12), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_events")),
        sa.UniqueConstraint(
            "calendar_id", "event_id", name=op.f("uq_calendar_events_calendar_id_event_id")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_calendar_events_appointment_id_appointments"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_calendar_events_provider_id_providers"),
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        op.f("ix_calendar_events_appointment_id"), "calendar_events", ["appointment_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_calendar_events_appointment_id"), table_name="calendar_events")
    op.drop_table("calendar_events")
    op.drop_table("calendar_links")
