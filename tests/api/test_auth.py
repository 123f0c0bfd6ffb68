"""Sign-up, sign-in, refresh rotation and the API's protections, over real HTTP."""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from typing import Any

import pytest

from api.app import ApiLimits
from domain.common.clientaddr import TrustedProxies
from domain.common.throttle import FailureThrottle
from domain.identity.models import Driver
from domain.network.service import NetworkService
from tests.api.conftest import Api, start_api
from tests.factories.identity import PASSWORD, make_identity, unique_email

SIGN_UP = """mutation SignUp($input: SignUpInput!) {
  signUp(input: $input) {
    tokens { accessToken refreshToken expiresAt }
    driver { id email name }
    errors { code field message }
  }
}"""
SIGN_IN = """mutation SignIn($input: SignInInput!) {
  signIn(input: $input) { tokens { accessToken refreshToken expiresAt } errors { code field message } }
}"""
REFRESH = """mutation RefreshTokens($refreshToken: String!) {
  refreshTokens(refreshToken: $refreshToken) {
    tokens { accessToken refreshToken expiresAt } errors { code field message }
  }
}"""
ME = "query { me { id email name } }"


async def test_sign_up_sign_in_refresh_and_reuse_detection(api: Api) -> None:
    email = unique_email("Driver")
    body = await api.gql(SIGN_UP, {"input": {"email": email, "password": PASSWORD, "name": "Ada"}})
    payload = body["data"]["signUp"]
    assert payload["errors"] == []
    assert payload["driver"]["email"] == email.lower()
    assert payload["tokens"]["expiresAt"].endswith("+00:00")
    access = payload["tokens"]["accessToken"]
    me = await api.gql(ME, token=access)
    assert me["data"]["me"] == payload["driver"]

    signed_in = (await api.gql(SIGN_IN, {"input": {"email": email.upper(), "password": PASSWORD}}))[
        "data"
    ]["signIn"]
    assert signed_in["errors"] == []
    first = signed_in["tokens"]["refreshToken"]

    rotated = (await api.gql(REFRESH, {"refreshToken": first}))["data"]["refreshTokens"]
    assert rotated["errors"] == [] and rotated["tokens"]["refreshToken"] != first
    second = rotated["tokens"]["refreshToken"]

    reused = (await api.gql(REFRESH, {"refreshToken": first}))["data"]["refreshTokens"]
    assert reused["tokens"] is None
    assert reused["errors"][0]["code"] == "UNAUTHENTICATED"
    assert "already used" in reused["errors"][0]["message"]
    # the reuse revoked the whole sign-in: the legitimately rotated token is dead too
    dead = (await api.gql(REFRESH, {"refreshToken": second}))["data"]["refreshTokens"]
    assert dead["errors"][0]["code"] == "UNAUTHENTICATED"
    # the sign-up's own sign-in is another family and lives on
    other = await api.gql(REFRESH, {"refreshToken": payload["tokens"]["refreshToken"]})
    assert other["data"]["refreshTokens"]["errors"] == []


@pytest.mark.parametrize(
    ("override", "field"),
    [({"password": "short"}, "password"), ({"email": "no-at-sign"}, "email")],
)
async def test_bad_sign_up_input_gets_a_coded_error_and_stores_nothing(
    api: Api, override: dict[str, str], field: str
) -> None:
    before = await Driver.count()
    data = {"email": unique_email(), "password": PASSWORD, "name": "Bo"} | override
    payload = (await api.gql(SIGN_UP, {"input": data}))["data"]["signUp"]
    assert payload["tokens"] is None and payload["driver"] is None
    assert payload["errors"] == [
        {"code": "INVALID_INPUT", "field": field, "message": payload["errors"][0]["message"]}
    ]
    assert await Driver.count() == before


async def test_duplicate_email_is_already_exists(api: Api) -> None:
    email = unique_email()
    first = {"email": email, "password": PASSWORD, "name": "Bo"}
    await api.gql(SIGN_UP, {"input": first})
    again = (await api.gql(SIGN_UP, {"input": first | {"email": email.upper()}}))["data"]
    assert again["signUp"]["errors"][0]["code"] == "ALREADY_EXISTS"


async def test_wrong_password_is_unauthenticated(api: Api) -> None:
    payload = await api.gql(SIGN_IN, {"input": {"email": unique_email(), "password": "x" * 12}})
    assert payload["data"]["signIn"]["errors"][0]["code"] == "UNAUTHENTICATED"


