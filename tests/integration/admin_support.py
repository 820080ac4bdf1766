"""Helpers for the admin command tests: run `medbookings` in-process and read what it left."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import Table, func, select

from medbookings_desktop.cli import main
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import create_db_engine

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


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """`medbookings --database URL ...` called in-process with its output captured."""

    def __init__(self, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.url = url
        self.capsys = capsys

    def __call__(self, *argv: object) -> Result:
        self.capsys.readouterr()
        code = main(["--database", self.url, "--user", "admin-test", *map(str, argv)])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


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
