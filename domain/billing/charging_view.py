"""What billing reads of charging: a session, the session holding a connector, a transaction's
meter samples. Charging's ``ChargingStore`` provides it (its reads see every sample and meter
update a station was answered for, even those still buffered)."""

from __future__ import annotations

from typing import Protocol

from beanie import PydanticObjectId

from domain.charging.models import ChargingSession, MeterSample


class ChargingView(Protocol):
    async def session(self, session_id: PydanticObjectId) -> ChargingSession | None: ...

    async def session_holding(
        self, station_id: PydanticObjectId, connector_id: int
    ) -> ChargingSession | None: ...

    async def samples_for_transaction(
        self, station_id: PydanticObjectId, transaction_id: str
    ) -> list[MeterSample]: ...
