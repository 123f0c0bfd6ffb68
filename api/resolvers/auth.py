"""signUp, signIn, refreshTokens, signOut, me."""

from __future__ import annotations

from api.context import Info
from api.errors import coded_errors, user_errors
from api.types.auth import (
    AuthTokens,
    Driver,
    SignInInput,
    SignOutPayload,
    SignUpInput,
    SignUpPayload,
    TokensPayload,
)
from domain.common.errors import DomainError


async def sign_up(info: Info, input: SignUpInput) -> SignUpPayload:
    ctx = info.context
    try:
        driver, pair = await ctx.deps.identity.sign_up_driver(
            input.email, input.password, input.name, client_key=ctx.client_key
        )
    except DomainError as error:
        return SignUpPayload(errors=user_errors(error))
    return SignUpPayload(tokens=AuthTokens.from_domain(pair), driver=Driver.from_domain(driver))


async def sign_in(info: Info, input: SignInInput) -> TokensPayload:
    ctx = info.context
    try:
        pair = await ctx.deps.identity.sign_in(
            input.email, input.password, client_key=ctx.client_key
        )
    except DomainError as error:
        return TokensPayload(errors=user_errors(error))
    return TokensPayload(tokens=AuthTokens.from_domain(pair))


async def refresh_tokens(info: Info, refresh_token: str) -> TokensPayload:
    try:
        pair = await info.context.deps.identity.refresh(refresh_token)
    except DomainError as error:
        return TokensPayload(errors=user_errors(error))
    return TokensPayload(tokens=AuthTokens.from_domain(pair))


async def sign_out(info: Info, refresh_token: str) -> SignOutPayload:
    """Revoke the sign-in this refresh token belongs to (every token rotated from it)."""
    try:
        await info.context.deps.identity.revoke(refresh_token)
    except DomainError as error:
        return SignOutPayload(errors=user_errors(error))
    return SignOutPayload(ok=True)


async def me(info: Info) -> Driver:
    ctx = info.context
    with coded_errors():
        driver = await ctx.deps.identity.driver(ctx.driver_id())
    return Driver.from_domain(driver)
