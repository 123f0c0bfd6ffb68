"""Identical subscriptions share one execution (api/shared_subscriptions.py), over real WebSocket.

Two apps serve the same dependencies and event bus: one shares (with small subscriber queues, so a
slow consumer is quick to provoke), one does not (strawberry's own path, as before sharing), so
frames can be compared byte for byte."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect

from api.app import ApiDependencies, ApiLimits, create_app
from api.shared_subscriptions import SLOW_CONSUMER, SharedSubscriptions
from domain.charging.commands import StationCommandService
from domain.charging.events import StationTelemetryUpdated
from domain.charging.service import ChargingService
from domain.common.clock import utcnow
from domain.common.events import AlertChanged, InProcessEventBus
from domain.common.throttle import FailureThrottle
from domain.identity.models import OperatorRole
from domain.identity.principal import Principal, PrincipalKind
from domain.identity.ratelimit import SlidingWindowLimit
from domain.identity.service import IdentityService
from domain.network.service import NetworkService
from tests.api.conftest import Api, FakeGateway, serving
from tests.api.test_operator import create_site
from tests.api.test_subscriptions import STATION_EVENTS
from tests.factories.identity import make_tokens

QUEUE = 8
ALERT_FEED = "subscription { alertFeed { id state message stationId } }"


@dataclass
class Shared:
    api: Api  # the sharing app
    hub: SharedSubscriptions
    plain_url: str  # the same dependencies, served without sharing

    @property
    def events(self) -> InProcessEventBus:
        return self.api.events


@pytest.fixture(scope="module")
async def shared(database: object) -> AsyncIterator[Shared]:
    events = InProcessEventBus()
    tokens = make_tokens()
    network = NetworkService(events)
    commands = StationCommandService(FakeGateway())
    deps = ApiDependencies(
        identity=IdentityService(
            tokens,
            sign_in_failures=FailureThrottle(limit=1000, window=60),
            sign_up_limit=SlidingWindowLimit(limit=1000, window=60),
        ),
        tokens=tokens,
        network=network,
        commands=commands,
        events=events,
        health_check=lambda: asyncio.sleep(0, {"status": "ok"}),
        charging=ChargingService(events, network, commands),
        limits=ApiLimits(),
    )
    sharing = create_app(deps, subscription_queue_size=QUEUE)
    plain = create_app(deps, share_subscriptions=False)
    assert plain.state.shared_subscriptions is None
    async with (
        serving(sharing) as base,
        serving(plain) as plain_base,
        httpx.AsyncClient(base_url=base) as http,
    ):
        api = Api(base=base, deps=deps, events=events, gateway=FakeGateway(), http=http)
        yield Shared(api, sharing.state.shared_subscriptions, ws_url(plain_base) + "/graphql")


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://")


@contextlib.asynccontextmanager
async def opened(url: str, token: str, **options: Any) -> AsyncIterator[ClientConnection]:
    async with connect(url, subprotocols=["graphql-transport-ws"], **options) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
        )
        ack = json.loads(await asyncio.wait_for(ws.recv(), 2))
        assert ack["type"] == "connection_ack", ack
        yield ws


async def subscribe(
    ws: ClientConnection, query: str = STATION_EVENTS, variables: dict[str, Any] | None = None
) -> None:
    payload = {"query": query, "variables": variables or {}}
    await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))


async def until(condition: Any, what: str) -> None:
    for _ in range(400):
        if condition():
            return
        await asyncio.sleep(0.005)
    raise AssertionError(f"never: {what}")


async def frame(ws: ClientConnection, within: float = 1.0) -> str:
    text = await asyncio.wait_for(ws.recv(), within)
    assert isinstance(text, str)
    return text


async def silent(ws: ClientConnection) -> None:
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(ws.recv(), 0.15)


def telemetry(org_id: str, n: int, station_id: str = "ST-1") -> StationTelemetryUpdated:
    return StationTelemetryUpdated(
        org_id=org_id, station_id=station_id, at=utcnow(), connector_id=1, temperature_c=float(n)
    )


def temperature(text: str) -> float:
    message = json.loads(text)
    assert message["type"] == "next", message
    value: float = message["payload"]["data"]["stationEvents"]["temperatureC"]
    return value


async def test_one_org_shares_one_execution_and_another_org_never_sees_it(
    shared: Shared,
) -> None:
    org, _ = await shared.api.operator()
    tokens = [await shared.api.operator_in(org, "operator") for _ in range(3)]
    other_org, stranger = await shared.api.operator("operator")
    bus_before, started_before = shared.events.subscriber_count, shared.hub.executions_started
    async with contextlib.AsyncExitStack() as stack:
        mine = [await stack.enter_async_context(opened(shared.api.ws_url, t)) for t in tokens]
        theirs = await stack.enter_async_context(opened(shared.api.ws_url, stranger))
        plain = await stack.enter_async_context(opened(shared.plain_url, tokens[0]))
        for ws in (*mine, theirs, plain):
            await subscribe(ws)
        await until(lambda: shared.hub.member_count == 4, "four subscribers attached")
        await until(lambda: shared.events.subscriber_count == bus_before + 3, "bus subscribed")
        assert shared.hub.executions_started == started_before + 2  # one per organisation
        assert shared.hub.execution_count == 2

        shared.events.publish(telemetry(str(org.id), 1))
        frames = [await frame(ws) for ws in mine]
        assert temperature(frames[0]) == 1.0
        # every subscriber gets the same bytes, and exactly what the unshared path sends
        assert frames == [frames[0]] * 3 == [await frame(plain)] * 3
        await silent(theirs)

        shared.events.publish(telemetry(str(other_org.id), 2))
        assert temperature(await frame(theirs)) == 2.0
        for ws in mine:
            await silent(ws)
    await until(lambda: shared.events.subscriber_count == bus_before, "bus released")
    assert shared.hub.execution_count == 0


async def test_roles_and_drivers_get_their_own_execution(shared: Shared) -> None:
    org, admin = await shared.api.operator()
    viewer = await shared.api.operator_in(org, "viewer")
    driver = await shared.api.driver()
    bus_before = shared.events.subscriber_count
    async with opened(shared.api.ws_url, admin) as a, opened(shared.api.ws_url, viewer) as v:
        await subscribe(a)
        await subscribe(v)
        await until(lambda: shared.events.subscriber_count == bus_before + 2, "two executions")
        shared.events.publish(telemetry(str(org.id), 3))
        assert temperature(await frame(a)) == temperature(await frame(v)) == 3.0  # viewers read
        async with opened(shared.api.ws_url, driver) as d:
            await subscribe(d)
            error = json.loads(await frame(d))
            assert error["type"] == "next" and error["payload"]["data"] is None, error
            assert error["payload"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert json.loads(await frame(d)) == {"id": "1", "type": "complete"}


async def test_subscribers_come_and_go_and_the_last_one_releases_the_bus(shared: Shared) -> None:
    org, leader_token = await shared.api.operator()
    others = [await shared.api.operator_in(org, "admin") for _ in range(3)]
    bus_before = shared.events.subscriber_count
    async with contextlib.AsyncExitStack() as stack:
        leader = await stack.enter_async_context(opened(shared.api.ws_url, leader_token))
        await subscribe(leader)
        await until(lambda: shared.events.subscriber_count == bus_before + 1, "leader runs")
        rest = [await stack.enter_async_context(opened(shared.api.ws_url, t)) for t in others]
        for ws in rest:
            await subscribe(ws)
        await until(lambda: shared.hub.member_count == 4, "all attached")
        assert shared.events.subscriber_count == bus_before + 1

        await leader.close()  # the leader's connection (whose context runs it) goes away
        await until(lambda: shared.hub.member_count == 3, "leader detached")
        shared.events.publish(telemetry(str(org.id), 4))
        assert [temperature(await frame(ws)) for ws in rest] == [4.0] * 3

        quitter, *staying = rest
        await quitter.send(json.dumps({"id": "1", "type": "complete"}))
        await until(lambda: shared.hub.member_count == 2, "one unsubscribed")
        shared.events.publish(telemetry(str(org.id), 5))
        assert [temperature(await frame(ws)) for ws in staying] == [5.0] * 2
        await silent(quitter)  # and it can subscribe again under the same id, sharing again
        await subscribe(quitter)
        await until(lambda: shared.hub.member_count == 3, "rejoined")
        shared.events.publish(telemetry(str(org.id), 6))
        assert [temperature(await frame(ws)) for ws in rest] == [6.0] * 3
        assert shared.events.subscriber_count == bus_before + 1

        for ws in rest:
            await ws.send(json.dumps({"id": "1", "type": "complete"}))
        await until(lambda: shared.events.subscriber_count == bus_before, "bus released")
        assert shared.hub.execution_count == 0


async def test_alert_feed_is_shared_too(shared: Shared) -> None:
    org, token = await shared.api.operator()
    bus_before = shared.events.subscriber_count
    async with opened(shared.api.ws_url, token) as a, opened(shared.api.ws_url, token) as b:
        await subscribe(a, ALERT_FEED)
        await subscribe(b, ALERT_FEED)
        await until(lambda: shared.hub.member_count == 2, "both attached")
        assert shared.events.subscriber_count == bus_before + 1
        at = utcnow()
        shared.events.publish(
            AlertChanged(
                org_id=str(org.id),
                station_id="ST-9",
                at=at,
                alert_id="a1",
                connector_id=None,
                kind="OVERHEATING",
                severity="CRITICAL",
                state="RAISED",
                message="offline",
                raised_at=at,
            )
        )
        first = await frame(a)
        assert first == await frame(b)
        assert json.loads(first)["payload"]["data"]["alertFeed"]["message"] == "offline"


async def test_errors_reach_every_subscriber_as_without_sharing(shared: Shared) -> None:
    _, stranger = await shared.api.operator()
    foreign_site = await create_site(shared.api, stranger)
    _, token = await shared.api.operator()
    bus_before = shared.events.subscriber_count
    variables = {"siteId": foreign_site}
    for bad in (variables, {"siteId": "not-an-id"}):
        async with (
            opened(shared.api.ws_url, token) as a,
            opened(shared.api.ws_url, token) as b,
            opened(shared.plain_url, token) as plain,
        ):
            for ws in (a, b, plain):
                await subscribe(ws, STATION_EVENTS, bad)
            expected = [await frame(plain), await frame(plain)]
            assert json.loads(expected[1]) == {"id": "1", "type": "complete"}
            assert [await frame(a), await frame(a)] == [await frame(b), await frame(b)] == expected
    code = json.loads(expected[0])["payload"]["errors"][0]["extensions"]["code"]
    assert code == "INVALID_INPUT"
    assert shared.hub.execution_count == 0
    await until(lambda: shared.events.subscriber_count == bus_before, "nothing left subscribed")
    # a document that does not parse closes the socket exactly as before (4400)
    async with opened(shared.api.ws_url, token) as ws:
        await subscribe(ws, "subscription { stationEvents {")
        await ws.wait_closed()
        assert ws.close_code == 4400


def _small_receive_socket(base: str) -> socket.socket:
    """A client socket with a tiny receive buffer: a client that stops reading backs up fast."""
    address = urlsplit(base)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((address.hostname, address.port))
    sock.setblocking(False)
    return sock


async def test_a_slow_consumer_is_dropped_without_delaying_the_others(shared: Shared) -> None:
    org, token = await shared.api.operator()
    slow_before = shared.hub.slow_consumers
    big = "S" * 32_768  # large (uncompressed) frames fill the stalled client's buffers quickly
    sock = _small_receive_socket(shared.api.base)
    async with (
        opened(shared.api.ws_url, token, sock=sock, max_queue=1, compression=None) as slow,
        opened(shared.api.ws_url, token) as fast1,
        opened(shared.api.ws_url, token) as fast2,
    ):
        for ws in (slow, fast1, fast2):
            await subscribe(ws)
        await until(lambda: shared.hub.member_count == 3, "all attached")
        sent = 0
        while shared.hub.slow_consumers == slow_before:
            sent += 1
            assert sent < 2_000, "the stalled subscriber was never dropped"
            shared.events.publish(telemetry(str(org.id), sent, station_id=big))
            for ws in (fast1, fast2):  # the others keep getting every event at once
                assert temperature(await frame(ws)) == float(sent)
        assert shared.hub.member_count == 2
        shared.events.publish(telemetry(str(org.id), sent + 1))
        assert [temperature(await frame(ws)) for ws in (fast1, fast2)] == [sent + 1.0] * 2

        # the stalled one, reading again: what it had been sent, its queue, then the error
        received = []
        while (message := json.loads(await frame(slow, 5.0)))["type"] == "next":
            received.append(temperature(json.dumps(message)))
        assert message["type"] == "error", message
        assert message["payload"][0]["extensions"]["code"] == SLOW_CONSUMER
        assert received == [float(n) for n in range(1, len(received) + 1)]  # in order, no gaps
        assert QUEUE <= len(received) < sent
        await subscribe(slow)  # it may subscribe again
        await until(lambda: shared.hub.member_count == 3, "resubscribed")


@dataclass
class _Caller:
    principal: Principal | None


def test_what_shares_a_key(shared: Shared) -> None:
    key_for = shared.hub.key_for
    admin = _Caller(Principal(PrincipalKind.OPERATOR, "u1", org_id="o1", role=OperatorRole.ADMIN))
    colleague = _Caller(
        Principal(PrincipalKind.OPERATOR, "u2", org_id="o1", role=OperatorRole.ADMIN)
    )
    query = "subscription S($siteId: ID) { stationEvents(siteId: $siteId) { at } }"
    spaced = "subscription S($siteId: ID) {\n  stationEvents(siteId: $siteId) {\n    at\n  }\n}"
    vars_ = {"siteId": "x", "unused": [1, 2]}
    key = key_for(query, "S", vars_, admin)
    assert key is not None
    # same normalised document, variables in another order, another operator of the same scope
    assert key_for(spaced, "S", {"unused": [1, 2], "siteId": "x"}, colleague) == key
    assert key_for(query, "S", {"siteId": "y"}, admin) != key
    assert key_for(query, None, vars_, admin) != key  # the operation name is part of it
    assert key_for("subscription { alertFeed { id } }", None, None, admin) is not None
    driver = _Caller(Principal(PrincipalKind.DRIVER, "d1"))
    assert key_for(query, "S", vars_, driver) not in (None, key)
    never_shared = [
        ('subscription { sessionProgress(sessionId: "s") { status } }', None, admin),
        ("query { __typename }", None, admin),
        ("subscription { stationEvents { at }", None, admin),  # does not parse
        (query, "Other", admin),  # no such operation
        (query, "S", _Caller(None)),  # nobody signed in
    ]
    for text, name, caller in never_shared:
        assert key_for(text, name, vars_, caller) is None, text
