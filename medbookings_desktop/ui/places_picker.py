"""Address lookup for a location: type, pick a suggestion, and the address fields fill in.

Typing waits for a pause (~250 ms) before asking Google Places for suggestions on the task
helper; an answer that arrives after newer typing is dropped. One picking session uses one
session token for its suggestions and for the details call that ends it. Without an API key
or a network the lookup switches itself off and says so; the address fields stay plain
fields either way.
"""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCompleter,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.integrations.google_places import (
    PLACES_API_KEY,
    PlaceDetails,
    PlacesClient,
    PlacesError,
    PlacesOffline,
    Suggestion,
    new_session_token,
)
from medbookings_desktop.secrets import set_secret
from medbookings_desktop.ui.tasks import TaskRunner

PLACE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
DEBOUNCE_MS = 250
MIN_CHARS = 3


class PlacesPicker(QWidget):
    """`picked(PlaceDetails)` when a suggestion was chosen and its details came back.

    `client` None means lookup is off (no Places on this desk). `suggestions_shown` is
    emitted each time fresh suggestions are in the popup; `state_changed` when lookup turns
    on or off.
    """

    picked = Signal(object)
    suggestions_shown = Signal(int)
    state_changed = Signal(bool)
    failed = Signal(str)

    def __init__(
        self,
        tasks: TaskRunner,
        client: PlacesClient | None,
        parent: QWidget | None = None,
        *,
        debounce_ms: int = DEBOUNCE_MS,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._client = client
        self._serial = itertools.count(1)
        self._latest = 0
        self._session: str | None = None
        self.enabled = False

        self.edit = QLineEdit(self)
        self.edit.setAccessibleName(self.tr("Look up an address"))
        self.edit.setPlaceholderText(self.tr("Type a name or address to look it up…"))
        self.edit.setClearButtonEnabled(True)
        self.model = QStandardItemModel(self)
        self.completer = QCompleter(self.model, self)
        self.completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setWidget(self.edit)
        self.popup = QListView(self)
        self.popup.setAccessibleName(self.tr("Address suggestions"))
        self.completer.setPopup(self.popup)
        # the overload with the index: the place id rides on the item, not in the text
        self.completer.activated[QModelIndex].connect(self._activated)  # type: ignore[index]
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setAccessibleName(self.tr("Address lookup"))
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.key_button = QPushButton(self.tr("Enter &key…"), self)
        self.key_button.setAccessibleName(self.tr("Enter the Google Places API key"))
        self.key_button.setToolTip(
            self.tr("Turn address lookup on with a Google Places API key (kept in the keyring)")
        )
        self.key_button.clicked.connect(self.ask_key)
        self.key_button.hide()
        self.key_dialog: QInputDialog | None = None

        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(debounce_ms)
        self.timer.timeout.connect(self._ask)
        self.edit.textEdited.connect(self._typed)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.key_button)
        layout.addLayout(row)
        self._set_enabled(False, self.tr("Checking address lookup…"))
        if client is None:
            self._set_enabled(False, self._off_text())
        else:
            # reading the key may wait on the OS keyring: not on the UI thread
            self._tasks.run(lambda: client.enabled, self._checked, self._check_failed)

    # -- state -------------------------------------------------------------------------------

    def _off_text(self, reason: str = "") -> str:
        text = self.tr("Address lookup is off; type the address in the fields below.")
        return f"{text} ({reason})" if reason else text

    def _set_enabled(self, on: bool, note: str = "") -> None:
        changed = on != self.enabled
        self.enabled = on
        self.edit.setVisible(on)
        self.edit.setEnabled(on)
        self.note.setText(note)
        self.note.setVisible(bool(note))
        if not on:
            self.timer.stop()
            self.popup.hide()
        if changed:
            self.state_changed.emit(on)

    def _checked(self, enabled: Any) -> None:
        self.key_button.setVisible(not enabled)
        if enabled:
            self._set_enabled(True)
        else:
            self._set_enabled(False, self._off_text(self.tr("no Google Places API key")))

    def ask_key(self) -> QInputDialog:
        """Ask for the Places API key; it goes to the keyring, never to a file."""
        dialog = QInputDialog(self)
        dialog.setWindowTitle(self.tr("Google Places API key"))
        dialog.setLabelText(self.tr("API key for address lookup (Places API (New)):"))
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        dialog.setAccessibleName(self.tr("Google Places API key"))
        dialog.textValueSelected.connect(self.set_key)
        dialog.finished.connect(dialog.deleteLater)
        self.key_dialog = dialog
        dialog.open()
        return dialog

    def set_key(self, key: str) -> None:
        """Store `key` in the keyring (off the UI thread) and turn lookup on."""
        client = self._client
        key = key.strip()
        if client is None or not key:
            return

        def job() -> bool:
            set_secret(PLACES_API_KEY, key)
            client.use_key(key)
            return client.enabled

        def failed(exc: BaseException) -> None:
            # SecretsError's text is meant for a person (no keyring on this desk)
            text = exc.message if isinstance(exc, PlacesError) else str(exc)
            self.note.setText(text)
            self.note.show()
            self.failed.emit(text)

        self._tasks.run(job, self._checked, failed)

    def _check_failed(self, exc: BaseException) -> None:
        self._set_enabled(False, self._off_text())

    def reset(self) -> None:
        """Empty the lookup for another location; any answer still on its way is dropped."""
        self._latest = next(self._serial)
        self.timer.stop()
        self.edit.clear()
        self.model.clear()
        self.popup.hide()

    @property
    def session_token(self) -> str | None:
        return self._session

    # -- typing ------------------------------------------------------------------------------

    def _typed(self, _text: str) -> None:
        self._latest = next(self._serial)  # anything in flight is now stale
        self.timer.start()

    def _ask(self) -> None:
        text = self.edit.text().strip()
        client = self._client
        if client is None or not self.enabled or len(text) < MIN_CHARS:
            self.model.clear()
            self.popup.hide()
            return
        if self._session is None:
            self._session = new_session_token()
        serial, session = self._latest, self._session
        self._tasks.run(
            lambda: client.autocomplete(text, session),
            lambda found: self._show(serial, found),
            lambda exc: self._lookup_failed(serial, exc),
        )

    def _show(self, serial: int, found: list[Suggestion]) -> None:
        if serial != self._latest or not self.enabled:
            return  # newer typing already asked again
        self.model.clear()
        for s in found:
            item = QStandardItem(s.text)
            item.setData(s.place_id, PLACE_ID_ROLE)
            item.setToolTip(s.text)
            item.setEditable(False)
            self.model.appendRow(item)
        if found:
            self.completer.complete()
        else:
            self.popup.hide()
        self.suggestions_shown.emit(len(found))

    def _lookup_failed(self, serial: int, exc: BaseException) -> None:
        if serial != self._latest:
            return  # an answer to older typing, good or bad, no longer matters
        if isinstance(exc, PlacesOffline):
            self._set_enabled(False, self._off_text(exc.message))
            self.failed.emit(exc.message)
            return
        message = exc.message if isinstance(exc, PlacesError) else str(exc)
        self.note.setText(message)
        self.note.show()
        self.failed.emit(message)

    # -- picking -----------------------------------------------------------------------------

    def _activated(self, index: QModelIndex | QPersistentModelIndex) -> None:
        place_id = index.data(PLACE_ID_ROLE)
        if place_id:
            self.pick(str(place_id))

    def pick(self, place_id: str) -> None:
        """Fetch the details of `place_id` with this session's token; ends the session."""
        client = self._client
        if client is None:
            return
        session = self._session or new_session_token()
        self._session = None  # the details call closes the session: the next pick starts anew
        serial = self._latest = next(self._serial)
        self.timer.stop()
        self.note.setText(self.tr("Reading the address…"))
        self.note.show()
        self._tasks.run(
            lambda: client.details(place_id, session),
            lambda details: self._details_done(serial, details),
            lambda exc: self._lookup_failed(serial, exc),
        )

    def _details_done(self, serial: int, details: PlaceDetails) -> None:
        if serial != self._latest:
            return  # the person typed again meanwhile
        self.note.clear()
        self.note.hide()
        self.picked.emit(details)
