"""Alembic environment: run with a connection handed in by storage.migrate."""

from __future__ import annotations

from alembic import context

from medbookings_desktop.storage.tables import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("Run migrations through `medbookings db ...`, which supplies the database.")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
