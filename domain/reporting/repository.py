"""Every query reporting makes: the aggregation pipelines over status intervals (with the stations'
connectivity intervals) and sessions, and small reads of the registry (sites, stations and their
connector counts). Read only."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId

from domain.charging.models import ChargingSession
from domain.network.models import Site, Station, StatusInterval
from domain.reporting import pipelines as pl
from domain.tariffs.models import TariffDocument


@dataclass(frozen=True)
class StationInfo:
    station_id: PydanticObjectId
    site_id: PydanticObjectId
    name: str
    connectors: int


@dataclass(frozen=True)
class SiteInfo:
    site_id: PydanticObjectId
    name: str
    timezone: str


async def stations(
    org_id: PydanticObjectId,
    site_id: PydanticObjectId | None = None,
    station_id: PydanticObjectId | None = None,
) -> list[StationInfo]:
    query: dict[str, Any] = pl.scope_match(org_id, site_id)
    if station_id is not None:
        query["_id"] = station_id
    cursor = Station.get_pymongo_collection().find(
        query, {"site_id": 1, "name": 1, "connectors.connector_id": 1}
    )
    return [
        StationInfo(
            row["_id"],
            row["site_id"],
            row.get("name", ""),
            sum(1 for c in row.get("connectors", []) if int(c["connector_id"]) > 0),
        )
        async for row in cursor
    ]


async def sites(org_id: PydanticObjectId) -> list[SiteInfo]:
    cursor = Site.get_pymongo_collection().find({"org_id": org_id}, {"name": 1, "timezone": 1})
    return [
        SiteInfo(row["_id"], row.get("name", ""), row.get("timezone") or "UTC")
        async for row in cursor
    ]


async def org_currency(org_id: PydanticObjectId) -> str | None:
    """The currency of the organisation's tariffs (the newest), if it has any."""
    row = await TariffDocument.get_pymongo_collection().find_one(
        {"org_id": org_id}, {"tariff.currency": 1}, sort=[("_id", -1)]
    )
    return None if row is None else str(row["tariff"]["currency"])


async def _aggregate(collection: Any, pipeline: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    cursor = await collection.aggregate(list(pipeline), allowDiskUse=True)
    return [row async for row in cursor]


async def status_totals(
    scope: pl.Scope,
    start: datetime,
    end: datetime,
    now: datetime,
    unit: str | None,
    timezone: Any,
    group_key: Any,
) -> list[dict[str, Any]]:
    pipeline = (
        pl.status_pieces(scope, start, end, now, unit, timezone)
        + pl.offline_overlap(now)
        + pl.status_totals(group_key)
    )
    return await _aggregate(StatusInterval.get_pymongo_collection(), pipeline)


async def session_totals(
    scope: pl.Scope,
    start: datetime,
    end: datetime,
    now: datetime,
    unit: str | None,
    timezone: Any,
    group_key: Any,
) -> list[dict[str, Any]]:
    pipeline = pl.session_pieces(scope, start, end, now, unit, timezone) + pl.session_totals(
        group_key
    )
    return await _aggregate(ChargingSession.get_pymongo_collection(), pipeline)


async def occupancy_by_hour_cell(
    scope: pl.Scope, start: datetime, end: datetime, now: datetime, timezone: str
) -> list[dict[str, Any]]:
    """Occupied connector seconds per local (weekday, hour)."""
    pipeline = [
        *pl.status_pieces(scope, start, end, now, "hour", timezone, pl.OCCUPIED),
        {"$group": {"_id": pl.hour_cells(timezone), "occupied": {"$sum": "$secs"}}},
    ]
    return await _aggregate(StatusInterval.get_pymongo_collection(), pipeline)


async def sessions_by_hour_cell(
    scope: pl.Scope, start: datetime, end: datetime, now: datetime, timezone: str
) -> list[dict[str, Any]]:
    pipeline = pl.session_pieces(scope, start, end, now, "hour", timezone) + pl.session_totals(
        pl.hour_cells(timezone)
    )
    return await _aggregate(ChargingSession.get_pymongo_collection(), pipeline)


async def at_capacity(
    scope: pl.Scope,
    part: str,
    capacity: dict[str, int],
    timezones: dict[str, str],
    start: datetime,
    end: datetime,
    now: datetime,
) -> list[dict[str, Any]]:
    """Seconds at capacity per part and local (weekday, hour) of its site's time zone."""
    tz = pl.lookup(timezones, {"$toString": "$site_id"})
    pipeline = (
        pl.status_pieces(scope, start, end, now, None, "UTC", pl.OCCUPIED)
        + pl.at_capacity_segments(part, capacity, start, end, now)
        + [{"$addFields": {"tz": tz}}]
        + pl.split("hour", "$tz")
        + [
            {
                "$group": {
                    "_id": {"part": "$part", **pl.hour_cells("$tz")},
                    "secs": {"$sum": "$secs"},
                }
            }
        ]
    )
    return await _aggregate(StatusInterval.get_pymongo_collection(), pipeline)


async def peak_hour_occupancy(
    scope: pl.Scope, part: str, start: datetime, end: datetime, now: datetime
) -> list[dict[str, Any]]:
    """Per part: the most occupied connector seconds in any one clock hour, and that hour's length
    within the range (the first and last hour may be partial)."""
    pipeline = [
        *pl.status_pieces(scope, start, end, now, "hour", "UTC", pl.OCCUPIED),
        {
            "$group": {
                "_id": {"part": f"${part}", "bs": "$bs"},
                "occupied": {"$sum": "$secs"},
                "be": {"$first": "$be"},
            }
        },
        {
            "$project": {
                "occupied": 1,
                "len": {
                    "$divide": [
                        {"$subtract": [{"$min": ["$be", end]}, {"$max": ["$_id.bs", start]}]},
                        1000,
                    ]
                },
            }
        },
        {"$project": {"ratio": {"$divide": ["$occupied", "$len"]}}},
        {"$group": {"_id": "$_id.part", "ratio": {"$max": "$ratio"}}},
    ]
    return await _aggregate(StatusInterval.get_pymongo_collection(), pipeline)
