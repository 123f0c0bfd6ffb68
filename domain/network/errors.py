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
