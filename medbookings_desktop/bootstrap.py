"""Wire settings -> storage -> services. The one place that knows the concrete adapters."""

from __future__ import annotations

import getpass
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from medbookings_desktop.domain.clinic import Role
from medbookings_desktop.services.context import Context, utc_now

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from medbookings_desktop.storage import migrate
    from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork

# SQLAlchemy and the storage modules are imported where used: the desk's quick start paints
# its first day before they load (see DeferredDatabase and storage/quick_read.py)


@dataclass(frozen=True, eq=False)  # an open database and its services: compared by identity
class App:
    """The open database's engine, the services' context over it, and any upgrade made."""

    engine: Engine
    ctx: Context
    upgraded: migrate.UpgradeResult | None


def default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "desk"


def open_engine(
    url: str, *, backup_dir: Path | None, upgrade: bool = True
) -> tuple[Engine, migrate.UpgradeResult | None]:
    """Open the database; bring an older schema up to date (after a backup) unless told not to."""
    from medbookings_desktop.storage import migrate
    from medbookings_desktop.storage.engine import create_db_engine

    engine = create_db_engine(url)
    try:
        if upgrade:
            return engine, migrate.upgrade(engine, backup_dir=backup_dir)
        migrate.check_not_newer(engine)
        return engine, None
    except BaseException:
        engine.dispose()
        raise


def context_for(
    engine: Engine, *, actor: str | None = None, clock: Callable[[], datetime] = utc_now
) -> Context:
    """A service context acting as the named staff user (created on first use)."""
    from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork

    name = actor or default_actor()
    with SqlUnitOfWork(engine) as uow:
        user = uow.staff.ensure(name, Role.RECEPTIONIST)
        uow.commit()
    return Context(
        write=lambda: SqlUnitOfWork(engine),
        read=lambda: SqlUnitOfWork(engine, write=False),
        actor_id=user.id,
        actor_name=user.name,
        clock=clock,
    )


def open_app(
    url: str,
    *,
    backup_dir: Path | None,
    actor: str | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> App:
    engine, upgraded = open_engine(url, backup_dir=backup_dir)
    return App(engine, context_for(engine, actor=actor, clock=clock), upgraded)


class DeferredDatabase:
    """A database whose engine opens (SQLAlchemy imported, the schema checked) on first use,
    and only once `allow()` was called: the desk's window paints its first day, read by
    storage/quick_read.py, before anything waits for SQLAlchemy.

    `read()` and `write()` are a Context's unit-of-work factories. On a worker thread they
    wait for `allow()`; on the main thread they allow at once (a UI thread must never wait
    for itself). After `close()`, one that would have to open the engine refuses.
    """

    def __init__(self, url: str, *, backup_dir: Path | None) -> None:
        self._url = url
        self._backup_dir = backup_dir
        self._allowed = threading.Event()
        self._lock = threading.Lock()
        self._engine: Engine | None = None
        self._closed = False

    def allow(self) -> None:
        self._allowed.set()

    def engine(self) -> Engine:
        if threading.current_thread() is threading.main_thread():
            self._allowed.set()
        self._allowed.wait()
        with self._lock:
            if self._closed and self._engine is None:
                raise RuntimeError("the desk's database is closed")
            if self._engine is None:
                self._engine, _ = open_engine(self._url, backup_dir=self._backup_dir)
            return self._engine

    def read(self) -> SqlUnitOfWork:
        engine = self.engine()  # first: it waits for allow(), then imports SQLAlchemy
        from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork

        return SqlUnitOfWork(engine, write=False)

    def write(self) -> SqlUnitOfWork:
        engine = self.engine()  # first: it waits for allow(), then imports SQLAlchemy
        from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork

        return SqlUnitOfWork(engine)

    def close(self) -> None:
        """Refuse from now on: workers still waiting for `allow()` are let go with an error."""
        self._closed = True
        self._allowed.set()

    def dispose(self) -> None:
        """Close the engine's connections (after the window's workers have finished)."""
        self.close()
        with self._lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.dispose()
