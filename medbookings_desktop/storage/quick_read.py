"""The desk's first day, read with the standard library's sqlite3 instead of SQLAlchemy.

Importing SQLAlchemy and our tables takes a good part of the desk's start, and the calendar
needs none of it to show today: this reads an SQLite file that is already at this version's
schema with plain SQL, into the same domain objects (through `storage/rows.py`), for the
services that paint the first day (`setup`, `agenda`). Only what they ask is here; anything
else, and every write, goes through `SqlUnitOfWork` once the real engine is open. A test
checks that both read the same day the same way.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from operator import itemgetter
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import unquote

from medbookings_desktop.domain.appointments import ACTIVE_STATUSES, Appointment
from medbookings_desktop.domain.clinic import (
    Break,
    BusyBlock,
    ClinicSettings,
    ExtraHours,
    Location,
    Provider,
    Service,
    StaffUser,
    TimeOff,
    WorkingHours,
)
from medbookings_desktop.services.ports import DaySpan
from medbookings_desktop.storage import rows

BUSY_TIMEOUT_S = 15
# columns SQLAlchemy keeps as whole minutes (storage/types.py Minutes): INTEGER in the file
MINUTES = {("services", "duration"), ("services", "buffer_before"), ("services", "buffer_after")}


def sqlite_file(url: str) -> Path | None:
    """The file of a plain `sqlite:///path` URL; None for anything else (PostgreSQL, options
    in the URL, a driver named): those open the usual way."""
    for prefix in ("sqlite:///", "sqlite+pysqlite:///"):
        if url.startswith(prefix):
            rest = url[len(prefix) :]
            if not rest or "?" in rest or "#" in rest or rest == ":memory:":
                return None
            return Path(unquote(rest))
    return None


def _revision(conn: sqlite3.Connection) -> str | None:
    """The schema version the file records (None: no schema yet)."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if found is None:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def _instant(value: str) -> datetime:
    # naive UTC text on SQLite (storage/types.py UTCDateTime)
    return datetime.fromisoformat(value).replace(tzinfo=UTC)


_BY_DECLARED_TYPE: dict[str, Callable[[Any], Any]] = {
    "DATETIME": _instant,
    "DATE": date.fromisoformat,
    "TIME": time.fromisoformat,
    "BOOLEAN": bool,
    "JSON": json.loads,
}


def _bind(value: Any) -> Any:
    """A parameter as SQLAlchemy writes it to SQLite: instants as naive UTC text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


class QuickReader:
    """Units of work on one connection to the file, for a run of quick reads on one thread
    (a connection and its reading of the schema are made once); `close()` when done."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn: sqlite3.Connection | None = None
        self.types: dict[str, tuple[Any, tuple[tuple[int, Callable[[Any], Any]], ...]]] = {}

    def __call__(self) -> QuickReadUnitOfWork:
        self._connection()
        return QuickReadUnitOfWork(self.path, reader=self)

    def revision(self) -> str | None:
        """The schema version the file records (None: no schema yet), on the reader's
        connection: the file's schema is then read once for the check and the reads after it."""
        return _revision(self._connection())

    def _connection(self) -> sqlite3.Connection:
        if self.conn is None:
            self.conn = _connect(self.path)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _connect(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT_S, isolation_level=None)


