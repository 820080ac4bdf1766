"""`medbookings bench`: speed and memory figures on a demo clinic, printed, never judged.

For each database (an SQLite file; PostgreSQL too when a server is given) the bench builds a
demo clinic by running `medbookings demo` as a child process (so the build's memory does not
count against the desk's figures), then times the services a desk uses all day with
`time.perf_counter`, after a warm-up: the next free slot for a service across all providers
within 90 days, a booking with its checks, audit entry and outbox rows, typeahead patient
searches, and a whole clinic's day. Figures are medians and 95th percentiles in milliseconds;
`rss_mb` is the bench process's peak resident memory.
"""

from __future__ import annotations

import math
import os
import platform
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from medbookings_desktop.bootstrap import open_app
from medbookings_desktop.demo import Size, demo_of
from medbookings_desktop.demo.names import FIRST_NAMES, LAST_NAMES
from medbookings_desktop.domain.errors import DomainError, Refused
from medbookings_desktop.services import agenda, booking, patients, setup, slots
from medbookings_desktop.services.context import Context
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import is_sqlite

METRICS = ("slot_search_ms", "book_commit_ms", "patient_search_ms", "agenda_day_ms")
WARM_UP = 10
SEED = 7


@dataclass
class BackendResult:
    figures: dict[str, dict[str, float]] = field(default_factory=dict)
    rss_mb: float | None = None
    demo_build_s: float | None = None
    demo_rss_mb: float | None = None
    skipped: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.figures)
        out["rss_mb"] = self.rss_mb
        out["demo_build_s"] = self.demo_build_s
        out["demo_rss_mb"] = self.demo_rss_mb
        return out


def summarise(samples: list[float]) -> dict[str, float]:
    """Median and 95th percentile (nearest rank) of timings in seconds, as milliseconds."""
    ordered = sorted(samples)
    p95 = ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]
    return {"median": round(statistics.median(ordered) * 1000, 3), "p95": round(p95 * 1000, 3)}


# --- memory -----------------------------------------------------------------------------


def peak_rss_mb() -> float | None:
    """This process's peak resident memory; None where `resource` is missing (Windows)."""
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    # Linux reports kilobytes, macOS bytes
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def children_peak_rss_mb() -> float | None:
    try:
        import resource
    except ImportError:
        return None
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024, 1)


