"""Operator accounts of an organisation at the edge."""

from __future__ import annotations

import strawberry

from api.errors import UserError
from domain.identity.models import Operator as DomainOperator
from domain.identity.models import OperatorRole

strawberry.enum(
    OperatorRole,
    name="OperatorRole",
    description="ADMIN manages accounts and acts; OPERATOR acts; VIEWER reads only",
)


@strawberry.type(description="A person who runs the organisation's network from the console.")
class Operator:
    id: strawberry.ID
    email: str
    name: str
    role: OperatorRole
    invitation_pending: bool

    @classmethod
    def from_domain(cls, o: DomainOperator) -> Operator:
        return cls(
            id=strawberry.ID(str(o.id)),
            email=o.email,
            name=o.name,
            role=o.role,
            invitation_pending=o.invitation_hash is not None,
        )


@strawberry.input
class InviteOperatorInput:
    email: str
    role: OperatorRole
    name: str = ""
    password: str | None = strawberry.field(
        default=None,
        description="Set it now; without one an invitation token is returned for the invitee",
    )


@strawberry.type
class InviteOperatorPayload:
    operator: Operator | None = None
    invitation_token: str | None = strawberry.field(
        default=None,
        description="Only when no password was given: pass it on to the invitee, who chooses a "
        "password with acceptInvitation (valid 7 days; shown only here)",
    )
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AcceptInvitationInput:
    token: str
    password: str
    name: str | None = None
