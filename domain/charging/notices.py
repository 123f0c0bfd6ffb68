"""What stations report that is not a transaction (diagnostics/log/firmware status, security
events, device-model reports, data transfers): kept as sent. Mixed into ``ChargingService``
through ``StationReports``."""

from __future__ import annotations

from typing import Any

from domain.charging import metering
from domain.charging import notice_repository as notice_repo
from domain.charging.models import StationReport
from domain.charging.reports import report_events, temperature_readings
from domain.charging.results import station_oid
from domain.charging.sample_recording import RecordsSamples
from domain.common.clock import utcnow
from domain.common.events import EventBus
from domain.network.models import Station


class Notices(RecordsSamples):
    events: EventBus

    async def record_report(
        self,
        station: Station,
        kind: str,
        *,
        status: str | None = None,
        request_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Diagnostics/log/firmware status, security events, device-model reports: kept as sent."""
        report = StationReport(
            org_id=station.org_id,
            station_id=station_oid(station),
            charge_point_id=station.charge_point_id,
            kind=kind,
            status=status,
            request_id=request_id,
            data=data or {},
        )
        await notice_repo.insert_report(report)
        for event in report_events(report, site_id=str(station.site_id)):
            self.events.publish(event)
        if kind == "NotifyEvent":
            now = utcnow()
            found = temperature_readings((data or {}).get("event_data"))
            for connector_id, readings in found.items():
                norm = metering.normalise(readings, now)
                new = await self._store_samples(station, connector_id, None, norm.samples)
                self._publish_telemetry(station, connector_id, new, now)

    async def data_transfer(
        self, station: Station, *, vendor_id: str, message_id: str | None, data: str | None
    ) -> str:
        """No vendor extension is handled yet: recorded, answered UnknownVendorId."""
        await self.record_report(
            station,
            "DataTransfer",
            data={"vendor_id": vendor_id, "message_id": message_id, "data": data},
        )
        return "UnknownVendorId"
