"""Use cases of the network: sites, station registration, station identity and connectivity.

Services load, apply a rule, save, then publish an event.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from beanie import PydanticObjectId
from bson.errors import InvalidId

from domain.common.clock import as_utc, utcnow
from domain.common.errors import InvalidInput
from domain.common.events import (
    ConnectorStatusChanged,
    EventBus,
    StationConnectivityChanged,
)
from domain.common.geo import GeoPoint
from domain.common.pagination import Page, decode_cursor, encode_cursor, page_size
from domain.common.passwords import StationKeyVerifier, hash_station_key
from domain.network import repository as repo
from domain.network.batcher import GroupCommit
from domain.network.errors import (
    BadStationCredentials,
    InvalidStationInput,
    SiteNotFound,
    StationNotFound,
)
from domain.network.models import (
    ConnectivityInterval,
    Connector,
    ConnectorStandard,
    ConnectorStatus,
    RegistrationStatus,
    Site,
    Station,
    StatusInterval,
)
from domain.network.station_state import StationWriter, connectivity_fields, lookup_stations

STATION_KEY_MIN = 16  # OCPP security profile 1: AuthorizationKey is 16..40 characters
STATION_KEY_MAX = 40


def parse_id(value: str, *, field: str = "id", what: str = "object") -> PydanticObjectId:
    try:
        return PydanticObjectId(value)
    except (InvalidId, TypeError, ValueError):
        raise InvalidInput(f"{value!r} is not a valid {what} id", field=field) from None


@dataclass(frozen=True)
class ConnectorSpec:
    connector_id: int
    standard: str = "TYPE2"
    max_power_w: int = 22_000


@dataclass(frozen=True)
class StationFilter:
    site_id: PydanticObjectId | None = None
    online: bool | None = None
    connector_status: str | None = None
    search: str | None = None


class NetworkService:
    def __init__(self, events: EventBus, *, max_write_batch: int = 1000) -> None:
        """``max_write_batch``: at most this many station writes share one flush (station_state)."""
        self.events = events
        self._keys = StationKeyVerifier()
        self.writes = StationWriter(max_batch=max_write_batch)
        # stations connecting at once are looked up together (a boot storm: one query per batch)
        self._lookups: GroupCommit[str, Station | None] = GroupCommit(
            lookup_stations, max_batch=max_write_batch, name="station lookups"
        )

    async def drain(self) -> None:
        """Wait until every station write submitted so far is stored. Nothing needs starting or
        stopping (a flush runs only while writes wait); on shutdown every caller has awaited its
        own write already, so this is only for a caller that wants to be sure."""
        await self.writes.drain()

    # -- sites --------------------------------------------------------------------------------

    async def create_site(
        self,
        org_id: PydanticObjectId,
        *,
        name: str,
        address: str,
        latitude: float,
        longitude: float,
        timezone: str,
    ) -> Site:
        name = name.strip()
        if not name:
            raise InvalidInput("a site needs a name", field="name")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(
                f"{timezone!r} is not an IANA timezone such as Europe/Stockholm", field="timezone"
            ) from None
        site = Site(
            org_id=org_id,
            name=name,
            address=address.strip(),
            location=GeoPoint.of(latitude, longitude),
            timezone=timezone,
        )
        return await repo.insert_site(site)

    async def site_for_org(self, org_id: PydanticObjectId, site_id: PydanticObjectId) -> Site:
        site = await repo.get_site(site_id)
        if site is None or site.org_id != org_id:
            raise SiteNotFound("no such site", field="siteId")
        return site

    async def sites(self, org_id: PydanticObjectId) -> list[Site]:
        return await repo.list_sites(org_id)

    # -- stations -------------------------------------------------------------------------------

    async def register_station(
        self,
        org_id: PydanticObjectId,
        *,
        site_id: PydanticObjectId,
        charge_point_id: str,
        name: str,
        password: str,
        connectors: list[ConnectorSpec],
        latitude: float | None = None,
        longitude: float | None = None,
    ) -> Station:
        site = await self.site_for_org(org_id, site_id)
        cp_id = charge_point_id.strip()
        if not cp_id or len(cp_id) > 48 or any(c in cp_id for c in "/?#:% "):
            raise InvalidStationInput(
                "chargePointId must be 1-48 characters with no '/', '?', '#', ':', '%' or space",
                field="chargePointId",
            )
        if not STATION_KEY_MIN <= len(password) <= STATION_KEY_MAX:
            raise InvalidStationInput(
                f"the station password must be {STATION_KEY_MIN}-{STATION_KEY_MAX} characters "
                "(OCPP AuthorizationKey)",
                field="password",
            )
        if not connectors:
            raise InvalidStationInput("a station needs at least one connector", field="connectors")
        ids = [c.connector_id for c in connectors]
        if len(set(ids)) != len(ids) or min(ids) < 1:
            raise InvalidStationInput(
                "connector ids must be unique and start at 1", field="connectors"
            )
        built: list[Connector] = []
        for spec in connectors:
            try:
                standard = ConnectorStandard(spec.standard.upper())
            except ValueError:
                raise InvalidStationInput(
                    f"unknown connector standard {spec.standard!r}; one of "
                    + ", ".join(s.value for s in ConnectorStandard),
                    field="connectors",
                ) from None
            if spec.max_power_w <= 0 or spec.max_power_w > 1_000_000:
                raise InvalidStationInput("maxPowerKw must be in (0, 1000]", field="connectors")
            built.append(
                Connector(
                    connector_id=spec.connector_id, standard=standard, max_power_w=spec.max_power_w
                )
            )
        if latitude is not None and longitude is not None:
            location = GeoPoint.of(latitude, longitude)
        else:
            location = site.location
        station = Station(
            org_id=org_id,
            site_id=site.id,
            charge_point_id=cp_id,
            name=name.strip() or cp_id,
            password_hash=hash_station_key(password),
            location=location,
            connectors=sorted(built, key=lambda c: c.connector_id),
        )
        return await repo.insert_station(station)

    async def station_for_org(
        self, org_id: PydanticObjectId, station_id: PydanticObjectId
    ) -> Station:
        station = await repo.get_station(station_id)
        if station is None or station.org_id != org_id:
            raise StationNotFound("no such station", field="stationId")
        return station

    async def station(self, station_id: PydanticObjectId) -> Station:
        station = await repo.get_station(station_id)
        if station is None:
            raise StationNotFound("no such station", field="stationId")
        return station

    async def station_by_cp_id(self, charge_point_id: str) -> Station:
        station = await repo.get_station_by_cp_id(charge_point_id)
        if station is None:
            raise StationNotFound(f"no station {charge_point_id!r}")
        return station

    async def list_stations(
        self,
        org_id: PydanticObjectId,
        flt: StationFilter,
        *,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[Station]:
        limit = page_size(first)
        key: tuple[str, PydanticObjectId] | None = None
        if after:
            parts = decode_cursor(after)
            if len(parts) != 2:
                raise InvalidInput("malformed cursor", field="after")
            key = (parts[0], parse_id(parts[1], field="after"))
        items, total = await repo.list_stations(
            org_id,
            site_id=flt.site_id,
            online=flt.online,
            connector_status=flt.connector_status,
            search=flt.search,
            after=key,
            limit=limit + 1,
        )
        page = items[:limit]
        return Page(
            items=[(encode_cursor(s.name, str(s.id)), s) for s in page],
            has_next_page=len(items) > limit,
            total_count=total,
        )

    async def stations_nearby(
        self, *, latitude: float, longitude: float, radius_km: float, first: int | None
    ) -> list[tuple[Station, float]]:
        """Stations within ``radius_km``, nearest first, with distance in km."""
        point = GeoPoint.of(latitude, longitude, field="near")
        if not 0 < radius_km <= 500:
            raise InvalidInput("radiusKm must be in (0, 500]", field="radiusKm")
        rows = await repo.stations_near(
            point.longitude, point.latitude, radius_km * 1000, page_size(first, default=20)
        )
        return [(s, d / 1000.0) for s, d in rows]

    # -- what stations do ------------------------------------------------------------------------

    async def authenticate_station(self, charge_point_id: str, password: str) -> Station:
        station = await self._lookups.submit(charge_point_id)
        if station is None or not await self._keys.verify(station.password_hash, password):
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

    async def connectivity_history(
        self, station: Station, start: datetime, end: datetime
    ) -> list[ConnectivityInterval]:
        """The station's online/offline intervals overlapping ``[start, end)``, oldest first."""
        if end <= start:
            raise InvalidInput("the range must end after it starts", field="range")
        return await repo.connectivity_history(station.id, as_utc(start), as_utc(end))  # type: ignore[arg-type]

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

    async def status_history(
        self, station: Station, start: datetime, end: datetime
    ) -> list[StatusInterval]:
        if end <= start:
            raise InvalidInput("the range must end after it starts", field="range")
        return await repo.status_history(station.id, as_utc(start), as_utc(end))  # type: ignore[arg-type]

    async def assign_tariff(self, station: Station, tariff_id: PydanticObjectId | None) -> Station:
        await repo.set_tariff(station.id, tariff_id)  # type: ignore[arg-type]
        station.tariff_id = tariff_id
        return station
