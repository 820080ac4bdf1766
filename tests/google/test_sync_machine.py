"""A Hypothesis state machine: desk bookings, reschedules and cancellations interleaved with
outside edits in Google Calendar, access-token expiry, 410 and 412; after each sync: no
duplicate events, no lost booking, every outside busy event blocks availability, every
outside change to our events is in "Needs attention"."""

from __future__ import annotations

import tempfile
from contextlib import ExitStack, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from medbookings_desktop.domain.appointments import ACTIVE_STATUSES
from medbookings_desktop.domain.errors import DomainError
from medbookings_desktop.services import attention, booking
from medbookings_desktop.storage import tables as t
from medbookings_desktop.sync import calendar_plan as plan
from medbookings_desktop.sync.calendar_sync import HELD_KINDS
from tests.fakes.google_calendar_server import FakeGoogleCalendar
from tests.google.conftest import CAL_A, Sleeps, connect, desk_sync, rows
from tests.helpers.clinic import Clock, build_small_clinic
from tests.helpers.memory_keyring import memory_keyring

MONDAY_NINE = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)  # 09:00 London
days = st.integers(min_value=0, max_value=3)
hours = st.integers(min_value=0, max_value=6)  # 09:00 .. 15:00 London


def at(day: int, hour: int) -> datetime:
    return MONDAY_NINE + timedelta(days=day, hours=hour)


class CalendarMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.stack = ExitStack()
        folder = Path(self.stack.enter_context(tempfile.TemporaryDirectory()))
        self.stack.enter_context(memory_keyring())
        self.fake = FakeGoogleCalendar().start()
        self.stack.callback(self.fake.stop)
        self.clinic = build_small_clinic(f"sqlite:///{folder / 'clinic.sqlite3'}", Clock())
        self.stack.callback(self.clinic.engine.dispose)
        assert self.clinic.dr_a.id
        self.pid = self.clinic.dr_a.id
        connect(self.clinic, self.fake, self.pid, CAL_A)
        self.desk = desk_sync(self.clinic, self.fake, Sleeps())
        self.touched: set[int] = set()  # appointments whose event was changed in Google
        self.synced = False

    def teardown(self) -> None:
        self.stack.close()

    # -- helpers -------------------------------------------------------------------------------

    def sync(self) -> None:
        report = self.desk.run_once()
        assert report.errors == 0, report
        assert report.paused == []
        self.synced = True

    def active(self) -> list[Any]:
        A = t.appointments
        statuses = [s.value for s in ACTIVE_STATUSES]
        return rows(self.clinic, A, A.c.provider_id == self.pid, A.c.status.in_(statuses))

    def exported_ours(self) -> list[Any]:
        CE = t.calendar_events
        return rows(self.clinic, CE, CE.c.state == "exported")

    # -- the desk ------------------------------------------------------------------------------

    @rule(day=days, hour=hours, video=st.booleans())
    def book(self, day: int, hour: int, video: bool) -> None:
        c = self.clinic
        service = c.video if video else c.consultation
        assert service.id and c.ada.id
        with suppress(DomainError):  # taken, or over something busy: the desk would be told
            booking.book(
                c.ctx,
                patient_id=c.ada.id,
                provider_id=self.pid,
                service_id=service.id,
                start=at(day, hour),
                location_id=None if video else c.london.id,
                online=video,
            )
        self.sync()

    @rule(data=st.data(), day=days, hour=hours)
    def reschedule(self, data: st.DataObject, day: int, hour: int) -> None:
        active = self.active()
        if active:
            appt = data.draw(st.sampled_from(active))
            with suppress(DomainError):
                booking.reschedule(self.clinic.ctx, appt.id, start=at(day, hour))
        self.sync()

    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        active = [a for a in self.active() if a.status in ("booked", "confirmed")]
        if active:
            appt = data.draw(st.sampled_from(active))
            booking.cancel(self.clinic.ctx, appt.id, reason="changed plans")
        self.sync()

    @rule()
    def resolve_items(self) -> None:
        """The desk reverts every outside change it was told about."""
        for item in attention.list_open(self.clinic.ctx):
            attention.resolve(self.clinic.ctx, item.id)
        self.sync()

    # -- Google --------------------------------------------------------------------------------

    @rule(day=days, hour=hours, transparent=st.booleans())
    def outside_event(self, day: int, hour: int, transparent: bool) -> None:
        start = at(day, hour) + timedelta(minutes=15)
        event: dict[str, Any] = {
            "summary": "Meeting",
            "start": {"dateTime": start.isoformat()},
            "end": {"dateTime": (start + timedelta(minutes=45)).isoformat()},
        }
        if transparent:
            event["transparency"] = "transparent"
        self.fake.outside_insert(CAL_A, event)
        self.sync()

    @rule(data=st.data(), delete=st.booleans())
    def outside_change_of_ours(self, data: st.DataObject, delete: bool) -> None:
        ours = self.exported_ours()
        if ours:
            status = data.draw(st.sampled_from(ours))
            if delete:
                self.fake.outside_delete(CAL_A, status.event_id)
            else:
                event = self.fake.calendar(CAL_A)[status.event_id]
                times = plan.times_of(event, "UTC")
                assert times is not None
                moved = {
                    "start": {"dateTime": (times[0] + timedelta(hours=1)).isoformat()},
                    "end": {"dateTime": (times[1] + timedelta(hours=1)).isoformat()},
                }
                self.fake.outside_patch(CAL_A, status.event_id, moved)
            self.touched.add(status.appointment_id)
        self.sync()

    @rule()
    def access_token_expires(self) -> None:
        self.fake.expire_access_tokens()
        self.sync()

    @rule()
    def sync_token_expires(self) -> None:
        self.fake.expire_sync_tokens()
        self.sync()

    @rule(data=st.data(), day=days, hour=hours)
    def etag_moves_before_our_patch(self, data: st.DataObject, day: int, hour: int) -> None:
        """Someone touches an event (a colour) just before our next write: 412."""
        ours = self.exported_ours()
        if ours:
            status = data.draw(st.sampled_from(ours))
            self.fake.before_next(
                "events.patch",
                lambda f: f.outside_patch(CAL_A, status.event_id, {"colorId": "3"}),
            )
            with suppress(DomainError):
                booking.reschedule(self.clinic.ctx, status.appointment_id, start=at(day, hour))
        self.sync()
        with self.fake.lock:
            self.fake.hooks.clear()

    # -- what must always hold after a sync ----------------------------------------------------

    def held(self) -> set[int]:
        AI = t.attention_items
        items = rows(self.clinic, AI, AI.c.resolved_at.is_(None), AI.c.kind.in_(HELD_KINDS))
        return {int(i.appointment_id) for i in items}

    @invariant()
    def no_duplicate_events(self) -> None:
        tags = [plan.our_appointment(e) for e in self.fake.live(CAL_A)]
        ours = [a for a in tags if a is not None]
        assert len(ours) == len(set(ours))

    @invariant()
    def no_lost_booking(self) -> None:
        if not self.synced:
            return
        live = {plan.our_appointment(e): e for e in self.fake.live(CAL_A)}
        held = self.held()
        active_ids = set()
        for appt in self.active():
            active_ids.add(appt.id)
            if appt.id in held:
                continue  # with the desk
            event = live.get(appt.id)
            assert event is not None, f"appointment {appt.id} has no event"
            assert plan.times_of(event, "UTC") == (appt.start_at, appt.end_at)
        for appt_id in live:
            if appt_id is not None and appt_id not in held:
                assert appt_id in active_ids, f"event left for appointment {appt_id}"

    @invariant()
    def outside_busy_events_block(self) -> None:
        if not self.synced:
            return
        blocks = {
            (b.start_at, b.end_at)
            for b in rows(self.clinic, t.busy_blocks, t.busy_blocks.c.provider_id == self.pid)
        }
        for event in self.fake.live(CAL_A):
            if plan.our_appointment(event) is None and event.get("transparency") != "transparent":
                assert plan.times_of(event, "UTC") in blocks

    @invariant()
    def outside_changes_are_with_the_desk(self) -> None:
        AI = t.attention_items
        told = {
            int(i.appointment_id)
            for i in rows(self.clinic, AI, AI.c.kind.in_(HELD_KINDS))
            if i.appointment_id is not None
        }
        assert self.touched <= told


CalendarMachine.TestCase.settings = settings(
    max_examples=15,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestCalendarMachine = CalendarMachine.TestCase
