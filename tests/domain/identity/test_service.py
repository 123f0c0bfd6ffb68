"""Accounts, sign-in, refresh rotation and reuse detection, against the real store."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.common.clock import utcnow
from domain.common.errors import AlreadyExists, InvalidInput, NotFound, RateLimited
from domain.common.throttle import FailureThrottle
from domain.identity.errors import BadCredentials, InvalidToken, RefreshTokenReused
from domain.identity.models import Driver, Operator, OperatorRole, Organisation, RefreshToken
from domain.identity.principal import PrincipalKind
from domain.identity.ratelimit import SlidingWindowLimit
from tests.domain.identity.jwks import AUDIENCE, ISSUER, identity_provider
from tests.factories.identity import (
    PASSWORD,
    create_driver,
    create_operator,
    create_org_with_admin,
    make_identity,
    make_tokens,
    unique_email,
)


async def test_driver_signs_up_and_signs_in_ignoring_email_case(database: object) -> None:
    identity = make_identity()
    email = unique_email("Case")
    driver, pair = await create_driver(identity, email=email.upper(), name="  Ann   Andersson ")
    assert driver.email == email.lower()
    assert driver.name == "Ann Andersson"
    stored = await Driver.get(driver.id)
    assert stored is not None and PASSWORD not in stored.password_hash
    assert stored.password_hash.startswith("$argon2id$")
    principal = await identity.authenticate(pair.access_token)
    assert (principal.kind, principal.id) == (PrincipalKind.DRIVER, str(driver.id))

    again = await identity.sign_in(email.title(), PASSWORD, client_key="c1")
    assert (await identity.authenticate(again.access_token)).id == str(driver.id)


async def test_second_account_with_same_email_in_other_case_is_refused(database: object) -> None:
    identity = make_identity()
    email = unique_email("dup")
    await create_driver(identity, email=email)
    with pytest.raises(AlreadyExists) as err:
        await create_driver(identity, email=email.upper())
    assert err.value.field == "email"
    assert await Driver.find(Driver.email == email).count() == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"password": "short"}, "password"),
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"name": "   "}, "name"),
    ],
)
async def test_bad_sign_up_input_is_refused_and_stores_nothing(
    database: object, overrides: dict[str, str], field: str
) -> None:
    identity = make_identity()
    before = await Driver.count()
    with pytest.raises(InvalidInput) as err:
        await create_driver(identity, **overrides)
    assert err.value.field == field
    assert await Driver.count() == before


async def test_wrong_password_and_unknown_email_fail_alike(database: object) -> None:
    identity = make_identity()
    driver, _ = await create_driver(identity)
    with pytest.raises(BadCredentials, match="wrong email or password"):
        await identity.sign_in(driver.email, "wrong password!", client_key="c2")
    with pytest.raises(BadCredentials, match="wrong email or password"):
        await identity.sign_in(unique_email("nobody"), PASSWORD, client_key="c2")


async def test_operator_token_carries_role_and_org(database: object) -> None:
    identity = make_identity()
    org, admin = await create_org_with_admin(identity)
    viewer = await create_operator(identity, org.id, role="viewer")
    for account, role in ((admin, OperatorRole.ADMIN), (viewer, OperatorRole.VIEWER)):
        pair = await identity.sign_in(account.email, PASSWORD, client_key="c3")
        principal = await identity.authenticate(pair.access_token)
        assert principal.kind is PrincipalKind.OPERATOR
        assert (principal.org_id, principal.role) == (str(org.id), role)


async def test_creating_an_organisation_twice_gives_already_exists(database: object) -> None:
    identity = make_identity()
    await create_org_with_admin(identity, org_name="Laddbolaget")
    with pytest.raises(AlreadyExists) as err:
        await create_org_with_admin(identity, org_name="Laddbolaget")
    assert err.value.field == "orgName"
    taken = unique_email("taken")
    await create_driver(identity, email=taken)
    with pytest.raises(AlreadyExists) as err:
        await create_org_with_admin(identity, org_name="Another one", email=taken)
    assert err.value.field == "email"
    assert await Organisation.find(Organisation.name == "Another one").count() == 0
    assert await Organisation.find(Organisation.name == "Laddbolaget").count() == 1


async def test_create_operator_checks_role_and_organisation(database: object) -> None:
    identity = make_identity()
    org, _ = await create_org_with_admin(identity)
    with pytest.raises(InvalidInput) as err:
        await create_operator(identity, org.id, role="superuser")
    assert err.value.field == "role"
    with pytest.raises(NotFound):
        await create_operator(
            identity, Organisation.model_fields["id"].default or org.id.__class__()
        )
    assert await Operator.find(Operator.org_id == org.id).count() == 1


async def test_refresh_rotates_and_reuse_revokes_the_family(database: object) -> None:
    identity = make_identity()
    driver, first = await create_driver(identity)
    second = await identity.refresh(first.refresh_token)
    assert second.refresh_token != first.refresh_token
    assert (await identity.authenticate(second.access_token)).id == str(driver.id)
    third = await identity.refresh(second.refresh_token)

    # the spent first token comes back: it leaked, so the whole sign-in dies
    with pytest.raises(RefreshTokenReused):
        await identity.refresh(first.refresh_token)
    with pytest.raises(InvalidToken):
        await identity.refresh(third.refresh_token)
    family = (await RefreshToken.find_one(RefreshToken.subject_id == driver.id)).family  # type: ignore[union-attr]
    assert await RefreshToken.find({"family": family, "revoked_at": None}).count() == 0


async def test_revoke_ends_the_sign_in_but_not_others(database: object) -> None:
    identity = make_identity()
    driver, phone = await create_driver(identity)
    laptop = await identity.sign_in(driver.email, PASSWORD, client_key="c4")
    await identity.revoke(phone.refresh_token)
    with pytest.raises(InvalidToken):
        await identity.refresh(phone.refresh_token)
    assert (await identity.refresh(laptop.refresh_token)).access_token
    await identity.revoke("never-issued")  # ignored


async def test_expired_refresh_token_is_refused(database: object) -> None:
    identity = make_identity(make_tokens(clock=lambda: utcnow() - timedelta(hours=2)))
    _, pair = await create_driver(identity)
    with pytest.raises(InvalidToken):
        await make_identity().refresh(pair.refresh_token)


async def test_too_many_failed_sign_ins_are_throttled_per_client(database: object) -> None:
    clock = [1000.0]
    identity = make_identity(
        sign_in_failures=FailureThrottle(limit=3, window=60), monotonic=lambda: clock[0]
    )
    driver, _ = await create_driver(identity)
    for _ in range(3):
        with pytest.raises(BadCredentials):
            await identity.sign_in(driver.email, "wrong password!", client_key="attacker")
    with pytest.raises(RateLimited):
        await identity.sign_in(driver.email, PASSWORD, client_key="attacker")
    assert await identity.sign_in(driver.email, PASSWORD, client_key="someone-else")
    clock[0] += 61
    assert await identity.sign_in(driver.email, PASSWORD, client_key="attacker")


async def test_sign_ups_are_rate_limited_per_client(database: object) -> None:
    identity = make_identity(sign_up_limit=SlidingWindowLimit(limit=2, window=600))
    await create_driver(identity, client_key="bot")
    await create_driver(identity, client_key="bot")
    before = await Driver.count()
    with pytest.raises(RateLimited):
        await create_driver(identity, client_key="bot")
    assert await Driver.count() == before
    await create_driver(identity, client_key="human")


async def test_external_identity_maps_to_an_existing_operator(database: object) -> None:
    with identity_provider() as idp:
        tokens = make_tokens(jwks_url=idp.url, jwks_issuer=ISSUER, jwks_audience=AUDIENCE)
        identity = make_identity(tokens)
        org, admin = await create_org_with_admin(identity)
        principal = await identity.authenticate(idp.token(email=admin.email.upper()))
        assert (principal.id, principal.org_id, principal.role) == (
            str(admin.id),
            str(org.id),
            OperatorRole.ADMIN,
        )
        with pytest.raises(InvalidToken, match="no operator"):
            await identity.authenticate(idp.token(email=unique_email("stranger")))
