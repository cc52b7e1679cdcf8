"""One error hierarchy for the domain: a Russian message for people, structured fields for code."""

from __future__ import annotations

from dataclasses import dataclass


class DomainError(Exception):
    """Base of every error the domain raises; `message` is shown to people as is."""

    code = "domain_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class FieldError:
    """One bad input field with a Russian explanation."""

    field: str
    message: str
    code: str = "invalid"


class InvalidValue(DomainError, ValueError):
    """One value that cannot be read (a phone, a policy, a schedule text); also a ValueError, so
    a pydantic validator that meets it reports the field with this Russian message."""

    code = "invalid_value"


class ValidationFailed(DomainError):
    """Input that cannot be accepted; carries one message per bad field."""

    code = "validation_failed"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = errors


class IllegalTransition(DomainError):
    """A status change the call's lifecycle does not allow."""

    code = "illegal_transition"


class NotFound(DomainError):
    """The object does not exist or is not visible to the requester."""

    code = "not_found"


class Conflict(DomainError):
    """The request contradicts what is already stored (e.g. a reused idempotency key)."""

    code = "conflict"
