"""GUI tests run without a display: Qt's offscreen platform, settings in the test's folder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings

GUI_TESTS = Path(__file__).parent
# the offscreen platform's own notice when a window is shown; nothing our code can change
OFFSCREEN_NOISE = "This plugin does not support propagateSizeHints"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A warning Qt prints during a GUI test fails it, as an exception would."""
    for item in items:
        if GUI_TESTS in item.path.parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(OFFSCREEN_NOISE))


@pytest.fixture(autouse=True)
def qt_settings(tmp_path: Path) -> Iterator[QSettings]:
    """A settings file of the test's own, so a test never reads or writes the desk's."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield settings
    settings.sync()
