"""signUp, signIn, refreshTokens, signOut, me."""

from __future__ import annotations

from api.context import Info
from api.errors import coded_errors, domain_errors_as
from api.types.auth import (
    AuthTokens,
    Driver,
    SignInInput,
    SignOutPayload,
    SignUpInput,
    SignUpPayload,
    TokensPayload,
)


@domain_errors_as(SignUpPayload)
async def sign_up(info: Info, input: SignUpInput) -> SignUpPayload:
    ctx = info.context
    driver, pair = await ctx.deps.identity.sign_up_driver(
        input.email, input.password, input.name, client_key=ctx.client_key
    )
    return SignUpPayload(tokens=AuthTokens.from_domain(pair), driver=Driver.from_domain(driver))


@domain_errors_as(TokensPayload)
async def sign_in(info: Info, input: SignInInput) -> TokensPayload:
    ctx = info.context
    pair = await ctx.deps.identity.sign_in(input.email, input.password, client_key=ctx.client_key)
    return TokensPayload(tokens=AuthTokens.from_domain(pair))


@domain_errors_as(TokensPayload)
async def refresh_tokens(info: Info, refresh_token: str) -> TokensPayload:
    pair = await info.context.deps.identity.refresh(refresh_token)
    return TokensPayload(tokens=AuthTokens.from_domain(pair))


@domain_errors_as(SignOutPayload)
async def sign_out(info: Info, refresh_token: str) -> SignOutPayload:
    """Revoke the sign-in this refresh token belongs to (every token rotated from it)."""
    await info.context.deps.identity.revoke(refresh_token)
    return SignOutPayload(ok=True)


async def me(info: Info) -> Driver:
    ctx = info.context
    with coded_errors():
        driver = await ctx.deps.identity.driver(ctx.driver_id())
    return Driver.from_domain(driver)
