"""Typed domain errors with a stable ``code``. No HTTP, GraphQL or OCPP in here: each edge maps them.

- ``api/errors.py`` turns them into the payload's ``errors`` list.
- The OCPP adapter turns them into a ``Rejected``/``Invalid`` status or a CALLERROR.
- The webhook endpoint turns them into an HTTP status.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base of every expected failure. ``code`` is a stable UPPER_SNAKE word clients rely on."""

    code: str = "DOMAIN_ERROR"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    code = "NOT_FOUND"


class Forbidden(DomainError):
    code = "FORBIDDEN"


class Unauthenticated(DomainError):
    code = "UNAUTHENTICATED"


class Conflict(DomainError):
    code = "CONFLICT"


class AlreadyExists(Conflict):
    code = "ALREADY_EXISTS"


class InvalidInput(DomainError):
    code = "INVALID_INPUT"


class RateLimited(DomainError):
    code = "RATE_LIMITED"


class StationOffline(DomainError):
    code = "STATION_OFFLINE"


class ConnectorBusy(Conflict):
    code = "CONNECTOR_BUSY"


class CommandRejected(DomainError):
    code = "COMMAND_REJECTED"


class CommandTimedOut(DomainError):
    code = "COMMAND_TIMED_OUT"


class NotSupported(DomainError):
    """The station, or its OCPP version, has no such message or feature."""

    code = "NOT_SUPPORTED"


class PaymentDeclined(DomainError):
    code = "PAYMENT_DECLINED"
