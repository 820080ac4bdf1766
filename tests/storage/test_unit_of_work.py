"""The unit of work on a real database: nothing sticks unless committed; SQLite set up as
DESIGN asks (WAL, foreign keys, synchronous FULL, a busy timeout) and writers take the lock
when they begin, so two desks never interleave a booking's checks and writes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select
from sqlalchemy.exc import IntegrityError, OperationalError

from medbookings_desktop.domain.clinic import Role
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.engine import SQLITE_BUSY_TIMEOUT_S, create_db_engine
from medbookings_desktop.storage.unit_of_work import SqlUnitOfWork


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = create_db_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    eng = create_db_engine(sqlite_url)
    yield eng
    eng.dispose()


def _staff_names(engine: Engine) -> list[str]:
    with SqlUnitOfWork(engine, write=False) as uow:
        return [u.name for u in uow.staff.list()]


def test_committed_work_is_kept(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.staff.ensure("Grace", Role.RECEPTIONIST)
        uow.commit()
    assert _staff_names(engine) == ["Grace"]


def test_work_not_committed_is_rolled_back(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.staff.ensure("Grace", Role.RECEPTIONIST)
        # seen inside its own transaction ...
        assert [u.name for u in uow.staff.list()] == ["Grace"]
    # ... and gone once the unit of work ends without a commit
    assert _staff_names(engine) == []


class Boom(Exception):
    pass


def test_an_error_rolls_everything_back(engine: Engine) -> None:
    with pytest.raises(Boom), SqlUnitOfWork(engine) as uow:
        uow.staff.ensure("Grace", Role.RECEPTIONIST)
        uow.staff.ensure("Henry", Role.MANAGER)
        raise Boom
    assert _staff_names(engine) == []


def test_an_explicit_rollback_discards_the_work(engine: Engine) -> None:
    with SqlUnitOfWork(engine) as uow:
        uow.staff.ensure("Grace", Role.RECEPTIONIST)
        uow.rollback()
    assert _staff_names(engine) == []


def test_a_failed_statement_rolls_back_the_earlier_ones_too(engine: Engine) -> None:
    with pytest.raises(IntegrityError), SqlUnitOfWork(engine) as uow:
        uow.staff.ensure("Grace", Role.RECEPTIONIST)
        # a foreign key to a provider that does not exist
        uow.conn.execute(
            t.provider_locations.insert().values(provider_id=999_999, location_id=999_999)
        )
        uow.commit()
    assert _staff_names(engine) == []


def test_each_unit_of_work_gets_its_own_connection_back_to_the_pool(engine: Engine) -> None:
    for _ in range(3):
        with SqlUnitOfWork(engine) as uow:
            uow.staff.ensure("Grace", Role.RECEPTIONIST)
            uow.commit()
        assert uow.conn.closed
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(t.staff_users)) == 1


# --- SQLite: connection settings and the write lock -----------------------------------------


def _pragma(engine: Engine, name: str) -> Any:
    with engine.connect() as conn:
        return conn.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_pragmas_are_in_force_on_every_connection(sqlite_engine: Engine) -> None:
    for write in (True, False):
        with SqlUnitOfWork(sqlite_engine, write=write) as uow:
            pragma = uow.conn.exec_driver_sql
            assert pragma("PRAGMA journal_mode").scalar() == "wal"
            assert pragma("PRAGMA foreign_keys").scalar() == 1
            assert pragma("PRAGMA synchronous").scalar() == 2  # FULL
            assert pragma("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_S * 1000


def test_sqlite_foreign_keys_are_enforced(sqlite_engine: Engine) -> None:
    with pytest.raises(IntegrityError, match="FOREIGN KEY"), SqlUnitOfWork(sqlite_engine) as uow:
        uow.conn.execute(
            t.provider_locations.insert().values(provider_id=999_999, location_id=999_999)
        )


def _impatient_engine(url: str) -> Engine:
    """A second desk's engine that gives up on a held lock almost at once."""
    eng = create_db_engine(url)

    # registered after the engine's own listener, so it overrides the 15 s busy timeout
    @event.listens_for(eng, "connect")
    def _short_timeout(dbapi_conn: sqlite3.Connection, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA busy_timeout=20")

    return eng


def test_a_writer_takes_the_lock_when_it_begins(sqlite_url: str) -> None:
    first = create_db_engine(sqlite_url)
    second = _impatient_engine(sqlite_url)
    try:
        with SqlUnitOfWork(first) as holder:
            # nothing written yet: BEGIN IMMEDIATE alone holds the write lock
            assert holder.conn.in_transaction()
            with pytest.raises(OperationalError, match="database is locked"), SqlUnitOfWork(second):
                pass  # refused at BEGIN, before it could read stale data to decide on
            # a reader is not blocked by a writer (WAL) and sees the last committed state
            with SqlUnitOfWork(second, write=False) as reader:
                assert reader.staff.list() == []
            holder.staff.ensure("Grace", Role.RECEPTIONIST)
            holder.commit()
        # once the first writer has committed, the second desk writes and sees its work
        with SqlUnitOfWork(second) as uow:
            assert [u.name for u in uow.staff.list()] == ["Grace"]
            uow.staff.ensure("Henry", Role.MANAGER)
            uow.commit()
    finally:
        first.dispose()
        second.dispose()
    with sqlite3.connect(sqlite_url.removeprefix("sqlite:///")) as raw:
        assert raw.execute("SELECT count(*) FROM staff_users").fetchone() == (2,)


def test_a_rolled_back_writer_releases_the_lock(sqlite_url: str) -> None:
    first = create_db_engine(sqlite_url)
    second = _impatient_engine(sqlite_url)
    try:
        with pytest.raises(Boom), SqlUnitOfWork(first) as uow:
            uow.staff.ensure("Grace", Role.RECEPTIONIST)
            raise Boom
        with SqlUnitOfWork(second) as uow:
            uow.staff.ensure("Henry", Role.MANAGER)
            uow.commit()
    finally:
        first.dispose()
        second.dispose()


def test_sqlite_readers_do_not_take_the_write_lock(sqlite_url: str) -> None:
    first = create_db_engine(sqlite_url)
    second = _impatient_engine(sqlite_url)
    try:
        with SqlUnitOfWork(first, write=False) as reader:
            reader.staff.list()
            with SqlUnitOfWork(second) as writer:
                writer.staff.ensure("Grace", Role.RECEPTIONIST)
                writer.commit()
    finally:
        first.dispose()
        second.dispose()


def test_memory_databases_and_missing_folders_are_refused(tmp_path: Any) -> None:
    with pytest.raises(ValueError, match="file"):
        create_db_engine("sqlite://")
    with pytest.raises(ValueError, match="does not exist"):
        create_db_engine(f"sqlite:///{tmp_path}/missing/clinic.sqlite3")
