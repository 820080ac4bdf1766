"""The one error a channel raises: why a message did not go, and whether trying again helps."""

from __future__ import annotations


class DeliveryError(Exception):
    """A vendor did not take a message.

    `reason` is readable and carries no patient data. `retryable` is True for what may pass
    later (429, 5xx, timeouts, a refused connection); `retry_after` is the vendor's
    Retry-After in seconds when it sent one. `credentials_rejected` is True for 401/403 on
    authentication: nothing will go until someone enters a working key.
    """

    def __init__(
        self,
        reason: str,
        *,
        retryable: bool,
        retry_after: float | None = None,
        credentials_rejected: bool = False,
        status: int | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.retry_after = retry_after
        self.credentials_rejected = credentials_rejected
        self.status = status


def retry_after_seconds(value: object) -> float | None:
    """Retry-After as seconds: a number of seconds or an HTTP date; None when absent or odd."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        from datetime import UTC, datetime
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds)


def from_status(
    service: str,
    status: int,
    detail: str = "",
    retry_after: object = None,
) -> DeliveryError:
    """Map an HTTP status to a DeliveryError: 429/5xx retry, 401/403 credentials, rest permanent."""
    suffix = f": {detail}" if detail else ""
    if status == 429:
        return DeliveryError(
            f"{service} is rate limiting (HTTP 429){suffix}",
            retryable=True,
            retry_after=retry_after_seconds(retry_after),
            status=status,
        )
    if status >= 500:
        return DeliveryError(
            f"{service} had a server error (HTTP {status}){suffix}",
            retryable=True,
            retry_after=retry_after_seconds(retry_after),
            status=status,
        )
    if status in (401, 403):
        return DeliveryError(
            f"{service} rejected the credentials (HTTP {status}){suffix}",
            retryable=False,
            credentials_rejected=True,
            status=status,
        )
    return DeliveryError(
        f"{service} refused the message (HTTP {status}){suffix}",
        retryable=False,
        status=status,
    )


def network(service: str, exc: BaseException) -> DeliveryError:
    """A timeout or a connection that could not be made: worth trying again."""
    if isinstance(exc, TimeoutError) or "timed out" in str(exc).lower():
        return DeliveryError(f"{service} did not answer in time", retryable=True)
    return DeliveryError(
        f"could not reach {service} ({type(exc).__name__})",
        retryable=True,
    )
