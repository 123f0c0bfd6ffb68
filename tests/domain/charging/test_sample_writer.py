"""MeterValues samples go through the batch writer: answered first, stored by the next flush,
each once, and all of them before a stop is recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.charging import repository as repo
from domain.charging import sample_repository as sample_repo
from domain.charging.commands import CommandResult, StationCommand, StationCommandService
from domain.charging.metering import MeterReading, RawSample
from domain.charging.models import MeterSample
from domain.charging.recording import FLAG_ENERGY_BACKWARDS
from domain.charging.service import ChargingService
from domain.charging.state import SessionStatus
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
    service = ChargingService(events, NetworkService(events), StationCommandService(NoGateway()))
    service.store.samples.interval = 60.0  # only an explicit flush stores within a test
    return service


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
    """What the database holds, read directly (a read through the store would flush the writer)."""
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


async def test_meter_values_answered_before_the_flush_are_stored_by_it(
    charging: ChargingService, station: Station
) -> None:
    tx = await start(charging, station, T0)
    await charging.meter_values(
        station,
        connector_id=1,
        transaction_id=tx,
        readings=[reading(T0 + timedelta(minutes=1), 1500)],
    )
    assert charging.store.samples.pending == 1
    assert await stored(station, tx) == []  # answered, not stored yet
    session = await charging.store.session_by_transaction(station.id, tx)  # type: ignore[arg-type]
    assert session is not None and session.energy_wh == 500  # the session is up to date at once
    await charging.store.samples.flush()
    assert await stored(station, tx) == [1500.0]
    assert charging.store.samples.pending == 0


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
    assert charging.store.samples.pending == 4
    await charging.store.samples.flush()
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
    restarted.store.samples.interval = 60.0
    await restarted.meter_values(station, connector_id=1, transaction_id=tx, readings=readings)
    await restarted.close()  # the flush finds the key stored already
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
    assert await stored(station, tx) == []
    result = await charging.stop_transaction(
        station, transaction_id=tx, meter_stop_wh=3300, timestamp=T0 + timedelta(minutes=4)
    )
    # stored before the stop was recorded: billing, reacting to the end, reads all of them
    assert await stored(station, tx) == [1500.0, 2500.0, 3200.0]
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


async def test_a_failed_flush_loses_nothing_and_the_next_one_stores_it(
    charging: ChargingService, station: Station, monkeypatch: pytest.MonkeyPatch
) -> None:
    tx = await start(charging, station, T0)
    readings = [reading(T0 + timedelta(minutes=1), 1500)]
    await charging.meter_values(station, connector_id=1, transaction_id=tx, readings=readings)

    async def down(batch: object) -> None:
        raise ConnectionError("mongod unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(sample_repo, "insert_buffered_samples", down)
        with pytest.raises(ConnectionError):
            await charging.store.samples.flush()
    assert charging.store.samples.pending == 1
    await charging.meter_values(station, connector_id=1, transaction_id=tx, readings=readings)
    await charging.close()
    assert await stored(station, tx) == [1500.0]
