"""Stopping the OCPP server stores what is buffered, but never waits on MongoDB forever."""

from __future__ import annotations

import asyncio
import logging

import pytest

from domain.charging.commands import StationCommandService
from domain.charging.service import ChargingService
from domain.common.events import InProcessEventBus
from domain.network.service import NetworkService
from ocpp_server import server as server_module
from ocpp_server.server import OcppDependencies, OcppServer
from tests.ocpp_server.conftest import _NoGateway

pytestmark = pytest.mark.usefixtures("database")


async def test_a_stop_gives_up_on_a_store_that_never_answers(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    events = InProcessEventBus()
    network = NetworkService(events)
    charging = ChargingService(
        events=events, network=network, commands=StationCommandService(_NoGateway())
    )
    closed: list[str] = []

    async def hangs() -> None:
        closed.append("asked")
        await asyncio.Event().wait()  # MongoDB gone: the last writes never come back

    monkeypatch.setattr(charging, "close", hangs)
    monkeypatch.setattr(server_module, "STOP_STORE_TIMEOUT", 0.3)
    server = OcppServer(
        OcppDependencies(network=network, charging=charging, events=events),
        host="127.0.0.1",
        port=0,
        node_id="stop-test",
    )
    await server.start()
    loop = asyncio.get_running_loop()
    began = loop.time()
    with caplog.at_level(logging.ERROR):
        await asyncio.wait_for(server.stop(), 5)
    assert closed == ["asked"]  # it did try to store the rest
    assert loop.time() - began < 3
    assert "without storing the last station writes" in caplog.text
