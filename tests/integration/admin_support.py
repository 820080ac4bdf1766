"""Helpers for the admin command tests: run `medbookings` in-process and read what it left."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, func, select

from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import create_db_engine
from tests.integration import cli_support

# What a setup file can touch, and the audit trail that records it.
SETUP_TABLES: tuple[Table, ...] = (
    t.clinic_settings,
    t.locations,
    t.rooms,
    t.services,
    t.providers,
    t.provider_locations,
    t.provider_services,
    t.working_hours,
    t.breaks,
    t.extra_hours,
    t.time_off,
    t.audit_log,
)


class Cli(cli_support.Cli):
    """`medbookings --database URL ...` in-process, as the clinic's administrator."""

    user = "admin-test"


def table_rows(url: str, tables: tuple[Table, ...] = SETUP_TABLES) -> dict[str, list[Any]]:
    """Every row of these tables, ordered, to compare the database before and after."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: [
                    tuple(row)
                    for row in conn.execute(select(table).order_by(*table.primary_key.columns))
                ]
                for table in tables
            }
    finally:
        engine.dispose()


def row_count(url: str, table: Table) -> int:
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
    finally:
        engine.dispose()