class QuickReadUnitOfWork:
    """A read-only unit of work over an SQLite file, for the first day's services only: on a
    connection of its own, or on a QuickReader's."""

    def __init__(self, path: Path, *, reader: QuickReader | None = None) -> None:
        self.path = path
        self._reader = reader
        self._types = reader.types if reader is not None else {}

    def __enter__(self) -> QuickReadUnitOfWork:
        shared = self._reader.conn if self._reader is not None else None
        self.conn = shared if shared is not None else _connect(self.path)
        self.conn.execute("BEGIN")  # one snapshot for every read of the unit of work
        self.settings = _Settings(self)
        self.staff = _Staff(self)
        self.locations = _Locations(self)
        self.services = _Services(self)
        self.providers = _Providers(self)
        self.schedule = _Schedule(self)
        self.appointments = _Appointments(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.conn.execute("ROLLBACK")
        finally:
            if self._reader is None or self._reader.conn is not self.conn:
                self.conn.close()

    def commit(self) -> None:
        raise RuntimeError("the quick reader does not write")

    def rollback(self) -> None:
        pass

    def table(self, name: str, where: str = "", params: Sequence[Any] = ()) -> list[Any]:
        """Rows of `name` as tuples with named fields and SQLAlchemy's Python values, for rows.*."""
        shape, convert = self._columns(name)
        listed = ", ".join(f'"{c}"' for c in shape._fields)
        sql = f'SELECT {listed} FROM "{name}" {where}'
        out = []
        for raw in self.conn.execute(sql, [_bind(p) for p in params]):
            # only the columns that have a conversion are visited (most hold plain values)
            values = list(raw)
            for i, f in convert:
                if values[i] is not None:
                    values[i] = f(values[i])
            out.append(shape(values))
        return out

    def _columns(self, name: str) -> tuple[Any, tuple[tuple[int, Callable[[Any], Any]], ...]]:
        """The table's row shape (a tuple with named fields) and its columns' conversions, by
        position (a column stored as SQLAlchemy stores it but read as another Python type)."""
        found = self._types.get(name)
        if found is None:
            info = self.conn.execute(f'PRAGMA table_info("{name}")').fetchall()
            columns = tuple(str(row[1]) for row in info)
            readers = (
                _minutes if (name, row[1]) in MINUTES else _BY_DECLARED_TYPE.get(str(row[2]))
                for row in info
            )
            convert = tuple((i, f) for i, f in enumerate(readers) if f is not None)
            shape = _row_type(name, columns)
            found = self._types[name] = (shape, convert)
        return found


def _row_type(name: str, columns: tuple[str, ...]) -> type[tuple[Any, ...]]:
    """A tuple type whose fields read by name, as rows.* reads a SQLAlchemy Row (`_fields`,
    attributes): what namedtuple makes, without compiling code for each table at start-up."""
    namespace: dict[str, Any] = {"__slots__": (), "_fields": columns}
    for i, column in enumerate(columns):
        namespace[column] = property(itemgetter(i))
    return type(name, (tuple,), namespace)


def _minutes(value: int) -> timedelta:
    return timedelta(minutes=value)


class _Repository:
    def __init__(self, uow: QuickReadUnitOfWork) -> None:
        self.uow = uow


class _Settings(_Repository):
    def value(self, key: str) -> Any:
        found = self.uow.table("clinic_settings", "WHERE key = ?", [key])
        return found[0].value if found else None

    def clinic(self) -> ClinicSettings:
        value = self.value("clinic")
        return ClinicSettings() if value is None else _settings_from_json(value)

    def is_set_up(self) -> bool:
        return bool(self.uow.table("clinic_settings", "WHERE key = ?", ["clinic"]))


def _settings_from_json(data: dict[str, Any]) -> ClinicSettings:
    # as storage/repositories/clinic.py reads them (a test compares the two)
    known = set(ClinicSettings.__dataclass_fields__)
    values = {k: v for k, v in data.items() if k in known}
    if "reminder_offsets" in values:
        values["reminder_offsets"] = tuple(timedelta(minutes=m) for m in values["reminder_offsets"])
    for key in ("slot_grid", "minimum_notice", "booking_horizon"):
        if key in values:
            values[key] = timedelta(minutes=values[key])
    return ClinicSettings(**values)


class _Staff(_Repository):
    def by_name(self, name: str) -> StaffUser | None:
        found = self.uow.table("staff_users", "WHERE name = ?", [name])
        return rows.staff(found[0]) if found else None


class _Locations(_Repository):
    def list(self) -> list[Location]:
        return [rows.location(r) for r in self.uow.table("locations", "ORDER BY id")]


class _Services(_Repository):
    def list(self, *, active_only: bool = False) -> list[Service]:
        where = "WHERE active = 1 ORDER BY id" if active_only else "ORDER BY id"
        return [rows.service(r) for r in self.uow.table("services", where)]


class _Providers(_Repository):
    def list(self, *, active_only: bool = False) -> list[Provider]:
        locs: dict[int, set[int]] = {}
        svcs: dict[int, set[int]] = {}
        conn = self.uow.conn
        for pid, lid in conn.execute("SELECT provider_id, location_id FROM provider_locations"):
            locs.setdefault(pid, set()).add(lid)
        for pid, sid in conn.execute("SELECT provider_id, service_id FROM provider_services"):
            svcs.setdefault(pid, set()).add(sid)
        where = "WHERE active = 1 ORDER BY id" if active_only else "ORDER BY id"
        return [
            rows.provider(r, frozenset(locs.get(r.id, ())), frozenset(svcs.get(r.id, ())))
            for r in self.uow.table("providers", where)
        ]


class _Schedule(_Repository):
    def working_hours(self, provider_ids: Iterable[int] | None = None) -> list[WorkingHours]:
        return [rows.working_hours(r) for r in self._weekly("working_hours", provider_ids)]

    def breaks(self, provider_ids: Iterable[int] | None = None) -> list[Break]:
        return [rows.break_(r) for r in self._weekly("breaks", provider_ids)]

    def _weekly(self, table: str, provider_ids: Iterable[int] | None) -> list[Any]:
        if provider_ids is None:
            return self.uow.table(table, "ORDER BY id")
        pids = list(provider_ids)
        return self.uow.table(table, f"WHERE provider_id IN ({_marks(pids)}) ORDER BY id", pids)

    def extra_hours(self, provider_ids: Iterable[int], first: date, last: date) -> list[ExtraHours]:
        pids = list(provider_ids)
        where = f"WHERE provider_id IN ({_marks(pids)}) AND day BETWEEN ? AND ?"
        return [
            rows.extra_hours(r) for r in self.uow.table("extra_hours", where, [*pids, first, last])
        ]

    def time_off(
        self, provider_ids: Iterable[int], start: datetime, end: datetime
    ) -> list[TimeOff]:
        return [rows.time_off(r) for r in self._spans("time_off", provider_ids, start, end)]

    def busy_blocks(
        self, provider_ids: Iterable[int], start: datetime, end: datetime
    ) -> list[BusyBlock]:
        return [rows.busy_block(r) for r in self._spans("busy_blocks", provider_ids, start, end)]

    def _spans(
        self, table: str, provider_ids: Iterable[int], start: datetime, end: datetime
    ) -> list[Any]:
        pids = list(provider_ids)
        where = f"WHERE provider_id IN ({_marks(pids)}) AND start_at < ? AND end_at > ?"
        return self.uow.table(table, where, [*pids, end, start])


_ACTIVE = sorted(s.value for s in ACTIVE_STATUSES)


class _Appointments(_Repository):
    def starting_in(
        self,
        spans: Sequence[DaySpan],
        *,
        provider_ids: Iterable[int] | None = None,
        include_inactive: bool = True,
    ) -> list[tuple[Appointment, str]]:
        """As AppointmentRepository.starting_in: the same rows, in the same order."""
        which: list[str] = []
        params: list[Any] = []
        for span in spans:
            locs, online = sorted(span.location_ids), sorted(span.online_provider_ids)
            if not (locs or online):
                continue
            where = []
            if locs:
                where.append(f"a.location_id IN ({_marks(locs)})")
            if online:
                where.append(f"(a.location_id IS NULL AND a.provider_id IN ({_marks(online)}))")
            which.append(f"(a.start_at >= ? AND a.start_at < ? AND ({' OR '.join(where)}))")
            params += [span.start, span.end, *locs, *online]
        if not which:
            return []
        lo = min(span.start for span in spans)
        hi = max(span.end for span in spans)
        columns = ", ".join(f"a.{c}" for c in rows.STORED_APPOINTMENT_COLUMNS)
        sql = (
            f"SELECT {columns}, p.first_name, p.last_name FROM appointments AS a "
            "JOIN patients AS p ON p.id = a.patient_id "
            f"WHERE a.start_at >= ? AND a.start_at < ? AND ({' OR '.join(which)})"
        )
        params = [lo, hi, *params]
        if provider_ids is not None:
            pids = list(provider_ids)
            sql += f" AND a.provider_id IN ({_marks(pids)})"
            params += pids
        if not include_inactive:
            sql += f" AND a.status IN ({_marks(_ACTIVE)})"
            params += _ACTIVE
        sql += " ORDER BY a.start_at, a.provider_id"
        online_at = rows.STORED_APPOINTMENT_COLUMNS.index("online")
        start_at = rows.STORED_APPOINTMENT_COLUMNS.index("start_at")
        end_at = rows.STORED_APPOINTMENT_COLUMNS.index("end_at")
        out = []
        for raw in self.uow.conn.execute(sql, [_bind(p) for p in params]):
            values = list(raw[:-2])
            values[online_at] = bool(values[online_at])
            values[start_at] = _instant(values[start_at])
            values[end_at] = _instant(values[end_at])
            # the name as Patient.full_name spells it
            out.append((rows.stored_appointment(values), f"{raw[-2]} {raw[-1]}".strip()))
        return out
