"""Sites and stations: createSite, registerStation, stations, station, stationsNearby, sites."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.errors import coded_errors, domain_errors_as
from api.types.common import GeoPointInput, PageInfo
from api.types.network import (
    CreateSiteInput,
    CreateSitePayload,
    NearbyStationConnection,
    NearbyStationEdge,
    PublicStation,
    RegisterStationInput,
    RegisterStationPayload,
    Site,
    Station,
    StationConnection,
    StationEdge,
    StationFilterInput,
)
from domain.network.service import ConnectorSpec, StationFilter, parse_id


@domain_errors_as(CreateSitePayload)
async def create_site(info: Info, input: CreateSiteInput) -> CreateSitePayload:
    ctx = info.context
    site = await ctx.deps.network.create_site(
        ctx.acting_org(),
        name=input.name,
        address=input.address,
        latitude=input.location.latitude,
        longitude=input.location.longitude,
        timezone=input.timezone,
    )
    return CreateSitePayload(site=Site.from_domain(site))


@domain_errors_as(RegisterStationPayload)
async def register_station(info: Info, input: RegisterStationInput) -> RegisterStationPayload:
    ctx = info.context
    station = await ctx.deps.network.register_station(
        ctx.acting_org(),
        site_id=parse_id(input.site_id, field="siteId", what="site"),
        charge_point_id=input.charge_point_id,
        name=input.name,
        password=input.password,
        connectors=[
            ConnectorSpec(
                connector_id=c.connector_id,
                standard=c.standard.value,
                max_power_w=round(c.max_power_kw * 1000),
            )
            for c in input.connectors
        ],
        latitude=input.location.latitude if input.location else None,
        longitude=input.location.longitude if input.location else None,
    )
    return RegisterStationPayload(station=Station.from_domain(station))


async def sites(info: Info) -> list[Site]:
    with coded_errors():
        rows = await info.context.deps.network.sites(info.context.reading_org())
    return [Site.from_domain(s) for s in rows]


async def stations(
    info: Info,
    filter: StationFilterInput | None = None,
    first: int | None = None,
    after: str | None = None,
) -> StationConnection:
    ctx = info.context
    with coded_errors():
        org = ctx.reading_org()
        flt = StationFilter()
        if filter is not None:
            flt = StationFilter(
                site_id=parse_id(filter.site_id, field="siteId", what="site")
                if filter.site_id
                else None,
                online=filter.online,
                connector_status=filter.connector_status.value if filter.connector_status else None,
                search=filter.search,
            )
        page = await ctx.deps.network.list_stations(org, flt, first=first, after=after)
    return StationConnection(
        total_count=page.total_count or 0,
        edges=[StationEdge(cursor=c, node=Station.from_domain(s)) for c, s in page.items],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )


async def station(info: Info, id: strawberry.ID) -> Station | None:
    ctx = info.context
    with coded_errors():
        found = await ctx.deps.network.station_for_org(
            ctx.reading_org(), parse_id(id, field="id", what="station")
        )
    return Station.from_domain(found)


async def stations_nearby(
    info: Info, near: GeoPointInput, radius_km: float, first: int | None = None
) -> NearbyStationConnection:
    ctx = info.context
    with coded_errors():
        ctx.require_principal()
        rows = await ctx.deps.network.stations_nearby(
            latitude=near.latitude, longitude=near.longitude, radius_km=radius_km, first=first
        )
    return NearbyStationConnection(
        edges=[
            NearbyStationEdge(distance_km=round(d, 3), node=PublicStation.from_domain(s))
            for s, d in rows
        ]
    )
