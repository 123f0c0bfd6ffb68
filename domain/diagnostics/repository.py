"""Every query diagnostics makes lives here.

It reads the network context's ``stations`` collection (connectivity and connector status, read only)
for health and the OFFLINE check; it writes only its own collections.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument, UpdateOne
from pymongo.errors import DuplicateKeyError

from domain.diagnostics.models import (
    Alert,
    AlertRule,
    AlertState,
    AlertWebhook,
    DiagnosticsFile,
    FileTransfer,
    StationHealth,
)
from domain.diagnostics.rules import AlertKind
from domain.diagnostics.transfers import TransferKind
from domain.network.models import Site, Station

# -- rules -----------------------------------------------------------------------------------------


async def rules_for(org_id: PydanticObjectId) -> list[AlertRule]:
    return await AlertRule.find(AlertRule.org_id == org_id).to_list()


async def upsert_rule(rule: AlertRule) -> AlertRule:
    fields = rule.model_dump(exclude={"id", "revision_id"})
    doc = await AlertRule.get_pymongo_collection().find_one_and_update(
        {"org_id": rule.org_id, "site_id": rule.site_id, "kind": rule.kind.value},
        {"$set": fields},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    saved: AlertRule = AlertRule.model_validate(doc)
    return saved


# -- alerts ----------------------------------------------------------------------------------------


async def insert_alert(alert: Alert) -> bool:
    """Insert an open alert; False when one is open already for its station, connector and kind."""
    try:
        await alert.insert()
    except DuplicateKeyError:
        return False
    return True


async def get_alert(alert_id: PydanticObjectId) -> Alert | None:
    return await Alert.get(alert_id)


async def open_alert(
    station_id: PydanticObjectId, connector_id: int | None, kind: AlertKind
) -> Alert | None:
    return await Alert.find_one(
        {
            "station_id": station_id,
            "connector_id": connector_id,
            "kind": kind.value,
            "is_open": True,
        }
    )


async def open_alerts(station_ids: Sequence[PydanticObjectId]) -> list[Alert]:
    return (
        await Alert.find({"station_id": {"$in": list(station_ids)}, "is_open": True})
        .sort("+raised_at")
        .to_list()
    )


async def open_alerts_of_kind(kind: AlertKind) -> list[Alert]:
    return await Alert.find({"kind": kind.value, "is_open": True}).to_list()


async def acknowledge(alert_id: PydanticObjectId, at: datetime, by: str) -> Alert | None:
    """RAISED → ACKNOWLEDGED; None when the alert is not RAISED."""
    doc = await Alert.get_pymongo_collection().find_one_and_update(
        {"_id": alert_id, "state": AlertState.RAISED.value},
        {
            "$set": {
                "state": AlertState.ACKNOWLEDGED.value,
                "acknowledged_at": at,
                "acknowledged_by": by,
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    return None if doc is None else Alert.model_validate(doc)


async def resolve(alert_id: PydanticObjectId, at: datetime, by: str | None) -> Alert | None:
    """Open → RESOLVED; None when it was resolved already."""
    doc = await Alert.get_pymongo_collection().find_one_and_update(
        {"_id": alert_id, "is_open": True},
        {
            "$set": {
                "state": AlertState.RESOLVED.value,
                "is_open": False,
                "resolved_at": at,
                "resolved_by": by,
            }
        },
        return_document=ReturnDocument.AFTER,
    )
    return None if doc is None else Alert.model_validate(doc)


async def list_alerts(
    org_id: PydanticObjectId,
    *,
    state: AlertState | None,
    site_id: PydanticObjectId | None,
    after: tuple[datetime, PydanticObjectId] | None,
    limit: int,
) -> list[Alert]:
    """Newest first, keyset-paginated on (raised_at, _id)."""
    query: dict[str, Any] = {"org_id": org_id}
    if state is not None:
        query["state"] = state.value
    if site_id is not None:
        query["site_id"] = site_id
    if after is not None:
        at, oid = after
        query["$or"] = [{"raised_at": {"$lt": at}}, {"raised_at": at, "_id": {"$lt": oid}}]
    return await Alert.find(query).sort("-raised_at", "-_id").limit(limit).to_list()


# -- health and connectivity -----------------------------------------------------------------------


async def save_health(health: StationHealth) -> None:
    await save_healths([health])


async def save_healths(healths: Sequence[StationHealth]) -> None:
    """Upsert each station's snapshot, all in one unordered bulk write."""
    if not healths:
        return
    await StationHealth.get_pymongo_collection().bulk_write(
        [
            UpdateOne(
                {"station_id": h.station_id},
                {"$set": h.model_dump(exclude={"id", "revision_id"})},
                upsert=True,
            )
            for h in healths
        ],
        ordered=False,
    )


