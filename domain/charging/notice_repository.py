"""What stations report outside a running session: transaction messages that match no session
(kept, never dropped) and their reports (security events, firmware and log status, ...)."""

from __future__ import annotations

from typing import Any

from beanie import PydanticObjectId

from domain.charging.models import OrphanTransactionMessage, StationReport


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
