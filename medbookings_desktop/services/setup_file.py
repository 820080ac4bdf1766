"""Apply a clinic setup file: every record matched by name, all in one unit of work.

First the spec is checked against what the database holds (names that must exist, values
merged with stored records); any problem stops it before a single write. Then the changes are
written with their audit entries, and a record that already matches is left untouched, so
applying the same file twice changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from medbookings_desktop.domain.clinic import (
    Break,
    ClinicSettings,
    ExtraHours,
    Location,
    Provider,
    Room,
    Service,
    TimeOff,
    WorkingHours,
)
from medbookings_desktop.domain.errors import InvalidInput
from medbookings_desktop.domain.setup_spec import (
    Problem,
    ProviderSpec,
    SetupInvalid,
    SetupSpec,
    show,
)
from medbookings_desktop.services.context import Context
from medbookings_desktop.services.ports import UnitOfWork
from medbookings_desktop.services.snapshots import diff, snapshot


@dataclass(frozen=True, slots=True)
class Change:
    action: str  # created, updated, added, set
    entity: str
    name: str
    detail: str = ""

    def __str__(self) -> str:
        text = (
            f"{self.action} {self.entity} {show(self.name)}"
            if self.name
            else (f"{self.action} {self.entity}")
        )
        return f"{text} {self.detail}" if self.detail else text


@dataclass(frozen=True, slots=True)
class SetupResult:
    changes: tuple[Change, ...]
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass
class _ProviderPlan:
    spec: ProviderSpec
    merged: Provider  # ids of links still unresolved: see location_names / service_names
    location_names: tuple[str, ...]
    service_names: tuple[str, ...]
    time_off: list[tuple[datetime, datetime, str, str]] = field(default_factory=list)


def apply_setup(
    ctx: Context,
    spec: SetupSpec,
    *,
    dry_run: bool = False,
    problems: Iterable[Problem] = (),
) -> SetupResult:
    """Check the spec against the database, then write it; a dry run rolls back at the end.

    `problems` are those already found in the file: they are reported together with what the
    database check finds, so one run names everything to fix.
    """
    with ctx.write() as uow:
        plan = _Plan(ctx, uow, spec, problems)
        plan.check()
        if plan.problems:
            raise SetupInvalid(plan.problems)
        changes = plan.apply()
        if not dry_run:
            uow.commit()
    return SetupResult(tuple(changes), dry_run)


def _merge(base: Any, values: dict[str, Any], place: str, problems: list[Problem]) -> Any:
    try:
        return replace(base, **values)
    except InvalidInput as exc:
        _add(problems, Problem(place, exc.message))
        return None


def _add(problems: list[Problem], problem: Problem) -> None:
    """Report a problem unless the file check already reported one at or under its place."""
    place = problem.place
    if not any(
        p.place == place or p.place.startswith((place + ".", place + "[")) for p in problems
    ):
        problems.append(problem)


class _Plan:
    def __init__(
        self, ctx: Context, uow: UnitOfWork, spec: SetupSpec, problems: Iterable[Problem]
    ) -> None:
        self.ctx = ctx
        self.uow = uow
        self.spec = spec
        self.problems: list[Problem] = list(problems)
        self.changes: list[Change] = []
        self.settings = uow.settings.clinic()
        self.new_settings: ClinicSettings | None = None
        self.db_locations = {loc.name: loc for loc in uow.locations.list()}
        self.db_services = {svc.name: svc for svc in uow.services.list()}
        self.db_providers = {p.name: p for p in uow.providers.list()}
        self.locations: dict[str, Location] = {}
        self.services: dict[str, Service] = {}
        self.providers: list[_ProviderPlan] = []

    # -- checking ---------------------------------------------------------------------------

    def check(self) -> None:
        if self.spec.clinic is not None:
            self.new_settings = _merge(
                self.settings, self.spec.clinic.values, "clinic", self.problems
            )
        for loc in self.spec.locations:
            existing = self.db_locations.get(loc.name)
            if existing is None and "zone" not in loc.values:
                _add(self.problems, Problem(f"{loc.place}.zone", "is required for a new location"))
                continue
            base = existing or Location(name=loc.name, zone=loc.values["zone"])
            merged = _merge(base, loc.values, loc.place, self.problems)
            if merged is not None and "phone" in loc.values:
                # read in the clinic's phone region, as the locations page does
                region = (self.new_settings or self.settings).phone_region
                try:
                    merged = merged.checked(region)
                except InvalidInput as exc:
                    _add(self.problems, Problem(f"{loc.place}.phone", exc.message))
                    merged = None
            if merged is not None:
                self.locations[loc.name] = merged
        for svc in self.spec.services:
            existing_svc = self.db_services.get(svc.name)
            if existing_svc is None and "duration" not in svc.values:
                _add(
                    self.problems,
                    Problem(f"{svc.place}.duration_minutes", "is required for a new service"),
                )
                continue
            base_svc = existing_svc or Service(name=svc.name, duration=svc.values["duration"])
            merged_svc = _merge(base_svc, svc.values, svc.place, self.problems)
            if merged_svc is not None:
                self.services[svc.name] = merged_svc
        for prov in self.spec.providers:
            self._check_provider(prov)

    def _known_location(self, name: str) -> Location | None:
        return self.locations.get(name) or self.db_locations.get(name)

    def _check_provider(self, spec: ProviderSpec) -> None:
        existing = self.db_providers.get(spec.name)
        names_by_location_id = {loc.id: name for name, loc in self.db_locations.items()}
        names_by_service_id = {svc.id: name for name, svc in self.db_services.items()}
        if spec.locations is not None:
            for place, name in spec.locations:
                if name not in self.locations and name not in self.db_locations:
                    _add(self.problems, Problem(place, f"no location named {show(name)}"))
            location_names = tuple(name for _, name in spec.locations)
        else:
            ids = sorted(existing.location_ids) if existing else []
            location_names = tuple(names_by_location_id[i] for i in ids)
        if spec.services is not None:
            for place, name in spec.services:
                if name not in self.services and name not in self.db_services:
                    _add(self.problems, Problem(place, f"no service named {show(name)}"))
            service_names = tuple(name for _, name in spec.services)
        else:
            ids = sorted(existing.service_ids) if existing else []
            service_names = tuple(names_by_service_id[i] for i in ids)

        who = show(spec.name)
        for place, name in spec.location_refs:
            if name not in location_names:
                _add(
                    self.problems,
                    Problem(place, f"{who} does not work at {show(name)} (add it to locations)"),
                )
        if existing is not None and spec.hours is None and spec.locations is not None:
            # weekly hours left as they are must still be at one of the provider's locations
            assert existing.id is not None
            for rule in self.uow.schedule.working_hours([existing.id]):
                name = names_by_location_id.get(rule.location_id, "")
                if name not in location_names:
                    _add(
                        self.problems,
                        Problem(
                            f"{spec.place}.locations",
                            f"{who} has weekly hours at {show(name)}: keep it here or give "
                            "the provider's hours in the file",
                        ),
                    )
                    break

        base = existing or Provider(name=spec.name)
        merged = _merge(base, spec.values, spec.place, self.problems)
        if merged is None:
            return
        plan = _ProviderPlan(spec, merged, location_names, service_names)
        zone = self._home_zone(location_names)
        for off in spec.time_off:
            start, end = off.instants(zone)
            try:
                TimeOff(provider_id=0, start=start, end=end, reason=off.reason)
            except InvalidInput as exc:
                _add(self.problems, Problem(off.place, exc.message))
                continue
            plan.time_off.append((start, end, off.reason, off.zone or zone))
        self.providers.append(plan)

    def _home_zone(self, location_names: tuple[str, ...]) -> str:
        """Time off written without an offset is read in the provider's first location's zone."""
        for name in location_names:
            loc = self._known_location(name)
            if loc is not None:
                return loc.zone
        return (self.new_settings or self.settings).zone

    # -- writing ----------------------------------------------------------------------------

    def apply(self) -> list[Change]:
        self._apply_settings()
        location_ids = {name: _id(loc) for name, loc in self.db_locations.items()}
        for spec in self.spec.locations:
            saved = self._save("location", self.locations[spec.name], self.db_locations)
            location_ids[spec.name] = _id(saved)
            self._add_rooms(saved, spec.rooms)
        service_ids = {name: _id(svc) for name, svc in self.db_services.items()}
        for svc_spec in self.spec.services:
            saved_svc = self._save("service", self.services[svc_spec.name], self.db_services)
            service_ids[svc_spec.name] = _id(saved_svc)
        for plan in self.providers:
            merged = replace(
                plan.merged,
                location_ids=frozenset(location_ids[n] for n in plan.location_names),
                service_ids=frozenset(service_ids[n] for n in plan.service_names),
            )
            saved_prov = self._save("provider", merged, self.db_providers)
            assert saved_prov.id is not None
            self._apply_hours(saved_prov, plan.spec, location_ids)
            self._apply_time_off(saved_prov, plan)
            self._apply_extra_hours(saved_prov, plan.spec, location_ids)
        return self.changes

    def _apply_settings(self) -> None:
        new = self.new_settings
        if new is None:
            return
        set_up = self.uow.settings.is_set_up()
        if set_up and new == self.settings:
            return
        self.uow.settings.save_clinic(new)
        before, after = diff(snapshot(self.settings), snapshot(new))
        self.ctx.audit(self.uow, "settings", "clinic", None, before, after)
        action = "updated" if set_up else "created"
        detail = f"({', '.join(after)})" if after else ""
        self.changes.append(Change(action, "clinic settings", "", detail))

    def _save(self, entity: str, record: Any, existing: dict[str, Any]) -> Any:
        old = existing.get(record.name)
        if old is not None and old == record:
            return old
        saved: Any
        if entity == "location":
            saved = self.uow.locations.save(record)
        elif entity == "service":
            saved = self.uow.services.save(record)
        else:
            saved = self.uow.providers.save(record)
        if old is None:
            self.ctx.audit(self.uow, "save", entity, saved.id, None, snapshot(saved))
            self.changes.append(Change("created", entity, record.name))
        else:
            before, after = diff(snapshot(old), snapshot(saved))
            self.ctx.audit(self.uow, "save", entity, saved.id, before, after)
            fields = ", ".join(after).replace("_ids", "s").replace("_cents", "")
            self.changes.append(Change("updated", entity, record.name, f"({fields})"))
        return saved

    def _add_rooms(self, location: Location, rooms: tuple[str, ...]) -> None:
        assert location.id is not None
        rooms_here: Iterable[Room] = self.uow.locations.rooms(location.id)
        have = {room.name for room in rooms_here}
        for name in rooms:
            if name in have:
                continue
            room = self.uow.locations.save_room(Room(name=name, location_id=location.id))
            self.ctx.audit(self.uow, "add_room", "location", location.id, None, snapshot(room))
            self.changes.append(Change("added", "room", name, f"at {show(location.name)}"))

    def _apply_hours(
        self, provider: Provider, spec: ProviderSpec, location_ids: dict[str, int]
    ) -> None:
        if spec.hours is None:
            return
        pid = provider.id
        assert pid is not None
        hours: list[WorkingHours] = []
        breaks: list[Break] = []
        for rule in spec.hours:
            lid = location_ids[rule.location]
            for day in rule.weekdays:
                hours.append(
                    WorkingHours(
                        pid, lid, day, rule.start, rule.end, rule.valid_from, rule.valid_until
                    )
                )
                for b in rule.breaks:
                    brk = Break(pid, lid, day, b.start, b.end, b.label)
                    if brk not in breaks:
                        breaks.append(brk)
        old_hours = self.uow.schedule.working_hours([pid])
        old_breaks = self.uow.schedule.breaks([pid])
        if _weekly_key(old_hours, old_breaks) == _weekly_key(hours, breaks):
            return
        self.uow.schedule.replace_weekly(pid, hours, breaks)
        self.ctx.audit(
            self.uow,
            "set_hours",
            "provider",
            pid,
            {
                "hours": [snapshot(h, omit=("id",)) for h in old_hours],
                "breaks": [snapshot(b, omit=("id",)) for b in old_breaks],
            },
            {
                "hours": [snapshot(h, omit=("id",)) for h in hours],
                "breaks": [snapshot(b, omit=("id",)) for b in breaks],
            },
        )
        self.changes.append(
            Change(
                "set",
                "weekly hours of",
                provider.name,
                f"({len(hours)} rule{'s' if len(hours) != 1 else ''}, "
                f"{len(breaks)} break{'s' if len(breaks) != 1 else ''})",
            )
        )

    def _apply_time_off(self, provider: Provider, plan: _ProviderPlan) -> None:
        pid = provider.id
        assert pid is not None
        for start, end, reason, zone in plan.time_off:
            present = self.uow.schedule.time_off([pid], start, end)
            if any(off.start == start and off.end == end for off in present):
                continue
            off = TimeOff(pid, start, end, reason)
            self.uow.schedule.add_time_off(off)
            self.ctx.audit(self.uow, "add_time_off", "provider", pid, None, snapshot(off))
            self.changes.append(
                Change(
                    "added",
                    "time off for",
                    provider.name,
                    f"{_local(start, zone)} – {_local(end, zone)} ({zone})",
                )
            )

    def _apply_extra_hours(
        self, provider: Provider, spec: ProviderSpec, location_ids: dict[str, int]
    ) -> None:
        pid = provider.id
        assert pid is not None
        for item in spec.extra_hours:
            lid = location_ids[item.location]
            present = self.uow.schedule.extra_hours([pid], item.day, item.day)
            if any(
                e.location_id == lid and e.start == item.start and e.end == item.end
                for e in present
            ):
                continue
            extra = ExtraHours(pid, lid, item.day, item.start, item.end)
            self.uow.schedule.add_extra_hours(extra)
            self.ctx.audit(self.uow, "add_extra_hours", "provider", pid, None, snapshot(extra))
            self.changes.append(
                Change(
                    "added",
                    "extra hours for",
                    provider.name,
                    f"{item.day} {item.start:%H:%M}–{item.end:%H:%M} at {show(item.location)}",
                )
            )


def _id(record: Location | Service) -> int:
    assert record.id is not None
    return record.id


def _local(instant: datetime, zone: str) -> str:
    return f"{instant.astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M}"


def _weekly_key(hours: list[WorkingHours], breaks: list[Break]) -> tuple[list[Any], list[Any]]:
    """The weekly rules compared as sets of values, ignoring row ids and order."""
    h = sorted(
        (
            r.location_id,
            r.weekday,
            r.start,
            r.end,
            r.valid_from or date.min,
            r.valid_until or date.max,
        )
        for r in hours
    )
    b = sorted((r.location_id, r.weekday, r.start, r.end, r.label) for r in breaks)
    return h, b
