"""What the settings pages share: an inline problem label, a guarded callback, zone choice, and
the small builders of a form with a line of help under each setting."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any
from zoneinfo import available_timezones

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QCompleter,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.errors import DomainError


@cache
def zone_names() -> tuple[str, ...]:
    # the "posix/" and "right/" copies are the same zones under other names
    return tuple(sorted(z for z in available_timezones() if not z.startswith(("posix/", "right/"))))


class ProblemLabel(QLabel):
    """Says what is wrong with one field, under it; hidden while there is nothing to say."""

    def __init__(self, field_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.font()
        font.setBold(True)
        self.setFont(font)
        self.setAccessibleName(self.tr("Problem with {field}").format(field=field_name))
        self.hide()

    def show_problem(self, message: str) -> None:
        # a sign and words, never colour alone
        self.setText(f"⚠ {message}")
        self.show()

    def clear_problem(self) -> None:
        self.clear()
        self.hide()


def with_problem(field: QWidget, problem: ProblemLabel) -> QWidget:
    """The field with its problem label under it, as one form row."""
    box = QWidget(field.parentWidget())
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(field)
    layout.addWidget(problem)
    return box


def zone_combo(parent: QWidget, accessible_name: str) -> QComboBox:
    """A combo of every IANA zone; typing any part of a name ("paris") narrows the list."""
    combo = QComboBox(parent)
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.addItems(list(zone_names()))
    completer = QCompleter(list(zone_names()), combo)
    completer.setFilterMode(Qt.MatchFlag.MatchContains)
    completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
    combo.setCompleter(completer)
    combo.setAccessibleName(accessible_name)
    return combo


def set_zone(combo: QComboBox, zone: str) -> None:
    index = combo.findText(zone)
    if index >= 0:
        combo.setCurrentIndex(index)
    else:
        combo.setEditText(zone)


def guarded(widget: QWidget, fn: Callable[[Any], None]) -> Callable[[Any], None]:
    """A task callback that does nothing once the widget is gone (the dialog was closed)."""

    def call(value: Any) -> None:
        if shiboken6.isValid(widget):
            fn(value)

    return call


def problem_text(exc: BaseException, fallback: str) -> str:
    """A domain error's own message; otherwise the fallback naming the error."""
    if isinstance(exc, DomainError):
        return exc.message
    orig = getattr(exc, "orig", None)
    return fallback.format(error=str(orig).strip() if orig is not None else str(exc))


def click_on(
    keys: QKeySequence | QKeySequence.StandardKey | str,
    button: QAbstractButton,
    scope: QWidget,
    context: Qt.ShortcutContext = Qt.ShortcutContext.WindowShortcut,
) -> QShortcut:
    """`keys` press `button` while `scope` is shown; the button keeps its Alt mnemonic."""
    shortcut = QShortcut(QKeySequence(keys), scope)
    shortcut.setContext(context)
    shortcut.activated.connect(button.animateClick)
    return shortcut


def help_label(parent: QWidget, text: str) -> QLabel:
    """The one line under a setting saying what it does."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    font = label.font()
    font.setPointSizeF(max(font.pointSizeF() * 0.9, 7.0))
    label.setFont(font)
    return label


def buddy_label(parent: QWidget, text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text, parent)
    label.setBuddy(buddy)  # its &-key focuses the field
    return label


def stacked(parent: QWidget, *widgets: QWidget) -> QWidget:
    """Widgets one under the other, tight, as one form row's field."""
    box = QWidget(parent)
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    for widget in widgets:
        layout.addWidget(widget)
    return box


class SaveBar(QHBoxLayout):
    """A page's status line with Revert and Save (Ctrl+S) beside it."""

    def __init__(self, page: QWidget, *, saved_name: str, save_text: str, save_tip: str) -> None:
        super().__init__()
        self.status = QLabel(page)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(saved_name)
        self.save_button = QPushButton(save_text, page)
        click_on(QKeySequence.StandardKey.Save, self.save_button, page)
        self.save_button.setToolTip(save_tip)
        self.revert_button = QPushButton(page.tr("&Revert"), page)
        self.revert_button.setToolTip(page.tr("Put back the saved values"))
        self.addWidget(self.status, 1)
        self.addWidget(self.revert_button)
        self.addWidget(self.save_button)
