"""`medbookings` with no subcommand: the window opens on the database, or says why it cannot."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from medbookings_desktop.cli.framework import Runtime
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


def test_the_app_opens_on_the_database_and_exits_0(
    sqlite_url: str, clock: Clock, qtbot: QtBot
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
    runtime = Runtime(database_url=sqlite_url, actor="desk")
    try:
        assert app.run(runtime) == 0
    finally:
        runtime.close()
    assert shown[0].database_label.text().startswith("SQLite: ")
    assert [shown[0].model.headerData(c, Qt.Orientation.Horizontal) for c in range(2)] == [
        "Dr Lars Berg",
        "Dr Thandi Mokoena",
    ]


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
    runtime = Runtime(database_url=sqlite_url, actor="desk")
    try:
        assert app.run(runtime) == 2
    finally:
        runtime.close()
    assert "newer MedBookings" in said[0]
