"""Use cases of identity: accounts, sign-in, token rotation, and who a bearer token belongs to."""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from beanie import PydanticObjectId

from domain.common.clock import as_utc, utcnow
from domain.common.errors import InvalidInput, RateLimited
from domain.common.passwords import hash_password, verify_password
from domain.common.throttle import FailureThrottle
from domain.identity import repository as repo
from domain.identity.errors import (
    AccountExists,
    BadCredentials,
    InvalidAccountInput,
    InvalidToken,
    OrganisationNotFound,
    RefreshTokenReused,
)
from domain.identity.models import Driver, Operator, OperatorRole, Organisation, RefreshToken
from domain.identity.principal import Principal, PrincipalKind
from domain.identity.ratelimit import SlidingWindowLimit
from domain.identity.tokens import TokenPair, TokenService
from domain.identity.validation import check_name, check_password, normalise_email

log = logging.getLogger(__name__)


@functools.cache
def _dummy_hash() -> str:
    return hash_password("no account has this password")


async def _hash(password: str) -> str:
    # argon2 costs tens of milliseconds of CPU: keep it off the event loop.
    return await asyncio.to_thread(hash_password, password)


async def _verify(password_hash: str, password: str) -> bool:
    return await asyncio.to_thread(verify_password, password_hash, password)


INVITATION_TTL = timedelta(days=7)


def _role(role: OperatorRole | str) -> OperatorRole:
    try:
        return OperatorRole(role)
    except ValueError:
        raise InvalidAccountInput(
            f"role must be one of {', '.join(r.value for r in OperatorRole)}", field="role"
        ) from None


def operator_principal(operator: Operator) -> Principal:
    return Principal(
        kind=PrincipalKind.OPERATOR,
        id=str(operator.id),
        org_id=str(operator.org_id),
        role=operator.role,
    )


def driver_principal(driver: Driver) -> Principal:
    return Principal(kind=PrincipalKind.DRIVER, id=str(driver.id))


