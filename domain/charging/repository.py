"""The charging context's queries on id tokens, sequences and orphan transaction messages
(sessions: session_repository.py; meter samples: sample_repository.py)."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from domain.charging.models import ChargingSession, IdToken, OrphanTransactionMessage
from domain.common.clock import utcnow

# -- id tokens ----------------------------------------------------------------------------------


async def get_id_token(id_tag: str) -> IdToken | None:
    return await IdToken.find_one(IdToken.id_tag == id_tag)


async def id_tokens_by_tag(tags: Sequence[str]) -> list[IdToken | None]:
    """The token of each tag (None: unknown), with one query for all of them."""
    found = {
        t.id_tag: t for t in await IdToken.find({"id_tag": {"$in": sorted(set(tags))}}).to_list()
    }
    return [found.get(tag) for tag in tags]


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


async def reserve_sequence(name: str, count: int) -> int:
    """Reserve ``count`` values of the global sequence ``name``; returns the last one reserved
    (the block is ``last - count + 1 .. last``)."""
    coll = ChargingSession.get_pymongo_collection().database["sequences"]
    doc = await coll.find_one_and_update(
        {"_id": name},
        {"$inc": {"value": count}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert doc is not None  # upsert with ReturnDocument.AFTER
    return int(doc["value"])


async def raise_sequence_to(name: str, floor: int) -> None:
    """Make the global sequence ``name`` at least ``floor``."""
    coll = ChargingSession.get_pymongo_collection().database["sequences"]
    await coll.update_one({"_id": name}, {"$max": {"value": floor}}, upsert=True)


async def highest_station_sequence(name: str) -> int:
    """The highest value any per-station sequence ``name`` reached (the ones before the global)."""
    coll = ChargingSession.get_pymongo_collection().database["station_sequences"]
    pipeline: list[dict[str, Any]] = [
        {"$match": {"_id": {"$regex": f":{name}$"}}},
        {"$group": {"_id": None, "top": {"$max": "$value"}}},
    ]
    async for doc in await coll.aggregate(pipeline):
        return int(doc.get("top") or 0)
    return 0


# -- transaction messages that match no session (kept, never dropped) ----------------------------


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
