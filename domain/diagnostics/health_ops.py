"""Station health: the snapshot kept current from samples, and health as operators read it (the
status recomputed against the clock, the connectors' status from the station registry). A part of
``DiagnosticsService``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from beanie import PydanticObjectId

from domain.common.clock import as_utc, utcnow
from domain.diagnostics import repository as repo
from domain.diagnostics.health import (
    connector_reading,
    health_status,
    station_reading,
)
from domain.diagnostics.health_writer import HealthWriter
from domain.diagnostics.models import Alert, ConnectorHealth, StationHealth
from domain.diagnostics.rules import AlertKind, Rule
from domain.diagnostics.window import StationMemory
from domain.network.errors import StationNotFound


class HealthOperations:
    health_writer: HealthWriter

    async def _rules(
        self, org_id: PydanticObjectId, site_id: PydanticObjectId | None
    ) -> dict[AlertKind, Rule]:
        raise NotImplementedError

    async def _save_health(self, mem: StationMemory, now: datetime) -> None:
        rules = await self._rules(mem.org_id, mem.site_id)
        connectors: list[ConnectorHealth] = []
        readings = []
        for cid, conn in sorted(mem.connectors.items()):
            if cid == 0:
                continue  # the station itself: counts for the status, has no readings
            reading = connector_reading(cid, list(conn.window))
            readings.append(reading)
            connectors.append(
                ConnectorHealth(
                    connector_id=cid,
                    sampled_at=reading.sampled_at,
                    temperature_c=reading.temperature_c,
                    voltage_v=reading.voltage_v,
                    current_a=reading.current_a,
                    power_w=reading.power_w,
                    offered_power_w=reading.offered_power_w,
                    energy_wh=reading.energy_wh,
                    efficiency_percent=reading.efficiency_percent,
                    status=conn.status,
                    error_code=conn.error_code,
                )
            )
        summary = station_reading(readings)
        status = health_status(
            online=mem.online,
            last_seen_at=mem.last_seen_at,
            now=now,
            silent_after_seconds=rules[AlertKind.OFFLINE].threshold,
            connectors=[(c.status, c.error_code) for c in mem.connectors.values()],
            open_alert_kinds=[kind.value for _, kind in mem.open],
        )
        self.health_writer.add(
            StationHealth(
                station_id=mem.station_id,
                org_id=mem.org_id,
                site_id=mem.site_id,
                status=status.value,
                sampled_at=summary.sampled_at,
                temperature_c=summary.temperature_c,
                voltage_v=summary.voltage_v,
                current_a=summary.current_a,
                power_w=summary.power_w,
                efficiency_percent=summary.efficiency_percent,
                connectors=connectors,
                updated_at=now,
            )
        )

    async def health_for_stations(
        self,
        org_id: PydanticObjectId,
        station_ids: Sequence[PydanticObjectId],
        now: datetime | None = None,
    ) -> dict[PydanticObjectId, StationHealth]:
        """Health of the organisation's stations among ``station_ids`` (others are left out), with the
        status judged at ``now``: connectivity and connector status from the registry, open alerts,
        readings from the latest snapshot."""
        now = as_utc(now) if now else utcnow()
        await self.health_writer.flush()  # what this process computed last, not what it stored
        rows = {c.station_id: c for c in await repo.connectivity(station_ids) if c.org_id == org_id}
        snapshots = {h.station_id: h for h in await repo.health_of(list(rows))}
        kinds: dict[PydanticObjectId, list[str]] = {}
        for alert in await repo.open_alerts(list(rows)):
            kinds.setdefault(alert.station_id, []).append(alert.kind.value)
        out: dict[PydanticObjectId, StationHealth] = {}
        for sid, row in rows.items():
            rules = await self._rules(row.org_id, row.site_id)
            status = health_status(
                online=row.online,
                last_seen_at=as_utc(row.last_seen_at) if row.last_seen_at else None,
                now=now,
                silent_after_seconds=rules[AlertKind.OFFLINE].threshold,
                connectors=[(status, code) for _, status, code in row.connectors],
                open_alert_kinds=kinds.get(sid, []),
            )
            health = snapshots.get(sid) or StationHealth(
                station_id=sid, org_id=row.org_id, site_id=row.site_id, status=status.value
            )
            health.status = status.value
            by_id = {c.connector_id: c for c in health.connectors}
            for cid, conn_status, code in row.connectors:
                conn = by_id.setdefault(cid, ConnectorHealth(connector_id=cid))
                conn.status, conn.error_code = conn_status, code
            health.connectors = sorted(by_id.values(), key=lambda c: c.connector_id)
            out[sid] = health
        return out

    async def health_for_station(
        self, org_id: PydanticObjectId, station_id: PydanticObjectId, now: datetime | None = None
    ) -> StationHealth:
        found = await self.health_for_stations(org_id, [station_id], now)
        if station_id not in found:
            raise StationNotFound("no such station", field="stationId")
        return found[station_id]

    async def open_alerts_for_stations(
        self, org_id: PydanticObjectId, station_ids: Sequence[PydanticObjectId]
    ) -> dict[PydanticObjectId, list[Alert]]:
        """Unresolved alerts per station, oldest first (for ``openAlerts``; a DataLoader's batch)."""
        out: dict[PydanticObjectId, list[Alert]] = {sid: [] for sid in station_ids}
        for alert in await repo.open_alerts(station_ids):
            if alert.org_id == org_id:
                out.setdefault(alert.station_id, []).append(alert)
        return out
