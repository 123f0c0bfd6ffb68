"""Identity documents: organisations, driver and operator accounts, refresh tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, IndexModel

from domain.common.clock import utcnow


class Organisation(Document):
    """A charge-point operator: owns sites, stations, tariffs and operator accounts."""

    name: str
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "organisations"
        indexes = [IndexModel("name", unique=True)]


class OperatorRole(StrEnum):
    ADMIN = "admin"  # manages the organisation's accounts, and acts
    OPERATOR = "operator"  # acts on the network
    VIEWER = "viewer"  # reads only


class Driver(Document):
    """A person who charges. ``email`` is stored normalised (lower-case), hence unique ignoring case."""

    email: str
    name: str
    password_hash: str
    stripe_customer_id: str | None = None  # set by billing
    default_payment_method: str | None = None  # a Stripe PaymentMethod id, set by billing
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "drivers"
        indexes = [IndexModel("email", unique=True)]


class Operator(Document):
    """A person who runs an organisation's network from the console."""

    org_id: PydanticObjectId
    email: str
    name: str = ""
    password_hash: str | None = None  # None: signs in only through the external identity provider
    role: OperatorRole = OperatorRole.OPERATOR
    created_at: datetime = Field(default_factory=utcnow)
    invited_by: PydanticObjectId | None = None
    invitation_hash: str | None = None  # SHA-256 of the invitation token, until accepted
    invitation_expires_at: datetime | None = None

    class Settings:
        name = "operators"
        indexes = [
            IndexModel("email", unique=True),
            IndexModel("org_id"),
            IndexModel(
                "invitation_hash",
                unique=True,
                partialFilterExpression={"invitation_hash": {"$type": "string"}},
            ),
        ]


class RefreshToken(Document):
    """One refresh token, stored only as a SHA-256 hash.

    Tokens issued from one sign-in form a ``family``. Using a token rotates it (it is spent and a
    new one joins the family); presenting a spent token again means it leaked, so the family dies.
    """

    token_hash: str
    family: str
    subject_kind: str  # PrincipalKind value
    subject_id: PydanticObjectId
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    rotated_at: datetime | None = None
    revoked_at: datetime | None = None

    class Settings:
        name = "refresh_tokens"
        indexes = [
            IndexModel("token_hash", unique=True),
            IndexModel([("family", ASCENDING)]),
            IndexModel("expires_at", expireAfterSeconds=0),  # MongoDB drops expired tokens
        ]
