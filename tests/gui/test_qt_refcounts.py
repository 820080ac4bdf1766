"""The Qt binding keeps Python's reference counts: PySide6 6.12.0 did not (fatal on 3.11)."""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from pytestqt.qtbot import QtBot

Index = QModelIndex | QPersistentModelIndex


class _Blank(QAbstractTableModel):
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 1

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        return None  # what DayModel answers for an empty cell or an unknown role


def test_none_returned_from_data_keeps_its_references(qtbot: QtBot) -> None:
    model = _Blank()
    index = model.index(0, 0)
    before = sys.getrefcount(None)
    for _ in range(1000):
        index.data(Qt.ItemDataRole.DisplayRole)  # through C++, as every view asks
    # within a few: the interpreter itself may take or drop a reference meanwhile
    assert abs(sys.getrefcount(None) - before) < 50
