"""Accounts and tokens at the edge."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.errors import UserError
from domain.identity.models import Driver as DomainDriver
from domain.identity.tokens import TokenPair


@strawberry.type
class AuthTokens:
    access_token: str
    refresh_token: str
    expires_at: datetime  # of the access token; refresh before then

    @classmethod
    def from_domain(cls, pair: TokenPair) -> AuthTokens:
        return cls(
            access_token=pair.access_token,
            refresh_token=pair.refresh_token,
            expires_at=pair.expires_at,
        )


@strawberry.type
class Driver:
    id: strawberry.ID
    email: str
    name: str

    @classmethod
    def from_domain(cls, driver: DomainDriver) -> Driver:
        return cls(id=strawberry.ID(str(driver.id)), email=driver.email, name=driver.name)


@strawberry.input
class SignUpInput:
    email: str
    password: str
    name: str


@strawberry.input
class SignInInput:
    email: str
    password: str


@strawberry.type
class SignUpPayload:
    tokens: AuthTokens | None = None
    driver: Driver | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TokensPayload:
    tokens: AuthTokens | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SignOutPayload:
    ok: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)
