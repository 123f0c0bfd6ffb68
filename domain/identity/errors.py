from __future__ import annotations

from domain.common.errors import AlreadyExists, InvalidInput, NotFound, Unauthenticated


class BadCredentials(Unauthenticated):
    pass


class InvalidToken(Unauthenticated):
    pass


class RefreshTokenReused(Unauthenticated):
    pass


class AccountExists(AlreadyExists):
    pass


class OrganisationNotFound(NotFound):
    pass


class InvalidAccountInput(InvalidInput):
    pass
