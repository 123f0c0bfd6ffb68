"""Every query the network context makes lives here."""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from bson import ObjectId
from pymongo import InsertOne, UpdateOne
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from domain.common.clock import as_utc
from domain.common.errors import AlreadyExists
from domain.network.errors import StationAlreadyRegistered
from domain.network.models import (
    ConnectivityInterval,
    ConnectorStatus,
    Site,
    Station,
    StatusInterval,
)
from domain.network.station_writes import (
    ConnectivityPlan,
    OpenStatus,
    OpenStatuses,
    WritePlan,
    plan_connectivity,
)


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


async def get_stations_by_cp_ids(charge_point_ids: Collection[str]) -> dict[str, Station]:
    found = await Station.find({"charge_point_id": {"$in": list(charge_point_ids)}}).to_list()
    return {s.charge_point_id: s for s in found}


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


async def open_status_intervals(
    station_ids: Collection[ObjectId],
) -> dict[ObjectId, OpenStatuses]:
    """The open status interval of each connector of the stations (a station with none has an
    empty entry). Should a connector have several open, the latest counts."""
    found: dict[ObjectId, OpenStatuses] = {sid: {} for sid in station_ids}
    cursor = StatusInterval.get_pymongo_collection().find(
        {"station_id": {"$in": list(station_ids)}, "end": None},
        {"station_id": 1, "connector_id": 1, "status": 1, "error_code": 1, "start": 1},
    )
    async for doc in cursor:
        start = as_utc(doc["start"])
        statuses = found.setdefault(doc["station_id"], {})
        known = statuses.get(doc["connector_id"])
        if known is None or known.start <= start:
            statuses[doc["connector_id"]] = OpenStatus(
                doc["_id"], ConnectorStatus(doc["status"]), doc.get("error_code"), start
            )
    return found


async def write_station_batch(plan: WritePlan) -> None:
    """Execute one flush of station writes: one ordered bulk write per collection. Anything
    beyond plain station updates (connectivity, status intervals) runs in one transaction, so a
    flush is stored whole or not at all; the connectivity items are decided inside it from the
    stations' flags and open intervals as they stand (``plan_connectivity``): a flag written by
    another node after the transaction began is a write conflict, and the transaction is retried
    with the newer state. Fills in the connectivity items' results."""
    stations = Station.get_pymongo_collection()
    if not plan.touches_intervals:
        if plan.station_ops:
            await stations.bulk_write(plan.station_ops, ordered=True)
        return
    status = StatusInterval.get_pymongo_collection()
    connectivity = ConnectivityInterval.get_pymongo_collection()

    async def attempt(session: AsyncClientSession) -> ConnectivityPlan | None:
        decided = None
        if plan.connectivity:
            decided = await _plan_connectivity(plan, session)
            if decided.station_ops:
                await stations.bulk_write(decided.station_ops, ordered=True, session=session)
            interval_ops: list[InsertOne[dict[str, Any]] | UpdateOne] = [
                InsertOne(doc) for doc in decided.interval_inserts
            ]
            interval_ops += decided.interval_closes
            if interval_ops:
                await connectivity.bulk_write(interval_ops, ordered=True, session=session)
        status_ops: list[InsertOne[dict[str, Any]] | UpdateOne] = [
            InsertOne(doc) for doc in plan.status_inserts
        ]
        status_ops += plan.status_closes
        if status_ops:
            await status.bulk_write(status_ops, ordered=True, session=session)
        if plan.station_ops:
            await stations.bulk_write(plan.station_ops, ordered=True, session=session)
        return decided

    async with stations.database.client.start_session() as session:
        decided = await session.with_transaction(attempt)
    if decided is not None:
        for index, written in decided.results.items():
            plan.results[index] = written


async def _plan_connectivity(plan: WritePlan, session: AsyncClientSession) -> ConnectivityPlan:
    ids = list({item.station_id for _, item in plan.connectivity})
    stations = {
        doc["_id"]: doc
        async for doc in Station.get_pymongo_collection().find(
            {"_id": {"$in": ids}},
            {"online": 1, "node_id": 1, "connectivity_since": 1},
            session=session,
        )
    }
    open_intervals = {
        doc["station_id"]: doc
        async for doc in ConnectivityInterval.get_pymongo_collection().find(
            {"station_id": {"$in": ids}, "end": None}, session=session
        )
    }
    return plan_connectivity(plan.connectivity, stations, open_intervals)


async def stations_left_online(node_id_prefix: str | None) -> list[Station]:
    """Stations the store says are online, held by a node whose id starts with the prefix."""
    query: dict[str, Any] = {"online": True}
    if node_id_prefix is not None:
        query["node_id"] = {"$regex": "^" + re.escape(node_id_prefix)}
    return await Station.find(query).to_list()


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


async def set_tariff(station_id: PydanticObjectId, tariff_id: PydanticObjectId | None) -> None:
    await Station.get_pymongo_collection().update_one(
        {"_id": station_id}, {"$set": {"tariff_id": tariff_id}}
    )


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
