"""The window side of `medbookings bench gui`: run in a child process, prints JSON figures.

`python -m medbookings_desktop.ui.bench_probe --database URL --rounds N` opens the desk's main
window on that database (offscreen unless a platform is set) and times, with
`time.perf_counter`, what a receptionist waits for: the next day painted (from the key to the
painted calendar, the day's query on the pool thread included) and patient typeahead (from a
keystroke to the painted list of matches). It ends with the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEvent, QEventLoop, QObject, QSettings, QTimer, SignalInstance
from PySide6.QtWidgets import QApplication, QWidget

WARM_UP = 3
# typed as a receptionist does: the start of a last name, a letter at a time
TYPED_PREFIX_LENGTH = 3


def wait_for(signal: SignalInstance, timeout_ms: int = 30_000) -> None:
    """Run the event loop until `signal` fires (a day's data or a search's results arrive)."""
    loop = QEventLoop()
    signal.connect(loop.quit)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(loop.quit)
    timer.start(timeout_ms)
    loop.exec()
    signal.disconnect(loop.quit)
    if not timer.isActive():
        raise TimeoutError("the window did not answer within 30 s")
    timer.stop()


class _Painted(QObject):
    """Counts paint events of a widget, so a measure can end when the change is on screen."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Overrides QObject.eventFilter: counts, never swallows."""
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def timed(action: Callable[[], None], done: SignalInstance, painted_widget: QWidget) -> float:
    """From `action` to `done` and then the next paint of `painted_widget` (as Qt schedules it,
    not a forced repaint, which would paint twice)."""
    painted = _Painted(painted_widget)
    arrived: list[bool] = []
    done.connect(lambda *_: arrived.append(True))  # before the action: it may answer at once
    start = time.perf_counter()
    action()
    while not arrived:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)
    before = painted.count
    painted_widget.update()  # merges with the update the change asked for; never a second paint
    while painted.count == before:
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 5)
    seconds = time.perf_counter() - start
    painted_widget.removeEventFilter(painted)
    painted.deleteLater()
    return seconds


def day_switches(window: Any, rounds: int) -> list[float]:
    view = window.view.viewport()
    samples = []
    for n in range(rounds + WARM_UP):
        settle(window)  # as at the desk: the day is read before the next key
        seconds = timed(window.next_action.trigger, window.model.loaded, view)
        if n >= WARM_UP:
            samples.append(seconds)
    return samples


def typeahead(window: Any, ctx: Any, last_names: list[str], rounds: int) -> list[float]:
    """Keystrokes into the patients search of the booking dialog, each to painted results."""
    from PySide6.QtTest import QTest

    from medbookings_desktop.ui.booking_dialog import BookingDialog

    dialog = BookingDialog(ctx, window.tasks, window.clinic, window)
    dialog.show()
    field = dialog.patient_field
    results = dialog.patient_results
    rng = random.Random(7)
    samples: list[float] = []
    while len(samples) < rounds + WARM_UP:
        field.clear()
        settle(window)  # nothing of the last name's searches may answer the next keystroke
        name = rng.choice(last_names)
        for letter in name[:TYPED_PREFIX_LENGTH]:

            def press(letter: str = letter) -> None:
                QTest.keyClicks(field, letter)

            samples.append(timed(press, dialog.patient_results_shown, results.viewport()))
    dialog.close()
    return samples[WARM_UP:]


def settle(window: Any) -> None:
    while window.tasks.busy():
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents, 50)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench_probe")
    parser.add_argument("--database", required=True)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args(argv)
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

    from medbookings_desktop.bench import current_peak_rss_mb
    from medbookings_desktop.bootstrap import open_app
    from medbookings_desktop.demo.names import LAST_NAMES
    from medbookings_desktop.services import setup
    from medbookings_desktop.ui.app import database_label
    from medbookings_desktop.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(["bench_probe"])
    desk = open_app(args.database, backup_dir=None, actor="bench")
    folder = tempfile.mkdtemp(prefix="medbookings-probe-")
    settings = QSettings(str(Path(folder) / "window.ini"), QSettings.Format.IniFormat)
    clinic = setup.clinic_settings(desk.ctx)
    window = MainWindow(
        desk.ctx, database=database_label(args.database), clinic=clinic, settings=settings
    )
    window.resize(1600, 1000)
    window.show()
    wait_for(window.model.loaded)
    report: dict[str, Any] = {
        "providers": window.model.columnCount(),
        "day_switch_s": day_switches(window, args.rounds),
    }
    report["typeahead_s"] = typeahead(window, desk.ctx, list(LAST_NAMES), args.rounds)
    report["rss_mb"] = current_peak_rss_mb()
    window.close()
    desk.engine.dispose()
    del app
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
