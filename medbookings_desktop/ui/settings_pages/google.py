"""Google page: this desk's OAuth client (so providers can connect their calendars without
environment variables), what the clinic's calendar events show and block, and the Places
API key of the address lookup.

The client id, its secret and the Places key live in this computer's keyring (DESIGN
invariant 5), never in the settings table; the two calendar choices are the clinic's, shared
by every desk. Keyring and database are read and written on the task helper. A value an
environment variable sets on this desk wins, so its field is shown read-only, saying so.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from medbookings_desktop.domain.clinic import ClinicSettings
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.secrets import (
    GOOGLE_OAUTH_CLIENT_ID,
    GOOGLE_OAUTH_CLIENT_SECRET,
    delete_secret,
    env_name,
    get_secret,
    set_secret,
)
from medbookings_desktop.services import setup
from medbookings_desktop.services.context import Context
from medbookings_desktop.ui.settings_pages.common import (
    ProblemLabel,
    SaveBar,
    buddy_label,
    guarded,
    help_label,
    problem_text,
    stacked,
    with_problem,
)
from medbookings_desktop.ui.tasks import TaskRunner

# integrations/google_places.py's key name (imported there with the HTTP client; spelled
# out here so opening Settings does not load it)
PLACES_API_KEY = "google.places_api_key"
CLIENT_ID_ENV = env_name(GOOGLE_OAUTH_CLIENT_ID)  # MEDBOOKINGS_GOOGLE_OAUTH_CLIENT_ID


@dataclass(frozen=True, slots=True)
class GoogleState:
    """What the page shows, read off the UI thread. Secrets only as set / not set."""

    keyring_usable: bool
    client_id: str = ""
    client_id_from_env: bool = False
    secret_set: bool = False
    secret_from_env: bool = False
    places_key_set: bool = False
    places_from_env: bool = False
    all_day_blocks: bool = False


def keyring_usable() -> bool:
    """False when `keyring` found no password store on this computer (its "fail" backend)."""
    try:
        import keyring

        return not type(keyring.get_keyring()).__module__.startswith("keyring.backends.fail")
    except Exception:
        return False


def read_state(ctx: Context, env: Mapping[str, str] | None = None) -> GoogleState:
    """Blocking (keyring and database): run it on the task helper."""
    from medbookings_desktop.sync.calendar_sync import all_day_blocks

    env = os.environ if env is None else env

    def from_env(key: str) -> bool:
        return bool(env.get(env_name(key), "").strip())

    usable = keyring_usable()

    def value(key: str) -> str:
        # without a password store only the environment can hold it
        return (get_secret(key, env) or "") if usable or from_env(key) else ""

    return GoogleState(
        keyring_usable=usable,
        client_id=value(GOOGLE_OAUTH_CLIENT_ID),
        client_id_from_env=from_env(GOOGLE_OAUTH_CLIENT_ID),
        secret_set=bool(value(GOOGLE_OAUTH_CLIENT_SECRET)),
        secret_from_env=from_env(GOOGLE_OAUTH_CLIENT_SECRET),
        places_key_set=bool(value(PLACES_API_KEY)),
        places_from_env=from_env(PLACES_API_KEY),
        all_day_blocks=all_day_blocks(ctx),
    )


@dataclass(frozen=True, slots=True)
class GoogleChanges:
    """What Save writes; None: left as it is."""

    client_id: str | None = None  # "" removes it
    client_secret: str | None = None
    places_key: str | None = None
    names_in_calendar: bool | None = None
    all_day_blocks: bool | None = None

    @property
    def keyring(self) -> bool:
        return any(v is not None for v in (self.client_id, self.client_secret, self.places_key))


def save_changes(ctx: Context, changes: GoogleChanges) -> tuple[GoogleState, ClinicSettings]:
    """Blocking: the keyring first (a refusal there leaves the database as it was), then the
    clinic's choices. Returns what the page shows next."""
    from medbookings_desktop.sync.calendar_sync import set_all_day_blocks

    if changes.client_id is not None:
        if changes.client_id:
            set_secret(GOOGLE_OAUTH_CLIENT_ID, changes.client_id)
        else:
            delete_secret(GOOGLE_OAUTH_CLIENT_ID)
    if changes.client_secret:
        set_secret(GOOGLE_OAUTH_CLIENT_SECRET, changes.client_secret)
    if changes.places_key:
        set_secret(PLACES_API_KEY, changes.places_key)
    if changes.names_in_calendar is not None:
        clinic = setup.update_clinic(ctx, names_in_calendar=changes.names_in_calendar)
    else:
        clinic = setup.clinic_settings(ctx)
    if changes.all_day_blocks is not None:
        set_all_day_blocks(ctx, changes.all_day_blocks)
    return read_state(ctx), clinic