class IdentityService:
    def __init__(
        self,
        tokens: TokenService,
        *,
        sign_in_failures: FailureThrottle | None = None,
        sign_up_limit: SlidingWindowLimit | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tokens = tokens
        self._sign_in_failures = sign_in_failures or FailureThrottle(limit=5, window=60.0)
        self._sign_up_limit = sign_up_limit or SlidingWindowLimit(limit=10, window=600.0)
        self._monotonic = monotonic

    # -- organisations and operators -------------------------------------------------------------

    async def create_organisation_with_admin(
        self, org_name: str, email: str, password: str, *, name: str = ""
    ) -> tuple[Organisation, Operator]:
        """For ``laddnet operator create``. Running it twice gives ``AlreadyExists``, never a twin."""
        org_name = check_name(org_name, field="orgName")
        address = normalise_email(email)
        check_password(password)
        if await repo.organisation_by_name(org_name) is not None:
            raise AccountExists(
                f"an organisation named {org_name!r} exists already", field="orgName"
            )
        await self._email_free(address)
        org = await repo.insert_organisation(Organisation(name=org_name))
        try:
            operator = await self._insert_operator(
                org.id,  # type: ignore[arg-type]
                address,
                password,
                OperatorRole.ADMIN,
                name,
            )
        except BaseException:
            await repo.delete_organisation(org)  # no organisation without its admin
            raise
        return org, operator

    async def create_operator(
        self,
        org_id: PydanticObjectId,
        email: str,
        password: str,
        role: OperatorRole | str,
        *,
        name: str = "",
    ) -> Operator:
        address = normalise_email(email)
        check_password(password)
        parsed = _role(role)
        if await repo.get_organisation(org_id) is None:
            raise OrganisationNotFound("no such organisation", field="orgId")
        await self._email_free(address)
        return await self._insert_operator(org_id, address, password, parsed, name)

    async def _insert_operator(
        self,
        org_id: PydanticObjectId,
        email: str,
        password: str | None,
        role: OperatorRole,
        name: str,
        **extra: Any,
    ) -> Operator:
        operator = Operator(
            org_id=org_id,
            email=email,
            name=" ".join(name.split()),
            password_hash=await _hash(password) if password is not None else None,
            role=role,
            **extra,
        )
        return await repo.insert_operator(operator)

    async def invite_operator(
        self,
        inviter: Principal,
        email: str,
        role: OperatorRole | str,
        *,
        name: str = "",
        password: str | None = None,
    ) -> tuple[Operator, str | None]:
        """An admin adds an admin, operator or viewer to their organisation. With a password the
        account is ready at once; without one an invitation token is returned (only here: it is
        stored as a hash), valid for ``INVITATION_TTL``, which the invitee spends on
        ``accept_invitation`` to choose a password."""
        org_id = inviter.admin_org()
        address = normalise_email(email)
        parsed = _role(role)
        clean_name = check_name(name) if name.strip() else ""
        if password is not None:
            check_password(password)
        await self._email_free(address)
        if password is not None:
            operator = await self._insert_operator(
                org_id, address, password, parsed, clean_name, invited_by=inviter.id
            )
            return operator, None
        token = secrets.token_urlsafe(32)
        operator = await self._insert_operator(
            org_id,
            address,
            None,
            parsed,
            clean_name,
            invited_by=inviter.id,
            invitation_hash=self.tokens.hash_refresh_token(token),
            invitation_expires_at=utcnow() + INVITATION_TTL,
        )
        return operator, token

    async def accept_invitation(
        self, token: str, password: str, *, name: str | None = None
    ) -> TokenPair:
        """The invitee chooses a password with the token from their invitation and is signed in."""
        check_password(password)
        token_hash = self.tokens.hash_refresh_token(token.strip())
        operator = await repo.operator_by_invitation(token_hash)
        expires = operator.invitation_expires_at if operator is not None else None
        if operator is None or expires is None or as_utc(expires) <= utcnow():
            raise InvalidToken("this invitation is not valid or has expired", field="token")
        accepted = await repo.accept_invitation(
            operator.id,  # type: ignore[arg-type]
            token_hash,
            await _hash(password),
            check_name(name) if name else None,
        )
        if accepted is None:
            raise InvalidToken("this invitation is not valid or has expired", field="token")
        return await self._issue(operator_principal(accepted))

    async def _email_free(self, email: str) -> None:
        """One email, one account: sign-in must never have to guess which one is meant."""
        if await repo.driver_by_email(email) or await repo.operator_by_email(email):
            raise AccountExists("an account with this email exists already", field="email")

    # -- drivers --------------------------------------------------------------------------------

    async def sign_up_driver(
        self, email: str, password: str, name: str, *, client_key: str
    ) -> tuple[Driver, TokenPair]:
        wait = self._sign_up_limit.hit(client_key, self._monotonic())
        if wait:
            raise RateLimited(
                f"too many sign-ups from this client; try again in {math.ceil(wait)} s"
            )
        address = normalise_email(email)
        check_password(password)
        clean_name = check_name(name)
        await self._email_free(address)
        driver = await repo.insert_driver(
            Driver(email=address, name=clean_name, password_hash=await _hash(password))
        )
        return driver, await self._issue(driver_principal(driver))

    async def driver(self, driver_id: PydanticObjectId) -> Driver:
        driver = await repo.get_driver(driver_id)
        if driver is None:
            raise InvalidToken("this account no longer exists")
        return driver

    # -- signing in and tokens ---------------------------------------------------------------------

    async def sign_in(self, email: str, password: str, *, client_key: str) -> TokenPair:
        """Drivers and operators alike. Failures are counted per client; too many are refused."""
        now = self._monotonic()
        if self._sign_in_failures.blocked(client_key, now):
            wait = self._sign_in_failures.retry_after(client_key, now)
            raise RateLimited(
                f"too many failed sign-ins from this client; try again in {math.ceil(wait)} s"
            )
        try:
            address = normalise_email(email)
        except InvalidInput:
            self._sign_in_failures.fail(client_key, now)
            raise
        principal: Principal | None = None
        operator = await repo.operator_by_email(address)
        if operator is not None and operator.password_hash is not None:
            if await _verify(operator.password_hash, password):
                principal = operator_principal(operator)
        elif operator is None:
            driver = await repo.driver_by_email(address)
            if driver is not None:
                if await _verify(driver.password_hash, password):
                    principal = driver_principal(driver)
            else:
                await _verify(_dummy_hash(), password)  # as slow as a real miss: no account oracle
        if principal is None:
            self._sign_in_failures.fail(client_key, now)
            raise BadCredentials("wrong email or password")
        return await self._issue(principal)

    async def refresh(self, refresh_token: str) -> TokenPair:
        """Rotate: the presented token is spent and a new pair issued in the same family."""
        token_hash = self.tokens.hash_refresh_token(refresh_token)
        now = utcnow()
        spent = await repo.spend_refresh_token(token_hash, now)
        if spent is None:
            known = await repo.refresh_token_by_hash(token_hash)
            if known is not None and known.rotated_at is not None and known.revoked_at is None:
                revoked = await repo.revoke_family(known.family, now)
                log.warning(
                    "refresh token reused: revoked family %s (%d tokens) of %s %s",
                    known.family,
                    revoked,
                    known.subject_kind,
                    known.subject_id,
                )
                raise RefreshTokenReused(
                    "this refresh token was already used; the sign-in it came from is revoked"
                )
            raise InvalidToken("the refresh token is not valid, has expired or was revoked")
        principal = await self._current_principal(spent)
        return await self._issue(principal, family=spent.family)

    async def revoke(self, refresh_token: str) -> None:
        """Sign out: the token's whole family stops working. Unknown tokens are ignored."""
        known = await repo.refresh_token_by_hash(self.tokens.hash_refresh_token(refresh_token))
        if known is not None:
            await repo.revoke_family(known.family, utcnow())

    async def authenticate(self, access_token: str) -> Principal:
        """Who an access token speaks for: ours, or the external identity provider's operator."""
        verified = await self.tokens.verify(access_token)
        if isinstance(verified, Principal):
            return verified
        operator = await repo.operator_by_email(verified.email)
        if operator is None:
            raise InvalidToken("no operator account matches this identity")
        return operator_principal(operator)

    async def _current_principal(self, token: RefreshToken) -> Principal:
        """Re-read the account, so a changed role or a deleted account takes effect on refresh."""
        if token.subject_kind == PrincipalKind.OPERATOR.value:
            operator = await repo.get_operator(token.subject_id)
            if operator is not None:
                return operator_principal(operator)
        else:
            driver = await repo.get_driver(token.subject_id)
            if driver is not None:
                return driver_principal(driver)
        await repo.revoke_family(token.family, utcnow())
        raise InvalidToken("this account no longer exists")

    async def _issue(self, principal: Principal, *, family: str | None = None) -> TokenPair:
        access, expires_at = self.tokens.issue_access(principal)
        refresh = self.tokens.new_refresh_token()
        refresh_expires_at = self.tokens.refresh_expiry()
        await repo.insert_refresh_token(
            RefreshToken(
                token_hash=self.tokens.hash_refresh_token(refresh),
                family=family or uuid.uuid4().hex,
                subject_kind=principal.kind.value,
                subject_id=PydanticObjectId(principal.id),
                expires_at=refresh_expires_at,
            )
        )
        return TokenPair(
            access_token=access,
            refresh_token=refresh,
            expires_at=expires_at,
            refresh_expires_at=refresh_expires_at,
        )