async def test_anonymous_and_bad_tokens_are_unauthenticated(api: Api) -> None:
    anonymous = await api.gql(ME)
    assert anonymous["data"] is None
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    forged = await api.gql(ME, token="not.a.jwt")
    assert forged["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    _, operator = await api.operator()
    wrong_kind = await api.gql(ME, token=operator)
    assert wrong_kind["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_sign_in_is_rate_limited_per_client(database: object) -> None:
    async with start_api(
        identity=lambda: make_identity(sign_in_failures=FailureThrottle(limit=3, window=60))
    ) as api:
        _, admin = await api.deps.identity.create_organisation_with_admin(
            "Throttled AB", unique_email("t"), PASSWORD
        )
        codes = []
        for _ in range(4):
            body = await api.gql(
                SIGN_IN, {"input": {"email": admin.email, "password": "wrong-wrong"}}
            )
            codes.append(body["data"]["signIn"]["errors"][0]["code"])
        assert codes == ["UNAUTHENTICATED"] * 3 + ["RATE_LIMITED"]
        # even the right password waits now
        right = await api.gql(SIGN_IN, {"input": {"email": admin.email, "password": PASSWORD}})
        assert right["data"]["signIn"]["errors"][0]["code"] == "RATE_LIMITED"


async def _sign_in_codes(api: Api, email: str, forwarded_for: list[str]) -> list[str]:
    codes = []
    for address in forwarded_for:
        response = await api.http.post(
            "/graphql",
            json={"query": SIGN_IN, "variables": {"input": {"email": email, "password": "nope"}}},
            headers={"X-Forwarded-For": address},
        )
        codes.append(response.json()["data"]["signIn"]["errors"][0]["code"])
    return codes


async def test_x_forwarded_for_names_the_client_only_from_a_trusted_proxy(database: object) -> None:
    def identity() -> Any:
        return make_identity(sign_in_failures=FailureThrottle(limit=2, window=60))

    email = unique_email("xff")
    # the test client (127.0.0.1) is no trusted proxy: each request claiming another address is
    # still the same client (before: uvicorn believed X-Forwarded-For from 127.0.0.1)
    async with start_api(identity=identity) as api:
        codes = await _sign_in_codes(api, email, ["192.0.2.1", "192.0.2.2", "192.0.2.3"])
        assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]
    async with start_api(
        identity=identity, trusted_proxies=TrustedProxies.of(["127.0.0.0/8"])
    ) as api:
        codes = await _sign_in_codes(api, email, ["192.0.2.1", "192.0.2.1", "192.0.2.1"])
        assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "RATE_LIMITED"]
        # behind the proxy another client is someone else; a forged left-most hop changes nothing
        assert await _sign_in_codes(api, email, ["192.0.2.2"]) == ["UNAUTHENTICATED"]
        assert await _sign_in_codes(api, email, ["203.0.113.9, 192.0.2.1"]) == ["RATE_LIMITED"]


async def test_depth_alias_and_token_limits_reject(database: object) -> None:
    async with start_api(limits=ApiLimits(max_depth=4, max_aliases=3, max_tokens=200)) as api:
        token = await api.driver()
        deep = "query { stations { edges { node { site { location { latitude } } } } } }"
        body = await api.gql(deep, token=token)
        assert (
            body.get("data") is None
            and "exceeds maximum operation depth" in body["errors"][0]["message"]
        )
        aliases = "query { a: me { id } b: me { id } c: me { id } d: me { id } }"
        body = await api.gql(aliases, token=token)
        assert "aliases" in body["errors"][0]["message"]
        many = "query { " + " ".join(f"me{i}: me {{ id }}" for i in range(2)) + " }"
        assert "errors" not in await api.gql(many, token=token)
        huge = "query { me { " + " ".join(["id"] * 300) + " } }"
        body = await api.gql(huge, token=token)
        assert "token" in body["errors"][0]["message"].lower()


INTROSPECT = "query { __schema { queryType { name } } }"


async def test_introspection_and_graphiql_are_off_by_default(api: Api) -> None:
    body = await api.gql(INTROSPECT)
    assert body.get("data") is None and "introspection" in body["errors"][0]["message"].lower()
    ide = await api.http.get("/graphql", headers={"Accept": "text/html"})
    assert ide.status_code != 200 or "graphiql" not in ide.text.lower()


async def test_introspection_and_graphiql_when_enabled(database: object) -> None:
    async with start_api(introspection=True) as api:
        body = await api.gql(INTROSPECT)
        assert body["data"]["__schema"]["queryType"]["name"] == "Query"
        ide = await api.http.get("/graphql", headers={"Accept": "text/html"})
        assert ide.status_code == 200 and "graphiql" in ide.text.lower()
        # Every script and stylesheet comes from laddnet itself, intact (the page's integrity
        # values are strawberry's pins of the CDN files): GraphiQL works with no CDN reachable.
        refs = re.findall(r'(?:src|href)="([^"]+)"\s+integrity="sha384-([^"]+)"', ide.text)
        assert len(refs) == 7
        assert not re.findall(r'(?:src|href)="https?://', ide.text)
        for path, integrity in refs:
            asset = await api.http.get(path)
            assert asset.status_code == 200, path
            digest = base64.b64encode(hashlib.sha384(asset.content).digest()).decode()
            assert digest == integrity, path
    async with start_api() as api:  # off: no assets either
        assert (await api.http.get("/graphiql/static/graphiql.min.js")).status_code == 404


async def test_healthz(database: object) -> None:
    async def degraded() -> dict[str, Any]:
        return {"status": "degraded", "mongodb": "error: ServerSelectionTimeoutError"}

    async with start_api() as api:
        ok = await api.http.get("/healthz")
        assert (ok.status_code, ok.json()) == (200, {"status": "ok", "mongodb": "ok"})
    async with start_api(health_check=degraded) as api:
        bad = await api.http.get("/healthz")
        assert bad.status_code == 503 and bad.json()["mongodb"].startswith("error")


class _BrokenNetwork(NetworkService):
    async def sites(self, org_id: Any) -> Any:
        raise RuntimeError("secret internals: mongodb://admin:hunter2@db")


async def test_unexpected_errors_are_masked_and_logged(
    database: object, caplog: pytest.LogCaptureFixture
) -> None:
    async with start_api(network=_BrokenNetwork(events=None)) as api:  # type: ignore[arg-type]
        _, token = await api.operator()
        with caplog.at_level(logging.ERROR, logger="api"):
            body = await api.gql("query { sites { id } }", token=token)
    assert body["errors"][0]["message"] == "Unexpected error."
    assert "hunter2" not in str(body)
    logged = [r for r in caplog.records if r.name == "api"]
    assert logged and "hunter2" in str(logged[0].exc_info[1])  # type: ignore[index]
