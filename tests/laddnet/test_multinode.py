"""Four laddnet processes on one MongoDB replica set, as they run in production: OCPP nodes A and B
(``serve --ocpp-only``), API nodes C and D (``serve --api-only``). A station connects to A, another
to B. An operator signed in on C starts a charge at A's station and one on D at B's; the operator's
live stationEvents on D see A's station change status, and on C see B's. Nothing but MongoDB sits
between the processes. They stop cleanly on SIGINT."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from ocpp.v16 import call
from websockets.asyncio.client import connect

from domain.common.events import InProcessEventBus
from domain.identity.service import IdentityService
from domain.network.service import NetworkService
from laddnet.database import Database
from tests.e2e.conftest import Subscription
from tests.e2e.ops import OPS
from tests.factories.charging import TestChargePoint16, connect_charge_point
from tests.factories.identity import PASSWORD, make_tokens, unique_email
from tests.factories.network import create_site, create_station

SECRET = "multinode-secret-long-enough-for-hs256!"
WAIT = 10.0  # every wait on another process is bounded by this
START = 60.0  # four interpreters importing laddnet at once on two shared cores


@dataclass
class Node:
    name: str
    process: subprocess.Popen[bytes]
    out: Path
    err: Path
    port: int = 0

    def output(self) -> str:
        return self.out.read_text(errors="replace") + self.err.read_text(errors="replace")


def start_node(name: str, role: str, database: Database, tmp: Path) -> Node:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LADDNET_")}
    env.update(
        LADDNET_MONGODB_URI=database.uri,
        LADDNET_MONGODB_DATABASE=database.db.name,
        LADDNET_OCPP_PORT="0",  # the node prints the port it bound
        LADDNET_API_PORT="0",
        LADDNET_JWT_SECRET=SECRET,
        LADDNET_DATA_DIR=str(tmp / name),
        LADDNET_OCPP_RESPONSE_TIMEOUT="5",
        LADDNET_LOG_LEVEL="WARNING",
    )
    out, err = tmp / f"{name}.out", tmp / f"{name}.err"
    process = subprocess.Popen(
        [sys.executable, "-m", "laddnet.cli", "serve", f"--{role}-only"],
        env=env,
        stdout=out.open("wb"),
        stderr=err.open("wb"),
    )
    return Node(name, process, out, err)


async def until_running(node: Node, pattern: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + START
    while loop.time() < deadline:
        text = node.out.read_text(errors="replace")
        if "Press Ctrl-C to stop." in text:
            found = re.search(pattern, text)
            assert found, text
            node.port = int(found.group(1))
            return
        if node.process.poll() is not None:
            raise AssertionError(f"node {node.name} exited: {node.output()}")
        await asyncio.sleep(0.1)
    raise AssertionError(f"node {node.name} did not start within {START}s: {node.output()}")


async def stop(nodes: list[Node]) -> dict[str, int | None]:
    for node in nodes:
        if node.process.poll() is None:
            node.process.send_signal(signal.SIGINT)
    codes: dict[str, int | None] = {}
    for node in nodes:
        try:
            codes[node.name] = await asyncio.to_thread(node.process.wait, WAIT)
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait()
            codes[node.name] = None
    return codes


@contextlib.contextmanager
def killed_on_failure(nodes: list[Node]) -> Iterator[None]:
    try:
        yield
    except BaseException:
        for node in nodes:
            if node.process.poll() is None:
                node.process.kill()
                node.process.wait()
        for node in nodes:
            print(f"--- {node.name}\n{node.output()[-3000:]}")
        raise


class Api:
    def __init__(self, node: Node, http: httpx.AsyncClient) -> None:
        self.node = node
        self.http = http
        self.base = f"http://127.0.0.1:{node.port}"

    async def data(self, op: str, variables: dict[str, Any], token: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        body = {"query": OPS[op], "variables": variables}
        response = await self.http.post(f"{self.base}/graphql", json=body, headers=headers)
        assert response.status_code == 200, response.text
        result = response.json()
        assert "errors" not in result, result
        return result["data"]

    @contextlib.asynccontextmanager
    async def station_events(self, token: str, site_id: str) -> AsyncIterator[Subscription]:
        url = self.base.replace("http://", "ws://") + "/graphql"
        async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
            init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
            await ws.send(json.dumps(init))
            ack = json.loads(await asyncio.wait_for(ws.recv(), WAIT))
            assert ack["type"] == "connection_ack", ack
            payload = {"query": OPS["StationEvents"], "variables": {"siteId": site_id}}
            await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
            yield Subscription(ws, "stationEvents")


async def status(cp: TestChargePoint16, connector_id: int, value: str) -> None:
    await cp.call(
        call.StatusNotification(connector_id=connector_id, error_code="NoError", status=value)
    )


async def live(sub: Subscription, cp: TestChargePoint16, station_id: str) -> None:
    """Wait until the subscription is served (its resolver has subscribed on its node): flip the
    station's connector 2 until one of the flips arrives."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    flips = ["Unavailable", "Available"]
    while loop.time() < deadline:
        await status(cp, 2, flips[0])
        flips.reverse()
        with contextlib.suppress(TimeoutError):
            await sub.until(
                lambda e: e.get("stationId") == station_id and e.get("connectorId") == 2, 0.5
            )
            return
    raise AssertionError("the subscription never received an event")


