"""Access tokens (JWT, HS256, short-lived), refresh-token material, and external IdP tokens.

The algorithm is fixed: our tokens are decoded with ``algorithms=["HS256"]`` only, and an external
identity provider's with ``["RS256", "ES256"]`` and a key from its JWKS, so a token can never choose
how it is checked. ``exp``, ``iss`` and ``aud`` are required and verified.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import jwt

from domain.common.clock import utcnow
from domain.identity.errors import InvalidToken
from domain.identity.models import OperatorRole
from domain.identity.principal import Principal, PrincipalKind

ALGORITHM = "HS256"
EXTERNAL_ALGORITHMS = ["RS256", "ES256"]
_REQUIRED = ["exp", "iat", "iss", "aud", "sub"]


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime  # of the access token
    refresh_expires_at: datetime


@dataclass(frozen=True)
class ExternalIdentity:
    """A token from the external identity provider, verified; who it is still has to be looked up."""

    email: str
    subject: str


class TokenService:
    def __init__(
        self,
        secret: str,
        issuer: str,
        audience: str,
        access_ttl: int,
        refresh_ttl: int,
        jwks_url: str | None = None,
        jwks_issuer: str | None = None,
        jwks_audience: str | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if len(secret.encode()) < 32:
            raise ValueError("the HS256 secret must be at least 32 bytes")
        if access_ttl <= 0 or refresh_ttl <= 0:
            raise ValueError("token lifetimes must be positive")
        if jwks_url and not (jwks_issuer and jwks_audience):
            raise ValueError("an external identity provider needs its issuer and audience")
        self._secret = secret
        self.issuer = issuer
        self.audience = audience
        self.access_ttl = access_ttl
        self.refresh_ttl = refresh_ttl
        self._clock = clock
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True) if jwks_url else None
        self._jwks_issuer = jwks_issuer
        self._jwks_audience = jwks_audience

    # -- issuing ------------------------------------------------------------------------------

    def issue_access(self, principal: Principal) -> tuple[str, datetime]:
        now = self._clock()
        expires = now + timedelta(seconds=self.access_ttl)
        claims: dict[str, Any] = {
            "sub": principal.id,
            "kind": principal.kind.value,
            "iss": self.issuer,
            "aud": self.audience,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
            "jti": uuid.uuid4().hex,
        }
        if principal.org_id is not None:
            claims["org"] = principal.org_id
        if principal.role is not None:
            claims["role"] = principal.role.value
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM), expires.replace(microsecond=0)

    @staticmethod
    def new_refresh_token() -> str:
        return secrets.token_urlsafe(32)

    @staticmethod
    def hash_refresh_token(token: str) -> str:
        """Refresh tokens are 256 random bits: a plain SHA-256 is the right way to store them."""
        return hashlib.sha256(token.encode()).hexdigest()

    def refresh_expiry(self) -> datetime:
        return self._clock() + timedelta(seconds=self.refresh_ttl)

    # -- verifying -------------------------------------------------------------------------------

    def verify_access(self, token: str) -> Principal:
        """One of our own access tokens, or ``InvalidToken``."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.audience,
                options={"require": _REQUIRED},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the access token has expired") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("the access token is not valid") from None
        try:
            kind = PrincipalKind(str(claims.get("kind")))
            role = OperatorRole(claims["role"]) if "role" in claims else None
        except ValueError:
            raise InvalidToken("the access token is not valid") from None
        org = claims.get("org")
        if kind is PrincipalKind.OPERATOR and (not isinstance(org, str) or role is None):
            raise InvalidToken("the access token is not valid")
        return Principal(kind=kind, id=str(claims["sub"]), org_id=org, role=role)

    async def verify(self, token: str) -> Principal | ExternalIdentity:
        """Our token, or (when configured) the external identity provider's."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken("the access token is not valid") from None
        if self._jwks is None or header.get("alg") not in EXTERNAL_ALGORITHMS:
            return self.verify_access(token)
        return await self._verify_external(token)

    async def _verify_external(self, token: str) -> ExternalIdentity:
        assert self._jwks is not None
        try:
            # PyJWKClient fetches over blocking urllib (and caches): keep it off the event loop.
            key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
            claims = jwt.decode(
                token,
                key.key,
                algorithms=EXTERNAL_ALGORITHMS,
                issuer=self._jwks_issuer,
                audience=self._jwks_audience,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the identity provider's token has expired") from None
        except (jwt.InvalidTokenError, jwt.PyJWKClientError):
            raise InvalidToken("the identity provider's token is not valid") from None
        email = claims.get("email")
        if not isinstance(email, str) or claims.get("email_verified") is False:
            raise InvalidToken("the identity provider's token carries no verified email")
        return ExternalIdentity(email=email.strip().lower(), subject=str(claims["sub"]))
