"""What ``stationEvents`` delivers, mapped from the domain's events."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.types.common import kw
from domain.charging import events as charging_events
from domain.common import events as domain_events
from domain.common.clock import as_utc
from domain.network.models import ConnectorStatus


@strawberry.interface
class StationEvent:
    station_id: strawberry.ID
    site_id: strawberry.ID | None
    at: datetime


@strawberry.type
class ConnectorStatusChanged(StationEvent):
    connector_id: int
    status: ConnectorStatus
    error_code: str | None


@strawberry.type
class StationConnectivityChanged(StationEvent):
    online: bool


@strawberry.type
class StationTelemetryUpdated(StationEvent):
    connector_id: int
    temperature_c: float | None
    voltage_v: float | None
    current_a: float | None
    power_kw: float | None
    energy_kwh: float | None
    soc_percent: float | None


STATION_EVENTS = (
    domain_events.ConnectorStatusChanged,
    domain_events.StationConnectivityChanged,
    charging_events.StationTelemetryUpdated,
)


def station_event_from_domain(event: domain_events.DomainEvent) -> StationEvent:
    station_id = strawberry.ID(event.station_id or "")
    site_id = strawberry.ID(event.site_id) if event.site_id else None
    at = as_utc(event.at)
    if isinstance(event, domain_events.ConnectorStatusChanged):
        return ConnectorStatusChanged(
            station_id=station_id,
            site_id=site_id,
            at=at,
            connector_id=event.connector_id,
            status=ConnectorStatus(event.status),
            error_code=event.error_code,
        )
    if isinstance(event, domain_events.StationConnectivityChanged):
        return StationConnectivityChanged(
            station_id=station_id, site_id=site_id, at=at, online=event.online
        )
    if isinstance(event, charging_events.StationTelemetryUpdated):
        return StationTelemetryUpdated(
            station_id=station_id,
            site_id=site_id,
            at=at,
            connector_id=event.connector_id,
            temperature_c=event.temperature_c,
            voltage_v=event.voltage_v,
            current_a=event.current_a,
            power_kw=kw(event.power_w),
            energy_kwh=None if event.energy_wh is None else event.energy_wh / 1000.0,
            soc_percent=event.soc_percent,
        )
    raise TypeError(f"not a station event: {type(event).__name__}")
