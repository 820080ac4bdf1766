"""Database page (this desk only): an SQLite file or a PostgreSQL server, tested before saving."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.engine import make_url

from medbookings_desktop.settings import (
    DeskSettings,
    SettingsError,
    database_url_with_password,
    env_var_name,
    save_database_url,
    split_database_password,
    sqlite_url,
)
from medbookings_desktop.storage import migrate, revisions
from medbookings_desktop.storage.engine import create_db_engine, is_sqlite, sqlite_path
from medbookings_desktop.ui.settings_pages.common import ProblemLabel, click_on, guarded
from medbookings_desktop.ui.tasks import TaskRunner

CONNECT_TIMEOUT_S = 5


class Verdict(Enum):
    CURRENT = "current"  # the schema this MedBookings writes
    OLDER = "older"  # upgraded on the next start (an SQLite file is backed up first)
    EMPTY = "empty"  # no tables yet: created on the next start
    NEW_FILE = "new_file"  # no file yet: created on the next start
    TOO_NEW = "too_new"  # written by a newer MedBookings: refused
    FAILED = "failed"  # could not connect or read


@dataclass(frozen=True)
class Probe:
    verdict: Verdict
    revision: str | None = None
    head: str | None = None
    error: str = ""

    @property
    def usable(self) -> bool:
        return self.verdict not in (Verdict.TOO_NEW, Verdict.FAILED)


def _why(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)
    return str(orig if orig is not None else exc).strip()


def _sqlite_revision(path: Path) -> str | None:
    # without the desk's PRAGMAs (a test must not switch the file to WAL) and query-only;
    # not mode=ro: a read-only reader of a WAL file leaves -wal and -shm files behind
    conn = sqlite3.connect(f"{path.as_uri()}?mode=rw", uri=True, timeout=CONNECT_TIMEOUT_S)
    try:
        conn.execute("PRAGMA query_only = 1")
        found = conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
        ).fetchone()
        if found is None:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()  # is it SQLite at all
            return None
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        return None if row is None else str(row[0])
    finally:
        conn.close()


def probe_database(url: str) -> Probe:
    """Connect to `url`, read its schema version and compare it with this MedBookings.

    Changes nothing: an SQLite file is opened read-only, a server is only read from.
    Runs on a worker thread (a server may take seconds to answer).
    """
    head = revisions.known_revisions()[-1]
    try:
        if is_sqlite(url):
            path = sqlite_path(url)
            if path is None:
                return Probe(Verdict.FAILED, head=head, error="no file named")
            if not path.exists():
                if not path.parent.is_dir():
                    return Probe(
                        Verdict.FAILED, head=head, error=f"the folder {path.parent} does not exist"
                    )
                return Probe(Verdict.NEW_FILE, head=head)
            revision = _sqlite_revision(path)
        else:
            engine = create_db_engine(url, connect_args={"connect_timeout": CONNECT_TIMEOUT_S})
            try:
                revision = migrate.stored_revision(engine)
            finally:
                engine.dispose()
    except Exception as exc:
        return Probe(Verdict.FAILED, head=head, error=_why(exc))
    if revision is None:
        return Probe(Verdict.EMPTY, head=head)
    if revision == head:
        return Probe(Verdict.CURRENT, revision, head)
    if revision in revisions.known_revisions():
        return Probe(Verdict.OLDER, revision, head)
    return Probe(Verdict.TOO_NEW, revision, head)


class DatabasePage(QWidget):
    """Chooses this desk's database; saved to its settings.toml, used from the next start.

    `saved` carries the URL written to the file (never with a password).
    """

    saved = Signal(str)
    refused = Signal(str)
    tested = Signal(object)

    def __init__(
        self,
        tasks: TaskRunner,
        desk_settings: DeskSettings,
        in_use: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self.desk_settings = desk_settings
        self.last_probe: Probe | None = None

        intro = QLabel(
            self.tr(
                "Where this desk keeps the clinic's data. One computer: an SQLite file. "
                "Several desks sharing one diary: a PostgreSQL server. This setting is for "
                "this computer only."
            ),
            self,
        )
        intro.setWordWrap(True)
        self.in_use_label = QLabel(self.tr("In use now: {db}").format(db=in_use), self)
        self.in_use_label.setAccessibleName(self.tr("Database in use now"))
        self.in_use_label.setVisible(bool(in_use))

        self.sqlite_radio = QRadioButton(self.tr("S&QLite file on this computer"), self)
        self.postgres_radio = QRadioButton(self.tr("Post&greSQL server"), self)
        group = QButtonGroup(self)
        group.addButton(self.sqlite_radio)
        group.addButton(self.postgres_radio)
        self.path_edit = QLineEdit(self)
        self.path_edit.setAccessibleName(self.tr("SQLite file"))
        self.browse_button = QPushButton(self.tr("&Browse…"), self)
        self.browse_button.setToolTip(self.tr("Choose an existing file or name a new one"))
        self.browse_button.clicked.connect(self.browse)
        self.url_edit = QLineEdit(self)
        self.url_edit.setAccessibleName(self.tr("PostgreSQL URL"))
        self.url_edit.setPlaceholderText("postgresql://reception@db.example.org:5432/medbookings")
        self.password_edit = QLineEdit(self)
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName(self.tr("PostgreSQL password"))
        self.password_edit.setToolTip(
            self.tr("Kept in this computer's password store (keyring), never in a file")
        )
        self.problem = ProblemLabel(self.tr("the database"), self)
        self.result_label = QLabel(self)
        self.result_label.setWordWrap(True)
        self.result_label.setAccessibleName(self.tr("Connection test result"))
        self.env_note = QLabel(self)
        self.env_note.setWordWrap(True)
        var = env_var_name("database_url")
        self.env_note.setText(
            self.tr(
                "{var} is set on this computer: it overrides what is saved here until it is "
                "removed."
            ).format(var=var)
        )
        self.env_note.setVisible(bool(os.environ.get(var, "").strip()))
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Database setting saved"))
        self.test_button = QPushButton(self.tr("&Test connection"), self)
        self.test_button.setToolTip(
            self.tr("Connect and check the schema version; nothing is changed")
        )
        self.test_button.clicked.connect(self.test_connection)
        self.save_button = QPushButton(self.tr("&Save for this desk"), self)
        click_on(QKeySequence.StandardKey.Save, self.save_button, self)
        self.save_button.setToolTip(self.tr("Use this database from the next start (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)

        file_row = QHBoxLayout()
        file_row.addWidget(self.path_edit, 1)
        file_row.addWidget(self.browse_button)
        pg_form = QFormLayout()
        url_label = QLabel(self.tr("&URL:"), self)
        url_label.setBuddy(self.url_edit)
        pg_form.addRow(url_label, self.url_edit)
        password_label = QLabel(self.tr("Pass&word:"), self)
        password_label.setBuddy(self.password_edit)
        pg_form.addRow(password_label, self.password_edit)
        buttons = QHBoxLayout()
        buttons.addWidget(self.test_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.in_use_label)
        layout.addWidget(self.sqlite_radio)
        layout.addLayout(file_row)
        layout.addWidget(self.postgres_radio)
        layout.addLayout(pg_form)
        layout.addWidget(self.problem)
        layout.addWidget(self.result_label)
        layout.addWidget(self.env_note)
        layout.addStretch(1)
        layout.addWidget(self.status)
        layout.addLayout(buttons)

        self.sqlite_radio.toggled.connect(self._update_enabled)
        for edit in (self.path_edit, self.url_edit, self.password_edit):
            edit.textEdited.connect(self._forget_result)
        self._show_url(desk_settings.database_url)

    def _show_url(self, url: str) -> None:
        path = sqlite_path(url) if is_sqlite(url) else None
        if path is not None:
            self.sqlite_radio.setChecked(True)
            self.path_edit.setText(str(path))
        else:
            bare, _ = split_database_password(url)
            self.postgres_radio.setChecked(True)
            self.url_edit.setText(bare)
        self._update_enabled()

    def _update_enabled(self) -> None:
        on_file = self.sqlite_radio.isChecked()
        self.path_edit.setEnabled(on_file)
        self.browse_button.setEnabled(on_file)
        self.url_edit.setEnabled(not on_file)
        self.password_edit.setEnabled(not on_file)
        self._forget_result()

    def _forget_result(self) -> None:
        self.result_label.clear()
        self.problem.clear_problem()
        self.status.clear()

    def browse(self) -> None:
        start = self.path_edit.text() or str(self.desk_settings.data_dir)
        chosen, _ = QFileDialog.getSaveFileName(
            self,
            self.tr("SQLite database file"),
            start,
            self.tr("SQLite databases (*.sqlite3 *.sqlite *.db);;All files (*)"),
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if chosen:
            self.path_edit.setText(chosen)
            self._forget_result()

    def chosen_url(self) -> str:
        """The URL the form describes, the typed password included; raises SettingsError."""
        if self.sqlite_radio.isChecked():
            text = self.path_edit.text().strip()
            if not text:
                raise SettingsError(self.tr("Choose the SQLite file."))
            return sqlite_url(Path(text).expanduser().absolute())
        text = self.url_edit.text().strip()
        try:
            parsed = make_url(text)
        except Exception:
            raise SettingsError(
                self.tr(
                    "{url!r} is not a PostgreSQL URL (postgresql://user@host/database)."
                ).format(url=text)
            ) from None
        if parsed.get_backend_name() != "postgresql":
            raise SettingsError(
                self.tr("A server URL starts with postgresql:// (for a file choose SQLite).")
            )
        password = self.password_edit.text()
        if password:
            parsed = parsed.set(password=password)
        return parsed.render_as_string(hide_password=False)

    def test_connection(self) -> None:
        self._forget_result()
        try:
            url = self.chosen_url()
        except SettingsError as exc:
            self.problem.show_problem(str(exc))
            return
        self.test_button.setEnabled(False)
        self.result_label.setText(self.tr("Connecting…"))
        self._tasks.run(
            # without a typed password, test with the one this desk keeps (if any)
            lambda: probe_database(database_url_with_password(url)),
            guarded(self, self._tested),
            guarded(self, lambda exc: self._tested(Probe(Verdict.FAILED, error=_why(exc)))),
        )

    def describe(self, probe: Probe) -> str:
        if probe.verdict is Verdict.CURRENT:
            return self.tr(
                "Connected. Schema version {rev}, the one this MedBookings uses."
            ).format(rev=probe.revision)
        if probe.verdict is Verdict.OLDER:
            return self.tr(
                "Connected. Schema version {rev} is older than this MedBookings' {head}: it "
                "will be upgraded on the next start (an SQLite file is backed up first)."
            ).format(rev=probe.revision, head=probe.head)
        if probe.verdict is Verdict.EMPTY:
            return self.tr(
                "Connected. The database is empty: MedBookings will create its tables on the "
                "next start."
            )
        if probe.verdict is Verdict.NEW_FILE:
            return self.tr(
                "There is no file there yet: MedBookings will create a new, empty database "
                "there on the next start."
            )
        if probe.verdict is Verdict.TOO_NEW:
            return self.tr(
                "This database uses schema version {rev}, written by a newer MedBookings (this "
                "one knows up to {head}). Update MedBookings on this desk before using it; the "
                "database was not changed."
            ).format(rev=probe.revision, head=probe.head)
        return self.tr("Could not connect: {error}").format(error=probe.error)

    def _tested(self, probe: Probe) -> None:
        self.test_button.setEnabled(True)
        self.last_probe = probe
        text = self.describe(probe)
        if probe.usable:
            self.result_label.setText(f"✓ {text}")
        else:
            self.result_label.clear()
            self.problem.show_problem(text)
        self.tested.emit(probe)

    def save(self) -> None:
        self._forget_result()
        try:
            url = self.chosen_url()
        except SettingsError as exc:
            self._refuse(str(exc))
            return
        config = self.desk_settings.config_file
        self.save_button.setEnabled(False)
        self._tasks.run(
            lambda: save_database_url(url, config),
            guarded(self, self._saved),
            guarded(self, lambda exc: self._refuse(str(exc))),
        )

    def _saved(self, written: str) -> None:
        self.save_button.setEnabled(True)
        self.password_edit.clear()
        self.status.setText(
            self.tr("Saved for this desk. Restart MedBookings to use this database.")
        )
        self.saved.emit(written)

    def _refuse(self, message: str) -> None:
        self.save_button.setEnabled(True)
        self.problem.show_problem(message)
        self.refused.emit(message)
