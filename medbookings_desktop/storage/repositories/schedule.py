"""Working hours, breaks, extra hours, time off and external busy blocks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import Connection, bindparam, delete, insert, select

from medbookings_desktop.domain.clinic import Break, BusyBlock, ExtraHours, TimeOff, WorkingHours
from medbookings_desktop.storage import rows
from medbookings_desktop.storage import tables as t
from medbookings_desktop.storage.repositories.clinic import bump_setup_version

# Built once: a slot search runs these for every window, and building a statement costs
# about as much as SQLite takes to answer it.
_EXTRA_HOURS = select(t.extra_hours).where(
    t.extra_hours.c.provider_id.in_(bindparam("pids", expanding=True)),
    t.extra_hours.c.day.between(bindparam("first"), bindparam("last")),
)
_TIME_OFF = select(t.time_off).where(
    t.time_off.c.provider_id.in_(bindparam("pids", expanding=True)),
    t.time_off.c.start_at < bindparam("end"),
    t.time_off.c.end_at > bindparam("start"),
)
_BUSY_BLOCKS = select(t.busy_blocks).where(
    t.busy_blocks.c.provider_id.in_(bindparam("pids", expanding=True)),
    t.busy_blocks.c.start_at < bindparam("end"),
    t.busy_blocks.c.end_at > bindparam("start"),
)


class ScheduleRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def working_hours(self, provider_ids: Iterable[int] | None = None) -> list[WorkingHours]:
        q = select(t.working_hours).order_by(t.working_hours.c.id)
        if provider_ids is not None:
            q = q.where(t.working_hours.c.provider_id.in_(list(provider_ids)))
        return [rows.working_hours(r) for r in self.conn.execute(q)]

    def breaks(self, provider_ids: Iterable[int] | None = None) -> list[Break]:
        q = select(t.breaks).order_by(t.breaks.c.id)
        if provider_ids is not None:
            q = q.where(t.breaks.c.provider_id.in_(list(provider_ids)))
        return [rows.break_(r) for r in self.conn.execute(q)]

    def extra_hours(self, provider_ids: Iterable[int], first: date, last: date) -> list[ExtraHours]:
        found = self.conn.execute(
            _EXTRA_HOURS, {"pids": list(provider_ids), "first": first, "last": last}
        )
        return [rows.extra_hours(r) for r in found.all()]

    def time_off(
        self, provider_ids: Iterable[int], start: datetime, end: datetime
    ) -> list[TimeOff]:
        found = self.conn.execute(
            _TIME_OFF, {"pids": list(provider_ids), "start": start, "end": end}
        )
        return [rows.time_off(r) for r in found.all()]

    def busy_blocks(
        self, provider_ids: Iterable[int], start: datetime, end: datetime
    ) -> list[BusyBlock]:
        found = self.conn.execute(
            _BUSY_BLOCKS, {"pids": list(provider_ids), "start": start, "end": end}
        )
        return [rows.busy_block(r) for r in found.all()]

    def replace_weekly(
        self, provider_id: int, hours: Iterable[WorkingHours], breaks: Iterable[Break]
    ) -> None:
        """Set a provider's weekly rules to exactly these (the editor and setup files do this)."""
        self.conn.execute(
            delete(t.working_hours).where(t.working_hours.c.provider_id == provider_id)
        )
        self.conn.execute(delete(t.breaks).where(t.breaks.c.provider_id == provider_id))
        hour_rows = [
            {
                "provider_id": provider_id,
                "location_id": h.location_id,
                "weekday": h.weekday,
                "start": h.start,
                "end": h.end,
                "valid_from": h.valid_from,
                "valid_until": h.valid_until,
            }
            for h in hours
        ]
        break_rows = [
            {
                "provider_id": provider_id,
                "location_id": b.location_id,
                "weekday": b.weekday,
                "start": b.start,
                "end": b.end,
                "label": b.label,
            }
            for b in breaks
        ]
        if hour_rows:
            self.conn.execute(insert(t.working_hours), hour_rows)
        if break_rows:
            self.conn.execute(insert(t.breaks), break_rows)
        bump_setup_version(self.conn)

    def add_extra_hours(self, extra: ExtraHours) -> int:
        return int(
            self.conn.execute(
                insert(t.extra_hours).values(
                    provider_id=extra.provider_id,
                    location_id=extra.location_id,
                    day=extra.day,
                    start=extra.start,
                    end=extra.end,
                )
            ).inserted_primary_key[0]
        )  # type: ignore[index]

    def add_time_off(self, off: TimeOff) -> int:
        return int(
            self.conn.execute(
                insert(t.time_off).values(
                    provider_id=off.provider_id,
                    start_at=off.start,
                    end_at=off.end,
                    reason=off.reason,
                )
            ).inserted_primary_key[0]
        )  # type: ignore[index]

    def add_busy_block(self, block: BusyBlock) -> int:
        return int(
            self.conn.execute(
                insert(t.busy_blocks).values(
                    provider_id=block.provider_id,
                    start_at=block.start,
                    end_at=block.end,
                    label=block.label,
                    source=block.source,
                    external_id=block.external_id,
                )
            ).inserted_primary_key[0]
        )  # type: ignore[index]

    def remove_extra_hours(self, provider_id: int, extra_id: int) -> bool:
        """Delete one provider's one-off hours; False when there was no such row."""
        done = self.conn.execute(
            delete(t.extra_hours).where(
                t.extra_hours.c.id == extra_id, t.extra_hours.c.provider_id == provider_id
            )
        )
        return bool(done.rowcount)

    def remove_time_off(self, provider_id: int, time_off_id: int) -> bool:
        """Delete one provider's time off; False when there was no such row."""
        done = self.conn.execute(
            delete(t.time_off).where(
                t.time_off.c.id == time_off_id, t.time_off.c.provider_id == provider_id
            )
        )
        return bool(done.rowcount)
