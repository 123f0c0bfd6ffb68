"""Health snapshots are written behind: coalesced per station, one bulk write per flush, nothing
lost when a write fails, and readers in the process see the latest computed snapshot."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from beanie import PydanticObjectId

from domain.common.clock import utcnow
from domain.common.events import InProcessEventBus
from domain.diagnostics import repository as repo
from domain.diagnostics.health_writer import health_writer
from domain.diagnostics.models import StationHealth
from domain.diagnostics.service import DiagnosticsService
from tests.domain.diagnostics.test_health_offline import online_station
from tests.factories.diagnostics import telemetry

pytestmark = pytest.mark.usefixtures("database")


def snapshot(station_id: PydanticObjectId, temperature: float) -> StationHealth:
    return StationHealth(
        station_id=station_id,
        org_id=PydanticObjectId(),
        site_id=PydanticObjectId(),
        status="OK",
        temperature_c=temperature,
    )


async def test_many_snapshots_of_many_stations_cost_one_write_the_latest_kept() -> None:
    writer = health_writer(interval=0.05)
    stations = [PydanticObjectId() for _ in range(20)]
    for t in range(10):
        for sid in stations:
            writer.add(snapshot(sid, 20.0 + t))
    assert writer.pending == 20
    await asyncio.sleep(0.3)
    assert writer.writes == 1 and writer.pending == 0
    stored = await StationHealth.find({"station_id": {"$in": stations}}).to_list()
    assert len(stored) == 20 and {h.temperature_c for h in stored} == {29.0}


async def test_a_failed_write_keeps_the_snapshots_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writer = health_writer(interval=60)
    sid, other = PydanticObjectId(), PydanticObjectId()
    writer.add(snapshot(sid, 30.0))
    writer.add(snapshot(other, 31.0))

    async def down(healths: Any) -> None:
        raise ConnectionError("store away")

    monkeypatch.setattr(repo, "save_healths", down)
    with pytest.raises(ConnectionError):
        await writer.flush()
    assert writer.pending == 2
    writer.add(snapshot(sid, 35.0))  # newer than the one that failed: it wins
    monkeypatch.undo()
    await writer.close()
    stored = {
        h.station_id: h.temperature_c
        for h in await StationHealth.find({"station_id": {"$in": [sid, other]}}).to_list()
    }
    assert stored == {sid: 35.0, other: 31.0}


async def test_readers_in_the_process_see_the_latest_snapshot_before_it_is_due() -> None:
    bus = InProcessEventBus()
    _, station = await online_station(bus)
    diag = DiagnosticsService(bus)
    diag.health_writer.interval = 60  # not due for a minute
    now = utcnow().replace(microsecond=0)
    await diag.on_event(telemetry(station, now, temperature_c=44.0, power_w=7_000.0))
    assert station.id is not None
    assert await StationHealth.find_one({"station_id": station.id}) is None  # not yet stored
    health = await diag.health_for_station(station.org_id, station.id, now)
    assert health.temperature_c == 44.0
    stored = await StationHealth.find_one({"station_id": station.id})
    assert stored is not None and stored.temperature_c == 44.0
    await diag.aclose()
