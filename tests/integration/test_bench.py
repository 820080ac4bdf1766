"""`medbookings bench`: it runs and prints every figure; it judges none, and neither do we.

No timing is asserted: the figures depend on the machine. The bench builds its demo clinic
in a child `medbookings demo` process, on a temporary SQLite file (and a new PostgreSQL
database when given a server), or on a database it is pointed at.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, func, select

from medbookings_desktop.cli import main
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import create_db_engine
from tests.conftest import PG_ENV
from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import Cli, Result

METRICS = ("slot_search_ms", "book_commit_ms", "patient_search_ms", "agenda_day_ms")


def bench(capsys: pytest.CaptureFixture[str], *argv: object) -> Result:
    capsys.readouterr()
    code = main(["--user", "bench-test", "bench", *map(str, argv)])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def assert_figures(figures: dict[str, object], *, built: bool) -> None:
    for metric in METRICS:
        value = figures[metric]
        assert isinstance(value, dict)
        assert set(value) == {"median", "p95"}
        assert 0 < value["median"] <= value["p95"]
    rss = figures["rss_mb"]
    assert rss is None or (isinstance(rss, float) and rss > 10)
    if built:
        assert isinstance(figures["demo_build_s"], float) and figures["demo_build_s"] > 0
    else:
        assert figures["demo_build_s"] is None


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_db_engine(db_url)
    yield engine
    engine.dispose()


def _appointments(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(t.appointments)) or 0)


@pytest.mark.parametrize(
    "servers", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_small_bench_prints_every_figure_as_json(
    servers: str, capsys: pytest.CaptureFixture[str]
) -> None:
    extra: list[str] = []
    if servers == "postgres":
        url = os.environ.get(PG_ENV)
        if not url:
            pytest.skip(f"no PostgreSQL server configured ({PG_ENV} is unset)")
        extra = ["--postgres", url]

    done = bench(capsys, "--size", "small", "--json", "--rounds", "5", *extra)

    assert done.code == 0, done.err
    report = json.loads(done.out)
    assert report["size"] == "small"
    assert report["rounds"] == 5
    assert set(report["machine"]) >= {"platform", "cpus", "python", "sqlite"}
    assert_figures(report["sqlite"], built=True)
    if servers == "postgres":
        assert "postgres" in report["machine"]
        assert_figures(report["postgres"], built=True)
    else:
        assert "postgres" not in report


def test_bench_prints_a_table_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    done = bench(capsys, "--size", "small", "--rounds", "3")

    assert done.code == 0, done.err
    for label in (*METRICS, "rss_mb", "demo_build_s", "median", "p95", "sqlite"):
        assert label in done.out
    assert "Building a small demo clinic" in done.err


def test_bench_fills_an_empty_database_then_reuses_its_demo_clinic(
    db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    first = bench(capsys, "--size", "small", "--json", "--rounds", "3", "--database", db_url)
    assert first.code == 0, first.err
    name = "sqlite" if db_url.startswith("sqlite") else "postgres"
    assert_figures(json.loads(first.out)[name], built=True)
    booked = _appointments(engine)

    again = bench(capsys, "--size", "small", "--json", "--rounds", "3", "--database", db_url)

    assert again.code == 0, again.err
    assert "Reusing the small demo clinic" in again.err
    assert_figures(json.loads(again.out)[name], built=False)
    assert _appointments(engine) > booked  # the bookings it timed are real ones


def test_bench_will_not_book_into_a_clinics_own_database(
    clinic: SmallClinic, db_url: str, engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    done = Cli(db_url, capsys)("bench", "--size", "small", "--rounds", "3")

    assert done.code == 1
    assert "only on an empty database or one filled by `medbookings demo`" in done.err
    assert _appointments(engine) == 0


def test_bench_will_not_mix_demo_sizes(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert Cli(db_url, capsys)("demo", "--size", "small").code == 0

    done = bench(capsys, "--size", "large", "--rounds", "3", "--database", db_url)

    assert done.code == 1
    assert "holds a small demo clinic" in done.err


def test_bench_rejects_a_silly_number_of_rounds(capsys: pytest.CaptureFixture[str]) -> None:
    done = bench(capsys, "--size", "small", "--rounds", "0")

    assert done.code == 2
    assert "--rounds" in done.err
