"""How the vendors are doing, per service: last success, error rate over the last hour, the
queue waiting for it and how long its oldest message has waited. From the integration log
and the outbox; no network call."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, cast

from medbookings_desktop.domain.messages import OutboxKind
from medbookings_desktop.services.context import Context

WINDOW = timedelta(hours=1)

MESSAGE_KINDS = (
    OutboxKind.CONFIRMATION,
    OutboxKind.CHANGE_NOTICE,
    OutboxKind.CANCELLATION_NOTICE,
    OutboxKind.REMINDER,
    OutboxKind.PROVIDER_NOTICE,
)
CALENDAR_KINDS = (OutboxKind.CALENDAR_UPSERT, OutboxKind.CALENDAR_DELETE)

# service -> (name shown, the channels whose messages wait for it; None: the calendar rows)
SERVICES: dict[str, tuple[str, tuple[str, ...] | None]] = {
    "sendgrid": ("SendGrid (e-mail)", ("email",)),
    "twilio": ("Twilio (SMS, WhatsApp)", ("sms", "whatsapp")),
    "google_calendar": ("Google Calendar", None),
    "vercel_blob": ("Vercel Blob (WhatsApp cards)", ()),
    "google_places": ("Google Places (address lookup)", ()),
}


class ServiceCallsRecord(Protocol):
    @property
    def calls(self) -> int: ...
    @property
    def errors(self) -> int: ...
    @property
    def last_success(self) -> datetime | None: ...
    @property
    def last_error(self) -> str | None: ...


class _LogRepo(Protocol):
    def summary(self, since: datetime) -> dict[str, ServiceCallsRecord]: ...


class _QueueRepo(Protocol):
    def queue(self, kinds: Iterable[OutboxKind], now: datetime) -> tuple[int, datetime | None]: ...
    def queue_by_channel(
        self, kinds: Iterable[OutboxKind], now: datetime
    ) -> dict[str, tuple[int, datetime | None]]: ...


class _PausedRepo(Protocol):
    def paused_services(self) -> builtins.set[str]: ...


class _EngineUow(Protocol):
    integration_log: _LogRepo
    deliveries: _QueueRepo
    attention: _PausedRepo


@dataclass(frozen=True, slots=True)
class ServiceHealth:
    service: str
    name: str
    last_success: datetime | None
    calls_last_hour: int
    errors_last_hour: int
    last_error: str | None
    queue_depth: int  # due messages not yet sent that this service may carry
    oldest_pending: datetime | None  # the due time of the longest-waiting one
    paused: bool  # its credentials were rejected and nobody marked them fixed yet

    @property
    def error_rate(self) -> float:
        """Share of calls in the last hour that failed (0.0 with no calls)."""
        return self.errors_last_hour / self.calls_last_hour if self.calls_last_hour else 0.0

    @property
    def state(self) -> str:
        """ok, paused, failing (most calls fail), degraded (some fail), idle (no calls)."""
        if self.paused:
            return "paused"
        if not self.calls_last_hour:
            return "idle"
        if self.error_rate >= 0.5:
            return "failing"
        return "degraded" if self.errors_last_hour else "ok"


def services(ctx: Context) -> list[ServiceHealth]:
    now = ctx.now()
    with ctx.read() as uow:
        engine_uow = cast(_EngineUow, uow)
        summary = engine_uow.integration_log.summary(now - WINDOW)
        paused = engine_uow.attention.paused_services()
        by_channel = engine_uow.deliveries.queue_by_channel(MESSAGE_KINDS, now)
        calendar = engine_uow.deliveries.queue(CALENDAR_KINDS, now)
    result = []
    for service, (name, channels) in SERVICES.items():
        calls = summary.get(service)
        if channels is None:
            depth, oldest = calendar
        else:
            found = [by_channel[c] for c in channels if c in by_channel]
            depth = sum(n for n, _ in found)
            oldest = min((o for _, o in found if o is not None), default=None)
        result.append(
            ServiceHealth(
                service=service,
                name=name,
                last_success=calls.last_success if calls else None,
                calls_last_hour=calls.calls if calls else 0,
                errors_last_hour=calls.errors if calls else 0,
                last_error=calls.last_error if calls else None,
                queue_depth=depth,
                oldest_pending=oldest,
                paused=service in paused,
            )
        )
    return result