def reset_peak_rss() -> None:
    """Start a new peak from the current size (Linux only), so each database gets its own."""
    with suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def current_peak_rss_mb() -> float | None:
    """The peak since the last reset on Linux (VmHWM), else the process's lifetime peak."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return peak_rss_mb()


# --- databases --------------------------------------------------------------------------


@contextmanager
def temporary_sqlite() -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="medbookings-bench-"))
    try:
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def temporary_postgres(server_url: str) -> Iterator[str]:
    """A new database on the server of `server_url`, dropped afterwards."""
    url = make_url(server_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    name = f"medbookings_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield url.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def demo_command(url: str, size: Size, seed: int) -> list[str]:
    args = ["--database", url, "--user", "bench", "demo", "--size", size.value, "--seed", str(seed)]
    if getattr(sys, "frozen", False):  # a packaged executable is the command itself
        return [sys.executable, *args]
    return [sys.executable, "-m", "medbookings_desktop", *args]


def build_in_child(url: str, size: Size, seed: int) -> float:
    """Run `medbookings demo` in a child process; its wall time in seconds."""
    began = time.perf_counter()
    done = subprocess.run(
        demo_command(url, size, seed), capture_output=True, text=True, check=False
    )
    took = time.perf_counter() - began
    if done.returncode != 0:
        raise RuntimeError(f"building the demo clinic failed:\n{done.stderr.strip()}")
    return took


# --- the timed calls --------------------------------------------------------------------


@dataclass
class Clinic:
    """What the bench picks from: ids and names of the clinic under test."""

    service_ids: list[int]
    patient_ids: list[int]
    full_names: list[str]
    zone: str


def look_around(ctx: Context, engine: Any) -> Clinic:
    with ctx.read() as uow:
        services = [s.id for s in uow.services.list(active_only=True) if s.id is not None]
        settings = uow.settings.clinic()
    p = t.patients
    with engine.connect() as conn:
        total = conn.scalar(select(p.c.id).order_by(p.c.id.desc()).limit(1)) or 0
        step = max(1, total // 500)
        picked = conn.execute(
            select(p.c.id, p.c.first_name, p.c.last_name)
            .where(p.c.id % step == 0)
            .order_by(p.c.id)
            .limit(500)
        ).all()
    if not services or not picked:
        raise Refused("The clinic has no services or no patients to measure with.")
    return Clinic(
        service_ids=services,
        patient_ids=[r.id for r in picked],
        full_names=[f"{r.first_name} {r.last_name}" for r in picked],
        zone=settings.zone,
    )


def typeahead_queries(rng: random.Random, clinic: Clinic, count: int) -> list[str]:
    """What receptionists type: 1-4 letters of a first or last name, or a full name."""
    queries = []
    for i in range(count):
        if i % 5 == 4:
            queries.append(rng.choice(clinic.full_names))
            continue
        name = rng.choice(LAST_NAMES if rng.random() < 0.6 else FIRST_NAMES)
        typed = name[: 1 + i % 4]
        queries.append(typed.lower() if rng.random() < 0.5 else typed)
    return queries


def _timed(call: Callable[[], object]) -> float:
    began = time.perf_counter()
    call()
    return time.perf_counter() - began


def measure(ctx: Context, clinic: Clinic, rounds: int, say: Callable[[str], None]) -> BackendResult:
    rng = random.Random(SEED)
    result = BackendResult()
    now = ctx.now()
    horizon = setup.clinic_settings(ctx).booking_horizon

    def slot_search(offset_hours: float, service_id: int) -> list[slots.FreeSlot]:
        return slots.find_slots(
            ctx,
            service_id=service_id,
            start_from=now + timedelta(hours=offset_hours),
            days=90,
            limit=1,
        )

    def search_offsets() -> tuple[float, int]:
        return rng.uniform(0, 24 * 60), rng.choice(clinic.service_ids)

    say("  slot search")
    for _ in range(WARM_UP):
        slot_search(*search_offsets())
    searches = [search_offsets() for _ in range(rounds)]
    result.figures["slot_search_ms"] = summarise(
        [_timed(lambda args=args: slot_search(*args)) for args in searches]
    )

    say("  booking")
    samples, skipped = [], 0
    span = max(1.0, min(horizon.days - 1, 150)) * 24
    for i in range(rounds + WARM_UP):
        service_id = rng.choice(clinic.service_ids)
        found = slot_search(rng.uniform(1, span), service_id)
        if not found:
            skipped += 1
            continue
        slot = found[0]
        patient_id = rng.choice(clinic.patient_ids)
        try:
            took = _timed(
                lambda slot=slot, patient_id=patient_id, service_id=service_id: booking.book(
                    ctx,
                    patient_id=patient_id,
                    provider_id=slot.provider_id,
                    service_id=service_id,
                    start=slot.start,
                    location_id=slot.location_id,
                )
            )
        except DomainError:
            skipped += 1
            continue
        if i >= WARM_UP:
            samples.append(took)
    result.figures["book_commit_ms"] = summarise(samples or [math.nan])
    result.skipped["book_commit_ms"] = skipped

    say("  patient search")
    queries = typeahead_queries(rng, clinic, rounds + WARM_UP)
    for q in queries[:WARM_UP]:
        patients.search(ctx, q)
    result.figures["patient_search_ms"] = summarise(
        [_timed(lambda q=q: patients.search(ctx, q)) for q in queries[WARM_UP:]]
    )

    say("  agenda")
    today = now.date()
    weekdays = [d for d in (today + timedelta(days=n) for n in range(-60, 61)) if d.weekday() < 5]
    for d in weekdays[:WARM_UP]:
        agenda.day(ctx, d)
    days: list[date] = [rng.choice(weekdays) for _ in range(rounds)]
    result.figures["agenda_day_ms"] = summarise(
        [_timed(lambda d=d: agenda.day(ctx, d)) for d in days]
    )
    return result


# --- one database, then all -------------------------------------------------------------


def bench_database(
    url: str,
    size: Size,
    rounds: int,
    say: Callable[[str], None],
    *,
    backup_dir: Path | None = None,
    fresh: bool,
) -> BackendResult:
    """Build (or reuse) a demo clinic at `url` and measure it."""
    demo_seconds = None
    if fresh:
        say(f"Building a {size.value} demo clinic...")
        demo_seconds = build_in_child(url, size, SEED)
    reset_peak_rss()
    app = open_app(url, backup_dir=backup_dir, actor="bench")
    try:
        if not fresh:
            demo_seconds = _reuse_or_build(app.ctx, url, size, say)
        clinic = look_around(app.ctx, app.engine)
        say("Measuring:")
        result = measure(app.ctx, clinic, rounds, say)
    finally:
        app.engine.dispose()
    result.rss_mb = current_peak_rss_mb()
    result.demo_build_s = None if demo_seconds is None else round(demo_seconds, 2)
    result.demo_rss_mb = children_peak_rss_mb() if demo_seconds is not None else None
    return result


def _reuse_or_build(ctx: Context, url: str, size: Size, say: Callable[[str], None]) -> float | None:
    """A given database: reuse its demo clinic of this size, fill it if empty, else refuse."""
    recorded = demo_of(ctx)
    if recorded is not None:
        if recorded.get("size") != size.value:
            raise Refused(
                f"that database holds a {recorded.get('size')} demo clinic; ask for "
                f"--size {recorded.get('size')} or give an empty database"
            )
        say(f"Reusing the {size.value} demo clinic in that database.")
        return None
    with ctx.read() as uow:
        in_use = bool(uow.providers.list()) or uow.patients.count() > 0
    if in_use:
        raise Refused(
            "the bench books appointments, so it runs only on an empty database or one "
            "filled by `medbookings demo`; this one holds a clinic's own data"
        )
    say(f"Building a {size.value} demo clinic...")
    return build_in_child(url, size, SEED)


def machine(postgres_version: str | None) -> dict[str, Any]:
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    if postgres_version:
        info["postgres"] = postgres_version
    return info


def postgres_version(url: str) -> str | None:
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as conn:
            return str(conn.scalar(text("SHOW server_version")))
    finally:
        engine.dispose()


def run(
    *,
    size: Size,
    rounds: int,
    database: str | None = None,
    postgres: str | None = None,
    backup_dir: Path | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Every figure, shaped as `medbookings bench --json` prints it."""
    report: dict[str, Any] = {"size": size.value, "rounds": rounds}
    if database is not None:
        name = "sqlite" if is_sqlite(database) else "postgres"
        say(f"{name}: {make_url(database).render_as_string(hide_password=True)}")
        report[name] = bench_database(
            database, size, rounds, say, backup_dir=backup_dir, fresh=False
        ).as_json()
    else:
        say("sqlite: a new file in a temporary folder")
        with temporary_sqlite() as url:
            report["sqlite"] = bench_database(url, size, rounds, say, fresh=True).as_json()
    version = None
    if postgres is not None and "postgres" not in report:
        version = postgres_version(postgres)
        say("postgres: a new database on the given server")
        with temporary_postgres(postgres) as url:
            report["postgres"] = bench_database(url, size, rounds, say, fresh=True).as_json()
    report["machine"] = machine(version)
    report["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    return report


def as_text(report: dict[str, Any]) -> list[str]:
    backends = [b for b in ("sqlite", "postgres") if b in report]
    lines = [
        f"MedBookings bench: {report['size']} demo clinic, {report['rounds']} rounds a figure",
        "",
        f"{'':20}" + "".join(f"{b:>22}" for b in backends),
        f"{'':20}" + "".join(f"{'median':>11}{'p95':>11}" for _ in backends),
    ]
    for metric in METRICS:
        row = f"{metric:20}"
        for b in backends:
            fig = report[b][metric]
            row += f"{fig['median']:>11.2f}{fig['p95']:>11.2f}"
        lines.append(row)
    for key, label in (("rss_mb", "rss_mb (peak)"), ("demo_build_s", "demo_build_s")):
        row = f"{label:20}"
        for b in backends:
            value = report[b][key]
            row += f"{'-' if value is None else f'{value:.1f}':>11}{'':11}"
        lines.append(row)
    m = report["machine"]
    lines += [
        "",
        f"{m['platform']}, {m['cpus']} CPUs, Python {m['python']}, SQLite {m['sqlite']}"
        + (f", PostgreSQL {m['postgres']}" if "postgres" in m else ""),
    ]
    return lines
