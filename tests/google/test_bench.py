"""The Google figures meet their targets on the local fake (one round)."""

from __future__ import annotations

import pytest

from tests.google.bench_google import TARGETS, measure


@pytest.mark.slow
def test_google_figures_meet_their_targets() -> None:
    figures = measure(rounds=1)
    for key, target in TARGETS.items():
        assert figures[key] <= target, (key, figures[key])
