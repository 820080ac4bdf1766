"""`medbookings` with no subcommand: the window opens on the database, or says why it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from medbookings_desktop.cli.framework import Runtime
from medbookings_desktop.services import setup
from medbookings_desktop.ui import app
from medbookings_desktop.ui.main_window import MainWindow
from tests.helpers.clinic import Clock, build_small_clinic


@pytest.fixture(autouse=True)
def desk_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # logs and settings of the run stay in the test's folder
    monkeypatch.setenv("MEDBOOKINGS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _when_shown(act: object) -> None:
    """Once the event loop runs: `act` on the window (or the message box) that is up."""

    def look() -> None:
        modal = QApplication.activeModalWidget()
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
        target = modal or (windows[0] if windows else None)
        if target is None:
            QTimer.singleShot(10, look)
        else:
            act(target)  # type: ignore[operator]

    QTimer.singleShot(0, look)


def _run_desk(url: str) -> int:
    """`medbookings --database url` in this process: its exit code once the window closes."""
    runtime = Runtime(database_url=url, actor="desk")
    try:
        return app.run(runtime)
    finally:
        runtime.close()


def _shown_window() -> MainWindow | None:
    """This test's window: the shown one (closed windows of earlier tests linger)."""
    shown = [
        w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()
    ]
    return shown[0] if shown else None


def _quick_start_clinic(sqlite_url: str, clock: Clock) -> None:
    """A small clinic whose desk's staff user exists: the window opens with a quick start."""
    from medbookings_desktop.bootstrap import context_for

    small = build_small_clinic(sqlite_url, clock)
    context_for(small.engine, actor="desk")
    small.engine.dispose()


def test_the_app_opens_on_the_database_and_exits_0(
    sqlite_url: str, clock: Clock, qtbot: QtBot, tmp_path: Path
) -> None:
    build_small_clinic(sqlite_url, clock).engine.dispose()
    shown: list[MainWindow] = []

    def close_when_loaded(window: MainWindow) -> None:
        shown.append(window)
        if window.model.day == window.day:
            window.close()
        else:
            window.model.loaded.connect(window.close)

    _when_shown(close_when_loaded)
    assert _run_desk(sqlite_url) == 0
    assert shown[0].database_label.text().startswith("SQLite: ")
    assert [shown[0].model.headerData(c, Qt.Orientation.Horizontal) for c in range(2)] == [
        "Dr Lars Berg",
        "Dr Thandi Mokoena",
    ]
    # the log file opens after the first paint; it is there by the time the window closes
    assert (tmp_path / "home" / "logs" / "medbookings.log").is_file()


def test_a_newer_database_is_refused_with_a_message_and_exit_2(
    sqlite_url: str, qtbot: QtBot
) -> None:
    engine = sa.create_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_from_the_future'"))
    engine.dispose()
    said: list[str] = []

    def read_and_close(box: QMessageBox) -> None:
        said.append(box.text())
        box.accept()

    _when_shown(read_and_close)
    assert _run_desk(sqlite_url) == 2
    assert "newer MedBookings" in said[0]


def test_an_empty_database_opens_the_first_run_wizard(tmp_path: Path, qtbot: QtBot) -> None:
    from medbookings_desktop.ui.first_run import FirstRunWizard

    url = f"sqlite:///{tmp_path / 'new.sqlite3'}"
    met: list[object] = []

    def close_wizard(wizard: object) -> None:
        met.append(wizard)
        assert isinstance(wizard, FirstRunWizard)
        wizard.reject()

    _when_shown(close_wizard)
    assert _run_desk(url) == 0  # closed before setting up: no window, nothing saved
    assert len(met) == 1
    assert _shown_window() is None


def test_the_background_engine_starts_with_the_window_and_says_its_state(
    sqlite_url: str, clock: Clock, qtbot: QtBot
) -> None:
    build_small_clinic(sqlite_url, clock).engine.dispose()
    states: list[str] = []

    def look() -> None:
        window = _shown_window()
        runner = window.engine_runner if window is not None else None
        if window is not None and runner is not None and runner.state.value != "stopped":
            states.append(window.engine_label.text())
            window.close()
        else:
            QTimer.singleShot(20, look)

    QTimer.singleShot(0, look)
    assert _run_desk(sqlite_url) == 0
    # no vendor credentials on this desk: the engine runs and says messaging is not set up
    assert states and states[0].startswith("Engine:")


def test_a_current_sqlite_file_paints_its_first_day_before_the_engine_opens(
    sqlite_url: str, clock: Clock, qtbot: QtBot
) -> None:
    from medbookings_desktop.bootstrap import DeferredDatabase

    _quick_start_clinic(sqlite_url, clock)
    seen: dict[str, object] = {}

    def look() -> None:
        window = _shown_window()
        if window is None:
            QTimer.singleShot(10, look)
            return
        database = getattr(window._ctx.read, "__self__", None)
        if "first" not in seen:
            # the first day is on screen, read without the engine
            seen["first"] = [
                window.model.headerData(c, Qt.Orientation.Horizontal)
                for c in range(window.model.columnCount())
            ]
            seen["deferred"] = isinstance(database, DeferredDatabase)
        if window.engine_runner is None:  # the desk's rest starts once the engine is open
            QTimer.singleShot(10, look)
            return
        seen["providers"] = [p.display_name for p in setup.active_providers(window._ctx)]
        window.close()

    QTimer.singleShot(0, look)
    assert _run_desk(sqlite_url) == 0
    assert seen["deferred"] is True
    assert seen["first"] == ["Dr Lars Berg", "Dr Thandi Mokoena"]
    assert seen["providers"] == ["Dr Lars Berg", "Dr Thandi Mokoena"]


def test_closing_a_quick_start_window_closes_its_database_with_it(
    sqlite_url: str, clock: Clock, qtbot: QtBot
) -> None:
    from medbookings_desktop.bootstrap import DeferredDatabase

    _quick_start_clinic(sqlite_url, clock)
    seen: dict[str, object] = {}

    def look() -> None:
        window = _shown_window()
        if window is None:
            QTimer.singleShot(10, look)
            return
        database = getattr(window._ctx.read, "__self__", None)
        assert isinstance(database, DeferredDatabase)
        window.close()
        # closed by the window's closing signal, not later by run()'s own clean-up: workers
        # still waiting for the engine give up instead of holding the close
        seen["closed"] = database._closed

    QTimer.singleShot(0, look)
    assert _run_desk(sqlite_url) == 0
    assert seen["closed"] is True
