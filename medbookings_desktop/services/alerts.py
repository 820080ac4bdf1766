"""Alerts: a messaging or calendar service that is down, whose credentials were rejected, or
whose errors spike, each told in one sentence a receptionist can act on.

`evaluate` is the rule, pure: the health snapshot (`services.health`), the latest calls from
the integration log and the calendar links Google stopped accepting, in; the alerts, out.
`current` reads those (no network call) and applies it. One alert per service at most: rejected
credentials say more than "down", and "down" more than a spike.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol, cast

from medbookings_desktop.domain.clinic import Provider
from medbookings_desktop.domain.errors import NotFound
from medbookings_desktop.services import health
from medbookings_desktop.services.context import Context

# down: the last DOWN_FAILED_CALLS calls (within DOWN_LOOKBACK) all failed in a way worth
# retrying (no answer, time-out, 5xx, 429), nothing went through for DOWN_NO_SUCCESS, and
# something is waiting for the service
DOWN_FAILED_CALLS = 3
DOWN_NO_SUCCESS = timedelta(minutes=10)
DOWN_LOOKBACK = timedelta(hours=1)
# an error spike: at least SPIKE_MIN_CALLS calls in the last SPIKE_WINDOW, SPIKE_RATE or more
# of them failed (rejected credentials are an alert of their own and do not count here)
SPIKE_WINDOW = timedelta(minutes=15)
SPIKE_RATE = 0.5
SPIKE_MIN_CALLS = 5
# how many of each service's latest calls are read for the rules
RECENT_CALLS_READ = 200

# integration-log outcomes (storage/repositories/integration_log.py)
OK = "ok"
TRANSIENT = "retry"
REJECTED = "rejected"

GOOGLE_LINK_PREFIX = "google:"  # attention_items.service of a provider's Google link


class AlertKind(StrEnum):
    CREDENTIALS_REJECTED = "credentials_rejected"
    DOWN = "down"
    ERROR_SPIKE = "error_spike"


SEVERITY = (AlertKind.CREDENTIALS_REJECTED, AlertKind.DOWN, AlertKind.ERROR_SPIKE)


@dataclass(frozen=True, slots=True)
class Alert:
    service: str  # sendgrid, twilio, google_calendar, or google:<provider id>
    kind: AlertKind
    message: str  # one sentence or two: what is wrong, what it means, what to do

    @property
    def key(self) -> tuple[str, AlertKind]:
        """What makes an alert the same one as before (the sentence's figures may move)."""
        return (self.service, self.kind)


@dataclass(frozen=True, slots=True)
class _Words:
    stopped: str  # what the clinic loses, as the sentence opens
    vendor: str
    settings: str  # where the credentials are entered
    item: str  # what waits for it, singular and plural
    items: str
    failing: str  # "Many ... are failing"


WORDS: dict[str, _Words] = {
    "sendgrid": _Words(
        "E-mails to patients and providers are not going out",
        "SendGrid",
        "Settings → Messaging",
        "message",
        "messages",
        "e-mails",
    ),
    "twilio": _Words(
        "Text and WhatsApp messages are not going out",
        "Twilio",
        "Settings → Messaging",
        "message",
        "messages",
        "text messages",
    ),
    "google_calendar": _Words(
        "Google Calendars are not being updated",
        "Google",
        "Settings → Google",
        "calendar change",
        "calendar changes",
        "calendar updates",
    ),
    "vercel_blob": _Words(
        "Contact cards cannot be attached to WhatsApp messages",
        "Vercel Blob",
        "Settings → Messaging",
        "card",
        "cards",
        "contact card uploads",
    ),
    "google_places": _Words(
        "Addresses cannot be looked up",
        "Google Places",
        "Settings → Google",
        "lookup",
        "lookups",
        "address lookups",
    ),
}


class Call(Protocol):
    """One integration-log row, as the rules need it."""

    @property
    def service(self) -> str: ...
    @property
    def started_at(self) -> datetime: ...
    @property
    def outcome(self) -> str: ...


def evaluate(
    snapshot: Sequence[health.ServiceHealth],
    calls: Iterable[Call],
    now: datetime,
    *,
    paused_calendars: Mapping[str, str] | None = None,
) -> list[Alert]:
    """The alerts now, most serious first. `calls` are recent integration-log rows in any
    order (newest first breaks ties); `paused_calendars` maps each provider's Google link
    whose sign-in was rejected (`google:<id>`) to the provider's name."""
    by_service: dict[str, list[Call]] = {}
    for call in sorted(calls, key=lambda c: c.started_at, reverse=True):
        by_service.setdefault(call.service, []).append(call)
    found: list[Alert] = []
    for h in snapshot:
        alert = _service_alert(h, by_service.get(h.service, []), now)
        if alert is not None:
            found.append(alert)
    for service, provider in sorted((paused_calendars or {}).items()):
        found.append(
            Alert(
                service,
                AlertKind.CREDENTIALS_REJECTED,
                f"{provider}'s Google Calendar is not being updated: Google no longer accepts "
                "the sign-in. Reconnect it in Providers → Google Calendar.",
            )
        )
    # stable: services keep the health panel's order within one kind
    return sorted(found, key=lambda a: SEVERITY.index(a.kind))


def _service_alert(h: health.ServiceHealth, calls: list[Call], now: datetime) -> Alert | None:
    words = WORDS.get(h.service) or _Words(
        f"{h.name} is not working", h.name, "Settings", "item", "items", "calls"
    )
    if h.paused:
        return Alert(
            h.service,
            AlertKind.CREDENTIALS_REJECTED,
            f"{words.stopped}: {words.vendor} rejected the clinic's credentials. Check them in "
            f"{words.settings}, then mark the item in Needs attention resolved.",
        )
    latest = [c for c in calls if c.started_at >= now - DOWN_LOOKBACK][:DOWN_FAILED_CALLS]
    quiet = h.last_success is None or h.last_success <= now - DOWN_NO_SUCCESS
    if (
        len(latest) == DOWN_FAILED_CALLS
        and all(c.outcome == TRANSIENT for c in latest)
        and quiet
        and h.queue_depth > 0
    ):
        waiting = (
            f"1 {words.item} is waiting"
            if h.queue_depth == 1
            else f"{h.queue_depth} {words.items} are waiting"
        )
        return Alert(
            h.service,
            AlertKind.DOWN,
            f"{words.stopped}: {words.vendor} is not responding (the last {DOWN_FAILED_CALLS} "
            f"tries failed) and {waiting}. They go out by themselves once it is back; if this "
            "lasts, check the internet connection.",
        )
    window = [c for c in calls if c.started_at >= now - SPIKE_WINDOW]
    errors = sum(1 for c in window if c.outcome not in (OK, REJECTED))
    if len(window) >= SPIKE_MIN_CALLS and errors >= SPIKE_RATE * len(window):
        minutes = int(SPIKE_WINDOW.total_seconds() // 60)
        return Alert(
            h.service,
            AlertKind.ERROR_SPIKE,
            f"Many {words.failing} are failing: {errors} of the last {len(window)} tries with "
            f"{words.vendor} went wrong in {minutes} minutes. Needs attention lists those that "
            "could not go; Details shows the last error.",
        )
    return None


class _LogRepo(Protocol):
    def recent(self, limit: int = 200, service: str | None = None) -> Sequence[Call]: ...


class _PausedRepo(Protocol):
    def paused_services(self) -> builtins.set[str]: ...


class _ProviderRepo(Protocol):
    def get(self, provider_id: int) -> Provider: ...


class _AlertsUow(Protocol):
    integration_log: _LogRepo
    attention: _PausedRepo
    providers: _ProviderRepo


def current(ctx: Context, snapshot: Sequence[health.ServiceHealth] | None = None) -> list[Alert]:
    """The alerts now, from the database; `snapshot` saves reading the health figures again
    when the caller has just read them."""
    rows = list(snapshot) if snapshot is not None else health.services(ctx)
    now = ctx.now()
    calls: list[Call] = []
    calendars: dict[str, str] = {}
    with ctx.read() as uow:
        repo = cast(_AlertsUow, uow)
        for h in rows:
            calls += repo.integration_log.recent(RECENT_CALLS_READ, service=h.service)
        for service in repo.attention.paused_services():
            if service.startswith(GOOGLE_LINK_PREFIX):
                calendars[service] = _provider_name(repo, service)
    return evaluate(rows, calls, now, paused_calendars=calendars)


def _provider_name(repo: _AlertsUow, service: str) -> str:
    try:
        provider = repo.providers.get(int(service.removeprefix(GOOGLE_LINK_PREFIX)))
    except (ValueError, NotFound):
        return "A provider"
    return f"{provider.title} {provider.name}".strip()
