"""What the station-facing use cases return, and the small keys they share."""

from __future__ import annotations

from dataclasses import dataclass

from beanie import PydanticObjectId

from domain.charging.id_tokens import IdTagInfo
from domain.charging.models import ChargingSession, IdTokenStatus
from domain.network.models import Station


@dataclass(frozen=True)
class StartResult:
    session: ChargingSession
    id_tag_status: IdTokenStatus
    id_tag_info: IdTagInfo | None = None  # the status with the token's expiry and parent


@dataclass(frozen=True)
class StopResult:
    session: ChargingSession | None  # None: an orphan (unknown transaction), recorded
    id_tag_status: IdTokenStatus | None
    id_tag_info: IdTagInfo | None = None


@dataclass(frozen=True)
class TransactionEventResult:
    session: ChargingSession
    id_tag_status: IdTokenStatus | None


def lock_key(station_id: object, connector_id: int) -> str:
    return f"{station_id}:{connector_id}"


def station_oid(station: Station) -> PydanticObjectId:
    assert station.id is not None
    return station.id
