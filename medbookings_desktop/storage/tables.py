"""The tables as SQLAlchemy Core sees them. Alembic migrations create them; a test checks
that the two agree."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    Time,
    UniqueConstraint,
)

from medbookings_desktop.storage.types import Minutes, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

clinic_settings = Table(
    "clinic_settings",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", JSON, nullable=False),
)

staff_users = Table(
    "staff_users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
)

locations = Table(
    "locations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("zone", String(64), nullable=False),
    Column("address_line1", String(200), nullable=False, server_default=""),
    Column("address_line2", String(200), nullable=False, server_default=""),
    Column("city", String(100), nullable=False, server_default=""),
    Column("region", String(100), nullable=False, server_default=""),
    Column("postal_code", String(20), nullable=False, server_default=""),
    Column("country", String(2), nullable=False, server_default=""),
    Column("phone", String(20), nullable=False, server_default=""),
    # place details, usually from the address lookup (0007); NULL when typed by hand
    Column("place_id", String(512)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("website", String(2048)),
    Column("opening_hours", JSON(none_as_null=True)),  # a list of readable lines, one per weekday
)

rooms = Table(
    "rooms",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("name", String(100), nullable=False),
    UniqueConstraint("location_id", "name"),
)

services = Table(
    "services",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("duration", Minutes, nullable=False),
    Column("buffer_before", Minutes, nullable=False),
    Column("buffer_after", Minutes, nullable=False),
    Column("price_cents", Integer, nullable=False),
    Column("deposit_cents", Integer, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("online", Boolean, nullable=False),
    Column("colour", String(7), nullable=False),
    Column("active", Boolean, nullable=False),
)

providers = Table(
    "providers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False, unique=True),
    Column("title", String(50), nullable=False),
    Column("colour", String(7), nullable=False),
    Column("google_calendar_id", String(200)),
    Column("email", String(254)),
    Column("active", Boolean, nullable=False),
)

provider_locations = Table(
    "provider_locations",
    metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("location_id", ForeignKey("locations.id"), primary_key=True),
)

provider_services = Table(
    "provider_services",
    metadata,
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), primary_key=True),
    Column("service_id", ForeignKey("services.id"), primary_key=True),
)

working_hours = Table(
    "working_hours",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "provider_id", ForeignKey("providers.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("weekday", Integer, nullable=False),
    Column("start", Time, nullable=False),
    Column("end", Time, nullable=False),
    Column("valid_from", Date),
    Column("valid_until", Date),
    CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
)

breaks = Table(
    "breaks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "provider_id", ForeignKey("providers.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("weekday", Integer, nullable=False),
    Column("start", Time, nullable=False),
    Column("end", Time, nullable=False),
    Column("label", String(100), nullable=False),
    CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
)

extra_hours = Table(
    "extra_hours",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "provider_id", ForeignKey("providers.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("location_id", ForeignKey("locations.id"), nullable=False),
    Column("day", Date, nullable=False),
    Column("start", Time, nullable=False),
    Column("end", Time, nullable=False),
)

time_off = Table(
    "time_off",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), nullable=False),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    Column("reason", String(200), nullable=False),
    Index(None, "provider_id", "start_at"),
)

busy_blocks = Table(
    "busy_blocks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), nullable=False),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    Column("label", String(200), nullable=False),
    Column("source", String(20), nullable=False),
    Column("external_id", String(1024)),
    Index(None, "provider_id", "start_at"),
    UniqueConstraint("source", "external_id"),
)

patients = Table(
    "patients",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("first_name", String(100), nullable=False),
    Column("last_name", String(100), nullable=False),
    Column("date_of_birth", Date, index=True),
    Column("phone", String(20)),
    Column("email", String(254)),
    Column("preferred_channel", String(10), nullable=False),
    Column("consent_sms", Boolean, nullable=False),
    Column("consent_whatsapp", Boolean, nullable=False),
    Column("consent_email", Boolean, nullable=False),
    Column("notes", Text, nullable=False),
    # folded keys for ordered prefix search; search_text feeds the trigram index
    Column("last_name_key", String(100), nullable=False),
    Column("first_name_key", String(100), nullable=False),
    Column("search_text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "last_name_key", "first_name_key"),
    Index(None, "first_name_key", "last_name_key"),
    Index(None, "phone"),
)

appointments = Table(
    "appointments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", ForeignKey("patients.id"), nullable=False, index=True),
    Column("provider_id", ForeignKey("providers.id"), nullable=False),
    Column("service_id", ForeignKey("services.id"), nullable=False),
    Column("location_id", ForeignKey("locations.id")),
    Column("room_id", ForeignKey("rooms.id")),
    Column("online", Boolean, nullable=False),
    Column("start_at", UTCDateTime, nullable=False),
    Column("end_at", UTCDateTime, nullable=False),
    Column("source", String(10), nullable=False),
    Column("status", String(12), nullable=False),
    Column("notes", Text, nullable=False),
    Column("cancelled_by", String(200)),
    Column("cancel_reason", Text),
    Column("meet_url", String(300)),
    Column("revision", Integer, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    CheckConstraint("end_at > start_at", name="ends_after_start"),
    Index(None, "provider_id", "start_at"),
    Index(None, "start_at"),
)

status_changes = Table(
    "status_changes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("appointment_id", ForeignKey("appointments.id"), nullable=False, index=True),
    Column("from_status", String(12), nullable=False),
    Column("to_status", String(12), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("by_user_id", ForeignKey("staff_users.id")),
    Column("reason", Text),
    Column("undone", Boolean, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("user_id", ForeignKey("staff_users.id")),
    Column("action", String(50), nullable=False),
    Column("entity", String(30), nullable=False),
    Column("entity_id", Integer),
    Column("before", JSON),
    Column("after", JSON),
    Index(None, "entity", "entity_id"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(30), nullable=False),
    Column("target", String(100), nullable=False),
    Column("appointment_id", ForeignKey("appointments.id")),
    Column("payload", JSON, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_try_at", UTCDateTime),
    Column("last_error", Text),
    Column("state", String(12), nullable=False),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("sent_at", UTCDateTime),
    Index(None, "state", "due_at"),
    Index(None, "appointment_id"),
)

walk_ins = Table(
    "walk_ins",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("patient_id", ForeignKey("patients.id"), nullable=False),
    Column("service_id", ForeignKey("services.id")),
    Column("provider_id", ForeignKey("providers.id")),
    Column("location_id", ForeignKey("locations.id")),
    Column("note", Text, nullable=False),
    Column("arrived_at", UTCDateTime, nullable=False),
    Column("state", String(10), nullable=False),  # waiting, booked, left
    Column("appointment_id", ForeignKey("appointments.id")),
    Column("closed_at", UTCDateTime),
    Index(None, "state", "arrived_at"),
)

# The background engine's records (migration 0005).

attention_items = Table(
    "attention_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    # the vendor an item is about (credentials rejected pause that service until resolved)
    Column("service", String(30)),
    Column("appointment_id", ForeignKey("appointments.id")),
    Column("patient_id", ForeignKey("patients.id")),
    Column("outbox_id", ForeignKey("outbox.id")),
    Column("summary", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("resolved_at", UTCDateTime),
    Column("resolved_by", String(200)),
    Index(None, "resolved_at", "created_at"),
)

integration_log = Table(
    "integration_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("service", String(30), nullable=False),
    Column("operation", String(50), nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("duration_ms", Integer, nullable=False),
    Column("outcome", String(20), nullable=False),  # ok, retry, failed, rejected
    Column("error", Text),
    Index(None, "service", "started_at"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("outbox_id", ForeignKey("outbox.id"), nullable=False, index=True),
    Column("channel", String(10), nullable=False),
    Column("recipient", String(254), nullable=False),
    # which engine (host:pid) holds the attempt while it is `sending`
    Column("engine", String(100), nullable=False),
    Column("vendor_id", String(64)),
    Column("status", String(20), nullable=False),
    Column("error", Text),
    Column("started_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "status", "updated_at"),
)

inbound_messages = Table(
    "inbound_messages",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("vendor_id", String(64), nullable=False, unique=True),
    Column("channel", String(10), nullable=False),
    Column("sender", String(40), nullable=False),
    Column("body", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("outcome", String(20), nullable=False),  # confirmed, cancelled, opted_out, attention
    Column("patient_id", ForeignKey("patients.id")),
    Column("appointment_id", ForeignKey("appointments.id")),
    Column("handled_at", UTCDateTime, nullable=False),
)

# Google Calendar sync (migration 0006).

# a provider's link to a calendar: the account, the calendar, its state and the import cursor
calendar_links = Table(
    "calendar_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column(
        "provider_id",
        ForeignKey("providers.id", ondelete="CASCADE"),
        nullable=False,
        unique=True,
    ),
    Column("calendar_id", String(254), nullable=False, server_default=""),
    Column("account_email", String(254), nullable=False, server_default=""),
    # connected, needs_reconnect, disconnected, paused
    Column("state", String(20), nullable=False),
    Column("sync_token", Text),
    Column("last_sync_at", UTCDateTime),
    Column("last_error", Text),
    # how many of our events the last import saw (an emptied calendar is refused)
    Column("our_events_seen", Integer, nullable=False, server_default="0"),
    Column("updated_at", UTCDateTime, nullable=False),
)

# the reconciler's status: what we last wrote to (or read from) a calendar per appointment
calendar_events = Table(
    "calendar_events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("appointment_id", ForeignKey("appointments.id"), nullable=False),
    Column("provider_id", ForeignKey("providers.id", ondelete="CASCADE"), nullable=False),
    Column("calendar_id", String(254), nullable=False),
    Column("event_id", String(1024), nullable=False),
    Column("etag", String(200)),
    # the appointment's revision and the hash of the event body last exported
    Column("exported_revision", Integer, nullable=False),
    Column("exported_hash", String(64), nullable=False),
    # exported, deleted (we removed it), conflict (changed outside, waiting for the desk)
    Column("state", String(12), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("calendar_id", "event_id"),
    Index(None, "appointment_id"),
)
