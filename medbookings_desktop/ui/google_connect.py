"""A provider's Google Calendar: connect, choose the calendar, reconnect, disconnect.

Everything that talks to Google, the keyring or the database runs on the task helper; the
sign-in waits for the browser in a dialog with a Cancel button, and a timeout says so.
"""

from __future__ import annotations

import itertools
import logging
from typing import Any
from zoneinfo import ZoneInfo

from PySide6.QtCore import QDate, QDateTime, QLocale, Qt, QTime, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.integrations.google_auth import (
    CONNECTED,
    NEEDS_RECONNECT,
    PAUSED,
    GoogleAccounts,
    GoogleAuthError,
    Link,
    LinkView,
    SignIn,
    SignInCancelled,
    SignInResult,
)
from medbookings_desktop.ui.tasks import TaskRunner

log = logging.getLogger(__name__)


def _message(exc: BaseException) -> str:
    return exc.message if isinstance(exc, GoogleAuthError) else str(exc)


class ConnectDialog(QDialog):
    """Runs one sign-in off the UI thread: "Waiting for the browser…" and Cancel.

    `connected(SignInResult)` when it succeeded (the dialog then closes); a failure or a
    timeout is shown in the dialog, whose button becomes Close.
    """

    connected = Signal(object)
    failed = Signal(str)

    def __init__(
        self, tasks: TaskRunner, sign_in: SignIn, provider_name: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._sign_in = sign_in
        self._running = True
        self.setWindowTitle(self.tr("Connect Google Calendar"))
        self.setAccessibleName(self.tr("Connect Google Calendar"))
        self.message = QLabel(
            self.tr(
                "Waiting for the browser…\n\nSign in to the Google account for {name} in the "
                "browser window that opened, and allow access to the calendar."
            ).format(name=provider_name),
            self,
        )
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setAccessibleName(self.tr("Sign-in status"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        tasks.run(sign_in.run, self._done, self._failed)

    @property
    def running(self) -> bool:
        return self._running

    def reject(self) -> None:
        """Cancel (or Esc, or closing the window) stops the sign-in and its loopback server."""
        self._sign_in.cancel()
        super().reject()

    def _done(self, result: SignInResult) -> None:
        self._running = False
        if self._sign_in.cancelled:
            return
        self.connected.emit(result)
        self.accept()

    def _failed(self, exc: BaseException) -> None:
        self._running = False
        if isinstance(exc, SignInCancelled) or self._sign_in.cancelled:
            return
        if not isinstance(exc, GoogleAuthError):
            log.error("Google sign-in failed", exc_info=exc)
        text = _message(exc)
        self.message.setText(text)
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Close)
        self.failed.emit(text)


class GoogleCalendarBox(QGroupBox):
    """The "Google Calendar" group for the provider shown in the providers view.

    `changed` after a connect, a calendar choice or a disconnect was saved; `shown` each time
    a provider's link is on screen; `problem(message)` when something failed.
    """

    changed = Signal()
    shown = Signal()
    problem = Signal(str)

    def __init__(
        self,
        tasks: TaskRunner,
        accounts: GoogleAccounts | None,
        parent: QWidget | None = None,
        *,
        zone: str = "UTC",
        locale: QLocale | None = None,
    ) -> None:
        """`zone` and `locale`: the clinic's, for the time of the last sync."""
        super().__init__(self.tr("Google Calendar"), parent)
        self._zone = zone
        self._locale = locale or QLocale()
        self._tasks = tasks
        # a sign-in can wait minutes for the browser: on its own thread, not the read pool's
        self.sign_in_tasks = TaskRunner(self)
        self._accounts = accounts
        self._provider_id: int | None = None
        self._provider_name = ""
        self._view: LinkView | None = None
        self._serial = itertools.count(1)
        self._latest = 0
        self.dialog: ConnectDialog | None = None
        self.setAccessibleName(self.tr("Google Calendar"))

        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setAccessibleName(self.tr("Google Calendar status"))
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.note.setAccessibleName(self.tr("Last Google Calendar action"))
        self.note.hide()
        self.account = QLabel(self)
        self.account.setTextFormat(Qt.TextFormat.PlainText)
        self.account.setAccessibleName(self.tr("Google account"))
        self.last_sync = QLabel(self)
        self.last_sync.setTextFormat(Qt.TextFormat.PlainText)
        self.last_sync.setWordWrap(True)
        self.last_sync.setAccessibleName(self.tr("Last Google Calendar sync"))
        self.calendar_combo = QComboBox(self)
        self.calendar_combo.setAccessibleName(self.tr("Google calendar for this provider"))
        self.calendar_combo.setToolTip(
            self.tr("The calendar this provider's bookings go to; choosing saves at once")
        )
        self.calendar_combo.activated.connect(self._calendar_chosen)
        self.connect_button = QPushButton(self.tr("&Connect…"), self)
        self.connect_button.setAccessibleName(self.tr("Connect Google Calendar"))
        self.connect_button.setToolTip(self.tr("Sign in to Google in the browser"))
        self.connect_button.clicked.connect(self.start_connect)
        self.reconnect_button = QPushButton(self.tr("&Reconnect…"), self)
        self.reconnect_button.setAccessibleName(self.tr("Reconnect Google Calendar"))
        self.reconnect_button.setToolTip(self.tr("Sign in to Google again in the browser"))
        self.reconnect_button.clicked.connect(self.start_connect)
        self.disconnect_button = QPushButton(self.tr("Disco&nnect"), self)
        self.disconnect_button.setAccessibleName(self.tr("Disconnect Google Calendar"))
        self.disconnect_button.setToolTip(
            self.tr("Revoke this desk's access to the Google account and stop syncing")
        )
        self.disconnect_button.clicked.connect(self.disconnect_account)

        form = QFormLayout()
        form.addRow(self.tr("Account:"), self.account)
        calendar_label = QLabel(self.tr("Ca&lendar:"), self)
        calendar_label.setBuddy(self.calendar_combo)
        form.addRow(calendar_label, self.calendar_combo)
        self._calendar_label = calendar_label
        self._sync_label = QLabel(self.tr("Last sync:"), self)
        form.addRow(self._sync_label, self.last_sync)
        buttons = QHBoxLayout()
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.reconnect_button)
        buttons.addWidget(self.disconnect_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.status)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.note)
        self._show_state(None)

    # -- which provider ----------------------------------------------------------------------

    @property
    def view(self) -> LinkView | None:
        return self._view

    def set_provider(self, provider_id: int | None, name: str = "") -> None:
        if provider_id == self._provider_id and name == self._provider_name:
            return
        self._provider_id = provider_id
        self._provider_name = name
        self._set_note("")
        self.reload()

    def _set_note(self, text: str) -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))

    def reload(self) -> None:
        self._latest = next(self._serial)
        self._view = None
        accounts, pid = self._accounts, self._provider_id
        if accounts is None or pid is None or not accounts.configured:
            self._show_state(None)
            self.shown.emit()
            return
        self._show_state(None, loading=True)
        serial = self._latest
        self._tasks.run(
            lambda: accounts.view(pid),
            lambda view: self._show(serial, view),
            lambda exc: self._failed(serial, exc),
        )

    def _show(self, serial: int, view: LinkView) -> None:
        if serial != self._latest:
            return
        self._view = view
        self._show_state(view)
        self.shown.emit()

    def _failed(self, serial: int, exc: BaseException) -> None:
        if serial != self._latest:
            return
        if not isinstance(exc, GoogleAuthError):
            log.error("Google Calendar action failed", exc_info=exc)
        text = _message(exc)
        self.status.setText(text)
        self.problem.emit(text)
        self.shown.emit()

    # -- showing -----------------------------------------------------------------------------

    def _show_state(self, view: LinkView | None, *, loading: bool = False) -> None:
        accounts = self._accounts
        state = view.link.state if view else None
        connected = state in (CONNECTED, PAUSED)
        needs = state == NEEDS_RECONNECT
        for w in (
            self.account,
            self.calendar_combo,
            self._calendar_label,
            self.last_sync,
            self._sync_label,
        ):
            w.setVisible(connected or needs)
        self.connect_button.setVisible(not connected and not needs)
        self.reconnect_button.setVisible(needs)
        self.disconnect_button.setVisible(connected or needs)
        self.calendar_combo.setEnabled(connected)
        if accounts is None or not accounts.configured:
            self.status.setText(
                self.tr(
                    "Google sign-in is not set up on this desk (no OAuth client id); "
                    "bookings are not copied to Google Calendar."
                )
            )
            self.connect_button.setEnabled(False)
            return
        self.connect_button.setEnabled(self._provider_id is not None and not loading)
        if loading:
            self.status.setText(self.tr("Reading the Google Calendar link…"))
            return
        if view is None:
            self.status.setText(self.tr("Choose a provider."))
            return
        link = view.link
        self.account.setText(link.account_email or self.tr("(unknown account)"))
        self.last_sync.setText(self._sync_text(link))
        self._fill_calendars(view)
        if needs:
            self.status.setText(
                self.tr(
                    "Google no longer accepts this sign-in (expired or revoked). Sync for "
                    "this provider is paused: reconnect the account."
                )
            )
        elif connected:
            text = self.tr("Connected: bookings are copied to the calendar below.")
            if state == PAUSED:
                text = self.tr("Connected, sync paused.")
            if view.problem:
                text = f"{text} {view.problem}"
            self.status.setText(text)
        else:
            self.status.setText(
                self.tr("Not connected: bookings for this provider stay in the desk only.")
            )

    def _sync_text(self, link: Link) -> str:
        if link.last_sync_at is None:
            text = self.tr("not yet")
        else:
            local = link.last_sync_at.astimezone(ZoneInfo(self._zone))
            when = self._locale.toString(
                QDateTime(
                    QDate(local.year, local.month, local.day),
                    QTime(local.hour, local.minute, local.second),
                ),
                QLocale.FormatType.ShortFormat,
            )
            text = self.tr("{when} ({zone})").format(when=when, zone=self._zone)
        if link.last_error:
            text = self.tr("{text}; last problem: {error}").format(text=text, error=link.last_error)
        return text

    def _fill_calendars(self, view: LinkView) -> None:
        combo = self.calendar_combo
        combo.blockSignals(True)
        combo.clear()
        choices = list(view.calendars)
        for c in choices:
            label = (
                c.summary if c.writable else self.tr("{name} (read only)").format(name=c.summary)
            )
            if c.primary:
                label = self.tr("{name} (primary)").format(name=label)
            combo.addItem(label, c.id)
            if not c.writable:
                # bookings cannot be written to a calendar the account only reads
                item_model: Any = combo.model()
                item = item_model.item(combo.count() - 1)
                item.setEnabled(False)
        if view.link.calendar_id and combo.findData(view.link.calendar_id) < 0:
            combo.addItem(view.link.calendar_id, view.link.calendar_id)
        combo.setCurrentIndex(max(0, combo.findData(view.link.calendar_id)))
        combo.blockSignals(False)

    # -- actions -----------------------------------------------------------------------------

    def start_connect(self) -> ConnectDialog | None:
        accounts, pid = self._accounts, self._provider_id
        if accounts is None or pid is None or self.dialog is not None:
            return None
        dialog = ConnectDialog(self.sign_in_tasks, accounts.sign_in(pid), self._provider_name, self)
        self.dialog = dialog
        dialog.connected.connect(self._signed_in)
        dialog.finished.connect(self._dialog_closed)
        dialog.open()
        return dialog

    def cancel_sign_in(self) -> None:
        """Stop a sign-in still waiting for the browser (call before the desk closes: the
        task helper's shutdown waits for running work)."""
        if self.dialog is not None:
            self.dialog.reject()
        self.sign_in_tasks.shutdown()

    def _dialog_closed(self, _result: int) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
        self.dialog = None

    def _signed_in(self, result: SignInResult) -> None:
        accounts = self._accounts
        if accounts is None:
            return
        same = result.provider_id == self._provider_id
        if same:
            self._set_note(self.tr("Connected to {account}.").format(account=result.account_email))
            self._latest = next(self._serial)
        serial = self._latest

        def done(view: LinkView) -> None:
            if same:
                self._show(serial, view)
            self.changed.emit()

        self._tasks.run(
            lambda: accounts.connected(result),
            done,
            lambda exc: self._failed(serial, exc),
            write=True,
        )

    def _calendar_chosen(self, index: int) -> None:
        accounts, pid = self._accounts, self._provider_id
        calendar_id = self.calendar_combo.itemData(index)
        if accounts is None or pid is None or not calendar_id or self._view is None:
            return
        if calendar_id == self._view.link.calendar_id:
            return
        serial = self._latest = next(self._serial)
        view = self._view

        def done(link: Link) -> None:
            if serial == self._latest:
                self._view = LinkView(link, view.calendars, view.problem)
                self._set_note(self.tr("Calendar saved."))
                self.changed.emit()

        self._tasks.run(
            lambda: accounts.choose_calendar(pid, str(calendar_id)),
            done,
            lambda exc: self._failed(serial, exc),
            write=True,
        )

    def disconnect_account(self) -> None:
        accounts, pid = self._accounts, self._provider_id
        if accounts is None or pid is None:
            return
        serial = self._latest = next(self._serial)
        self.disconnect_button.setEnabled(False)

        def done(revoked: bool) -> None:
            self.disconnect_button.setEnabled(True)
            if serial != self._latest:
                return
            self.reload()
            if revoked:
                self._set_note(self.tr("Disconnected; Google's access was revoked."))
            else:
                text = self.tr(
                    "Disconnected here, but Google could not be told. Remove MedBookings from "
                    "the Google account's third-party access to be sure."
                )
                self._set_note(text)
                self.problem.emit(text)
            self.changed.emit()

        def failed(exc: BaseException) -> None:
            self.disconnect_button.setEnabled(True)
            self._failed(serial, exc)

        self._tasks.run(lambda: accounts.disconnect(pid), done, failed, write=True)
