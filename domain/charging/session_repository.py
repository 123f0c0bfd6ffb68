"""The charging sessions' queries. Reads return what is stored: ``ChargingStore`` (store.py) is
the one that knows about writes still buffered and flushes them before it reads through here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure

from domain.charging.models import ChargingSession
from domain.charging.recording import FLAG_ENERGY_BACKWARDS, MeterUpdate
from domain.charging.state import ACTIVE, FINAL, RUNNING, SessionStatus


async def insert_session(session: ChargingSession) -> str | None:
    """Insert; on a unique-key clash return which one ('start_key', 'connector_lock',
    'transaction_id'), else None."""
    try:
        await session.insert()
    except DuplicateKeyError as exc:
        session.id = None
        return _clashing_key(exc)
    return None


async def insert_sessions(sessions: Sequence[ChargingSession]) -> list[str | Exception | None]:
    """``insert_session`` of each, with one unordered insert for all of them: per session None
    (stored), the unique key that clashed, or the error the database gave for that one alone."""
    for session in sessions:
        session.id = PydanticObjectId()
    results: list[str | Exception | None] = [None] * len(sessions)
    try:
        await ChargingSession.insert_many(sessions, ordered=False)
    except BulkWriteError as exc:
        details = exc.details or {}
        if details.get("writeConcernErrors"):
            raise
        for error in details.get("writeErrors") or []:
            i = int(error["index"])
            sessions[i].id = None
            key = _clash_of(error.get("keyPattern") or {}) if error.get("code") == 11000 else None
            results[i] = (
                key
                if key is not None
                else OperationFailure(str(error.get("errmsg")), error.get("code"))
            )
    return results


def _clash_of(pattern: dict[str, Any]) -> str | None:
    for key in ("start_key", "connector_lock", "transaction_id"):
        if key in pattern:
            return key
    return None


def _clashing_key(exc: DuplicateKeyError) -> str:
    key = _clash_of((exc.details or {}).get("keyPattern", {}))
    if key is None:
        raise exc
    return key


async def save_session(session: ChargingSession) -> None:
    await session.replace()


def _meter_pipeline(update: MeterUpdate, now: datetime) -> list[dict[str, Any]]:
    """``recording.apply_samples`` (only while the session runs) and ``add_flags`` as one update
    pipeline: the highest register reading wins, a reading below it flags the session."""
    running = {"$in": ["$status", [s.value for s in RUNNING]]}

    def when_running(field: str, value: Any) -> dict[str, Any]:
        return {"$cond": [running, value, f"${field}"]}

    def add_flags(flags: Any) -> dict[str, Any]:
        new = {"$filter": {"input": flags, "cond": {"$not": [{"$in": ["$$this", "$flags"]}]}}}
        return {"$concatArrays": [{"$ifNull": ["$flags", []]}, new]}

    first: dict[str, Any] = {"updated_at": now}
    second: dict[str, Any] = {}
    if update.max_wh is not None:
        last = {"$ifNull": ["$last_meter_wh", None]}
        below = {"$and": [{"$ne": [last, None]}, {"$lt": [update.min_wh, last]}]}
        backwards = {"$and": [running, {"$or": [update.backwards_within, below]}]}
        first["flags"] = add_flags(
            {"$cond": [backwards, [FLAG_ENERGY_BACKWARDS], []]},
        )
        first["meter_start_wh"] = when_running(
            "meter_start_wh", {"$ifNull": ["$meter_start_wh", update.first_wh]}
        )
        first["last_meter_wh"] = when_running(
            "last_meter_wh", {"$max": ["$last_meter_wh", update.max_wh]}
        )
        gained = {"$subtract": ["$last_meter_wh", "$meter_start_wh"]}
        second["energy_wh"] = when_running("energy_wh", {"$max": [0, gained]})
    if update.power_w is not None:
        first["last_power_w"] = when_running("last_power_w", update.power_w)
        first["max_power_w"] = when_running(
            "max_power_w", {"$max": ["$max_power_w", update.power_w]}
        )
    if update.flags:
        second["flags"] = add_flags(list(update.flags))
    return [{"$set": first}, {"$set": second}] if second else [{"$set": first}]


def meter_update_op(query: dict[str, Any], update: MeterUpdate, now: datetime) -> UpdateOne:
    """Meter values applied to the session ``query`` finds, as one atomic operation of a batch
    (``bulk_meter_updates``); ``recording.apply_meter_update`` is the same in memory."""
    return UpdateOne(query, _meter_pipeline(update, now))


async def bulk_meter_updates(ops: Sequence[UpdateOne]) -> None:
    """Apply the operations in their order (ordered: one session's updates keep their order, and
    a failure stops at the failing one, so what follows it can be retried as it was)."""
    if ops:
        await ChargingSession.get_pymongo_collection().bulk_write(list(ops), ordered=True)


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


async def final_sessions_since(
    stored_since: datetime,
    *,
    after: tuple[datetime, PydanticObjectId] | None,
    limit: int,
    org_id: PydanticObjectId | None = None,
) -> list[ChargingSession]:
    """ENDED and FAILED sessions written at or after ``stored_since``, by (updated_at, id), the
    page after ``after`` (billing's settlement reconciler reads these)."""
    query: dict[str, Any] = {
        "status": {"$in": [s.value for s in FINAL]},
        "updated_at": {"$gte": stored_since},
    }
    if org_id is not None:
        query["org_id"] = org_id
    if after is not None:
        at, last_id = after
        query["$or"] = [{"updated_at": {"$gt": at}}, {"updated_at": at, "_id": {"$gt": last_id}}]
    return await ChargingSession.find(query).sort("+updated_at", "+_id").limit(limit).to_list()


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


async def adopt_pending(
    session_id: PydanticObjectId, values: dict[str, Any]
) -> ChargingSession | str | None:
    """Turn a PENDING session into a started one, atomically; the session after the change, None
    when it is no longer PENDING (a concurrent adopt won), or which unique key clashed (as
    ``insert_session`` says it: e.g. the start key of a replayed start)."""
    try:
        doc = await ChargingSession.get_pymongo_collection().find_one_and_update(
            {"_id": session_id, "status": SessionStatus.PENDING.value},
            {"$set": values},
            return_document=ReturnDocument.AFTER,
        )
    except DuplicateKeyError as exc:
        return _clashing_key(exc)
    return ChargingSession.model_validate(doc) if doc is not None else None


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
