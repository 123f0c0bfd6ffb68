"""The queries on what stations report outside charging (``StationReport``)."""

from __future__ import annotations

from typing import Any

from beanie import PydanticObjectId

from domain.diagnostics.models import StationReport


async def insert_report(report: StationReport) -> None:
    await report.insert()


async def reports_for_station(
    station_id: PydanticObjectId, kind: str | None = None, limit: int = 100
) -> list[StationReport]:
    query: dict[str, Any] = {"station_id": station_id}
    if kind is not None:
        query["kind"] = kind
    return await StationReport.find(query).sort("-at").limit(limit).to_list()
