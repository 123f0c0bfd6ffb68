"""Every query the charging context makes lives here."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from domain.charging.metering import TELEMETRY_MEASURANDS, Sample, TelemetryRow, telemetry_rows
from domain.charging.models import (
    ChargingSession,
    IdToken,
    MeterSample,
    OrphanTransactionMessage,
    SampleMeta,
    StationReport,
)
from domain.charging.state import ACTIVE, RUNNING, SessionStatus
from domain.common.clock import as_utc, utcnow

# -- id tokens ----------------------------------------------------------------------------------


async def get_id_token(id_tag: str) -> IdToken | None:
    return await IdToken.find_one(IdToken.id_tag == id_tag)


async def claim_id_token(
    id_tag: str, driver_id: PydanticObjectId, org_id: PydanticObjectId | None
) -> IdToken | None:
    """Link ``id_tag`` to the driver unless another driver holds it; None when another does."""
    coll = IdToken.get_pymongo_collection()
    with contextlib.suppress(DuplicateKeyError):  # a concurrent claim won; the read decides
        await coll.update_one(
            {"id_tag": id_tag},
            {
                "$setOnInsert": {
                    "id_tag": id_tag,
                    "driver_id": driver_id,
                    "org_id": org_id,
                    "status": "Accepted",
                    "created_at": utcnow(),
                }
            },
            upsert=True,
        )
    await coll.update_one({"id_tag": id_tag, "driver_id": None}, {"$set": {"driver_id": driver_id}})
    token = await get_id_token(id_tag)
    if token is None or token.driver_id != driver_id:
        return None
    return token


async def id_tokens_for_driver(driver_id: PydanticObjectId) -> list[IdToken]:
    return await IdToken.find(IdToken.driver_id == driver_id).sort("+created_at").to_list()


# -- per-station sequences ----------------------------------------------------------------------


async def next_sequence(station_id: PydanticObjectId, name: str) -> int:
    coll = ChargingSession.get_pymongo_collection().database["station_sequences"]
    doc = await coll.find_one_and_update(
        {"_id": f"{station_id}:{name}"},
        {"$inc": {"value": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert doc is not None  # upsert with ReturnDocument.AFTER
    return int(doc["value"])


# -- sessions -----------------------------------------------------------------------------------


async def insert_session(session: ChargingSession) -> str | None:
    """Insert; on a unique-key clash return which one ('start_key', 'connector_lock',
    'transaction_id'), else None."""
    try:
        await session.insert()
    except DuplicateKeyError as exc:
        session.id = None
        pattern = (exc.details or {}).get("keyPattern", {})
        for key in ("start_key", "connector_lock", "transaction_id"):
            if key in pattern:
                return key
        raise
    return None


async def save_session(session: ChargingSession) -> None:
    await session.replace()


async def get_session(session_id: PydanticObjectId) -> ChargingSession | None:
    return await ChargingSession.get(session_id)


async def session_by_start_key(key: str) -> ChargingSession | None:
    return await ChargingSession.find_one({"start_key": key})


async def session_by_transaction(
    station_id: PydanticObjectId, transaction_id: str
) -> ChargingSession | None:
    return await ChargingSession.find_one(
        {"station_id": station_id, "transaction_id": transaction_id}
    )


async def session_holding(lock: str) -> ChargingSession | None:
    return await ChargingSession.find_one({"connector_lock": lock})


async def find_pending(
    station_id: PydanticObjectId,
    connector_id: int | None,
    id_tag: str | None,
    remote_start_id: int | None,
) -> ChargingSession | None:
    query: dict[str, Any] = {"station_id": station_id, "status": SessionStatus.PENDING.value}
    if remote_start_id is not None:
        found = await ChargingSession.find_one({**query, "remote_start_id": remote_start_id})
        if found is not None:
            return found
    if connector_id is None or id_tag is None:
        return None
    return await ChargingSession.find_one({**query, "connector_id": connector_id, "id_tag": id_tag})


async def adopt_pending(session_id: PydanticObjectId, values: dict[str, Any]) -> bool:
    """Turn a PENDING session into a started one, atomically (a concurrent adopt loses)."""
    result = await ChargingSession.get_pymongo_collection().update_one(
        {"_id": session_id, "status": SessionStatus.PENDING.value}, {"$set": values}
    )
    return bool(result.modified_count)


async def fail_if_pending(session_id: PydanticObjectId, flag: str, at: datetime) -> None:
    await ChargingSession.get_pymongo_collection().update_one(
        {"_id": session_id, "status": SessionStatus.PENDING.value},
        {
            "$set": {
                "status": SessionStatus.FAILED.value,
                "connector_lock": None,
                "ended_at": at,
                "updated_at": at,
            },
            "$addToSet": {"flags": flag},
        },
    )


async def running_on_connector(
    station_id: PydanticObjectId, connector_id: int
) -> ChargingSession | None:
    return await ChargingSession.find_one(
        {
            "station_id": station_id,
            "connector_id": connector_id,
            "status": {"$in": [s.value for s in RUNNING]},
        },
        sort=[("_id", -1)],
    )


async def sessions_for_driver(
    driver_id: PydanticObjectId, after: PydanticObjectId | None, limit: int
) -> list[ChargingSession]:
    query: dict[str, Any] = {"driver_id": driver_id}
    if after is not None:
        query["_id"] = {"$lt": after}
    return await ChargingSession.find(query).sort("-_id").limit(limit).to_list()


async def active_for_driver(driver_id: PydanticObjectId) -> ChargingSession | None:
    return await ChargingSession.find_one(
        {"driver_id": driver_id, "status": {"$in": [s.value for s in ACTIVE]}},
        sort=[("_id", -1)],
    )


async def sessions_for_org(
    org_id: PydanticObjectId,
    *,
    station_id: PydanticObjectId | None,
    active: bool | None,
    after: PydanticObjectId | None,
    limit: int,
) -> tuple[list[ChargingSession], int]:
    query: dict[str, Any] = {"org_id": org_id}
    if station_id is not None:
        query["station_id"] = station_id
    if active is not None:
        values = [s.value for s in ACTIVE]
        query["status"] = {"$in": values} if active else {"$nin": values}
    total = await ChargingSession.find(query).count()
    if after is not None:
        query["_id"] = {"$lt": after}
    items = await ChargingSession.find(query).sort("-_id").limit(limit).to_list()
    return items, total


# -- meter samples ------------------------------------------------------------------------------


async def existing_sample_keys(
    station_id: PydanticObjectId, keys: Sequence[str], start: datetime, end: datetime
) -> set[str]:
    cursor = MeterSample.get_pymongo_collection().find(
        {
            "meta.station_id": station_id,
            "at": {"$gte": start, "$lte": end},
            "key": {"$in": list(keys)},
        },
        {"key": 1, "_id": 0},
    )
    return {doc["key"] async for doc in cursor}


async def insert_samples(
    org_id: PydanticObjectId,
    station_id: PydanticObjectId,
    connector_id: int,
    transaction_id: str | None,
    samples: Sequence[tuple[str, Sample]],
) -> None:
    meta = SampleMeta(station_id=station_id, connector_id=connector_id, org_id=org_id)
    docs = [
        MeterSample(
            at=s.at,
            meta=meta,
            measurand=s.measurand,
            value=s.value,
            unit=s.unit,
            phase=s.phase,
            location=s.location,
            context=s.context,
            transaction_id=transaction_id,
            key=key,
            reported_at=s.reported_at,
        )
        for key, s in samples
    ]
    if docs:
        await MeterSample.insert_many(docs)


async def samples_between(
    station_id: PydanticObjectId, start: datetime, end: datetime, limit: int
) -> list[MeterSample]:
    return (
        await MeterSample.find({"meta.station_id": station_id, "at": {"$gte": start, "$lt": end}})
        .sort("+at")
        .limit(limit)
        .to_list()
    )


async def samples_for_transaction(
    station_id: PydanticObjectId, transaction_id: str
) -> list[MeterSample]:
    return (
        await MeterSample.find({"meta.station_id": station_id, "transaction_id": transaction_id})
        .sort("+at")
        .to_list()
    )


# -- orphans and reports ------------------------------------------------------------------------


async def record_orphan(message: OrphanTransactionMessage) -> None:
    await OrphanTransactionMessage.get_pymongo_collection().update_one(
        {
            "station_id": message.station_id,
            "transaction_id": message.transaction_id,
            "action": message.action,
        },
        {
            "$setOnInsert": {
                "org_id": message.org_id,
                "charge_point_id": message.charge_point_id,
                "data": message.data,
                "first_received_at": message.first_received_at,
            },
            "$set": {"last_received_at": message.last_received_at},
            "$inc": {"times_received": 1},
        },
        upsert=True,
    )


async def orphans_for_station(station_id: PydanticObjectId) -> list[OrphanTransactionMessage]:
    return await OrphanTransactionMessage.find({"station_id": station_id}).to_list()


async def insert_report(report: StationReport) -> None:
    await report.insert()


async def reports_for_station(
    station_id: PydanticObjectId, kind: str | None = None, limit: int = 100
) -> list[StationReport]:
    query: dict[str, Any] = {"station_id": station_id}
    if kind is not None:
        query["kind"] = kind
    return await StationReport.find(query).sort("-at").limit(limit).to_list()


async def telemetry(
    station_id: PydanticObjectId, start: datetime, end: datetime, limit: int
) -> list[TelemetryRow]:
    """Per-timestamp rows per connector in [start, end): temperature, voltage, current, power,
    energy and SoC (see metering.telemetry_row for how phases are combined)."""
    cursor = MeterSample.get_pymongo_collection().find(
        {
            "meta.station_id": station_id,
            "at": {"$gte": start, "$lt": end},
            "measurand": {"$in": list(TELEMETRY_MEASURANDS)},
        },
        {"_id": 0, "key": 0, "transaction_id": 0},
        sort=[("at", 1)],
        limit=limit,
    )
    pairs: list[tuple[int, Sample]] = []
    async for doc in cursor:
        pairs.append(
            (
                int(doc["meta"]["connector_id"]),
                Sample(
                    at=as_utc(doc["at"]),
                    measurand=doc["measurand"],
                    value=float(doc["value"]),
                    unit=doc["unit"],
                    phase=doc.get("phase"),
                    location=doc.get("location"),
                    context=doc.get("context"),
                ),
            )
        )
    return telemetry_rows(pairs)
