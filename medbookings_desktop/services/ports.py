"""What the services need from storage, as protocols (bootstrap wires the SQL ones in).

Repositories have a `list` method, so annotations inside them name `builtins.list`.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import TracebackType
from typing import Any, Protocol

from medbookings_desktop.domain.appointments import Appointment, StatusChange
from medbookings_desktop.domain.audit import AuditEntry
from medbookings_desktop.domain.clinic import (
    Break,
    BusyBlock,
    ClinicSettings,
    ExtraHours,
    Location,
    Provider,
    Role,
    Room,
    Service,
    StaffUser,
    TimeOff,
    WorkingHours,
)
from medbookings_desktop.domain.messages import OutboxItem, OutboxKind, OutboxState
from medbookings_desktop.domain.patients import Patient
from medbookings_desktop.domain.search import PatientQuery


class OccupiedTime(Protocol):
    id: int
    provider_id: int
    start: datetime
    end: datetime
    buffer_before: timedelta
    buffer_after: timedelta


@dataclass(frozen=True, slots=True)
class DaySpan:
    """Appointments starting in [start, end) at these locations, or online with these
    providers (whose home location sets their zone): one zone's local day."""

    start: datetime
    end: datetime
    location_ids: frozenset[int]
    online_provider_ids: frozenset[int]


class SettingsRepo(Protocol):
    def clinic(self) -> ClinicSettings: ...
    def is_set_up(self) -> bool: ...
    def save_clinic(self, settings: ClinicSettings) -> None: ...
    def value(self, key: str) -> Any: ...
    def set_value(self, key: str, value: Any) -> None: ...


class StaffRepo(Protocol):
    def get(self, user_id: int) -> StaffUser: ...
    def ensure(self, name: str, role: Role = ...) -> StaffUser: ...


class LocationRepo(Protocol):
    def list(self) -> builtins.list[Location]: ...
    def get(self, location_id: int) -> Location: ...
    def by_name(self, name: str) -> Location | None: ...
    def save(self, loc: Location) -> Location: ...
    def rooms(self, location_id: int | None = None) -> builtins.list[Room]: ...
    def save_room(self, room: Room) -> Room: ...


class ServiceRepo(Protocol):
    def list(self, *, active_only: bool = False) -> builtins.list[Service]: ...
    def get(self, service_id: int) -> Service: ...
    def by_name(self, name: str) -> Service | None: ...
    def save(self, svc: Service) -> Service: ...


class ProviderRepo(Protocol):
    def list(self, *, active_only: bool = False) -> builtins.list[Provider]: ...
    def get(self, provider_id: int) -> Provider: ...
    def by_name(self, name: str) -> Provider | None: ...
    def save(self, prov: Provider) -> Provider: ...


class ScheduleRepo(Protocol):
    def working_hours(
        self, provider_ids: Iterable[int] | None = None
    ) -> builtins.list[WorkingHours]: ...
    def breaks(self, provider_ids: Iterable[int] | None = None) -> builtins.list[Break]: ...
    def extra_hours(
        self, provider_ids: Iterable[int], first: date, last: date
    ) -> builtins.list[ExtraHours]: ...
    def time_off(
        self, provider_ids: Iterable[int], start: datetime, end: datetime
    ) -> builtins.list[TimeOff]: ...
    def busy_blocks(
        self, provider_ids: Iterable[int], start: datetime, end: datetime
    ) -> builtins.list[BusyBlock]: ...
    def replace_weekly(
        self, provider_id: int, hours: Iterable[WorkingHours], breaks: Iterable[Break]
    ) -> None: ...
    def add_extra_hours(self, extra: ExtraHours) -> int: ...
    def add_time_off(self, off: TimeOff) -> int: ...
    def add_busy_block(self, block: BusyBlock) -> int: ...


class PatientRepo(Protocol):
    def get(self, patient_id: int) -> Patient: ...
    def get_many(self, ids: Iterable[int]) -> dict[int, Patient]: ...
    def add(self, patient: Patient, now: datetime) -> Patient: ...
    def add_many(self, patients: Sequence[Patient], now: datetime) -> None: ...
    def update(self, patient: Patient, now: datetime) -> Patient: ...
    def count(self) -> int: ...
    def search(self, query: PatientQuery, limit: int = 20) -> builtins.list[Patient]: ...


class AppointmentRepo(Protocol):
    def get(self, appointment_id: int) -> Appointment: ...
    def add(self, appt: Appointment, now: datetime) -> Appointment: ...
    def update(self, appt: Appointment, now: datetime) -> Appointment: ...
    def clashes(self, appt: Appointment) -> builtins.list[Appointment]: ...
    def occupied(
        self, provider_ids: Iterable[int], start: datetime, end: datetime
    ) -> Sequence[OccupiedTime]: ...
    def between(
        self,
        start: datetime,
        end: datetime,
        *,
        provider_ids: Iterable[int] | None = None,
        include_inactive: bool = True,
    ) -> builtins.list[Appointment]: ...
    def starting_between(
        self,
        start: datetime,
        end: datetime,
        *,
        provider_ids: Iterable[int] | None = None,
        include_inactive: bool = True,
    ) -> builtins.list[tuple[Appointment, str]]: ...
    def starting_in(
        self,
        spans: Sequence[DaySpan],
        *,
        provider_ids: Iterable[int] | None = None,
        include_inactive: bool = True,
    ) -> builtins.list[tuple[Appointment, str]]: ...
    def for_patient(self, patient_id: int) -> builtins.list[Appointment]: ...
    def record_change(self, change: StatusChange) -> int: ...
    def last_change(
        self, *, appointment_id: int | None = None, by_user_id: int | None = None
    ) -> StatusChange | None: ...
    def mark_undone(self, change_id: int) -> None: ...


class OutboxRepo(Protocol):
    def add_many(self, items: Iterable[OutboxItem], now: datetime) -> None: ...
    def supersede(self, appointment_id: int, kinds: Iterable[OutboxKind]) -> int: ...
    def for_appointment(self, appointment_id: int) -> builtins.list[OutboxItem]: ...
    def any_in_states(
        self, appointment_id: int, kinds: Iterable[OutboxKind], states: Iterable[OutboxState]
    ) -> bool: ...


class AuditRepo(Protocol):
    def record(self, entry: AuditEntry) -> None: ...
    def for_entity(self, entity: str, entity_id: int) -> builtins.list[AuditEntry]: ...


class UnitOfWork(Protocol):
    settings: SettingsRepo
    staff: StaffRepo
    locations: LocationRepo
    services: ServiceRepo
    providers: ProviderRepo
    schedule: ScheduleRepo
    patients: PatientRepo
    appointments: AppointmentRepo
    outbox: OutboxRepo
    audit: AuditRepo

    def __enter__(self) -> UnitOfWork: ...
    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...
    def commit(self) -> None: ...
