"""The clinic's setup, read once and kept between slot searches until it changes.

Providers, services, locations, weekly hours, breaks and the clinic settings change rarely,
but a slot search needs all of them. Storage writes a new token under the clinic_settings key
`setup_version` in the same transaction as every change to them, so a search reads that one
value and reuses what it read before while the token is the same: another desk's change is
seen by the next search, never a stale copy.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from medbookings_desktop.domain.clinic import (
    Break,
    ClinicSettings,
    Location,
    Provider,
    Service,
    WorkingHours,
)
from medbookings_desktop.services.ports import UnitOfWork

SETUP_VERSION = "setup_version"
# expanded days kept per snapshot before starting afresh (a few years of a big clinic)
MEMO_LIMIT = 100_000


@dataclass(frozen=True, eq=False)
class SetupSnapshot:
    """The clinic's setup as read at one version, with what was worked out from it."""

    version: Any
    settings: ClinicSettings
    locations: Sequence[Location]
    services: Mapping[int, Service]
    providers: Sequence[Provider]
    hours: Mapping[int, Sequence[WorkingHours]]
    breaks: Mapping[int, Sequence[Break]]
    # expanded weekly rules per (kind, seat, zone, local date); valid for this setup only
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    @classmethod
    def load(cls, uow: UnitOfWork, version: Any) -> SetupSnapshot:
        hours: dict[int, list[WorkingHours]] = defaultdict(list)
        for h in uow.schedule.working_hours():
            hours[h.provider_id].append(h)
        breaks: dict[int, list[Break]] = defaultdict(list)
        for b in uow.schedule.breaks():
            breaks[b.provider_id].append(b)
        return cls(
            version=version,
            settings=uow.settings.clinic(),
            locations=tuple(uow.locations.list()),
            services={s.id: s for s in uow.services.list() if s.id is not None},
            providers=tuple(uow.providers.list()),
            hours={pid: tuple(hs) for pid, hs in hours.items()},
            breaks={pid: tuple(bs) for pid, bs in breaks.items()},
        )

    def service(self, uow: UnitOfWork, service_id: int) -> Service:
        found = self.services.get(service_id)
        return uow.services.get(service_id) if found is None else found  # NotFound as before

    def active_providers(self) -> list[Provider]:
        return [p for p in self.providers if p.active]


class SetupCache:
    """One desk's copy of the setup; `snapshot` checks it is current with one small read."""

    def __init__(self) -> None:
        self._snapshot: SetupSnapshot | None = None

    def snapshot(self, uow: UnitOfWork, *, fresh: bool = False) -> SetupSnapshot:
        """The setup as of now; `fresh` reads it again whatever the token says."""
        version = uow.settings.value(SETUP_VERSION)
        snap = self._snapshot
        if fresh or snap is None or version is None or snap.version != version:
            # read after the token: what is read is at least as new as the token says
            snap = SetupSnapshot.load(uow, version)
            self._snapshot = snap
        elif len(snap.memo) > MEMO_LIMIT:
            snap.memo.clear()
        return snap

    def clear(self) -> None:
        self._snapshot = None
