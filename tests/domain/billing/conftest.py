"""Billing against localstripe (one per test module) and the real store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field

import pytest
from beanie import PydanticObjectId

from domain.billing.gateway import PaymentGateway
from domain.billing.service import BillingService
from domain.billing.stripe_gateway import StripeGateway
from domain.charging.commands import (
    CommandResult,
    CommandStatus,
    StationCommand,
    StationCommandService,
)
from domain.charging.models import ChargingSession
from domain.charging.service import ChargingService
from domain.common.events import InProcessEventBus
from domain.identity.service import IdentityService
from domain.network.models import Site, Station
from domain.network.service import NetworkService
from domain.tariffs.service import TariffService
from laddnet.adapters import ChargingForBilling
from laddnet.localstripe import LocalStripe
from tests.factories.billing import make_billing, make_gateway
from tests.factories.identity import make_identity
from tests.factories.network import create_org, create_site, create_station


@dataclass
class FakeStations:
    """The outermost edge: what the OCPP server would send. Records every command."""

    sent: list[tuple[str, StationCommand]] = field(default_factory=list)

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        self.sent.append((charge_point_id, command))
        return CommandResult(CommandStatus.ACCEPTED)


APP_TAG = "APP-TAG"  # the id tag these tests' stations report for the driver's app start


class StationsCharging(ChargingForBilling):
    """Billing's view of charging as production wires it, except that the driver's app start
    carries ``APP_TAG``; ``before_start`` runs just before the station is asked, ``on_stop``
    replaces the remote stop."""

    def __init__(
        self,
        charging: ChargingService,
        *,
        before_start: Callable[[], Awaitable[None]] | None = None,
        on_stop: Callable[[ChargingSession], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(charging)
        self.before_start = before_start
        self.on_stop = on_stop

    async def start_for_driver(
        self, station: Station, connector_id: int, driver_id: PydanticObjectId
    ) -> ChargingSession:
        if self.before_start is not None:
            await self.before_start()
        return await self.charging.remote_start(station, connector_id, APP_TAG, driver_id)

    async def stop(self, session: ChargingSession) -> object:
        if self.on_stop is None:
            return await super().stop(session)
        await self.on_stop(session)
        return None


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
        await self.network.station_connected(station, node_id="billing-tests")
        return await self.network.station(station.id)  # type: ignore[arg-type]

    def make_billing(
        self,
        gateway: PaymentGateway | None = None,
        *,
        before_start: Callable[[], Awaitable[None]] | None = None,
        on_stop: Callable[[ChargingSession], Awaitable[None]] | None = None,
    ) -> BillingService:
        """Another billing over this world (its gateway by default); with ``on_stop`` it stops
        sessions whose cost reaches their hold."""
        port = StationsCharging(self.charging, before_start=before_start, on_stop=on_stop)
        return make_billing(
            gateway or self.gateway,
            self.charging,
            self.network,
            charging_port=port,
            stop_at_hold=on_stop is not None,
        )


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
    billing = make_billing(
        gateway, charging, network, charging_port=StationsCharging(charging), stop_at_hold=False
    )
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
