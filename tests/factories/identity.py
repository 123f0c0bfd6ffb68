"""create_<thing>(**overrides) factories for the identity context."""

from __future__ import annotations

import itertools
from typing import Any

from beanie import PydanticObjectId

from domain.identity.models import Driver, Operator, OperatorRole, Organisation
from domain.identity.service import IdentityService
from domain.identity.tokens import TokenPair, TokenService

_seq = itertools.count(1)

PASSWORD = "correct horse battery staple"
SECRET = "test-secret-that-is-long-enough-for-hs256!"


def make_tokens(**overrides: Any) -> TokenService:
    args: dict[str, Any] = {
        "secret": SECRET,
        "issuer": "laddnet-test",
        "audience": "laddnet-test-api",
        "access_ttl": 900,
        "refresh_ttl": 3600,
    }
    args.update(overrides)
    return TokenService(**args)


def make_identity(tokens: TokenService | None = None, **overrides: Any) -> IdentityService:
    return IdentityService(tokens or make_tokens(), **overrides)


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}{next(_seq)}@example.com"


async def create_driver(identity: IdentityService, **overrides: Any) -> tuple[Driver, TokenPair]:
    args: dict[str, Any] = {
        "email": unique_email("driver"),
        "password": PASSWORD,
        "name": "Dana Driver",
        "client_key": f"factory-{next(_seq)}",
    }
    args.update(overrides)
    return await identity.sign_up_driver(**args)


async def create_org_with_admin(
    identity: IdentityService, **overrides: Any
) -> tuple[Organisation, Operator]:
    args: dict[str, Any] = {
        "org_name": f"Operator Org {next(_seq)}",
        "email": unique_email("admin"),
        "password": PASSWORD,
    }
    args.update(overrides)
    return await identity.create_organisation_with_admin(**args)


async def create_operator(
    identity: IdentityService, org_id: PydanticObjectId, **overrides: Any
) -> Operator:
    args: dict[str, Any] = {
        "email": unique_email("operator"),
        "password": PASSWORD,
        "role": OperatorRole.OPERATOR,
    }
    args.update(overrides)
    return await identity.create_operator(org_id, **args)
