"""Telemetry history that reads fast over long ranges, and how long raw samples are kept.

Raw samples live in the ``meter_samples`` time-series collection (bucketed by station and
connector, indexed on station and time). ``apply_retention`` sets its ``expireAfterSeconds`` from the
retention setting (the composition root calls it at startup). ``telemetry_history`` downsamples on
read with an index-backed pipeline: raw up to a day, 5-minute buckets up to a week, hourly beyond,
so a month of a busy station is ~720 rows per connector, never millions of points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from beanie import PydanticObjectId

from domain.charging.models import MeterSample
from domain.common.clock import as_utc
from domain.common.errors import InvalidInput

MAX_RANGE = timedelta(days=92)
ROLLED = ["Temperature", "Voltage", "Current.Import", "Power.Active.Import"]
ENERGY = "Energy.Active.Import.Register"
PHASES = [None, "L1", "L2", "L3", "L1-N", "L2-N", "L3-N"]


@dataclass(frozen=True)
class Resolution:
    unit: str
    bin_size: int

    @property
    def seconds(self) -> int:
        return self.bin_size * {"minute": 60, "hour": 3600}[self.unit]


def resolution_for(span: timedelta) -> Resolution | None:
    """None: raw samples (a day or less); else the bucket for the range."""
    if span <= timedelta(days=1):
        return None
    if span <= timedelta(days=7):
        return Resolution("minute", 5)
    return Resolution("hour", 1)


async def apply_retention(retention_days: int) -> None:
    """Raw samples older than ``retention_days`` expire (0 or less: kept for ever)."""
    collection = MeterSample.get_pymongo_collection()
    expire: int | str = retention_days * 86_400 if retention_days > 0 else "off"
    await collection.database.command({"collMod": collection.name, "expireAfterSeconds": expire})


@dataclass(frozen=True)
class RollupRow:
    at: datetime  # the bucket's start
    connector_id: int
    temperature_max_c: float | None
    voltage_avg_v: float | None
    current_avg_a: float | None
    power_avg_w: float | None
    power_max_w: float | None
    energy_wh: int | None  # the register's last reading in the bucket
    samples: int


def rollup_pipeline(
    station_id: PydanticObjectId, start: datetime, end: datetime, res: Resolution
) -> list[dict[str, Any]]:
    def stat(op: str, measurand: str) -> dict[str, Any]:
        return {op: {"$cond": [{"$eq": ["$measurand", measurand]}, "$value", None]}}

    return [
        {
            "$match": {
                "meta.station_id": station_id,
                "at": {"$gte": start, "$lt": end},
                "measurand": {"$in": [*ROLLED, ENERGY]},
                "phase": {"$in": PHASES},  # not line-to-line or neutral values
            }
        },
        {"$sort": {"at": 1}},
        {
            "$group": {
                "_id": {
                    "c": "$meta.connector_id",
                    "t": {"$dateTrunc": {"date": "$at", "unit": res.unit, "binSize": res.bin_size}},
                },
                "temperature": stat("$max", "Temperature"),
                "voltage": stat("$avg", "Voltage"),
                "current": stat("$avg", "Current.Import"),
                "power": stat("$avg", "Power.Active.Import"),
                "power_max": stat("$max", "Power.Active.Import"),
                "energy": stat("$max", ENERGY),
                "samples": {"$sum": 1},
            }
        },
        {"$sort": {"_id.t": 1, "_id.c": 1}},
    ]


async def telemetry_history(
    station_id: PydanticObjectId, start: datetime, end: datetime
) -> tuple[Resolution | None, list[RollupRow]]:
    """Downsampled history of a station (None resolution: the range is short, read raw rows
    through the charging service instead)."""
    start, end = as_utc(start), as_utc(end)
    if end <= start or end - start > MAX_RANGE:
        raise InvalidInput("the range must end after it starts, within 92 days", field="range")
    res = resolution_for(end - start) or Resolution("minute", 1)
    cursor = await MeterSample.get_pymongo_collection().aggregate(
        rollup_pipeline(station_id, start, end, res)
    )
    rows = [
        RollupRow(
            at=as_utc(r["_id"]["t"]),
            connector_id=int(r["_id"]["c"]),
            temperature_max_c=r["temperature"],
            voltage_avg_v=r["voltage"],
            current_avg_a=r["current"],
            power_avg_w=r["power"],
            power_max_w=r["power_max"],
            energy_wh=round(r["energy"]) if r["energy"] is not None else None,
            samples=int(r["samples"]),
        )
        async for r in cursor
    ]
    return resolution_for(end - start), rows
