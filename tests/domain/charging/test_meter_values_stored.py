"""MeterValues samples are stored before the answer (group-committed across stations), each
once, and a write that fails is not answered, so the station's retry stores it."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from domain.charging import repository as repo
from domain.charging import sample_repository as sample_repo
from domain.charging.commands import CommandResult, StationCommand, StationCommandService
from domain.charging.metering import MeterReading, RawSample
from domain.charging.models import ChargingSession, MeterSample
from domain.charging.recording import FLAG_ENERGY_BACKWARDS
from domain.charging.service import ChargingService
from domain.charging.state import SessionStatus
from domain.common.batching import WriteBatchFailed
from domain.common.events import InProcessEventBus
from domain.network.models import Station
from domain.network.service import NetworkService
from tests.factories.network import create_org, create_site, create_station

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


class NoGateway:
    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        raise AssertionError("no command is sent here")


@pytest.fixture
async def charging(database: object) -> ChargingService:
    events = InProcessEventBus()
    return ChargingService(events, NetworkService(events), StationCommandService(NoGateway()))


@pytest.fixture
async def station(charging: ChargingService) -> Station:
    org = await create_org()
    site = await create_site(charging.network, org.id)
    return await create_station(charging.network, org.id, site.id)


def reading(at: datetime, wh: float, power_w: float | None = None) -> MeterReading:
    samples = [RawSample(value=str(wh))]
    if power_w is not None:
        samples.append(RawSample(value=str(power_w), measurand="Power.Active.Import", unit="W"))
    return MeterReading(at=at, samples=samples)


async def stored(station: Station, transaction_id: str) -> list[float]:
    """What the database holds, read directly."""
    coll = MeterSample.get_pymongo_collection()
    cursor = coll.find(
        {"meta.station_id": station.id, "transaction_id": transaction_id}, sort=[("at", 1)]
    )
    return [doc["value"] async for doc in cursor]


async def start(charging: ChargingService, station: Station, at: datetime) -> str:
    result = await charging.start_transaction(
        station, connector_id=1, id_tag="TAG", meter_start_wh=1000, timestamp=at
    )
    return result.session.transaction_id or ""


async def test_meter_values_are_stored_when_they_are_answered(
    charging: ChargingService, station: Station
) -> None:
    tx = await start(charging, station, T0)
    await charging.meter_values(
        station,
        connector_id=1,
        transaction_id=tx,
        readings=[reading(T0 + timedelta(minutes=1), 1500)],
    )
    assert await stored(station, tx) == [1500.0]  # answered means stored
    doc = await ChargingSession.get_pymongo_collection().find_one(
        {"station_id": station.id, "transaction_id": tx}
    )
    assert doc is not None and doc["energy_wh"] == 500  # the session's update too


async def test_a_retried_meter_values_is_stored_and_counted_once(
    charging: ChargingService, station: Station
) -> None:
    tx = await start(charging, station, T0)
    first = [
        reading(T0 + timedelta(minutes=1), 1500, 7000),
        reading(T0 + timedelta(minutes=2), 1800),
    ]
    for _ in range(2):  # the retry of a MeterValues whose answer was lost, in the same batch
        await charging.meter_values(station, connector_id=1, transaction_id=tx, readings=first)
    await charging.meter_values(
        station,
        connector_id=1,
        transaction_id=tx,
        readings=[reading(T0 + timedelta(minutes=3), 2100)],
    )
    await charging.meter_values(station, connector_id=1, transaction_id=tx, readings=first)
    assert await stored(station, tx) == [1500.0, 7000.0, 1800.0, 2100.0]
    session = await charging.store.session_by_transaction(station.id, tx)  # type: ignore[arg-type]
    assert session is not None
    # a retry arriving after newer readings is no backwards register: it is recognised, dropped
    assert FLAG_ENERGY_BACKWARDS not in session.flags
    assert (session.energy_wh, session.last_meter_wh, session.max_power_w) == (1100, 2100, 7000.0)


async def test_a_retry_after_a_restart_is_not_stored_twice(
    charging: ChargingService, station: Station
) -> None:
    tx = await start(charging, station, T0)
    readings = [reading(T0 + timedelta(minutes=1), 1500)]
    await charging.meter_values(station, connector_id=1, transaction_id=tx, readings=readings)
    await charging.close()
    events = InProcessEventBus()
    restarted = ChargingService(events, charging.network, charging.commands)
    await restarted.meter_values(station, connector_id=1, transaction_id=tx, readings=readings)
    await restarted.close()  # the write found the key stored already
    assert await stored(station, tx) == [1500.0]


async def test_stop_right_after_meter_values_sees_every_sample(
    charging: ChargingService, station: Station
) -> None:
    tx = await start(charging, station, T0)
    for minute, wh in ((1, 1500), (2, 2500), (3, 3200)):
        await charging.meter_values(
            station,
            connector_id=1,
            transaction_id=tx,
            readings=[reading(T0 + timedelta(minutes=minute), wh)],
        )
    assert await stored(station, tx) == [1500.0, 2500.0, 3200.0]  # each stored when answered
    result = await charging.stop_transaction(
        station, transaction_id=tx, meter_stop_wh=3300, timestamp=T0 + timedelta(minutes=4)
    )
    assert result.session is not None and result.session.status is SessionStatus.ENDED
    assert result.session.energy_wh == 2300
    samples = await charging.store.samples_for_transaction(station.id, tx)  # type: ignore[arg-type]
    assert [s.value for s in samples] == [1500.0, 2500.0, 3200.0]


async def test_a_lower_register_flags_the_session_and_keeps_the_highest(
    charging: ChargingService, station: Station
) -> None:
    tx = await start(charging, station, T0)
    await charging.meter_values(
        station,
        connector_id=1,
        transaction_id=tx,
        readings=[
            reading(T0 + timedelta(minutes=1), 2000),
            reading(T0 + timedelta(minutes=2), 1900),
        ],
    )
    session = await charging.store.session_by_transaction(station.id, tx)  # type: ignore[arg-type]
    assert session is not None
    assert FLAG_ENERGY_BACKWARDS in session.flags
    assert (session.last_meter_wh, session.energy_wh) == (2000, 1000)
    await charging.close()


async def test_meter_values_of_an_unknown_transaction_are_kept_as_an_orphan(
    charging: ChargingService, station: Station
) -> None:
    readings = [reading(T0 + timedelta(minutes=1), 1500)]
    await charging.meter_values(station, connector_id=1, transaction_id="999", readings=readings)
    await charging.close()
    assert await stored(station, "999") == [1500.0]
    orphans = await repo.orphans_for_station(station.id)  # type: ignore[arg-type]
    assert [(o.transaction_id, o.action) for o in orphans] == [("999", "MeterValues")]


async def test_a_failed_write_is_not_answered_and_the_retry_stores_it(
    charging: ChargingService, station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    tx = await start(charging, station, T0)
    readings = [reading(T0 + timedelta(minutes=1), 1500)]

    async def down(batch: object) -> None:
        raise ConnectionError("mongod unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(sample_repo, "insert_sample_rows", down)
        with pytest.raises(WriteBatchFailed) as failed:  # a CALLERROR: the station resends it
            await charging.meter_values(
                station, connector_id=1, transaction_id=tx, readings=readings
            )
    assert isinstance(failed.value.__cause__, ConnectionError)
    assert await stored(station, tx) == []
    await charging.meter_values(station, connector_id=1, transaction_id=tx, readings=readings)
    assert await stored(station, tx) == [1500.0]  # not skipped as "seen": it never was stored
    session = await charging.store.session_by_transaction(station.id, tx)  # type: ignore[arg-type]
    assert session is not None and session.energy_wh == 500


async def test_a_resend_racing_its_original_is_stored_once(
    charging: ChargingService, station: Station
) -> None:
    tx = await start(charging, station, T0)
    await charging.meter_values(
        station,
        connector_id=1,
        transaction_id=tx,
        readings=[reading(T0 + timedelta(minutes=1), 1200)],
    )  # the stream is known: later samples skip the check of stored keys
    later = [reading(T0 + timedelta(minutes=2), 1500)]
    for _ in range(2):  # the original and its resend, both before either was answered
        await asyncio.gather(
            charging.meter_values(station, connector_id=1, transaction_id=tx, readings=later),
            charging.meter_values(station, connector_id=1, transaction_id=tx, readings=later),
        )
    assert await stored(station, tx) == [1200.0, 1500.0]
