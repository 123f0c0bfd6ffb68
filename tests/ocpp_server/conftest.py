"""An OcppServer on a free loopback port, in the test event loop, against the module's database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest

from domain.charging.commands import (
    CommandResult,
    CommandStatus,
    StationCommand,
    StationCommandService,
)
from domain.charging.service import ChargingService
from domain.common.events import InProcessEventBus
from domain.network.models import Site
from domain.network.service import NetworkService
from ocpp_server.server import OcppDependencies, OcppServer
from tests.factories.network import create_org, create_site


class _NoGateway:
    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        return CommandResult(CommandStatus.OFFLINE)


@dataclass
class Csms:
    events: InProcessEventBus
    network: NetworkService
    charging: ChargingService
    commands: StationCommandService
    server: OcppServer
    site: Site

    @property
    def port(self) -> int:
        return self.server.port


@pytest.fixture(scope="module")
async def csms(database: object) -> AsyncIterator[Csms]:
    events = InProcessEventBus()
    network = NetworkService(events)
    commands = StationCommandService(_NoGateway())
    charging = ChargingService(events=events, network=network, commands=commands)
    server = OcppServer(
        OcppDependencies(network=network, charging=charging, events=events),
        host="127.0.0.1",
        port=0,
        node_id="test-node",
        response_timeout=2.0,
        heartbeat_interval=60,
        auth_failure_limit=3,
        auth_failure_window=60,
    )
    await server.start()
    commands.gateway = server.gateway
    org = await create_org()
    site = await create_site(network, org.id)
    try:
        yield Csms(events, network, charging, commands, server, site)
    finally:
        await server.stop()
