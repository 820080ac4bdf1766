"""Schema versions: upgrade an older database on start, refuse a newer one untouched."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from medbookings_desktop.storage.revisions import MIGRATIONS_DIR, known_revisions

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory
    from sqlalchemy import Engine

# SQLAlchemy is imported where used: the desk's quick start checks the schema without it


class DatabaseTooNew(Exception):
    """The database was written by a newer MedBookings than this one."""


def stored_revision(engine: Engine) -> str | None:
    """The schema version the database records, read with plain SQL (None: no schema yet)."""
    from sqlalchemy import inspect, text

    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


def script_directory() -> ScriptDirectory:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    return ScriptDirectory.from_config(cfg)


def head_revision() -> str:
    head = script_directory().get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def check_not_newer(engine: Engine) -> str | None:
    """Return the database's revision, refusing one this version of the app never saw."""
    current = current_revision(engine)
    if current is None:
        return None
    known = {rev.revision for rev in script_directory().walk_revisions()}
    if current not in known:
        raise DatabaseTooNew(
            f"This database uses schema version {current}, written by a newer MedBookings "
            f"(this one knows up to {head_revision()}). Update MedBookings on this desk; "
            "the database was not changed."
        )
    return current


def _run(engine: Engine, action: str, revision: str) -> None:
    from alembic import command

    cfg = alembic_config(engine)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, action)(cfg, revision)


def backup_sqlite(engine: Engine, backup_dir: Path, label: str) -> Path | None:
    """Copy the SQLite file with the online backup API (consistent even under WAL)."""
    from medbookings_desktop.storage.engine import sqlite_path

    path = sqlite_path(str(engine.url))
    if path is None or not path.exists():
        return None
    backup_dir.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = backup_dir / f"{path.stem}-{label}-{stamp}.sqlite3"
    with sqlite3.connect(path) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    return target


@dataclass(frozen=True)
class UpgradeResult:
    before: str | None
    after: str
    backup: Path | None


def upgrade(
    engine: Engine, revision: str = "head", backup_dir: Path | None = None
) -> UpgradeResult:
    """Bring the schema to `revision`, backing up an SQLite file that already holds data."""
    if revision == "head":
        stored = stored_revision(engine)
        if stored is not None and stored == known_revisions()[-1]:
            return UpgradeResult(stored, stored, None)  # the usual start: nothing to do
    before = check_not_newer(engine)
    target = head_revision() if revision == "head" else revision
    backup = None
    if before is not None and before != target and backup_dir is not None:
        backup = backup_sqlite(engine, backup_dir, f"before-{target}")
    if before != target:
        _run(engine, "upgrade", revision)
    return UpgradeResult(before, target, backup)


def downgrade(engine: Engine, revision: str, backup_dir: Path | None = None) -> UpgradeResult:
    before = check_not_newer(engine)
    backup = backup_sqlite(engine, backup_dir, "before-downgrade") if backup_dir else None
    _run(engine, "downgrade", revision)
    return UpgradeResult(before, revision, backup)
