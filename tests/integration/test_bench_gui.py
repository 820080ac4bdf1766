"""`medbookings bench gui`: child processes paint the real window; figures printed, not judged."""

from __future__ import annotations

import json

import pytest

from medbookings_desktop.cli import main
from tests.integration.cli_support import Result

FIGURES = ("startup_ms", "bare_qt_window_ms", "day_switch_ms", "typeahead_ms")


def bench(capsys: pytest.CaptureFixture[str], *argv: object) -> Result:
    capsys.readouterr()
    code = main(["--user", "bench-test", "bench", "gui", *map(str, argv)])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def test_bench_gui_prints_every_figure_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    result = bench(capsys, "--size", "small", "--starts", "1", "--rounds", "3", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    for key in FIGURES:
        figure = report[key]
        assert set(figure) == {"median", "p95"}, key
        assert 0 < figure["median"] <= figure["p95"], key
    assert report["providers"] >= 2
    assert report["rss_mb"] > 0
    assert report["startup_ratio"] > 0
    assert report["size"] == "small"


def test_bench_gui_text_table(capsys: pytest.CaptureFixture[str], tmp_path: object) -> None:
    result = bench(capsys, "--size", "small", "--starts", "1", "--rounds", "2")
    assert result.code == 0, result.err
    for key in (*FIGURES, "startup_ratio", "rss_mb"):
        assert key in result.out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--starts", "0"), "--starts must be between 1 and 100"),
        (("--rounds", "0"), "--rounds must be between 1 and 10000"),
        (("--postgres", "postgresql://x/y"), "measures one database"),
    ],
)
def test_bench_gui_refuses_bad_arguments(
    capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], message: str
) -> None:
    result = bench(capsys, *argv)
    assert result.code == 2
    assert message in result.err
