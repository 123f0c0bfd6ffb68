"""The meter samples' queries: what is stored, what was stored already (replays), and the
time-ordered readings a session's bill and a station's telemetry are built from. Reads return what
is stored: every sample a station was answered for is."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from beanie import PydanticObjectId

from domain.charging.metering import (
    TELEMETRY_MEASURANDS,
    SampledValue,
    TelemetryRow,
    telemetry_rows,
)
from domain.charging.models import MeterSample, SampleMeta
from domain.common.clock import as_utc

if TYPE_CHECKING:
    from domain.charging.meter_writes import SampleRow


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


async def existing_sample_keys_any(keys: Sequence[str], start: datetime, end: datetime) -> set[str]:
    """The keys among ``keys`` (of any stations; a key names its station) already stored."""
    cursor = MeterSample.get_pymongo_collection().find(
        {"at": {"$gte": start, "$lte": end}, "key": {"$in": list(keys)}}, {"key": 1, "_id": 0}
    )
    return {doc["key"] async for doc in cursor}


async def insert_sample_rows(batch: Sequence[SampleRow]) -> None:
    docs = [
        MeterSample(
            at=b.sample.at,
            meta=SampleMeta(station_id=b.station_id, connector_id=b.connector_id, org_id=b.org_id),
            measurand=b.sample.measurand,
            value=b.sample.value,
            unit=b.sample.unit,
            phase=b.sample.phase,
            location=b.sample.location,
            context=b.sample.context,
            transaction_id=b.transaction_id,
            key=b.key,
            reported_at=b.sample.reported_at,
        )
        for b in sorted(batch, key=lambda b: (str(b.station_id), b.connector_id, b.sample.at))
    ]
    if docs:
        # ordered: on this time-series collection an unordered batch spanning many stations costs
        # mongod an extra bucket update per station (serverStatus opcounters); there is no unique
        # index to continue past, and a batch failing halfway is retried by key (meter_writes)
        await MeterSample.insert_many(docs, ordered=True)


async def insert_samples(
    org_id: PydanticObjectId,
    station_id: PydanticObjectId,
    connector_id: int,
    transaction_id: str | None,
    samples: Sequence[tuple[str, SampledValue]],
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


async def samples_for_transaction(
    station_id: PydanticObjectId, transaction_id: str
) -> list[MeterSample]:
    return (
        await MeterSample.find({"meta.station_id": station_id, "transaction_id": transaction_id})
        .sort("+at")
        .to_list()
    )


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
    pairs: list[tuple[int, SampledValue]] = []
    async for doc in cursor:
        pairs.append(
            (
                int(doc["meta"]["connector_id"]),
                SampledValue(
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
