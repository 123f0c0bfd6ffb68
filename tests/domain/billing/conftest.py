"""Billing against localstripe (one per test module) and the real store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field

import pytest

from domain.billing.service import BillingService
from domain.billing.stripe_gateway import StripeGateway
from domain.charging.commands import (
    CommandResult,
    CommandStatus,
    StationCommand,
    StationCommandService,
)
from domain.charging.service import ChargingService
from domain.common.events import InProcessEventBus
from domain.identity.service import IdentityService
from domain.network.models import Site, Station
from domain.network.service import NetworkService
from domain.tariffs.service import TariffService
from laddnet.localstripe import LocalStripe
from tests.factories.billing import make_gateway
from tests.factories.identity import make_identity
from tests.factories.network import create_org, create_site, create_station


@dataclass
class FakeStations:
    """The outermost edge: what the OCPP server would send. Records every command."""

    sent: list[tuple[str, StationCommand]] = field(default_factory=list)

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        self.sent.append((charge_point_id, command))
        return CommandResult(CommandStatus.ACCEPTED)


@dataclass
class World:
    network: NetworkService
    charging: ChargingService
    stations: FakeStations
    tariffs: TariffService
    identity: IdentityService
    gateway: StripeGateway
    billing: BillingService
    site: Site

    async def station(self) -> Station:
        station = await create_station(self.network, self.site.org_id, self.site.id)
        station.online = True
        return station


@pytest.fixture(scope="module")
def localstripe() -> Iterator[LocalStripe]:
    with LocalStripe() as running:
        yield running


@pytest.fixture
async def world(database: object, localstripe: LocalStripe) -> AsyncIterator[World]:
    events = InProcessEventBus()
    network = NetworkService(events)
    stations = FakeStations()
    charging = ChargingService(events, network, StationCommandService(stations))
    gateway = make_gateway(localstripe.api_base)
    billing = BillingService(gateway, charging=charging.store)
    org = await create_org()
    yield World(
        network=network,
        charging=charging,
        stations=stations,
        tariffs=TariffService(),
        identity=make_identity(),
        gateway=gateway,
        billing=billing,
        site=await create_site(network, org.id),
    )
