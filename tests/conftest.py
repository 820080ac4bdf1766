"""Shared fixtures: real databases (an SQLite file, a PostgreSQL server) and a small clinic.

An empty, migrated database is built once per session and copied for each test (SQLite: the
file; PostgreSQL: CREATE DATABASE ... TEMPLATE), so tests get real storage at little cost.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from medbookings_desktop.storage import migrate
from medbookings_desktop.storage.engine import create_db_engine
from tests.helpers.clinic import Clock, SmallClinic, build_small_clinic

PG_ENV = "MEDBOOKINGS_TEST_POSTGRES_URL"


def pytest_configure(config: pytest.Config) -> None:
    # the suite must not depend on the desk's own data folders or settings
    os.environ.setdefault("MEDBOOKINGS_HOME", str(Path(config.rootpath) / ".pytest-home"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    engine = create_db_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "clinic.sqlite3"
    shutil.copyfile(sqlite_template, target)
    return f"sqlite:///{target}"


def _admin_engine(url: str):  # type: ignore[no-untyped-def]
    admin = make_url(url).set(database="postgres")
    return create_engine(admin, isolation_level="AUTOCOMMIT")


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    url = os.environ.get(PG_ENV)
    if not url:
        yield None
        return
    name = f"mb_template_{uuid.uuid4().hex[:8]}"
    admin = _admin_engine(url)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = create_db_engine(str(make_url(url).set(database=name)))
    migrate.upgrade(engine)
    engine.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_postgres_database(template: str | None = None) -> tuple[str, str]:
    """A new database on the test server (a copy of `template`, else empty): (url, name)."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(f"no PostgreSQL server configured ({PG_ENV} is unset)")
    name = f"mb_test_{uuid.uuid4().hex[:10]}"
    admin = _admin_engine(url)
    with admin.connect() as conn:
        clause = f' TEMPLATE "{template}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False), name


def drop_postgres_database(name: str) -> None:
    admin = _admin_engine(os.environ[PG_ENV])
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_url(pg_template: str | None) -> Iterator[str]:
    url, name = fresh_postgres_database(pg_template)
    yield url
    drop_postgres_database(name)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on an SQLite file and on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "pg_url"
    return str(request.getfixturevalue(name))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def clinic(db_url: str, clock: Clock) -> Iterator[SmallClinic]:
    small = build_small_clinic(db_url, clock)
    yield small
    small.engine.dispose()
