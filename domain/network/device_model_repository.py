"""Queries of the device model: reported settings and report requests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from domain.network.device_model import ReportedVariable
from domain.network.models import ReportPart, ReportRequest, StationVariable


async def upsert_variables(
    org_id: PydanticObjectId,
    station_id: PydanticObjectId,
    rows: Sequence[ReportedVariable],
    at: datetime,
    request_id: int | None,
) -> None:
    """Each row replaces what was known of its setting; other settings stay as they were."""
    if not rows:
        return
    ops = []
    for row in rows:
        ref = row.ref
        fields: dict[str, Any] = {
            "org_id": org_id,
            "component": ref.component,
            "component_instance": ref.component_instance,
            "evse_id": ref.evse_id,
            "connector_id": ref.connector_id,
            "variable": ref.variable,
            "variable_instance": ref.variable_instance,
            "value": row.value,
            "mutability": row.mutability.value if row.mutability else None,
            "attributes": row.attributes,
            "unit": row.unit,
            "data_type": row.data_type,
            "reported_at": at,
            "request_id": request_id,
        }
        ops.append(
            UpdateOne(
                {"station_id": station_id, "key": ref.key()},
                {"$set": fields},
                upsert=True,
            )
        )
    await StationVariable.get_pymongo_collection().bulk_write(ops, ordered=False)


async def set_values(
    station_id: PydanticObjectId, values: Sequence[tuple[str, str | None]], at: datetime
) -> None:
    """A value the station confirmed (GetVariables, an accepted SetVariables) for settings it has
    reported before; a setting never reported is not made up from a value alone."""
    if not values:
        return
    ops = [
        UpdateOne(
            {"station_id": station_id, "key": key},
            {"$set": {"value": value, "attributes.Actual": value, "reported_at": at}},
        )
        for key, value in values
    ]
    await StationVariable.get_pymongo_collection().bulk_write(ops, ordered=False)


async def page_variables(
    station_id: PydanticObjectId, component: str | None, after: str | None, limit: int
) -> tuple[list[StationVariable], int]:
    base: dict[str, Any] = {"station_id": station_id}
    if component is not None:
        base["component"] = component
    query = dict(base)
    if after is not None:
        query["key"] = {"$gt": after}
    items = await StationVariable.find(query).sort("key").limit(limit).to_list()
    total = await StationVariable.find(base).count()
    return items, total


async def insert_request(request: ReportRequest) -> ReportRequest | None:
    """None when the station already has a request with this id."""
    try:
        return await request.insert()
    except DuplicateKeyError:
        return None


async def answer_request(
    station_id: PydanticObjectId, request_id: int, status: str, detail: str | None, at: datetime
) -> ReportRequest | None:
    return await _update_request(
        station_id,
        request_id,
        {"$set": {"status": status, "detail": detail, "answered_at": at}},
    )


async def add_part(
    org_id: PydanticObjectId,
    station_id: PydanticObjectId,
    request_id: int,
    part: ReportPart,
    at: datetime,
) -> ReportRequest | None:
    """Record a NotifyReport part on its request (made when nobody asked for the report)."""
    update: dict[str, Any] = {
        "$push": {"parts": part.model_dump()},
        "$setOnInsert": {"org_id": org_id, "requested_at": at, "report": None, "status": "unasked"},
    }
    if not part.tbc:
        update["$set"] = {"complete": True, "completed_at": at}
    row = await ReportRequest.get_pymongo_collection().find_one_and_update(
        {"station_id": station_id, "request_id": request_id},
        update,
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    return ReportRequest.model_validate(row) if row is not None else None


async def _update_request(
    station_id: PydanticObjectId, request_id: int, update: dict[str, Any]
) -> ReportRequest | None:
    row = await ReportRequest.get_pymongo_collection().find_one_and_update(
        {"station_id": station_id, "request_id": request_id},
        update,
        return_document=ReturnDocument.AFTER,
    )
    return ReportRequest.model_validate(row) if row is not None else None


async def get_request(station_id: PydanticObjectId, request_id: int) -> ReportRequest | None:
    return await ReportRequest.find_one({"station_id": station_id, "request_id": request_id})