class GooglePage(QWidget):
    """`saved(ClinicSettings)` after Save (the names choice is part of the clinic's
    settings); `desk_changed()` when this desk's client or keys changed (a new client is used
    from the next start); `refused(message)` when something was not saved."""

    saved = Signal(object)
    desk_changed = Signal()
    refused = Signal(str)
    loaded = Signal()

    def __init__(
        self, ctx: Context, tasks: TaskRunner, clinic: ClinicSettings, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._tasks = tasks
        self.clinic = clinic
        self.state: GoogleState | None = None
        self.setAccessibleName(self.tr("Google settings"))

        # -- sign-in: this desk's OAuth client ---------------------------------------------
        self.sign_in_box = QGroupBox(self.tr("Google sign-in (this desk)"), self)
        self.client_id_edit = QLineEdit(self.sign_in_box)
        self.client_id_edit.setAccessibleName(self.tr("Google OAuth client id"))
        self.client_id_edit.setPlaceholderText("1234-abc.apps.googleusercontent.com")
        self.client_id_problem = ProblemLabel(self.tr("Client id"), self.sign_in_box)
        self.client_id_help = help_label(
            self,
            self.tr(
                "The OAuth client id (Desktop app) of the clinic's Google Cloud project: "
                "providers sign in with it to connect their calendars."
            ),
        )
        self.secret_edit = QLineEdit(self.sign_in_box)
        self.secret_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.secret_edit.setAccessibleName(self.tr("Google OAuth client secret"))
        self.clear_secret_button = QPushButton(self.tr("Clear"), self.sign_in_box)
        self.clear_secret_button.setAccessibleName(self.tr("Remove the client secret"))
        self.clear_secret_button.clicked.connect(self.clear_secret)
        self.secret_help = help_label(
            self,
            self.tr(
                "The client secret Google shows with a Desktop app's id; kept in this "
                "computer's keyring, never in a file or the database."
            ),
        )
        form = QFormLayout(self.sign_in_box)
        form.addRow(buddy_label(self, self.tr("Client &id:"), self.client_id_edit), stacked(self,
            with_problem(self.client_id_edit, self.client_id_problem), self.client_id_help
        ))  # fmt: skip
        secret_row = QHBoxLayout()
        secret_row.addWidget(self.secret_edit, 1)
        secret_row.addWidget(self.clear_secret_button)
        secret_box = QWidget(self.sign_in_box)
        secret_box.setLayout(secret_row)
        secret_row.setContentsMargins(0, 0, 0, 0)
        form.addRow(
            buddy_label(self, self.tr("Client s&ecret:"), self.secret_edit),
            stacked(self, secret_box, self.secret_help),
        )

        # -- the clinic's calendar events ------------------------------------------------------
        self.events_box = QGroupBox(self.tr("Calendar events (every desk)"), self)
        self.names_check = QCheckBox(
            self.tr("Show &patient names in calendar events"), self.events_box
        )
        self.names_check.setAccessibleName(self.tr("Show patient names in calendar events"))
        self.names_help = help_label(
            self,
            self.tr(
                "Off: a booking's event in the provider's Google Calendar names only the "
                "service; on: it also shows the patient's name and the booking's notes."
            ),
        )
        self.all_day_check = QCheckBox(
            self.tr("All-day events in Google &block the day"), self.events_box
        )
        self.all_day_check.setAccessibleName(self.tr("All-day events in Google block the day"))
        self.all_day_help = help_label(
            self,
            self.tr(
                "On: an all-day event in a provider's Google Calendar (leave, a conference) "
                "makes that whole day unavailable for booking; off: such events are ignored."
            ),
        )
        events = QVBoxLayout(self.events_box)
        for widget in (self.names_check, self.names_help, self.all_day_check, self.all_day_help):
            events.addWidget(widget)

        # -- the address lookup's key ----------------------------------------------------------
        self.places_box = QGroupBox(self.tr("Address lookup (this desk)"), self)
        self.places_status = QLabel(self.places_box)
        self.places_status.setAccessibleName(self.tr("Google Places API key"))
        self.places_status.setTextFormat(Qt.TextFormat.PlainText)
        self.places_edit = QLineEdit(self.places_box)
        self.places_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.places_edit.setAccessibleName(self.tr("New Google Places API key"))
        self.clear_places_button = QPushButton(self.tr("Clear"), self.places_box)
        self.clear_places_button.setAccessibleName(self.tr("Remove the Places API key"))
        self.clear_places_button.clicked.connect(self.clear_places_key)
        self.places_help = help_label(
            self,
            self.tr(
                "A Google Places API (New) key turns on address suggestions when a location "
                "is edited; without one, addresses are typed in the fields."
            ),
        )
        places_row = QHBoxLayout()
        places_row.setContentsMargins(0, 0, 0, 0)
        places_row.addWidget(self.places_edit, 1)
        places_row.addWidget(self.clear_places_button)
        places_box = QWidget(self.places_box)
        places_box.setLayout(places_row)
        places_form = QFormLayout(self.places_box)
        places_form.addRow(self.tr("Key:"), self.places_status)
        places_form.addRow(
            buddy_label(self, self.tr("New &key:"), self.places_edit),
            stacked(self, places_box, self.places_help),
        )

        # -- status and buttons ----------------------------------------------------------------
        self.keyring_note = help_label(self, "")
        self.keyring_note.hide()
        self.general_problem = ProblemLabel(self.tr("the Google settings"), self)
        buttons = SaveBar(
            self,
            saved_name=self.tr("Google settings saved"),
            save_text=self.tr("&Save Google settings"),
            save_tip=self.tr("Save the Google settings (Ctrl+S)"),
        )
        self.status, self.save_button = buttons.status, buttons.save_button
        self.revert_button = buttons.revert_button
        self.save_button.clicked.connect(self.save)
        self.revert_button.clicked.connect(self._revert)

        layout = QVBoxLayout(self)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.sign_in_box)
        layout.addWidget(self.events_box)
        layout.addWidget(self.places_box)
        layout.addWidget(self.general_problem)
        layout.addStretch(1)
        layout.addLayout(buttons)

        self.names_check.setChecked(clinic.names_in_calendar)
        self._enable(False)
        self.status.setText(self.tr("Reading…"))
        self.reload()

    # -- building ------------------------------------------------------------------------------

    # -- reading and showing ---------------------------------------------------------------------

    def reload(self) -> None:
        ctx = self._ctx
        self._tasks.run(
            lambda: read_state(ctx), guarded(self, self._loaded), guarded(self, self._failed)
        )

    def set_clinic(self, clinic: ClinicSettings) -> None:
        """Another page saved the clinic's settings: show its names choice."""
        self.clinic = clinic
        self.names_check.setChecked(clinic.names_in_calendar)

    def _loaded(self, state: GoogleState) -> None:
        self.status.clear()
        self.show_state(state)
        self.loaded.emit()

    def show_state(self, state: GoogleState) -> None:
        self.state = state
        self._enable(True)
        self.client_id_problem.clear_problem()
        self.general_problem.clear_problem()
        self.client_id_edit.setText(state.client_id)
        self.secret_edit.clear()
        self.places_edit.clear()
        self.names_check.setChecked(self.clinic.names_in_calendar)
        self.all_day_check.setChecked(state.all_day_blocks)
        store = state.keyring_usable
        # a value set by an environment variable wins: shown, not editable
        self.client_id_edit.setReadOnly(state.client_id_from_env or not store)
        if state.client_id_from_env:
            self.client_id_help.setText(
                self.tr("Set on this desk by {variable}, which wins over this field.").format(
                    variable=CLIENT_ID_ENV
                )
            )
        self.secret_edit.setEnabled(store and not state.secret_from_env)
        self.clear_secret_button.setEnabled(
            store and state.secret_set and not state.secret_from_env
        )
        self.secret_edit.setPlaceholderText(
            self.tr("Set by {variable}").format(variable=env_name(GOOGLE_OAUTH_CLIENT_SECRET))
            if state.secret_from_env
            else self.tr("Set — type a new one to replace it")
            if state.secret_set
            else self.tr("Not set")
        )
        self.places_edit.setEnabled(store and not state.places_from_env)
        self.clear_places_button.setEnabled(
            store and state.places_key_set and not state.places_from_env
        )
        if state.places_from_env:
            text = self.tr("Set by {variable}").format(variable=env_name(PLACES_API_KEY))
        elif state.places_key_set:
            text = self.tr("A key is set: address lookup is on.")
        else:
            text = self.tr("No key: address lookup is off.")
        self.places_status.setText(text)
        self.keyring_note.setVisible(not store)
        if not store:
            self.keyring_note.setText(
                self.tr(
                    "This computer has no password store (keyring), so the client id, its "
                    "secret and the Places key cannot be kept here; the calendar choices "
                    "below still work."
                )
            )

    def _enable(self, on: bool) -> None:
        for widget in (self.sign_in_box, self.events_box, self.places_box, self.save_button):
            widget.setEnabled(on)

    def _revert(self) -> None:
        if self.state is not None:
            self.show_state(self.state)
        self.status.clear()

    def _failed(self, exc: BaseException) -> None:
        self._enable(True)
        self.save_button.setEnabled(True)
        message = problem_text(exc, self.tr("The Google settings were not saved: {error}"))
        if isinstance(exc, InvalidInput) and getattr(exc, "field", None) == "client_id":
            self.client_id_problem.show_problem(message)
        else:
            self.general_problem.show_problem(message)
        self.status.clear()
        self.refused.emit(message)

    # -- saving ----------------------------------------------------------------------------------

    def changes(self) -> GoogleChanges:
        """What the form says that differs from what was read."""
        state = self.state
        if state is None:
            return GoogleChanges()
        client_id = self.client_id_edit.text().strip()
        editable = not self.client_id_edit.isReadOnly()
        secret = self.secret_edit.text().strip() if self.secret_edit.isEnabled() else ""
        places = self.places_edit.text().strip() if self.places_edit.isEnabled() else ""
        names = self.names_check.isChecked()
        all_day = self.all_day_check.isChecked()
        return GoogleChanges(
            client_id=client_id if editable and client_id != state.client_id else None,
            client_secret=secret or None,
            places_key=places or None,
            names_in_calendar=names if names != self.clinic.names_in_calendar else None,
            all_day_blocks=all_day if all_day != state.all_day_blocks else None,
        )

    def _check(self, changes: GoogleChanges) -> None:
        cid = changes.client_id
        if cid and (any(c.isspace() for c in cid) or "." not in cid):
            raise InvalidInput(
                self.tr(
                    "That does not look like an OAuth client id (it ends in "
                    ".apps.googleusercontent.com)."
                ),
                "client_id",
            )
        if changes.client_secret and not (cid or (self.state and self.state.client_id)):
            raise InvalidInput(
                self.tr("Enter the client id that goes with the secret."), "client_id"
            )

    def save(self) -> None:
        self.client_id_problem.clear_problem()
        self.general_problem.clear_problem()
        changes = self.changes()
        try:
            self._check(changes)
        except InvalidInput as exc:
            self._failed(exc)
            return
        ctx = self._ctx
        self.save_button.setEnabled(False)
        self._tasks.run(
            lambda: save_changes(ctx, changes),
            guarded(self, lambda result: self._saved(changes, result)),
            guarded(self, self._failed),
            write=True,
        )

    def _saved(self, changes: GoogleChanges, result: tuple[GoogleState, ClinicSettings]) -> None:
        state, clinic = result
        self.save_button.setEnabled(True)
        self.clinic = clinic
        self.show_state(state)
        if changes.client_id is not None or changes.client_secret:
            self.status.setText(
                self.tr("Saved. Restart MedBookings on this desk to use the new sign-in client.")
            )
        else:
            self.status.setText(self.tr("Saved."))
        self.saved.emit(clinic)
        if changes.keyring:
            self.desk_changed.emit()

    def clear_secret(self) -> None:
        self._clear(GOOGLE_OAUTH_CLIENT_SECRET, self.tr("Client secret removed."))

    def clear_places_key(self) -> None:
        self._clear(PLACES_API_KEY, self.tr("Places API key removed: address lookup is off."))

    def _clear(self, key: str, done: str) -> None:
        ctx = self._ctx

        def job() -> GoogleState:
            delete_secret(key)
            return read_state(ctx)

        def finished(state: GoogleState) -> None:
            self.show_state(state)
            self.status.setText(done)
            self.desk_changed.emit()

        self._tasks.run(job, guarded(self, finished), guarded(self, self._failed))
