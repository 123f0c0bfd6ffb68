"""inviteOperator (admins only) and acceptInvitation (the invitee, signed in by it)."""

from __future__ import annotations

from api.context import Info
from api.errors import user_errors
from api.types.auth import AuthTokens, TokensPayload
from api.types.operators import (
    AcceptInvitationInput,
    InviteOperatorInput,
    InviteOperatorPayload,
    Operator,
)
from domain.common.errors import DomainError


async def invite_operator(info: Info, input: InviteOperatorInput) -> InviteOperatorPayload:
    """An admin adds an admin, operator or viewer to their own organisation."""
    ctx = info.context
    try:
        operator, token = await ctx.deps.identity.invite_operator(
            ctx.require_principal(),
            input.email,
            input.role,
            name=input.name,
            password=input.password,
        )
    except DomainError as error:
        return InviteOperatorPayload(errors=user_errors(error))
    return InviteOperatorPayload(operator=Operator.from_domain(operator), invitation_token=token)


async def accept_invitation(info: Info, input: AcceptInvitationInput) -> TokensPayload:
    try:
        pair = await info.context.deps.identity.accept_invitation(
            input.token, input.password, name=input.name
        )
    except DomainError as error:
        return TokensPayload(errors=user_errors(error))
    return TokensPayload(tokens=AuthTokens.from_domain(pair))
