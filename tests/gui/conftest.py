"""GUI tests run without a display: Qt's offscreen platform, settings in the test's folder."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings


@pytest.fixture(autouse=True)
def qt_settings(tmp_path: Path) -> Iterator[QSettings]:
    """A settings file of the test's own, so a test never reads or writes the desk's."""
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    yield settings
    settings.sync()
