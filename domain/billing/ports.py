"""What billing needs from the other contexts, declared here in billing's terms.

Billing never queries another context's collections nor imports its repository (an import-linter
contract holds this): it asks through these ports, and the composition root (``laddnet/adapters``)
wires each to the context that answers. Documents of other contexts (a session, a station, a
tariff) come back as those contexts publish them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from beanie import PydanticObjectId

from domain.charging.models import ChargingSession
from domain.charging.models import MeterSample as StoredSample
from domain.network.models import Station, StatusInterval
from domain.tariffs.models import Plan, TariffDocument


class ChargingPort(Protocol):
    """Billing's view of charging: the sessions it bills and the starts and stops it asks for."""

    async def session(self, session_id: PydanticObjectId) -> ChargingSession | None: ...

    def connector_key(self, station_id: PydanticObjectId, connector_id: int) -> str:
        """The key charging holds a connector under while it has a session (a paid start's lock
        on the connector uses the same, so the two name the same thing)."""
        ...

    async def session_on_connector(
        self, station_id: PydanticObjectId, connector_id: int
    ) -> ChargingSession | None:
        """The session holding the connector now, if any."""
        ...

    async def ended_sessions(
        self,
        stored_since: datetime,
        *,
        after: ChargingSession | None,
        limit: int,
        org_id: PydanticObjectId | None = None,
    ) -> list[ChargingSession]:
        """Final sessions (ENDED, FAILED) last written at or after ``stored_since``, in the order
        they were written (``updated_at``, then id), the page after ``after``."""
        ...

    async def samples(self, session: ChargingSession) -> Sequence[StoredSample]:
        """The meter samples stored for the session's transaction."""
        ...

    async def start_for_driver(
        self, station: Station, connector_id: int, driver_id: PydanticObjectId
    ) -> ChargingSession:
        """Ask the station to start a session for the driver (their app id tag): the PENDING
        session its start will adopt."""
        ...

    async def stop(self, session: ChargingSession) -> object:
        """Ask the station to stop the session."""
        ...


class NetworkPort(Protocol):
    """Billing's view of the network: where a session happens and what its station costs."""

    async def station(self, station_id: PydanticObjectId) -> Station:
        """The station (``StationNotFound`` if there is none)."""
        ...

    async def find_station(self, station_id: PydanticObjectId) -> Station | None: ...

    async def site_timezone(self, site_id: PydanticObjectId) -> str | None: ...

    async def status_history(
        self, station_id: PydanticObjectId, connector_id: int, start: datetime, end: datetime
    ) -> Sequence[StatusInterval]:
        """The connector's status intervals overlapping [start, end]."""
        ...

    async def station_names(self, ids: Sequence[PydanticObjectId]) -> dict[str, str]: ...

    async def site_names(self, ids: Sequence[PydanticObjectId]) -> dict[str, str]: ...


class TariffsPort(Protocol):
    """Billing's view of tariffs and membership plans."""

    async def tariff(self, tariff_id: PydanticObjectId) -> TariffDocument | None: ...

    async def plan(self, plan_id: PydanticObjectId) -> Plan | None: ...

    async def org_currency(self, org_id: PydanticObjectId) -> str | None:
        """The currency the organisation prices in (its tariffs'), None without tariffs."""
        ...

    async def set_plan_price(self, plan_id: PydanticObjectId, price_id: str) -> None:
        """Record the plan's price at the payment provider (once: a price set stays)."""
        ...


@dataclass(frozen=True)
class DriverContact:
    email: str
    name: str


class DriversPort(Protocol):
    """Billing's view of identity: who a driver is, and where their payment profile is mirrored."""

    async def contact(self, driver_id: PydanticObjectId) -> DriverContact | None: ...

    async def record_payment_profile(
        self,
        driver_id: PydanticObjectId,
        *,
        customer_id: str | None = None,
        default_payment_method: str | None = None,
    ) -> None: ...


@dataclass(frozen=True)
class BillingPorts:
    charging: ChargingPort
    network: NetworkPort
    tariffs: TariffsPort
    drivers: DriversPort
