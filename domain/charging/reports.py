"""What a station's non-transaction reports mean beyond being kept: the events other contexts act on
(security events and file-transfer progress for diagnostics), and 2.0.1 connector temperatures that
arrive as NotifyEvent (2.0.1 has no Temperature measurand) read as meter samples. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.charging import metering, timestamps
from domain.charging.models import StationReport
from domain.common.clock import as_utc
from domain.common.events import DomainEvent
from domain.diagnostics.events import SecurityEventReported, TransferStatusReported

TRANSFER_KINDS = {
    "DiagnosticsStatus": "DIAGNOSTICS",
    "LogStatus": "DIAGNOSTICS",
    "FirmwareStatus": "FIRMWARE",
}


def report_events(report: StationReport, *, site_id: str | None) -> list[DomainEvent]:
    base: dict[str, Any] = {
        "org_id": str(report.org_id),
        "site_id": site_id,
        "station_id": str(report.station_id),
        "at": as_utc(report.at),
    }
    transfer = TRANSFER_KINDS.get(report.kind)
    if transfer is not None and report.status:
        return [
            TransferStatusReported(
                **base, kind=transfer, status=report.status, request_id=report.request_id
            )
        ]
    if report.kind == "SecurityEvent" and report.status:
        reported = timestamps.parse(report.data.get("timestamp"))
        if reported is not None:
            base["at"] = timestamps.check(reported, base["at"])[0]
        tech = report.data.get("tech_info")
        return [
            SecurityEventReported(
                **base, type=report.status, tech_info=str(tech) if tech is not None else None
            )
        ]
    return []


def _is_connector_temperature(item: dict[str, Any]) -> bool:
    component = item.get("component") or {}
    variable = item.get("variable") or {}
    return (
        component.get("name") == "Connector"
        and variable.get("name") == "Temperature"
        and isinstance((component.get("evse") or {}).get("id"), int)
    )


def temperature_readings(
    event_data: Iterable[dict[str, Any]] | None,
) -> dict[int, list[metering.MeterReading]]:
    """NotifyEvent eventData about a Connector's Temperature, per EVSE (our connector id)."""
    out: dict[int, list[metering.MeterReading]] = {}
    for item in event_data or ():
        if not isinstance(item, dict) or not _is_connector_temperature(item):
            continue
        evse_id = int(item["component"]["evse"]["id"])
        at: datetime | None = timestamps.parse(item.get("timestamp"))
        raw = metering.RawSample(
            value=item.get("actual_value", ""), measurand="Temperature", unit="Celsius"
        )
        out.setdefault(evse_id, []).append(metering.MeterReading(at=at, samples=[raw]))
    return out
