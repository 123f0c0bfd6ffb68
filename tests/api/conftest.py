"""The API over real HTTP and WebSocket: uvicorn in the test loop on a free port."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from websockets.asyncio.client import ClientConnection, connect

from api.app import ApiDependencies, ApiLimits, create_app
from domain.charging.commands import (
    CommandResult,
    CommandStatus,
    StationCommand,
    StationCommandService,
)
from domain.charging.service import ChargingService
from domain.common.clientaddr import TrustedProxies
from domain.common.events import InProcessEventBus
from domain.common.throttle import FailureThrottle
from domain.identity.models import Organisation
from domain.identity.ratelimit import SlidingWindowLimit
from domain.identity.service import IdentityService
from domain.network.service import NetworkService
from tests.factories.identity import PASSWORD, create_operator, create_org_with_admin, make_tokens


@dataclass
class FakeGateway:
    """The outermost edge: what the OCPP server would do with a command. Answers are scripted."""

    answer: CommandResult = field(default_factory=lambda: CommandResult(CommandStatus.ACCEPTED))
    sent: list[tuple[str, StationCommand]] = field(default_factory=list)

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        self.sent.append((charge_point_id, command))
        return self.answer


@dataclass
class Api:
    base: str
    deps: ApiDependencies
    events: InProcessEventBus
    gateway: FakeGateway
    http: httpx.AsyncClient

    @property
    def ws_url(self) -> str:
        return self.base.replace("http://", "ws://") + "/graphql"

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

    async def sign_in(self, email: str, password: str = PASSWORD) -> str:
        body = await self.gql(
            "mutation($i: SignInInput!) { signIn(input: $i) "
            "{ tokens { accessToken } errors { code } } }",
            {"i": {"email": email, "password": password}},
        )
        assert body["data"]["signIn"]["errors"] == [], body
        token: str = body["data"]["signIn"]["tokens"]["accessToken"]
        return token

    async def operator(self, role: str = "admin") -> tuple[Organisation, str]:
        """A fresh organisation (as `laddnet operator create` makes it) and a signed-in operator."""
        org, admin = await create_org_with_admin(self.deps.identity)
        if role == "admin":
            return org, await self.sign_in(admin.email)
        account = await create_operator(self.deps.identity, org.id, role=role)  # type: ignore[arg-type]
        return org, await self.sign_in(account.email)

    async def operator_in(self, org: Organisation, role: str) -> str:
        account = await create_operator(self.deps.identity, org.id, role=role)  # type: ignore[arg-type]
        return await self.sign_in(account.email)

    async def driver(self) -> str:
        from tests.factories.identity import unique_email

        body = await self.gql(
            "mutation($i: SignUpInput!) { signUp(input: $i) "
            "{ tokens { accessToken } errors { code } } }",
            {"i": {"email": unique_email("d"), "password": PASSWORD, "name": "Dee"}},
        )
        token: str = body["data"]["signUp"]["tokens"]["accessToken"]
        return token

    @contextlib.asynccontextmanager
    async def subscribe(
        self, query: str, variables: dict[str, Any] | None, token: str | None
    ) -> AsyncIterator[ClientConnection]:
        async with connect(self.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            init: dict[str, Any] = {"type": "connection_init"}
            if token is not None:
                init["payload"] = {"Authorization": f"Bearer {token}"}
            await ws.send(json.dumps(init))
            ack = json.loads(await asyncio.wait_for(ws.recv(), 2))
            assert ack["type"] == "connection_ack", ack
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {"query": query, "variables": variables or {}},
                    }
                )
            )
            yield ws


@contextlib.asynccontextmanager
async def serving(app: Starlette) -> AsyncIterator[str]:
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_config=None,
        access_log=False,
        lifespan="off",
        proxy_headers=False,  # as laddnet serve runs it
        ws="websockets-sansio",
    )
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped while starting")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 5)


async def _healthy() -> dict[str, Any]:
    return {"status": "ok", "mongodb": "ok"}


@contextlib.asynccontextmanager
async def start_api(
    *,
    introspection: bool = False,
    limits: ApiLimits | None = None,
    identity: Callable[[], IdentityService] | None = None,
    network: NetworkService | None = None,
    events: InProcessEventBus | None = None,
    health_check: Callable[[], Any] = _healthy,
    charging: ChargingService | None = None,
    trusted_proxies: TrustedProxies | None = None,
) -> AsyncIterator[Api]:
    events = events or InProcessEventBus()
    gateway = FakeGateway()
    network = network or NetworkService(events)
    commands = StationCommandService(gateway)
    tokens = make_tokens()
    deps = ApiDependencies(
        identity=identity()
        if identity
        else IdentityService(
            tokens,
            sign_in_failures=FailureThrottle(limit=1000, window=60),
            sign_up_limit=SlidingWindowLimit(limit=1000, window=60),
        ),
        tokens=tokens,
        network=network,
        commands=commands,
        events=events,
        health_check=health_check,
        charging=charging or ChargingService(events, network, commands),
        introspection=introspection,
        limits=limits or ApiLimits(),
        trusted_proxies=trusted_proxies or TrustedProxies(),
    )
    async with serving(create_app(deps)) as base, httpx.AsyncClient(base_url=base) as http:
        yield Api(base=base, deps=deps, events=events, gateway=gateway, http=http)


@pytest.fixture(scope="module")
async def api(database: object) -> AsyncIterator[Api]:
    async with start_api() as running:
        yield running
