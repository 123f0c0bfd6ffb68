"""Accounts and tokens at the edge."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry
from beanie import PydanticObjectId

from api.context import Info
from api.errors import UserError
from api.types.charging import ChargingSession, IdToken
from domain.identity.models import Driver as DomainDriver
from domain.identity.tokens import TokenPair

if TYPE_CHECKING:
    from api.types.billing import Membership, PaymentMethod


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

    @strawberry.field
    async def default_payment_method(
        self, info: Info
    ) -> Annotated[PaymentMethod, strawberry.lazy("api.types.billing")] | None:
        from api.types.billing import PaymentMethod

        card = await info.context.deps.require_billing().default_payment_method(
            PydanticObjectId(self.id)
        )
        return PaymentMethod.from_domain(card) if card else None

    @strawberry.field
    async def membership(
        self, info: Info
    ) -> Annotated[Membership, strawberry.lazy("api.types.billing")] | None:
        from api.types.billing import Membership

        m = await info.context.deps.require_billing().membership(PydanticObjectId(self.id))
        if m is None:
            return None
        plans = await info.context.deps.require_billing().plans_by_id([m.plan_id])
        return Membership.from_domain(m, plans.get(m.plan_id))

    @strawberry.field
    async def id_tokens(self, info: Info) -> list[IdToken]:
        """The RFID cards linked to this driver."""
        tokens = await info.context.deps.charging.linked_id_tokens(PydanticObjectId(self.id))
        return [IdToken.from_domain(t) for t in tokens]

    @strawberry.field
    async def active_session(self, info: Info) -> ChargingSession | None:
        """The session not ended yet, if any (the latest one)."""
        service = info.context.deps.charging
        found = await service.active_session_for_driver(PydanticObjectId(self.id))
        return ChargingSession.from_domain(found) if found else None


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
