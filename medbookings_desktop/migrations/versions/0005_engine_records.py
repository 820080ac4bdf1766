"""The background engine's records: Needs attention, the integration log, deliveries, replies

- `attention_items`: what the desk must look at (a message that could not go out, a patient's
  reply the engine could not act on, a vendor that rejected the clinic's credentials).
- `integration_log`: one row per vendor call (service, operation, duration, outcome, error),
  never patient data; it feeds the health panel.
- `deliveries`: each attempt to send an outbox row: channel, recipient, the engine holding it
  while `sending`, the vendor's message id and its delivery status as polled.
- `inbound_messages`: patient replies already handled, by the vendor's id, so two desks never
  act on one reply twice.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 09:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from medbookings_desktop.storage.types import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def upgrade() -> None:
    op.create_table(
        "attention_items",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("service", sa.String(30)),
        sa.Column("appointment_id", sa.Integer),
        sa.Column("patient_id", sa.Integer),
        sa.Column("outbox_id", sa.Integer),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", UTCDateTime(timezone=True)),
        sa.Column("resolved_by", sa.String(200)),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attention_items")),
        _fk("attention_items", "appointment_id", "appointments"),
        _fk("attention_items", "patient_id", "patients"),
        _fk("attention_items", "outbox_id", "outbox"),
    )
    op.create_index(
        op.f("ix_attention_items_resolved_at_created_at"),
        "attention_items",
        ["resolved_at", "created_at"],
    )
    op.create_table(
        "integration_log",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("service", sa.String(30), nullable=False),
        sa.Column("operation", sa.String(50), nullable=False),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("error", sa.Text),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_integration_log")),
    )
    op.create_index(
        op.f("ix_integration_log_service_started_at"),
        "integration_log",
        ["service", "started_at"],
    )
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("outbox_id", sa.Integer, nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("recipient", sa.String(254), nullable=False),
        sa.Column("engine", sa.String(100), nullable=False),
        sa.Column("vendor_id", sa.String(64)),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("error", sa.Text),
        sa.Column("started_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        _fk("deliveries", "outbox_id", "outbox"),
    )
    op.create_index(op.f("ix_deliveries_outbox_id"), "deliveries", ["outbox_id"])
    op.create_index(op.f("ix_deliveries_status_updated_at"), "deliveries", ["status", "updated_at"])
    op.create_table(
        "inbound_messages",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("vendor_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("sender", sa.String(40), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("received_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("patient_id", sa.Integer),
        sa.Column("appointment_id", sa.Integer),
        sa.Column("handled_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbound_messages")),
        sa.UniqueConstraint("vendor_id", name=op.f("uq_inbound_messages_vendor_id")),
        _fk("inbound_messages", "patient_id", "patients"),
        _fk("inbound_messages", "appointment_id", "appointments"),
    )


def downgrade() -> None:
    op.drop_table("inbound_messages")
    op.drop_index(op.f("ix_deliveries_status_updated_at"), table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_outbox_id"), table_name="deliveries")
    op.drop_table("deliveries")
    op.drop_index(op.f("ix_integration_log_service_started_at"), table_name="integration_log")
    op.drop_table("integration_log")
    op.drop_index(op.f("ix_attention_items_resolved_at_created_at"), table_name="attention_items")
    op.drop_table("attention_items")
