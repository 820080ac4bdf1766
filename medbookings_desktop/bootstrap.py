"""Wire settings -> storage -> services. The one place that knows the concrete adapters."""

from __future__ import annotations

import getpass
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from medbookings_desktop.domain.clinic import Role
from medbookings_desktop.services.context import Context, utc_now
from medbookings_desktop.storage import migrate
from medbookings_desktop.storage.engine import create_db_engine
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork


@dataclass(frozen=True)
class App:
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
