"""Live refresh: a change made by another process appears in the open window, no restart.

SQLite is watched through `PRAGMA data_version`, PostgreSQL through LISTEN/NOTIFY; both are
driven here by real writers (another engine, another `medbookings` process).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot

from medbookings_desktop.bootstrap import open_app
from medbookings_desktop.services import booking, patients
from medbookings_desktop.ui.live_refresh import ChangeWatcher, follow
from medbookings_desktop.ui.main_window import MainWindow
from tests.helpers.clinic import SmallClinic
from tests.integration.cli_support import process_env, wall, weekday_ahead

LONDON = ZoneInfo("Europe/London")


def _other_desk_books(clinic: SmallClinic, url: str, on_hour: int) -> int:
    """Another desk, with its own engine and connections, books Ada at `on_hour`."""
    desk = open_app(url, backup_dir=None, actor="other-desk")
    try:
        start = datetime.combine(weekday_ahead(2), time(on_hour), LONDON)
        outcome = booking.book(
            desk.ctx,
            patient_id=clinic.ada.id or 0,
            provider_id=clinic.dr_a.id or 0,
            service_id=clinic.consultation.id or 0,
            start=start,
        )
    finally:
        desk.engine.dispose()
    return outcome.appointment.id or 0


def test_a_write_from_another_connection_is_noticed(
    clinic: SmallClinic, db_url: str, qtbot: QtBot
) -> None:
    watcher = ChangeWatcher(db_url)
    watcher.start()
    try:
        with qtbot.assertNotEmitted(watcher.changed, wait=1200):
            pass  # nothing written: nothing to say
        with qtbot.waitSignal(watcher.changed, timeout=10_000):
            _other_desk_books(clinic, db_url, 10)
        assert watcher.running()
    finally:
        watcher.stop()
    assert not watcher.running()


def test_a_burst_of_writes_is_one_or_a_few_refreshes(
    clinic: SmallClinic, db_url: str, qtbot: QtBot
) -> None:
    watcher = ChangeWatcher(db_url)
    seen: list[int] = []
    watcher.changed.connect(lambda: seen.append(1))
    watcher.start()
    try:
        for n in range(25):
            patients.register(clinic.ctx, first_name=f"Burst{n}", last_name="Walker")
        qtbot.waitUntil(lambda: len(seen) > 0, timeout=10_000)
        qtbot.wait(1500)
    finally:
        watcher.stop()
    assert 1 <= len(seen) <= 5


def test_a_booking_by_another_process_appears_in_the_open_window(
    clinic: SmallClinic, db_url: str, qtbot: QtBot, tmp_path: Path, qt_settings: QSettings
) -> None:
    day = weekday_ahead(2)
    window = MainWindow(clinic.ctx, today=day, settings=qt_settings)
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.model.loaded, timeout=10_000):
        window.show()
    follow(window, db_url)
    before = window.model.rowCount() * window.model.columnCount()

    command = [sys.executable, "-m", "medbookings_desktop", "--database", db_url]
    command += ["--user", "desk-2", "book", "--patient", str(clinic.ben.id)]
    command += ["--provider", str(clinic.dr_a.id), "--service", str(clinic.consultation.id)]
    command += ["--start", wall(day, 11), "--json"]
    done = subprocess.run(
        command, env=process_env(tmp_path / "home"), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    booked_id = int(json.loads(done.stdout)["id"])

    qtbot.waitUntil(lambda: window.model.find(booked_id).isValid(), timeout=10_000)
    line = window.model.line(window.model.find(booked_id))
    assert line is not None and line.patient_name.startswith("Ben")
    assert window.model.rowCount() * window.model.columnCount() >= before
    window.close()


def test_changes_during_a_burst_refresh_once_now_and_once_after_the_gap(qtbot: QtBot) -> None:
    from PySide6.QtCore import QObject

    from medbookings_desktop.ui.live_refresh import Throttle

    calls: list[int] = []
    owner = QObject()
    throttle = Throttle(lambda: calls.append(1), 300, owner)
    throttle.request()
    assert calls == [1]  # the first change shows at once
    for _ in range(20):
        throttle.request()  # the engine keeps committing
    assert calls == [1]
    qtbot.waitUntil(lambda: len(calls) == 2, timeout=5_000)  # the rest: one refresh, later
    qtbot.wait(600)
    assert calls == [1, 1]
