"""laddnet as ``laddnet serve`` runs it: the production container, its OCPP server and its HTTP API
on free loopback ports in the test loop, against the module's database. Clients speak real HTTP,
graphql-transport-ws and OCPP (the ``ocpp`` library's charge points)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from websockets.asyncio.client import ClientConnection, connect

from domain.common.events import InProcessEventBus
from laddnet.container import Container, build_container
from laddnet.database import Database
from laddnet.localstripe import LocalStripe
from laddnet.serve import running_api, running_ocpp
from laddnet.settings import Settings
from tests.factories.billing import WEBHOOK_SECRET
from tests.factories.identity import PASSWORD, unique_email

_seq = itertools.count(1)


def ws_error(message: dict[str, Any]) -> dict[str, Any]:
    """The first GraphQL error of an ``error`` message or of a ``next`` carrying errors."""
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    first: dict[str, Any] = errors[0]
    return first


class Subscription:
    """One graphql-transport-ws operation: read its results as they come."""

    def __init__(self, ws: ClientConnection, field: str) -> None:
        self.ws = ws
        self.field = field

    async def message(self, within: float = 1.0) -> dict[str, Any]:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(self.ws.recv(), within))
        return message

    async def next(self, within: float = 1.0) -> dict[str, Any]:
        message = await self.message(within)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        data: dict[str, Any] = message["payload"]["data"][self.field]
        return data

    async def until(
        self, matches: Callable[[dict[str, Any]], bool], within: float = 1.0
    ) -> dict[str, Any]:
        """The first result that matches, which must come within ``within`` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            left = deadline - loop.time()
            if left <= 0:
                raise AssertionError(f"nothing matching on {self.field} within {within}s")
            item = await self.next(left)
            if matches(item):
                return item


@dataclass
class Laddnet:
    container: Container
    http: httpx.AsyncClient
    api_base: str
    ocpp_port: int

    @property
    def events(self) -> InProcessEventBus:
        bus = self.container.events
        assert isinstance(bus, InProcessEventBus)
        return bus

    async def gql(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables or {}}, headers=headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def data(
        self, query: str, variables: dict[str, Any] | None = None, token: str | None = None
    ) -> dict[str, Any]:
        """The result of an operation that must succeed: no GraphQL errors, no payload errors."""
        body = await self.gql(query, variables, token)
        assert "errors" not in body, body
        for value in body["data"].values():
            if isinstance(value, dict) and "errors" in value:
                assert value["errors"] == [], body
        result: dict[str, Any] = body["data"]
        return result

    async def sign_in(self, email: str, password: str = PASSWORD) -> str:
        data = await self.data(
            "mutation($i: SignInInput!) { signIn(input: $i) "
            "{ tokens { accessToken } errors { code field message } } }",
            {"i": {"email": email, "password": password}},
        )
        token: str = data["signIn"]["tokens"]["accessToken"]
        return token

    async def operator(self) -> tuple[str, str]:
        """An organisation made as `laddnet operator create` makes it; (org id, admin's token)."""
        email = unique_email("e2e-admin")
        org, _ = await self.container.identity.create_organisation_with_admin(
            f"E2E Org {next(_seq)}", email, PASSWORD
        )
        return str(org.id), await self.sign_in(email)

    async def operator_in(self, org_id: str, role: str) -> str:
        from beanie import PydanticObjectId

        from domain.identity.models import OperatorRole

        email = unique_email(f"e2e-{role}")
        await self.container.identity.create_operator(
            PydanticObjectId(org_id), email, PASSWORD, role=OperatorRole(role)
        )
        return await self.sign_in(email)

    async def driver(self, name: str = "Dee Driver") -> str:
        data = await self.data(
            "mutation($i: SignUpInput!) { signUp(input: $i) "
            "{ tokens { accessToken } driver { id } errors { code field message } } }",
            {"i": {"email": unique_email("e2e-driver"), "password": PASSWORD, "name": name}},
        )
        token: str = data["signUp"]["tokens"]["accessToken"]
        return token

    @contextlib.asynccontextmanager
    async def ws(self, token: str | None) -> AsyncIterator[ClientConnection]:
        """A graphql-transport-ws connection, initialised (and acknowledged) with the token."""
        url = self.api_base.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            init: dict[str, Any] = {"type": "connection_init"}
            if token is not None:
                init["payload"] = {"Authorization": f"Bearer {token}"}
            await ws.send(json.dumps(init))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 2))
            assert ack["type"] == "connection_ack", ack
            yield ws

    @contextlib.asynccontextmanager
    async def subscribe(
        self, query: str, variables: dict[str, Any], token: str, field: str
    ) -> AsyncIterator[Subscription]:
        async with self.ws(token) as ws:
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": query, "variables": variables},
                    }
                )
            )
            yield Subscription(ws, field)

    async def subscribed(self, before: int) -> None:
        """The server registers a subscription on the event bus when it starts it: wait for it."""
        for _ in range(400):
            if self.events.subscriber_count > before:
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the subscription never reached the event bus")


@pytest.fixture(scope="module")
async def laddnet(
    database: Database, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Laddnet]:
    async with running_laddnet(database, tmp_path_factory) as app:
        yield app


@contextlib.asynccontextmanager
async def running_laddnet(
    database: Database, tmp_path_factory: pytest.TempPathFactory, **overrides: Any
) -> AsyncIterator[Laddnet]:
    """laddnet in its production wiring (``build_container``), ``overrides`` on its settings."""
    stripe = LocalStripe()  # no test may reach the real Stripe
    await asyncio.to_thread(stripe.start)
    try:
        settings = Settings(
            jwt_secret=SecretStr("e2e-secret-long-enough-for-hs256-signing!"),
            data_dir=Path(tmp_path_factory.mktemp("laddnet")),
            ocpp_response_timeout=5.0,
            heartbeat_interval=60,
            stripe_api_base=stripe.api_base,
            stripe_webhook_secret=SecretStr(WEBHOOK_SECRET),
            diagnostics_upload_url="ftp://uploads.example.com/diag/",
            **overrides,
        )
        container = build_container(settings, database)
        async with (
            container.background(),
            running_ocpp(container, "127.0.0.1", 0) as ocpp_port,
            running_api(container, "127.0.0.1", 0) as api_port,
        ):
            base = f"http://127.0.0.1:{api_port}"
            async with httpx.AsyncClient(base_url=base, timeout=10) as http:
                yield Laddnet(container=container, http=http, api_base=base, ocpp_port=ocpp_port)
    finally:
        await asyncio.to_thread(stripe.stop)
