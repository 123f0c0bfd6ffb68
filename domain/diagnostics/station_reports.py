"""``StationReportLog``: what stations report outside charging, straight from the OCPP handlers:
firmware status, diagnostics/log upload status, security events, device-model reports and events,
data transfers. Each is kept as sent (``StationReport``); the ones diagnostics acts on are published
as its own events (``TransferStatusReported``: file-transfer progress, ``SecurityEventReported``),
which ``DiagnosticsService`` consumes.
"""

from __future__ import annotations

from typing import Any

from domain.charging.timestamps import check as check_timestamp
from domain.charging.timestamps import parse as parse_timestamp
from domain.common.clock import as_utc
from domain.common.events import DomainEvent, EventBus
from domain.diagnostics import report_repository as repo
from domain.diagnostics.events import SecurityEventReported, TransferStatusReported
from domain.diagnostics.models import StationReport
from domain.network.models import Station


class StationReportLog:
    def __init__(self, events: EventBus) -> None:
        self.events = events

    async def record(
        self,
        station: Station,
        kind: str,
        *,
        status: str | None = None,
        request_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> StationReport:
        """Keep the report as sent; publish what diagnostics acts on."""
        assert station.id is not None
        report = StationReport(
            org_id=station.org_id,
            station_id=station.id,
            charge_point_id=station.charge_point_id,
            kind=kind,
            status=status,
            request_id=request_id,
            data=data or {},
        )
        await repo.insert_report(report)
        for event in report_events(report, site_id=str(station.site_id)):
            self.events.publish(event)
        return report

    async def data_transfer(
        self, station: Station, *, vendor_id: str, message_id: str | None, data: str | None
    ) -> str:
        """No vendor extension is handled yet: recorded, answered UnknownVendorId."""
        await self.record(
            station,
            "DataTransfer",
            data={"vendor_id": vendor_id, "message_id": message_id, "data": data},
        )
        return "UnknownVendorId"


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
        reported = parse_timestamp(report.data.get("timestamp"))
        if reported is not None:
            base["at"] = check_timestamp(reported, base["at"])[0]
        tech = report.data.get("tech_info")
        return [
            SecurityEventReported(
                **base, type=report.status, tech_info=str(tech) if tech is not None else None
            )
        ]
    return []
