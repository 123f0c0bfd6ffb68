"""Access tokens: what they carry, and every way a forged or stale one is refused."""

from __future__ import annotations

import time
from datetime import timedelta

import jwt
import pytest

from domain.common.clock import utcnow
from domain.identity.errors import InvalidToken
from domain.identity.models import OperatorRole
from domain.identity.principal import Principal, PrincipalKind
from domain.identity.tokens import ExternalIdentity
from tests.domain.identity.jwks import AUDIENCE, ISSUER, identity_provider
from tests.factories.identity import SECRET, make_tokens

OPERATOR = Principal(
    PrincipalKind.OPERATOR,
    "65f000000000000000000001",
    "65f0000000000000000000aa",
    OperatorRole.VIEWER,
)


def test_access_token_carries_kind_role_and_org() -> None:
    tokens = make_tokens()
    access, expires_at = tokens.issue_access(OPERATOR)
    assert tokens.verify_access(access) == OPERATOR
    assert timedelta(seconds=890) < expires_at - utcnow() <= timedelta(seconds=900)


def test_expired_token_is_refused() -> None:
    old = make_tokens(clock=lambda: utcnow() - timedelta(hours=1))
    access, _ = old.issue_access(OPERATOR)
    with pytest.raises(InvalidToken, match="expired"):
        make_tokens().verify_access(access)


@pytest.mark.parametrize("field", ["issuer", "audience"])
def test_token_for_another_issuer_or_audience_is_refused(field: str) -> None:
    access, _ = make_tokens(**{field: "someone-else"}).issue_access(OPERATOR)
    with pytest.raises(InvalidToken):
        make_tokens().verify_access(access)


def test_token_signed_with_another_secret_is_refused() -> None:
    access, _ = make_tokens(secret="x" * 40).issue_access(OPERATOR)
    with pytest.raises(InvalidToken):
        make_tokens().verify_access(access)


def _claims() -> dict[str, object]:
    now = int(time.time())
    return {
        "sub": OPERATOR.id,
        "kind": "operator",
        "org": OPERATOR.org_id,
        "role": "admin",
        "iss": "laddnet-test",
        "aud": "laddnet-test-api",
        "iat": now,
        "exp": now + 60,
    }


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
async def test_the_token_cannot_choose_its_algorithm() -> None:
    tokens = make_tokens()
    unsigned = jwt.encode(_claims(), None, algorithm="none")
    hs512 = jwt.encode(_claims(), SECRET, algorithm="HS512")
    for forged in (unsigned, hs512):
        with pytest.raises(InvalidToken):
            tokens.verify_access(forged)
        with pytest.raises(InvalidToken):
            await tokens.verify(forged)
    # the right algorithm and secret, to show the forgery tests above test the algorithm only
    assert (
        tokens.verify_access(jwt.encode(_claims(), SECRET, algorithm="HS256")).role
        is OperatorRole.ADMIN
    )


def test_token_without_exp_is_refused() -> None:
    claims = _claims()
    del claims["exp"]
    with pytest.raises(InvalidToken):
        make_tokens().verify_access(jwt.encode(claims, SECRET, algorithm="HS256"))


def test_weak_secret_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        make_tokens(secret="short")


async def test_rs256_token_is_refused_without_an_identity_provider() -> None:
    with identity_provider() as idp, pytest.raises(InvalidToken):
        await make_tokens().verify(idp.token(email="ops@example.com"))


async def test_external_identity_provider_token_verified_through_jwks() -> None:
    with identity_provider() as idp:
        tokens = make_tokens(jwks_url=idp.url, jwks_issuer=ISSUER, jwks_audience=AUDIENCE)
        verified = await tokens.verify(idp.token(email="Ops@Example.com"))
        assert verified == ExternalIdentity(email="ops@example.com", subject="idp|1")
        with pytest.raises(InvalidToken):
            await tokens.verify(idp.token(email="ops@example.com", aud="another-app"))
        with pytest.raises(InvalidToken):
            await tokens.verify(idp.token(email="ops@example.com", exp=int(time.time()) - 10))
        with pytest.raises(InvalidToken, match="verified email"):
            await tokens.verify(idp.token(email="ops@example.com", email_verified=False))
        # our own HS256 tokens still work beside the provider's
        access, _ = tokens.issue_access(OPERATOR)
        assert await tokens.verify(access) == OPERATOR
