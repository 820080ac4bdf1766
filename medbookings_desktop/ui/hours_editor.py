"""Weekly hours and breaks of one provider, edited as two small tables and saved together.

The editor only holds rows; the providers view saves them through
`services.setup.set_weekly_hours`, which is where overlaps and foreign locations are refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, time
from enum import IntEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    QTime,
    Signal,
)
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTimeEdit,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.clinic import Break, Location, WorkingHours

Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Rule:
    """One row: a working period (label None) or a break, wall-clock at its location."""

    weekday: int
    location_id: int
    start: time
    end: time
    label: str | None = None
    valid_from: date | None = None  # kept as read: the editor does not change these
    valid_until: date | None = None


class Col(IntEnum):
    DAY = 0
    LOCATION = 1
    FROM = 2
    TO = 3
    LABEL = 4  # breaks only


def _qtime(t: time) -> QTime:
    return QTime(t.hour, t.minute)


def _time(value: Any) -> time:
    if isinstance(value, QTime):
        return time(value.hour(), value.minute())
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    raise TypeError(value)


class RulesModel(QAbstractTableModel):
    """Day, location, from, to (and the label of a break); every cell edits."""

    edited = Signal()

    def __init__(self, locale: QLocale, *, breaks: bool, parent: Any = None) -> None:
        super().__init__(parent)
        self._locale = locale
        self._breaks = breaks
        self._rows: list[Rule] = []
        self._locations: dict[int, str] = {}

    # -- contents ----------------------------------------------------------------------------

    def set_rules(self, rules: Sequence[Rule], locations: Sequence[Location]) -> None:
        self.beginResetModel()
        self._rows = list(rules)
        self._locations = {loc.id: loc.name for loc in locations if loc.id is not None}
        self.endResetModel()

    def rules(self) -> list[Rule]:
        return list(self._rows)

    def locations(self) -> dict[int, str]:
        return dict(self._locations)

    def day_name(self, weekday: int) -> str:
        return self._locale.dayName(weekday + 1, QLocale.FormatType.LongFormat)

    def add_rule(self, rule: Rule) -> int:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append(rule)
        self.endInsertRows()
        self.edited.emit()
        return row

    def remove_rule(self, row: int) -> None:
        if not 0 <= row < len(self._rows):
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()
        self.edited.emit()

    def next_rule(self) -> Rule:
        """What "Add" puts in: the day after the last row, at its times and location."""
        location = min(self._locations) if self._locations else 0
        if self._breaks:
            if self._rows:
                last = self._rows[-1]
                return replace(
                    last, weekday=(last.weekday + 1) % 7, valid_from=None, valid_until=None
                )
            return Rule(0, location, time(12, 30), time(13), self.tr("Break"))
        if self._rows:
            last = self._rows[-1]
            return Rule((last.weekday + 1) % 7, last.location_id, last.start, last.end)
        return Rule(0, location, time(9), time(17))

    # -- QAbstractTableModel ----------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.rowCount: one per period or break."""
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        """Overrides QAbstractItemModel.columnCount: a break has a label too."""
        if parent.isValid():
            return 0
        return 5 if self._breaks else 4

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Overrides QAbstractItemModel.headerData: the column names."""
        if (
            role != Qt.ItemDataRole.DisplayRole
            or orientation != Qt.Orientation.Horizontal
            or not 0 <= section < self.columnCount()
        ):
            return None
        names = (
            self.tr("Day"),
            self.tr("Location"),
            self.tr("From"),
            self.tr("To"),
            self.tr("Label"),
        )
        return names[section]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Overrides QAbstractItemModel.data: text to show, raw values to edit."""
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        rule = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == Col.DAY:
                return self.day_name(rule.weekday)
            if col == Col.LOCATION:
                return self._locations.get(rule.location_id, f"#{rule.location_id}")
            if col in (Col.FROM, Col.TO):
                value = rule.start if col == Col.FROM else rule.end
                if col == Col.TO and value == time(0):
                    return self.tr("midnight")
                return self._locale.toString(_qtime(value), QLocale.FormatType.ShortFormat)
            if col == Col.LABEL:
                return rule.label
        if role == Qt.ItemDataRole.EditRole:
            return (
                rule.weekday,
                rule.location_id,
                _qtime(rule.start),
                _qtime(rule.end),
                rule.label,
            )[col]
        if role == Qt.ItemDataRole.ToolTipRole and (rule.valid_from or rule.valid_until):
            return self.tr("Applies {start} to {end}").format(
                start=rule.valid_from.isoformat() if rule.valid_from else "…",
                end=rule.valid_until.isoformat() if rule.valid_until else "…",
            )
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Overrides QAbstractItemModel.setData: a cell's new value, checked for its kind."""
        if role != Qt.ItemDataRole.EditRole or not index.isValid():
            return False
        rule = self._rows[index.row()]
        col = index.column()
        try:
            if col == Col.DAY:
                if not 0 <= int(value) <= 6:
                    return False
                rule = replace(rule, weekday=int(value))
            elif col == Col.LOCATION:
                if int(value) not in self._locations:
                    return False
                rule = replace(rule, location_id=int(value))
            elif col == Col.FROM:
                rule = replace(rule, start=_time(value))
            elif col == Col.TO:
                rule = replace(rule, end=_time(value))
            elif col == Col.LABEL:
                text = str(value).strip()
                if not text:
                    return False
                rule = replace(rule, label=text)
            else:
                return False
        except (TypeError, ValueError):
            return False
        self._rows[index.row()] = rule
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.DisplayRole, role])
        self.edited.emit()
        return True

    def flags(self, index: Index) -> Qt.ItemFlag:
        """Overrides QAbstractItemModel.flags: every cell edits."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsEditable


class RuleDelegate(QStyledItemDelegate):
    """A weekday list, the provider's locations, a 24-hour time or a label, per column."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:
        """Overrides QStyledItemDelegate.createEditor: the right control for the column."""
        model = index.model()
        assert isinstance(model, RulesModel)
        col = index.column()
        if col == Col.DAY:
            box = QComboBox(parent)
            box.setAccessibleName(self.tr("Day"))
            for d in range(7):
                box.addItem(model.day_name(d), d)
            return box
        if col == Col.LOCATION:
            box = QComboBox(parent)
            box.setAccessibleName(self.tr("Location"))
            for lid, name in sorted(model.locations().items(), key=lambda kv: kv[1]):
                box.addItem(name, lid)
            return box
        if col in (Col.FROM, Col.TO):
            edit = QTimeEdit(parent)
            edit.setDisplayFormat("HH:mm")
            edit.setAccessibleName(self.tr("From") if col == Col.FROM else self.tr("To"))
            return edit
        line = QLineEdit(parent)
        line.setAccessibleName(self.tr("Label"))
        return line

    def setEditorData(self, editor: QWidget, index: Index) -> None:
        """Overrides QStyledItemDelegate.setEditorData: the cell's raw value."""
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(editor.findData(value), 0))
        elif isinstance(editor, QTimeEdit):
            editor.setTime(value)
        elif isinstance(editor, QLineEdit):
            editor.setText(value or "")

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: Index) -> None:
        """Overrides QStyledItemDelegate.setModelData: the editor's value back to the model."""
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QTimeEdit):
            model.setData(index, editor.time(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)


class HoursEditor(QWidget):
    """Weekly periods and breaks; `save_requested` when the user saves, `revert` to reload."""

    save_requested = Signal()
    revert_requested = Signal()

    def __init__(self, locale: QLocale, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hours_model = RulesModel(locale, breaks=False, parent=self)
        self.breaks_model = RulesModel(locale, breaks=True, parent=self)
        self._provider_id: int | None = None
        self._dirty = False
        self.hours_table = self._table(self.hours_model, self.tr("Weekly working hours"))
        self.breaks_table = self._table(self.breaks_model, self.tr("Weekly breaks"))

        self.add_hours = QPushButton(self.tr("&Add period"), self)
        self.add_hours.setToolTip(self.tr("Add a working period (several a day are fine)"))
        self.add_hours.clicked.connect(lambda: self._add(self.hours_model, self.hours_table))
        self.remove_hours = QPushButton(self.tr("&Remove period"), self)
        self.remove_hours.clicked.connect(lambda: self._remove(self.hours_model, self.hours_table))
        self.add_break = QPushButton(self.tr("Add &break"), self)
        self.add_break.clicked.connect(lambda: self._add(self.breaks_model, self.breaks_table))
        self.remove_break = QPushButton(self.tr("Remove brea&k"), self)
        self.remove_break.clicked.connect(
            lambda: self._remove(self.breaks_model, self.breaks_table)
        )
        self.save_button = QPushButton(self.tr("Sav&e hours"), self)
        self.save_button.setToolTip(self.tr("Save the weekly hours and breaks (Ctrl+S)"))
        self.save_button.clicked.connect(self.save_requested)
        save = QAction(self.tr("Save hours"), self)
        save.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
        save.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        save.triggered.connect(lambda: self.save_button.click())
        self.addAction(save)
        self.revert_button = QPushButton(self.tr("Re&vert"), self)
        self.revert_button.setToolTip(self.tr("Forget unsaved changes to the hours"))
        self.revert_button.clicked.connect(self.revert_requested)
        for button in (
            self.add_hours,
            self.remove_hours,
            self.add_break,
            self.remove_break,
            self.save_button,
            self.revert_button,
        ):
            button.setAccessibleName(button.text().replace("&", ""))
        self.hours_model.edited.connect(self._mark_dirty)
        self.breaks_model.edited.connect(self._mark_dirty)

        layout = QVBoxLayout(self)
        hours_label = QLabel(self.tr("Working hours (times at the location)"), self)
        hours_label.setBuddy(self.hours_table)
        layout.addWidget(hours_label)
        layout.addWidget(self.hours_table, 2)
        row = QHBoxLayout()
        row.addWidget(self.add_hours)
        row.addWidget(self.remove_hours)
        row.addStretch(1)
        layout.addLayout(row)
        breaks_label = QLabel(self.tr("Breaks"), self)
        breaks_label.setBuddy(self.breaks_table)
        layout.addWidget(breaks_label)
        layout.addWidget(self.breaks_table, 1)
        row = QHBoxLayout()
        row.addWidget(self.add_break)
        row.addWidget(self.remove_break)
        row.addStretch(1)
        row.addWidget(self.revert_button)
        row.addWidget(self.save_button)
        layout.addLayout(row)
        self._update_buttons()

    def _table(self, model: RulesModel, name: str) -> QTableView:
        table = QTableView(self)
        table.setModel(model)
        table.setItemDelegate(RuleDelegate(table))
        table.setAccessibleName(name)
        table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        table.setEditTriggers(
            QTableView.EditTrigger.DoubleClicked
            | QTableView.EditTrigger.EditKeyPressed
            | QTableView.EditTrigger.AnyKeyPressed
        )
        table.verticalHeader().hide()
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        return table

    def _add(self, model: RulesModel, table: QTableView) -> None:
        row = model.add_rule(model.next_rule())
        table.setCurrentIndex(model.index(row, Col.DAY))
        table.setFocus()

    def _remove(self, model: RulesModel, table: QTableView) -> None:
        current = table.currentIndex()
        if current.isValid():
            model.remove_rule(current.row())

    def _mark_dirty(self) -> None:
        self._dirty = True
        self._update_buttons()

    def _update_buttons(self) -> None:
        has_locations = bool(self.hours_model.locations())
        self.add_hours.setEnabled(has_locations)
        self.add_break.setEnabled(has_locations)
        self.save_button.setEnabled(self._dirty)
        self.revert_button.setEnabled(self._dirty)

    # -- what the providers view uses -------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return self._dirty

    def set_schedule(
        self,
        provider_id: int,
        hours: Sequence[WorkingHours],
        breaks: Sequence[Break],
        locations: Sequence[Location],
    ) -> None:
        """Show a provider's rules as saved; `locations` are the ones they work at."""
        self._provider_id = provider_id
        self.hours_model.set_rules(
            [
                Rule(h.weekday, h.location_id, h.start, h.end, None, h.valid_from, h.valid_until)
                for h in hours
            ],
            locations,
        )
        self.breaks_model.set_rules(
            [Rule(b.weekday, b.location_id, b.start, b.end, b.label) for b in breaks], locations
        )
        self._dirty = False
        self._update_buttons()

    def hours(self) -> list[WorkingHours]:
        """The periods as edited; raises InvalidInput for one that ends before it starts."""
        pid = self._provider_id or 0
        return [
            WorkingHours(pid, r.location_id, r.weekday, r.start, r.end, r.valid_from, r.valid_until)
            for r in self.hours_model.rules()
        ]

    def breaks(self) -> list[Break]:
        pid = self._provider_id or 0
        return [
            Break(pid, r.location_id, r.weekday, r.start, r.end, r.label or self.tr("Break"))
            for r in self.breaks_model.rules()
        ]
