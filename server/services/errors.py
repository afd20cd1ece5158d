"""Errors a service raises; the API turns them into one JSON shape."""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """A refused operation; ``status`` is its HTTP status, nothing was stored."""

    status = 400

    def __init__(self, message: str, code: str | None = None,
                 errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code or type(self).__name__
        self.errors = errors

    def headers(self) -> dict[str, str]:
        """HTTP headers the refusal carries (none unless a subclass says so)."""
        return {}


class NotFound(ServiceError):
    """The object does not exist, or the caller may not know that it does."""

    status = 404


class Forbidden(ServiceError):
    """The caller is known but may not do this."""

    status = 403


class Conflict(ServiceError):
    """The request contradicts the current state (impossible transition, reused id)."""

    status = 409


class Invalid(ServiceError):
    """Input that passed the schema but breaks a domain rule; ``errors`` names the fields."""

    status = 422


class Unauthorized(ServiceError):
    """Missing, wrong, expired or revoked credentials."""

    status = 401


class TooManyAttempts(ServiceError):
    """Too many failed attempts from one client address; ``retry_after`` in seconds."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message, "too_many_attempts")
        self.retry_after = retry_after

    def headers(self) -> dict[str, str]:
        """When to try again."""
        return {"Retry-After": str(self.retry_after)}
