"""Every query the network context makes lives here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from domain.common.clock import as_utc
from domain.common.errors import AlreadyExists
from domain.network.errors import StationAlreadyRegistered
from domain.network.models import ConnectivityInterval, Connector, Site, Station, StatusInterval


async def insert_site(site: Site) -> Site:
    try:
        await site.insert()
    except DuplicateKeyError:
        raise AlreadyExists(f"a site named {site.name!r} exists already", field="name") from None
    return site


async def get_site(site_id: PydanticObjectId) -> Site | None:
    return await Site.get(site_id)


async def get_sites(site_ids: Sequence[PydanticObjectId]) -> list[Site]:
    return await Site.find({"_id": {"$in": list(site_ids)}}).to_list()


async def list_sites(org_id: PydanticObjectId) -> list[Site]:
    return await Site.find(Site.org_id == org_id).sort("name").to_list()


async def insert_station(station: Station) -> Station:
    try:
        await station.insert()
    except DuplicateKeyError:
        raise StationAlreadyRegistered(
            f"a station with chargePointId {station.charge_point_id!r} is already registered",
            field="chargePointId",
        ) from None
    return station


async def get_station(station_id: PydanticObjectId) -> Station | None:
    return await Station.get(station_id)


async def get_stations(station_ids: Sequence[PydanticObjectId]) -> list[Station]:
    return await Station.find({"_id": {"$in": list(station_ids)}}).to_list()


async def get_station_by_cp_id(charge_point_id: str) -> Station | None:
    return await Station.find_one(Station.charge_point_id == charge_point_id)


def _station_query(
    org_id: PydanticObjectId,
    site_id: PydanticObjectId | None,
    online: bool | None,
    connector_status: str | None,
    search: str | None,
) -> dict[str, Any]:
    query: dict[str, Any] = {"org_id": org_id}
    if site_id is not None:
        query["site_id"] = site_id
    if online is not None:
        query["online"] = online
    if connector_status is not None:
        query["connectors.status"] = connector_status
    if search:
        pattern = re.escape(search)
        query["$or"] = [
            {"name": {"$regex": pattern, "$options": "i"}},
            {"charge_point_id": {"$regex": pattern, "$options": "i"}},
        ]
    return query


async def list_stations(
    org_id: PydanticObjectId,
    *,
    site_id: PydanticObjectId | None = None,
    online: bool | None = None,
    connector_status: str | None = None,
    search: str | None = None,
    after: tuple[str, PydanticObjectId] | None = None,
    limit: int = 50,
) -> tuple[list[Station], int]:
    """Stations ordered by (name, _id), keyset-paginated, with the total count of the filter."""
    query = _station_query(org_id, site_id, online, connector_status, search)
    total = await Station.find(query).count()
    if after is not None:
        name, oid = after
        query = {
            "$and": [query, {"$or": [{"name": {"$gt": name}}, {"name": name, "_id": {"$gt": oid}}]}]
        }
    items = await Station.find(query).sort("+name", "+_id").limit(limit).to_list()
    return items, total


async def stations_near(
    longitude: float, latitude: float, radius_m: float, limit: int
) -> list[tuple[Station, float]]:
    """Stations within radius, nearest first, with their distance in metres ($geoNear)."""
    pipeline: list[dict[str, Any]] = [
        {
            "$geoNear": {
                "near": {"type": "Point", "coordinates": [longitude, latitude]},
                "distanceField": "_distance_m",
                "maxDistance": radius_m,
                "spherical": True,
                "query": {"registration": {"$ne": "Rejected"}},
            }
        },
        {"$limit": limit},
    ]
    rows = await Station.get_pymongo_collection().aggregate(pipeline)
    out: list[tuple[Station, float]] = []
    async for row in rows:
        distance = float(row.pop("_distance_m"))
        out.append((Station.model_validate(row), distance))
    return out


async def save_boot(station_id: PydanticObjectId, fields: dict[str, Any]) -> None:
    await Station.get_pymongo_collection().update_one({"_id": station_id}, {"$set": fields})


async def set_connectivity(
    station: Station,
    *,
    online: bool,
    at: datetime,
    node_id: str | None,
    only_if_node: str | None = None,
) -> bool:
    """Set online/offline, then bring the station's connectivity intervals in line with it.

    With ``only_if_node``, nothing happens unless that node still holds the connection (a reconnect
    that took over is left alone). Going online while already online (a replaced connection) keeps
    the open online interval: no false offline gap. True when the station's state was written."""
    query: dict[str, Any] = {"_id": station.id}
    if only_if_node is not None:
        query["node_id"] = only_if_node
    fields: dict[str, Any] = {"online": online, "last_seen_at": at, "node_id": node_id}
    if online:
        fields["connected_at"] = at
    return await _write_connectivity(station, query, fields, at)


