"""Telemetry retention and downsampled history over a month."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from beanie import PydanticObjectId

from domain.charging.models import MeterSample, SampleMeta
from domain.reporting.telemetry import apply_retention, resolution_for, telemetry_history


async def test_retention_sets_the_time_series_expiry(database: object) -> None:
    await apply_retention(30)
    db = MeterSample.get_pymongo_collection().database
    info = await (await db.list_collections(filter={"name": "meter_samples"})).to_list()
    assert info[0]["options"]["expireAfterSeconds"] == 30 * 86_400
    await apply_retention(0)
    info = await (await db.list_collections(filter={"name": "meter_samples"})).to_list()
    assert "expireAfterSeconds" not in info[0]["options"]


async def test_a_month_reads_as_hourly_buckets(database: object) -> None:
    station = PydanticObjectId()
    meta = SampleMeta(station_id=station, connector_id=1, org_id=PydanticObjectId())
    t0 = datetime(2024, 5, 1, tzinfo=UTC)
    docs = []
    for i in range(30 * 24 * 6):  # every 10 minutes for 30 days
        at = t0 + timedelta(minutes=10 * i)
        minute = i % 6  # temperature 40..45 within each hour, power 1..6 kW
        docs += [
            MeterSample(at=at, meta=meta, measurand="Temperature", value=40.0 + minute,
                        unit="Celsius", key=f"t{i}"),
            MeterSample(at=at, meta=meta, measurand="Power.Active.Import",
                        value=1000.0 * (minute + 1), unit="W", key=f"p{i}"),
            MeterSample(at=at, meta=meta, measurand="Voltage", value=400.0, unit="V",
                        phase="L1-L2", key=f"v{i}"),  # line-to-line: left out
        ]  # fmt: skip
    await MeterSample.insert_many(docs)
    res, rows = await telemetry_history(station, t0, t0 + timedelta(days=30))
    assert res is not None and res.unit == "hour"
    assert len(rows) == 30 * 24  # not 12,960 points
    first = rows[0]
    assert (first.at, first.temperature_max_c, first.power_avg_w, first.power_max_w) == (
        t0,
        45.0,
        3500.0,
        6000.0,
    )
    assert first.voltage_avg_v is None and first.samples == 12
    _, week = await telemetry_history(station, t0, t0 + timedelta(days=2))
    assert len(week) == 2 * 24 * 6  # 5-minute buckets: one sample time in every other one
    assert resolution_for(timedelta(hours=6)) is None
