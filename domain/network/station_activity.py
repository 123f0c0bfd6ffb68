"""``StationActivity``: what stations do, as the network records it: authenticate, boot, connect
and disconnect, signs of life and connector status reports. Every write goes through the
``StationWriter`` group commit (station_state.py): durable when the call returns. Connectivity
and connector status changes are published as events.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from domain.common.batching import GroupCommit
from domain.common.clock import as_utc, utcnow
from domain.common.errors import InvalidInput
from domain.common.events import ConnectorStatusChanged, EventBus, StationConnectivityChanged
from domain.common.passwords import StationKeyVerifier
from domain.network import repository as repo
from domain.network.errors import BadStationCredentials
from domain.network.models import ConnectorStatus, RegistrationStatus, Station
from domain.network.station_state import StationWriter, connectivity_fields


class StationActivity:
    def __init__(
        self,
        events: EventBus,
        writes: StationWriter,
        lookups: GroupCommit[str, Station | None],
        keys: StationKeyVerifier,
    ) -> None:
        self.events = events
        self.writes = writes
        self._lookups = lookups
        self._keys = keys

    async def authenticate_station(self, charge_point_id: str, password: str) -> Station:
        station = await self._lookups.submit(charge_point_id)
        if station is None:
            await self._keys.refuse(
                password
            )  # as slow as a wrong key: no oracle of which ids exist
            raise BadStationCredentials(f"bad credentials for station {charge_point_id!r}")
        if not await self._keys.verify(station.password_hash, password):
            raise BadStationCredentials(f"bad credentials for station {charge_point_id!r}")
        return station

    async def station_booted(
        self,
        station: Station,
        *,
        ocpp_version: str,
        vendor: str,
        model: str,
        serial_number: str | None,
        firmware_version: str | None,
        at: datetime | None = None,
    ) -> RegistrationStatus:
        now = as_utc(at) if at else utcnow()
        await self.writes.booted(
            station,
            {
                "ocpp_version": ocpp_version,
                "vendor": vendor,
                "model": model,
                "serial_number": serial_number,
                "firmware_version": firmware_version,
                "booted_at": now,
                "last_seen_at": now,
            },
        )
        return station.registration

    async def station_connected(
        self, station: Station, *, node_id: str, at: datetime | None = None
    ) -> None:
        """Mark online, held by ``node_id``; opens an online interval unless one is open already
        (a reconnect replacing a live connection leaves no offline gap)."""
        now = as_utc(at) if at else utcnow()
        self.writes.forget(station.id)  # type: ignore[arg-type]  # another node may have held it
        fields = connectivity_fields(online=True, at=now, node_id=node_id)
        await self.writes.connectivity(station, fields=fields, guard={})
        self._publish_connectivity(station, online=True, at=now)

    async def station_disconnected(
        self, station: Station, *, node_id: str, at: datetime | None = None
    ) -> None:
        """Mark offline, unless another connection (a reconnect) has taken over meanwhile."""
        now = as_utc(at) if at else utcnow()
        changed = await self.writes.connectivity(
            station,
            fields=connectivity_fields(online=False, at=now, node_id=None),
            guard={"node_id": node_id},
        )
        if changed:
            self.writes.forget(station.id)  # type: ignore[arg-type]
            self._publish_connectivity(station, online=False, at=now)

    async def reset_connectivity(
        self, node_id_prefix: str | None = None, *, at: datetime | None = None
    ) -> int:
        """Close out stations a stopped or crashed process left online: each goes offline from its
        last sign of life (``last_seen_at``, within its online interval and not after ``at``), so
        the outage counts against uptime until it reconnects. Call at OCPP-server start, before
        accepting connections. ``node_id_prefix`` limits it to connections held by nodes whose id
        starts with it; None closes out every station (right for a single OCPP node). A station
        another node took over meanwhile is left alone. Returns how many were closed out."""
        now = as_utc(at) if at else utcnow()

        async def close_out(station: Station) -> bool:
            seen = as_utc(station.last_seen_at) if station.last_seen_at else now
            since = min(seen, now)
            closed = await self.writes.connectivity(
                station,
                fields={"online": False, "node_id": None, "connectivity_since": since},
                guard={"online": True, "node_id": station.node_id},
            )
            if closed:
                self.writes.forget(station.id)  # type: ignore[arg-type]
                self._publish_connectivity(station, online=False, at=since)
            return closed

        left = await repo.stations_left_online(node_id_prefix)
        return sum(await asyncio.gather(*(close_out(s) for s in left)))

    def _publish_connectivity(self, station: Station, *, online: bool, at: datetime) -> None:
        self.events.publish(
            StationConnectivityChanged(
                org_id=str(station.org_id),
                site_id=str(station.site_id),
                station_id=str(station.id),
                at=at,
                online=online,
            )
        )

    async def station_seen(self, station: Station, at: datetime | None = None) -> None:
        """Record a sign of life (``last_seen_at`` only grows), group-committed: durable when
        this returns."""
        await self.writes.seen(station, as_utc(at) if at else utcnow())

    async def connector_status(
        self,
        station: Station,
        *,
        connector_id: int,
        status: str,
        error_code: str | None,
        at: datetime,
        vendor_error_code: str | None = None,
        info: str | None = None,
    ) -> None:
        """Record a reported status: close the connector's open interval, open the next one
        (group-committed, durable when this returns; a repeat writes nothing)."""
        try:
            new_status = ConnectorStatus(status)
        except ValueError:
            raise InvalidInput(f"unknown connector status {status!r}", field="status") from None
        if error_code in ("NoError", ""):
            error_code = None
        started = await self.writes.status(
            station,
            connector_id=connector_id,
            status=new_status,
            error_code=error_code,
            vendor_error_code=vendor_error_code,
            info=info,
            at=as_utc(at),
        )
        if started is None:
            return  # a repeat of what we know: no new interval, no event
        self.events.publish(
            ConnectorStatusChanged(
                org_id=str(station.org_id),
                site_id=str(station.site_id),
                station_id=str(station.id),
                at=started,
                connector_id=connector_id,
                status=new_status.value,
                error_code=error_code,
            )
        )
