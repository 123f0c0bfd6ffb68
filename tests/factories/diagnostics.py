"""Factories for diagnostics: samples, sample series and the telemetry events stations cause."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from domain.charging.events import StationTelemetryUpdated
from domain.common.events import ConnectorStatusChanged
from domain.diagnostics.samples import Sample
from domain.network.models import Station

T0 = datetime(2025, 3, 3, 12, 0, tzinfo=UTC)


def make_sample(**overrides: Any) -> Sample:
    args: dict[str, Any] = {"at": T0, "station_id": "st-1", "connector_id": 1}
    args.update(overrides)
    return Sample(**args)


def series(every_seconds: int, values: list[dict[str, Any]], start: datetime = T0) -> list[Sample]:
    """One sample per entry of ``values``, ``every_seconds`` apart from ``start``."""
    return [
        make_sample(at=start + timedelta(seconds=i * every_seconds), **fields)
        for i, fields in enumerate(values)
    ]


def telemetry(
    station: Station, at: datetime, connector_id: int = 1, **fields: Any
) -> StationTelemetryUpdated:
    return StationTelemetryUpdated(
        org_id=str(station.org_id),
        site_id=str(station.site_id),
        station_id=str(station.id),
        at=at,
        connector_id=connector_id,
        **fields,
    )


def status_changed(
    station: Station,
    at: datetime,
    status: str,
    connector_id: int = 1,
    error_code: str | None = None,
) -> ConnectorStatusChanged:
    return ConnectorStatusChanged(
        org_id=str(station.org_id),
        site_id=str(station.site_id),
        station_id=str(station.id),
        at=at,
        connector_id=connector_id,
        status=status,
        error_code=error_code,
    )