async def health_of(station_ids: Sequence[PydanticObjectId]) -> list[StationHealth]:
    return await StationHealth.find({"station_id": {"$in": list(station_ids)}}).to_list()


@dataclass(frozen=True)
class Connectivity:
    station_id: PydanticObjectId
    org_id: PydanticObjectId
    site_id: PydanticObjectId
    online: bool
    last_seen_at: datetime | None
    connected_at: datetime | None
    connectors: list[tuple[int, str | None, str | None]]  # (id, status, error code)


_CONNECTIVITY_FIELDS = {
    "org_id": 1,
    "site_id": 1,
    "online": 1,
    "last_seen_at": 1,
    "connected_at": 1,
    "connectors": 1,
}


def _connectivity(row: dict[str, Any]) -> Connectivity:
    return Connectivity(
        station_id=row["_id"],
        org_id=row["org_id"],
        site_id=row["site_id"],
        online=bool(row.get("online")),
        last_seen_at=row.get("last_seen_at"),
        connected_at=row.get("connected_at"),
        connectors=[
            (int(c["connector_id"]), c.get("status"), c.get("error_code"))
            for c in row.get("connectors", [])
        ],
    )


async def connectivity(station_ids: Sequence[PydanticObjectId] | None = None) -> list[Connectivity]:
    """Connectivity of the given stations, or of every station."""
    query: dict[str, Any] = {} if station_ids is None else {"_id": {"$in": list(station_ids)}}
    cursor = Station.get_pymongo_collection().find(query, _CONNECTIVITY_FIELDS)
    return [_connectivity(row) async for row in cursor]


async def connectivity_pages(page: int = 500) -> AsyncIterator[list[Connectivity]]:
    """Every station's connectivity, ``page`` at a time (the periodic OFFLINE check): each page
    is fetched and decoded on its own, so a large network never decodes in one long stretch."""
    cursor = Station.get_pymongo_collection().find({}, _CONNECTIVITY_FIELDS, batch_size=page)
    rows: list[Connectivity] = []
    async for row in cursor:
        rows.append(_connectivity(row))
        if len(rows) >= page:
            yield rows
            rows = []
    if rows:
        yield rows


# -- webhooks --------------------------------------------------------------------------------------


async def upsert_webhook(hook: AlertWebhook) -> None:
    fields = hook.model_dump(exclude={"id", "revision_id"})
    await AlertWebhook.get_pymongo_collection().update_one(
        {"org_id": hook.org_id}, {"$set": fields}, upsert=True
    )


async def webhook_for(org_id: PydanticObjectId) -> AlertWebhook | None:
    return await AlertWebhook.find_one(AlertWebhook.org_id == org_id)


# -- file transfers --------------------------------------------------------------------------------


async def insert_transfer(transfer: FileTransfer) -> FileTransfer:
    await transfer.insert()
    return transfer


async def get_transfer(transfer_id: PydanticObjectId) -> FileTransfer | None:
    return await FileTransfer.get(transfer_id)


async def transfer_for_report(
    station_id: PydanticObjectId, kind: TransferKind, request_id: int | None
) -> FileTransfer | None:
    """The transfer a notification is about: by requestId when given, else the latest unfinished."""
    query: dict[str, Any] = {"station_id": station_id, "kind": kind.value}
    if request_id is not None:
        query["request_id"] = request_id
    else:
        query["finished"] = False
    return await FileTransfer.find(query).sort("-requested_at").first_or_none()


async def save_transfer(transfer: FileTransfer) -> None:
    await transfer.save()


async def transfers_for_station(
    station_id: PydanticObjectId, kind: TransferKind | None, limit: int
) -> list[FileTransfer]:
    query: dict[str, Any] = {"station_id": station_id}
    if kind is not None:
        query["kind"] = kind.value
    return await FileTransfer.find(query).sort("-requested_at").limit(limit).to_list()


async def site_org(site_id: PydanticObjectId) -> PydanticObjectId | None:
    """The organisation owning a site (the network's ``sites``, read only)."""
    row = await Site.get_pymongo_collection().find_one({"_id": site_id}, {"org_id": 1})
    return None if row is None else row["org_id"]


async def insert_file(file: DiagnosticsFile) -> DiagnosticsFile:
    await file.insert()
    return file


async def get_file(file_id: PydanticObjectId) -> DiagnosticsFile | None:
    return await DiagnosticsFile.get(file_id)


async def files_for_station(station_id: PydanticObjectId, limit: int) -> list[DiagnosticsFile]:
    return (
        await DiagnosticsFile.find({"station_id": station_id})
        .sort("-received_at")
        .limit(limit)
        .to_list()
    )
