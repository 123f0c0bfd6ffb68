"""Use cases of the network: sites, station registration, station identity and connectivity
(what stations themselves do, from authentication to status reports, is ``station_activity.py``).

Services load, apply a rule, save, then publish an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from beanie import PydanticObjectId
from bson.errors import InvalidId

from domain.common.batching import GroupCommit
from domain.common.clock import as_utc
from domain.common.errors import InvalidInput
from domain.common.events import (
    EventBus,
)
from domain.common.geo import GeoPoint
from domain.common.pagination import Page, decode_cursor, encode_cursor, page_size
from domain.common.passwords import StationKeyVerifier, hash_station_key
from domain.network import repository as repo
from domain.network.device_model_service import DeviceModel
from domain.network.errors import (
    InvalidStationInput,
    SiteNotFound,
    StationNotFound,
)
from domain.network.models import (
    ConnectivityInterval,
    Connector,
    ConnectorStandard,
    Site,
    Station,
    StatusInterval,
)
from domain.network.station_activity import StationActivity
from domain.network.station_state import StationWriter, lookup_stations

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
        self.device_model = DeviceModel()  # what stations report of their settings
        # stations connecting at once are looked up together (a boot storm: one query per batch)
        self._lookups: GroupCommit[str, Station | None] = GroupCommit(
            lookup_stations, max_batch=max_write_batch, name="station lookups"
        )
        # what stations do (station_activity.py), as the OCPP handlers call it
        self.activity = StationActivity(events, self.writes, self._lookups, self._keys)
        self.authenticate_station = self.activity.authenticate_station
        self.station_booted = self.activity.station_booted
        self.station_connected = self.activity.station_connected
        self.station_disconnected = self.activity.station_disconnected
        self.reset_connectivity = self.activity.reset_connectivity
        self.station_seen = self.activity.station_seen
        self.connector_status = self.activity.connector_status

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

    async def connectivity_history(
        self, station: Station, start: datetime, end: datetime
    ) -> list[ConnectivityInterval]:
        """The station's online/offline intervals overlapping ``[start, end)``, oldest first."""
        if end <= start:
            raise InvalidInput("the range must end after it starts", field="range")
        return await repo.connectivity_history(station.id, as_utc(start), as_utc(end))  # type: ignore[arg-type]

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
