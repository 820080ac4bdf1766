"""`medbookings bench gui`: how long the desk's window makes people wait, printed, never judged.

- `startup_ms`: from starting `medbookings` to the first calendar painted with the day's
  appointments (the app writes a line then, see `ui/first_paint.py`), and `bare_qt_window_ms`:
  a bare PySide6 window timed the same way in the same run, so the two can be compared on
  whatever machine this runs.
- `day_switch_ms`, `typeahead_ms`, `rss_mb`: from a child process that drives the real window
  (`ui/bench_probe.py`): the next day painted, a keystroke to painted patient matches, and that
  process's peak resident memory.

Children run on Qt's offscreen platform unless QT_QPA_PLATFORM says otherwise.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from medbookings_desktop.bench import (
    SEED,
    build_in_child,
    machine,
    summarise,
    temporary_sqlite,
)
from medbookings_desktop.demo import Size

FIRST_PAINT_TIMEOUT_S = 120

# the same measure for a window with nothing of ours in it
BARE_WINDOW = """
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

class Watch(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Paint and not getattr(self, "done", False):
            self.done = True
            QTimer.singleShot(0, report)
        return False

def report():
    sys.stdout.write("first-paint\\n")
    sys.stdout.flush()
    app.quit()

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1200, 800)
watch = Watch()
window.installEventFilter(watch)
window.show()
app.exec()
"""


def _child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["MEDBOOKINGS_REPORT_FIRST_PAINT"] = "1"
    # the child's window settings and logs go to a folder of the run, not the desk's own
    env["MEDBOOKINGS_HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / "config")
    # an installed app starts from compiled bytecode (pip writes it at install time); let a
    # source checkout's first, warming start write it too rather than compiling every time
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def medbookings_command() -> list[str]:
    """The installed `medbookings` next to this Python, else the module (a source checkout)."""
    script = Path(sys.executable).with_name("medbookings")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "medbookings_desktop"]


def time_first_paint(argv: list[str], env: dict[str, str]) -> float:
    """Seconds from starting `argv` to its `first-paint` line; the child then quits."""
    start = time.perf_counter()
    with subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True
    ) as child:
        try:
            assert child.stdout is not None
            for line in child.stdout:
                if line.strip() == "first-paint":
                    seconds = time.perf_counter() - start
                    break
            else:
                raise RuntimeError(f"{argv[0]} ended (code {child.wait()}) without painting")
            child.wait(timeout=FIRST_PAINT_TIMEOUT_S)
            return seconds
        finally:
            if child.poll() is None:
                child.kill()


def probe(url: str, rounds: int, env: dict[str, str]) -> dict[str, Any]:
    argv = [sys.executable, "-m", "medbookings_desktop.ui.bench_probe"]
    done = subprocess.run(
        [*argv, "--database", url, "--rounds", str(rounds)],
        capture_output=True,
        text=True,
        env={k: v for k, v in env.items() if k != "MEDBOOKINGS_REPORT_FIRST_PAINT"},
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the window probe failed:\n{done.stderr.strip()[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def measure(url: str, *, starts: int, rounds: int, say: Callable[[str], None]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="medbookings-bench-gui-") as folder:
        env = _child_env(Path(folder))
        app = [*medbookings_command(), "--database", url]
        bare = [sys.executable, "-c", BARE_WINDOW]
        say(f"Start-up, {starts} times each (the app, then a bare Qt window)...")
        # warm the disk cache for both, then alternate so drift hits both alike
        time_first_paint(app, env)
        time_first_paint(bare, env)
        app_s: list[float] = []
        bare_s: list[float] = []
        for _ in range(starts):
            app_s.append(time_first_paint(app, env))
            bare_s.append(time_first_paint(bare, env))
        say(f"Day switches and typeahead, {rounds} rounds each...")
        probed = probe(url, rounds, env)
    report: dict[str, Any] = {
        "startup_ms": summarise(app_s),
        "bare_qt_window_ms": summarise(bare_s),
        "day_switch_ms": summarise(probed["day_switch_s"]),
        "typeahead_ms": (summarise(probed["typeahead_s"]) if probed.get("typeahead_s") else None),
        "rss_mb": probed["rss_mb"],
        "providers": probed["providers"],
    }
    report["startup_ratio"] = round(
        report["startup_ms"]["median"] / report["bare_qt_window_ms"]["median"], 2
    )
    return report


def run(
    *,
    size: Size,
    starts: int,
    rounds: int,
    database: str | None = None,
    say: Callable[[str], None] = lambda _m: None,
) -> dict[str, Any]:
    """Every figure, shaped as `medbookings bench gui --json` prints it."""
    report: dict[str, Any] = {"size": size.value, "starts": starts, "rounds": rounds}
    if database is not None:
        report.update(measure(database, starts=starts, rounds=rounds, say=say))
    else:
        with temporary_sqlite() as url:
            say(f"Building a {size.value} demo clinic in a temporary SQLite file...")
            build_in_child(url, size, SEED)
            report.update(measure(url, starts=starts, rounds=rounds, say=say))
    report["machine"] = machine(None)
    return report


def as_text(report: dict[str, Any]) -> list[str]:
    lines = [
        f"MedBookings bench gui: {report['size']} demo clinic "
        f"({report['providers']} providers), {report['starts']} starts, "
        f"{report['rounds']} rounds a figure",
        "",
        f"{'':20}{'median':>11}{'p95':>11}",
    ]
    for key in ("startup_ms", "bare_qt_window_ms", "day_switch_ms", "typeahead_ms"):
        fig = report[key]
        lines.append(f"{key:20}{fig['median']:>11.1f}{fig['p95']:>11.1f}")
    lines.append(f"{'startup_ratio':20}{report['startup_ratio']:>11.2f}")
    lines.append(f"{'rss_mb (peak)':20}{report['rss_mb']:>11.1f}")
    return lines
