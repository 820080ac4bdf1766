"""`medbookings bench google` runs against the local fake and prints every figure.

Timings are printed, never asserted (shared machines are noisy); the request count of an idle
pass is a count, so it is checked.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.google.bench_google import TARGETS
from tests.integration.cli_support import Cli


@pytest.mark.slow
def test_bench_google_prints_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = Cli(f"sqlite:///{tmp_path / 'desk.sqlite3'}", capsys)(
        "bench", "google", "--rounds", "1", "--json"
    )
    assert done.code == 0, done.err
    figures = done.json
    assert set(TARGETS) <= set(figures)
    assert figures["idle_poll_requests"] <= 1  # 30 calendars, nothing changed: one batch at most
    assert figures["import_10k_s"] > 0 and figures["plan_10k_ms"] > 0


def test_bench_google_refuses_a_silly_round_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    done = Cli(f"sqlite:///{tmp_path / 'desk.sqlite3'}", capsys)("bench", "google", "--rounds", "0")
    assert done.code != 0 and "--rounds" in done.err