async def _write_connectivity(
    station: Station, query: dict[str, Any], fields: dict[str, Any], at: datetime
) -> bool:
    """The station's flag is written first, on its own (visible at once, as before intervals
    existed); then a transaction makes the open interval agree with the flag as it stands then."""
    fields = {**fields, "connectivity_since": at}
    result = await Station.get_pymongo_collection().update_one(query, {"$set": fields})
    if not result.matched_count:
        return False
    await _reconcile_interval(station)
    return True


async def _reconcile_interval(station: Station) -> None:
    """In a transaction: read the station's flag (by writing to it, so that a flag written by a
    racing connect or disconnect after this transaction began is a write conflict, retried with
    the newer state) and switch the open interval to it from ``connectivity_since``. Whichever
    order racing calls land in, the last interval ends up matching the flag."""
    stations = Station.get_pymongo_collection()
    intervals = ConnectivityInterval.get_pymongo_collection()

    async def reconcile(session: AsyncClientSession) -> None:
        doc = await stations.find_one_and_update(
            {"_id": station.id},
            {"$inc": {"connectivity_version": 1}},
            projection={"online": 1, "connectivity_since": 1},
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        if doc is None or doc.get("connectivity_since") is None:
            return
        online = bool(doc.get("online"))
        at = as_utc(doc["connectivity_since"])
        current = await intervals.find_one({"station_id": station.id, "end": None}, session=session)
        if current is not None:
            if bool(current["online"]) == online:
                return
            at = max(at, as_utc(current["start"]))  # history is not rewritten
            await intervals.update_one(
                {"_id": current["_id"], "end": None}, {"$set": {"end": at}}, session=session
            )
        await intervals.insert_one(
            ConnectivityInterval(
                org_id=station.org_id,
                site_id=station.site_id,
                station_id=station.id,
                online=online,
                start=at,
            ).model_dump(mode="python", exclude={"id", "revision_id"}),
            session=session,
        )

    async with stations.database.client.start_session() as session:
        await session.with_transaction(reconcile)


async def stations_left_online(node_id_prefix: str | None) -> list[Station]:
    """Stations the store says are online, held by a node whose id starts with the prefix."""
    query: dict[str, Any] = {"online": True}
    if node_id_prefix is not None:
        query["node_id"] = {"$regex": "^" + re.escape(node_id_prefix)}
    return await Station.find(query).to_list()


async def close_out_connectivity(station: Station, *, node_id: str | None, at: datetime) -> bool:
    """Mark a station left online by a node that is gone offline from ``at`` (its last sign of
    life), unless it has been taken over since (its ``node_id`` changed). True when closed out."""
    return await _write_connectivity(
        station,
        {"_id": station.id, "online": True, "node_id": node_id},
        {"online": False, "node_id": None},
        at,
    )


async def connectivity_history(
    station_id: PydanticObjectId, start: datetime, end: datetime
) -> list[ConnectivityInterval]:
    """Connectivity intervals overlapping [start, end), oldest first."""
    return (
        await ConnectivityInterval.find(
            {
                "station_id": station_id,
                "start": {"$lt": end},
                "$or": [{"end": None}, {"end": {"$gt": start}}],
            }
        )
        .sort("+start", "+_id")
        .to_list()
    )


async def touch(station_id: PydanticObjectId, at: datetime) -> None:
    await Station.get_pymongo_collection().update_one(
        {"_id": station_id}, {"$max": {"last_seen_at": at}}
    )


async def set_connectors(station_id: PydanticObjectId, connectors: list[Connector]) -> None:
    await Station.get_pymongo_collection().update_one(
        {"_id": station_id},
        {"$set": {"connectors": [c.model_dump(mode="python") for c in connectors]}},
    )


async def set_tariff(station_id: PydanticObjectId, tariff_id: PydanticObjectId | None) -> None:
    await Station.get_pymongo_collection().update_one(
        {"_id": station_id}, {"$set": {"tariff_id": tariff_id}}
    )


async def open_interval(station_id: PydanticObjectId, connector_id: int) -> StatusInterval | None:
    return await StatusInterval.find_one(
        {"station_id": station_id, "connector_id": connector_id, "end": None}
    )


async def close_interval(interval: StatusInterval, end: datetime) -> None:
    await StatusInterval.get_pymongo_collection().update_one(
        {"_id": interval.id, "end": None}, {"$set": {"end": end}}
    )


async def insert_interval(interval: StatusInterval) -> None:
    await interval.insert()


async def status_history(
    station_id: PydanticObjectId, start: datetime, end: datetime
) -> list[StatusInterval]:
    """Intervals overlapping [start, end), oldest first."""
    return (
        await StatusInterval.find(
            {
                "station_id": station_id,
                "start": {"$lt": end},
                "$or": [{"end": None}, {"end": {"$gt": start}}],
            }
        )
        .sort("+start", "+connector_id")
        .to_list()
    )
