from __future__ import annotations

from domain.common.errors import AlreadyExists, InvalidInput, NotFound, Unauthenticated


class SiteNotFound(NotFound):
    pass


class StationNotFound(NotFound):
    pass


class StationAlreadyRegistered(AlreadyExists):
    pass


class BadStationCredentials(Unauthenticated):
    pass


class InvalidStationInput(InvalidInput):
    pass


class WriteBatchFailed(RuntimeError):
    """A group commit (domain/network/batcher.py) could not store the flush holding this write:
    the write is not stored and not acknowledged. Not a DomainError: the store failed, not the
    request, so the edges treat it as an unexpected failure (an OCPP CALLERROR)."""
