"""Adapters behind the ports a context declares for its view of another (``domain/*/ports.py``).

Only the composition root knows both sides: each adapter answers one consuming context's port
with the serving context's services and repositories, so contexts never reach into each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from beanie import PydanticObjectId

from domain.billing.ports import BillingPorts, DriverContact
from domain.charging.models import ChargingSession, MeterSample
from domain.charging.results import lock_key
from domain.charging.service import ChargingService
from domain.identity import repository as identity_repo
from domain.network import repository as network_repo
from domain.network.models import Station, StatusInterval
from domain.network.service import NetworkService
from domain.tariffs import repository as tariffs_repo
from domain.tariffs.models import Plan, TariffDocument

# -- billing's view of the other contexts -----------------------------------------------------


class ChargingForBilling:
    def __init__(self, charging: ChargingService) -> None:
        self.charging = charging

    async def session(self, session_id: PydanticObjectId) -> ChargingSession | None:
        return await self.charging.store.session(session_id)

    def connector_key(self, station_id: PydanticObjectId, connector_id: int) -> str:
        return lock_key(station_id, connector_id)

    async def session_on_connector(
        self, station_id: PydanticObjectId, connector_id: int
    ) -> ChargingSession | None:
        return await self.charging.store.session_holding(station_id, connector_id)

    async def ended_sessions(
        self,
        stored_since: datetime,
        *,
        after: ChargingSession | None,
        limit: int,
        org_id: PydanticObjectId | None = None,
    ) -> list[ChargingSession]:
        cursor = (after.updated_at, after.id) if after is not None and after.id else None
        return await self.charging.store.final_sessions_since(
            stored_since, after=cursor, limit=limit, org_id=org_id
        )

    async def samples(self, session: ChargingSession) -> Sequence[MeterSample]:
        if session.transaction_id is None:
            return []
        return await self.charging.store.samples_for_transaction(
            session.station_id, session.transaction_id
        )

    async def start_for_driver(
        self, station: Station, connector_id: int, driver_id: PydanticObjectId
    ) -> ChargingSession:
        tag = await self.charging.app_id_tag(driver_id)
        return await self.charging.remote_start(station, connector_id, tag, driver_id)

    async def stop(self, session: ChargingSession) -> object:
        return await self.charging.remote_stop(session)


class NetworkForBilling:
    def __init__(self, network: NetworkService) -> None:
        self.network = network

    async def station(self, station_id: PydanticObjectId) -> Station:
        return await self.network.station(station_id)

    async def find_station(self, station_id: PydanticObjectId) -> Station | None:
        return await network_repo.get_station(station_id)

    async def site_timezone(self, site_id: PydanticObjectId) -> str | None:
        site = await network_repo.get_site(site_id)
        return site.timezone if site else None

    async def status_history(
        self, station_id: PydanticObjectId, connector_id: int, start: datetime, end: datetime
    ) -> Sequence[StatusInterval]:
        return [
            i
            for i in await network_repo.status_history(station_id, start, end)
            if i.connector_id == connector_id
        ]

    async def station_names(self, ids: Sequence[PydanticObjectId]) -> dict[str, str]:
        return {str(s.id): s.name for s in await network_repo.get_stations(ids)}

    async def site_names(self, ids: Sequence[PydanticObjectId]) -> dict[str, str]:
        return {str(s.id): s.name for s in await network_repo.get_sites(ids)}


class TariffsForBilling:
    async def tariff(self, tariff_id: PydanticObjectId) -> TariffDocument | None:
        return await tariffs_repo.get_tariff(tariff_id)

    async def plan(self, plan_id: PydanticObjectId) -> Plan | None:
        return await tariffs_repo.get_plan(plan_id)

    async def set_plan_price(self, plan_id: PydanticObjectId, price_id: str) -> None:
        await tariffs_repo.set_plan_price(plan_id, price_id)

    async def org_currency(self, org_id: PydanticObjectId) -> str | None:
        tariffs = await tariffs_repo.list_tariffs(org_id)
        return tariffs[0].tariff.currency if tariffs else None


class DriversForBilling:
    async def contact(self, driver_id: PydanticObjectId) -> DriverContact | None:
        driver = await identity_repo.get_driver(driver_id)
        return DriverContact(email=driver.email, name=driver.name) if driver else None

    async def record_payment_profile(
        self,
        driver_id: PydanticObjectId,
        *,
        customer_id: str | None = None,
        default_payment_method: str | None = None,
    ) -> None:
        fields = {
            "stripe_customer_id": customer_id,
            "default_payment_method": default_payment_method,
        }
        await identity_repo.set_payment_profile(
            driver_id, {k: v for k, v in fields.items() if v is not None}
        )


def billing_ports(charging: ChargingService, network: NetworkService) -> BillingPorts:
    return BillingPorts(
        charging=ChargingForBilling(charging),
        network=NetworkForBilling(network),
        tariffs=TariffsForBilling(),
        drivers=DriversForBilling(),
    )
