"""The Google Calendar sync's figures against the local Google (medians):

- idle_poll_requests: HTTP requests one pass makes for 30 connected calendars, nothing changed;
- import_10k_s: the first import of a calendar holding 10,000 events;
- plan_10k_ms: planning the import of 10,000 events (calendar_plan.plan_import).

`medbookings bench google [--json] [--rounds N]` prints them from a source checkout (the fake
lives in tests/fakes/); `python -m tests.google.bench_google` does the same.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from medbookings_desktop.domain.clinic import Provider
from medbookings_desktop.services import setup
from medbookings_desktop.sync import calendar_plan as plan
from tests.fakes.google_calendar_server import FakeGoogleCalendar
from tests.google.conftest import CAL_A, Sleeps, connect, desk_sync
from tests.helpers.clinic import Clock, build_small_clinic
from tests.helpers.memory_keyring import memory_keyring

TARGETS = {"idle_poll_requests": 1, "import_10k_s": 5.0, "plan_10k_ms": 100.0}


def _events(fake: FakeGoogleCalendar, calendar_id: str, count: int) -> None:
    base = datetime(2026, 6, 2, 6, tzinfo=UTC)
    for i in range(count):
        start = base + timedelta(hours=i)
        fake.outside_insert(
            calendar_id,
            {
                "summary": "Busy",
                "start": {"dateTime": start.isoformat()},
                "end": {"dateTime": (start + timedelta(minutes=30)).isoformat()},
            },
        )


def measure(rounds: int = 3, events: int = 10_000) -> dict[str, Any]:
    imports: list[float] = []
    plans: list[float] = []
    idle: list[int] = []
    for _ in range(rounds):
        with memory_keyring(), tempfile.TemporaryDirectory() as folder:
            fake = FakeGoogleCalendar().start()
            fake.check_specs = False  # the fake's own checks are not what is timed
            try:
                clinic = build_small_clinic(f"sqlite:///{Path(folder) / 'c.sqlite3'}", Clock())
                assert clinic.dr_a.id
                connect(clinic, fake, clinic.dr_a.id, CAL_A)
                _events(fake, CAL_A, events)
                listed = fake.live(CAL_A)
                started = time.perf_counter()
                plan.plan_import(listed, {}, provider_id=1, zone="Europe/London", full=True)
                plans.append((time.perf_counter() - started) * 1000)
                desk = desk_sync(clinic, fake, Sleeps())
                started = time.perf_counter()
                report = desk.run_once()
                imports.append(time.perf_counter() - started)
                assert report.busy_added == events, report
                for i in range(29):
                    p = setup.save_provider(clinic.ctx, Provider(name=f"Locum {i}", title="Dr"))
                    assert p.id
                    connect(clinic, fake, p.id, f"locum{i}@example.org")
                desk.run_once(force=True)  # first reads of the new calendars
                idle.append(desk.run_once(force=True).requests)
                clinic.engine.dispose()
            finally:
                fake.stop()
    return {
        "idle_poll_requests": statistics.median(idle),
        "import_10k_s": round(statistics.median(imports), 3),
        "plan_10k_ms": round(statistics.median(plans), 1),
        "rounds": rounds,
        "targets": TARGETS,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    figures = measure(args.rounds)
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key in TARGETS:
            print(f"{key}: {figures[key]} (target ≤ {TARGETS[key]})")


if __name__ == "__main__":
    main()
