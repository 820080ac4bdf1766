"""Errors the domain raises; each carries a message fit to show a receptionist."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a rule or a validation raises."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """Input that can never be accepted as typed (a malformed phone, an unknown zone)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(DomainError):
    """A referenced record does not exist."""


class Refused(DomainError):
    """Well-formed input that a booking rule refuses (slot taken, outside hours)."""


class SlotTaken(Refused):
    """The requested time clashes with another active appointment."""

    def __init__(self, message: str, clash_id: int | None = None) -> None:
        super().__init__(message)
        self.clash_id = clash_id


class InvalidTransition(Refused):
    """A status change the appointment state machine does not allow."""


class StaleRecord(Refused):
    """Someone else changed the record since it was read."""
