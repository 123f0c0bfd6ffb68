"""One task pings every connection: a live station stays, a silent one is closed with 1011."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from ocpp.v16 import call
from websockets.asyncio.client import connect

from domain.charging.commands import StationCommandService
from domain.charging.service import ChargingService
from domain.common.events import InProcessEventBus
from domain.network import repository as network_repo
from domain.network.models import Site
from domain.network.service import NetworkService
from ocpp_server.server import OcppDependencies, OcppServer
from tests.factories.charging import basic_auth, connect_charge_point
from tests.factories.network import STATION_KEY, create_org, create_site, create_station
from tests.ocpp_server.conftest import _NoGateway

INTERVAL, TIMEOUT = 0.2, 0.3


@pytest.fixture(scope="module")
async def pinging(database: object) -> AsyncIterator[tuple[OcppServer, NetworkService, Site]]:
    events = InProcessEventBus()
    network = NetworkService(events)
    charging = ChargingService(
        events=events, network=network, commands=StationCommandService(_NoGateway())
    )
    server = OcppServer(
        OcppDependencies(network=network, charging=charging, events=events),
        port=0,
        node_id="keepalive",
        ping_interval=INTERVAL,
        ping_timeout=TIMEOUT,
    )
    await server.start()
    site = await create_site(network, (await create_org()).id)
    try:
        yield server, network, site
    finally:
        await server.stop()


async def _until(predicate: object, seconds: float = 5.0) -> None:
    for _ in range(int(seconds / 0.02)):
        if predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.02)
    raise AssertionError("condition not reached")


async def test_a_live_station_is_pinged_and_stays_connected(
    pinging: tuple[OcppServer, NetworkService, Site],
) -> None:
    server, network, site = pinging
    station = await create_station(network, site.org_id, site.id)
    async with connect_charge_point(server.port, station.charge_point_id, "1.6") as cp:
        websocket = server.registry.get(station.charge_point_id).websocket  # type: ignore[union-attr]
        assert websocket.keepalive_task is None  # no task of its own
        assert websocket.response is None and not websocket.request.headers  # type: ignore[union-attr]
        await asyncio.sleep(4 * (INTERVAL + TIMEOUT))  # several pings, each answered
        assert websocket.latency > 0  # a pong came back
        assert server.registry.get(station.charge_point_id) is not None
        assert (await cp.call(call.Heartbeat())).current_time


async def test_a_station_that_answers_no_ping_is_closed_and_goes_offline(
    pinging: tuple[OcppServer, NetworkService, Site],
) -> None:
    server, network, site = pinging
    station = await create_station(network, site.org_id, site.id)
    cp_id = station.charge_point_id
    before = server.keepalive.timed_out
    async with connect(
        f"ws://127.0.0.1:{server.port}/ocpp/{cp_id}",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers=basic_auth(cp_id, STATION_KEY),
        ping_interval=None,
    ) as ws:
        await _until(lambda: server.registry.get(cp_id) is not None)
        ws.transport.pause_reading()  # a station gone silent: pings unread, no pong
        await _until(lambda: server.keepalive.timed_out > before)
        ws.transport.resume_reading()  # let the closing handshake finish quickly
        await asyncio.wait_for(ws.wait_closed(), 5)
    assert (ws.close_code, ws.close_reason) == (1011, "keepalive ping timeout")
    await _until(lambda: server.registry.get(cp_id) is None)
    for _ in range(100):  # the disconnect is recorded just after the registry lets go
        stored = await network_repo.get_station(station.id)
        if stored is not None and not stored.online:
            break
        await asyncio.sleep(0.02)
    assert stored is not None and not stored.online


async def test_closed_connections_leave_the_ping_queue(
    pinging: tuple[OcppServer, NetworkService, Site],
) -> None:
    server, network, site = pinging
    queued = len(server.keepalive)
    stations = [await create_station(network, site.org_id, site.id) for _ in range(3)]
    for station in stations:
        async with connect_charge_point(server.port, station.charge_point_id, "1.6") as cp:
            assert (await cp.call(call.Heartbeat())).current_time
    await _until(lambda: len(server.keepalive) <= queued, seconds=3 * INTERVAL + 2)
