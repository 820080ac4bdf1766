"""One transaction per use case: commit explicitly, or everything rolls back."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy import Connection, Engine

from medbookings_desktop.storage.engine import WRITE
from medbookings_desktop.storage.repositories.appointments import AppointmentRepository
from medbookings_desktop.storage.repositories.attention import AttentionRepository
from medbookings_desktop.storage.repositories.audit import AuditRepository
from medbookings_desktop.storage.repositories.clinic import (
    LocationRepository,
    ProviderRepository,
    ServiceRepository,
    SettingsRepository,
    StaffRepository,
)
from medbookings_desktop.storage.repositories.deliveries import DeliveryRepository
from medbookings_desktop.storage.repositories.integration_log import IntegrationLogRepository
from medbookings_desktop.storage.repositories.outbox import OutboxRepository
from medbookings_desktop.storage.repositories.patients import PatientRepository
from medbookings_desktop.storage.repositories.schedule import ScheduleRepository
from medbookings_desktop.storage.repositories.walk_ins import WalkInRepository

CHANGES_CHANNEL = "medbookings_changes"


class SqlUnitOfWork:
    """Writers take the database's write lock when they begin (SQLite BEGIN IMMEDIATE)."""

    conn: Connection

    def __init__(self, engine: Engine, *, write: bool = True) -> None:
        self.engine = engine
        self.write = write
        self._committed = False

    def __enter__(self) -> SqlUnitOfWork:
        conn = self.engine.connect()
        self.conn = conn.execution_options(**WRITE) if self.write else conn
        self._tx = self.conn.begin()
        self._committed = False
        self.settings = SettingsRepository(self.conn)
        self.staff = StaffRepository(self.conn)
        self.locations = LocationRepository(self.conn)
        self.services = ServiceRepository(self.conn)
        self.providers = ProviderRepository(self.conn)
        self.schedule = ScheduleRepository(self.conn)
        self.patients = PatientRepository(self.conn)
        self.appointments = AppointmentRepository(self.conn)
        self.outbox = OutboxRepository(self.conn)
        self.audit = AuditRepository(self.conn)
        self.attention = AttentionRepository(self.conn)
        self.deliveries = DeliveryRepository(self.conn)
        self.integration_log = IntegrationLogRepository(self.conn)
        self.walk_ins = WalkInRepository(self.conn)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if not self._committed and self._tx.is_active:
                self._tx.rollback()
        finally:
            self.conn.close()

    def commit(self) -> None:
        if self.write and self.conn.dialect.name == "postgresql":
            # delivered at commit to every desk listening, so their views refresh (live refresh)
            self.conn.exec_driver_sql(f"NOTIFY {CHANGES_CHANNEL}")
        self._tx.commit()
        self._committed = True

    def rollback(self) -> None:
        self._tx.rollback()
