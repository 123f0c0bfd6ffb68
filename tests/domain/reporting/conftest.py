"""Hand-built histories: status intervals and sessions written straight to the store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from beanie import PydanticObjectId

from domain.charging.models import ChargingSession
from domain.charging.state import SessionStatus
from domain.common.events import InProcessEventBus
from domain.network.models import (
    ConnectivityInterval,
    ConnectorStatus,
    Site,
    Station,
    StatusInterval,
)
from domain.network.service import ConnectorSpec, NetworkService
from tests.factories.network import create_org, create_site, create_station

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def local(*args: int) -> datetime:
    """A Stockholm wall-clock time as UTC."""
    return datetime(*args, tzinfo=STOCKHOLM).astimezone(UTC)  # type: ignore[misc]


@dataclass
class Network:
    org_id: PydanticObjectId
    site: Site
    stations: list[Station]


async def build_network(connectors: list[int], site_name: str = "Hamn") -> Network:
    """One organisation, one Stockholm site, a station per entry with that many connectors."""
    network = NetworkService(InProcessEventBus())
    org = await create_org()
    assert org.id is not None
    site = await create_site(network, org.id, name=site_name, timezone="Europe/Stockholm")
    assert site.id is not None
    stations = [
        await create_station(
            network,
            org.id,
            site.id,
            name=f"{site_name}-{i + 1}",
            connectors=[ConnectorSpec(c + 1) for c in range(n)],
        )
        for i, n in enumerate(connectors)
    ]
    return Network(org.id, site, stations)


async def status(
    station: Station, connector: int, value: str, start: datetime, end: datetime | None
) -> None:
    await StatusInterval(
        org_id=station.org_id,
        site_id=station.site_id,
        station_id=station.id,  # type: ignore[arg-type]
        connector_id=connector,
        status=ConnectorStatus(value),
        start=start,
        end=end,
    ).insert()


async def session(
    station: Station, connector: int, start: datetime, end: datetime | None, wh: int, **extra: Any
) -> ChargingSession:
    doc = ChargingSession(
        org_id=station.org_id,
        site_id=station.site_id,
        station_id=station.id,  # type: ignore[arg-type]
        charge_point_id=station.charge_point_id,
        connector_id=connector,
        ocpp_version="1.6",
        status=SessionStatus.ENDED if end else SessionStatus.CHARGING,
        started_at=start,
        ended_at=end,
        energy_wh=wh,
        **extra,
    )
    await doc.insert()
    return doc


async def connectivity(
    station: Station, online: bool, start: datetime, end: datetime | None
) -> None:
    await ConnectivityInterval(
        org_id=station.org_id,
        site_id=station.site_id,
        station_id=station.id,  # type: ignore[arg-type]
        online=online,
        start=start,
        end=end,
    ).insert()