def changed(station_id: str, connector_id: int, value: str) -> Any:
    def matches(event: dict[str, Any]) -> bool:
        return (
            event["__typename"] == "ConnectorStatusChanged"
            and event["stationId"] == station_id
            and event["connectorId"] == connector_id
            and event["status"] == value
        )

    return matches


async def test_commands_and_events_cross_four_nodes(database: Database, tmp_path: Path) -> None:
    email = unique_email("multinode")
    identity = IdentityService(tokens=make_tokens(secret=SECRET))
    org, _ = await identity.create_organisation_with_admin("Multinode Org", email, PASSWORD)
    network = NetworkService(InProcessEventBus())
    assert org.id is not None
    site = await create_site(network, org.id)
    assert site.id is not None
    on_a = await create_station(network, org.id, site.id)
    on_b = await create_station(network, org.id, site.id)
    site_id, a_station, b_station = str(site.id), str(on_a.id), str(on_b.id)

    roles = [("A", "ocpp"), ("B", "ocpp"), ("C", "api"), ("D", "api")]
    nodes = [start_node(name, role, database, tmp_path) for name, role in roles]
    node_a, node_b, node_c, node_d = nodes
    with killed_on_failure(nodes):
        await asyncio.gather(
            *(until_running(n, r"ws://[^:]+:(\d+)/ocpp") for n in (node_a, node_b)),
            *(until_running(n, r"GraphQL\s+http://[^:]+:(\d+)/graphql") for n in (node_c, node_d)),
        )
        async with (
            httpx.AsyncClient(timeout=WAIT) as http,
            connect_charge_point(node_a.port, on_a.charge_point_id) as cp_a,
            connect_charge_point(node_b.port, on_b.charge_point_id) as cp_b,
        ):
            c, d = Api(node_c, http), Api(node_d, http)
            signed = await c.data("SignIn", {"input": {"email": email, "password": PASSWORD}})
            token = signed["signIn"]["tokens"]["accessToken"]  # issued by C, honoured by D
            for cp in (cp_a, cp_b):
                boot = call.BootNotification(charge_point_model="M", charge_point_vendor="V")
                assert (await cp.call(boot)).status == "Accepted"
                await status(cp, 1, "Available")

            async with (
                c.station_events(token, site_id) as on_c,
                d.station_events(token, site_id) as on_d,
            ):
                await live(on_d, cp_a, a_station)
                await live(on_c, cp_b, b_station)

                # API node C -> OCPP node A; API node D -> OCPP node B.
                for api, station, cp in ((c, a_station, cp_a), (d, b_station, cp_b)):
                    started = await api.data(
                        "RemoteStart",
                        {"input": {"stationId": station, "connectorId": 1, "idTag": "TAG-1"}},
                        token,
                    )
                    assert started["remoteStart"]["errors"] == [], started
                    assert started["remoteStart"]["session"]["status"] == "PENDING"
                    assert [a for a, _ in cp.received] == ["RemoteStartTransaction"]
                    assert cp.received[0][1]["connector_id"] == 1
                    assert cp.received[0][1]["id_tag"] == "TAG-1"

                # OCPP node A -> API node D; OCPP node B -> API node C.
                await status(cp_a, 1, "Preparing")
                await on_d.until(changed(a_station, 1, "PREPARING"), WAIT)
                await status(cp_b, 1, "Preparing")
                await on_c.until(changed(b_station, 1, "PREPARING"), WAIT)

        codes = await stop(nodes)
    assert codes == {"A": 0, "B": 0, "C": 0, "D": 0}, codes
    for node in nodes:
        assert "Traceback" not in node.output(), node.output()
