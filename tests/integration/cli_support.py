"""Running `medbookings` in tests: in-process (fast) or as a real process, and what it left.

The command reads the real clock, so tests book on dates computed from today (a weekday one to
two weeks ahead): inside the booking horizon and after minimum notice, whatever the day.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from medbookings_desktop.bootstrap import context_for, open_engine
from medbookings_desktop.cli import main
from medbookings_desktop.domain.clinic import ClinicSettings, Location, Provider, Service
from medbookings_desktop.domain.clinic import WorkingHours as Hours
from medbookings_desktop.services import patients, setup
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import create_db_engine

COUNTED = {
    "patients": t.patients,
    "appointments": t.appointments,
    "audit": t.audit_log,
    "outbox": t.outbox,
    "status_changes": t.status_changes,
}


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


class Cli:
    """`medbookings --database URL ...` called in-process, its output captured."""

    user = "cli-test"

    def __init__(self, url: str, capsys: pytest.CaptureFixture[str]) -> None:
        self.url = url
        self.capsys = capsys

    def __call__(self, *argv: object) -> Result:
        self.capsys.readouterr()
        code = main(["--database", self.url, "--user", self.user, *map(str, argv)])
        captured = self.capsys.readouterr()
        return Result(code, captured.out, captured.err)


def run_process(url: str, home: Path, *argv: object) -> Result:
    """The command as a separate process, as an outside script runs it."""
    done = subprocess.run(
        [sys.executable, "-m", "medbookings_desktop", "--database", url, *map(str, argv)],
        capture_output=True,
        text=True,
        env=process_env(home),
        check=False,
        timeout=120,
    )
    return Result(done.returncode, done.stdout, done.stderr)


def process_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDBOOKINGS_")}
    env["MEDBOOKINGS_HOME"] = str(home)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def counts(url: str) -> dict[str, int]:
    """Rows per table that a command could change, to prove a refusal changed nothing."""
    engine = create_db_engine(url)
    try:
        with engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(table)).scalar_one()
                for name, table in COUNTED.items()
            }
    finally:
        engine.dispose()


def weekday_ahead(weekday: int, zone: str = "Europe/London", *, weeks: int = 1) -> date:
    """That weekday (0 = Monday) at least `weeks` weeks after today in `zone`."""
    today = datetime.now(UTC).astimezone(ZoneInfo(zone)).date()
    first = today + timedelta(days=7 * weeks)
    return first + timedelta(days=(weekday - first.weekday()) % 7)


def wall(day: date, hour: int, minute: int = 0) -> str:
    """A wall-clock start as typed at the desk, without an offset."""
    return datetime.combine(day, time(hour, minute)).isoformat(timespec="minutes")


def next_transition(zone: str, *, forward: bool, after: date) -> date:
    """The next date after `after` on which `zone` moves its clocks forward (or back)."""
    tz = ZoneInfo(zone)
    day = after + timedelta(days=1)
    for _ in range(800):
        before = datetime.combine(day, time(0), tz).utcoffset()
        later = datetime.combine(day + timedelta(days=1), time(0), tz).utcoffset()
        assert before is not None and later is not None
        if later != before and (later > before) == forward:
            return day
        day += timedelta(days=1)
    raise AssertionError(f"{zone} has no clock change ahead")


@dataclass
class ZoneClinic:
    location_id: int
    service_id: int
    provider_id: int
    patient_id: int


def build_zone_clinic(url: str, zone: str = "America/New_York") -> ZoneClinic:
    """A clinic in `zone` whose doctor works every day 09:00–17:00 local time.

    The horizon is long so the next DST change day is always bookable.
    """
    engine, _ = open_engine(url, backup_dir=None)
    try:
        ctx = context_for(engine, actor="setup")
        with ctx.write() as uow:
            uow.settings.save_clinic(
                ClinicSettings(
                    name="Hudson Clinic",
                    zone=zone,
                    phone_region="US",
                    booking_horizon=timedelta(days=400),
                )
            )
            uow.commit()
        loc = setup.save_location(ctx, Location(name="Hudson", zone=zone))
        svc = setup.save_service(ctx, Service(name="Visit", duration=timedelta(minutes=30)))
        assert loc.id is not None and svc.id is not None
        doc = setup.save_provider(
            ctx,
            Provider(
                name="Maya Cohen",
                title="Dr",
                location_ids=frozenset({loc.id}),
                service_ids=frozenset({svc.id}),
            ),
        )
        assert doc.id is not None
        setup.set_weekly_hours(
            ctx, doc.id, [Hours(doc.id, loc.id, d, time(9), time(17)) for d in range(7)], []
        )
        pat = patients.register(ctx, first_name="Rosa", last_name="Diaz", phone="+1 202 555 0142")
        assert pat.id is not None
        return ZoneClinic(loc.id, svc.id, doc.id, pat.id)
    finally:
        engine.dispose()
