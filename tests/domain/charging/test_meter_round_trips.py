"""The charging path's round trips, counted with pymongo command monitoring, and the session
updates of MeterValues: stored before the answer, group-committed across stations, applied in
order; a failed write is not answered; one the database refuses fails only its own message."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from beanie import PydanticObjectId

from domain.charging import recording
from domain.charging import session_repository as session_repo
from domain.charging.commands import CommandResult, StationCommand, StationCommandService
from domain.charging.events import SessionUpdated
from domain.charging.meter_writes import MeterWrite, SessionMeterUpdate
from domain.charging.metering import MeterReading, RawSample
from domain.charging.models import ChargingSession
from domain.charging.recording import MeterUpdate
from domain.charging.service import ChargingService
from domain.charging.state import SessionStatus
from domain.common.batching import WriteBatchFailed
from domain.common.events import DomainEvent, InProcessEventBus
from domain.network.models import Station
from domain.network.service import NetworkService
from tests.domain.charging.conftest import Commands
from tests.factories.network import create_org, create_site, create_station

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
T = TypeVar("T")


class NoGateway:
    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        raise AssertionError("no command is sent here")


class RecordingBus(InProcessEventBus):
    def __init__(self) -> None:
        super().__init__()
        self.sessions: list[SessionUpdated] = []

    def publish(self, event: DomainEvent) -> None:
        if isinstance(event, SessionUpdated):
            self.sessions.append(event)
        super().publish(event)


@dataclass
class World:
    charging: ChargingService
    commands: Commands
    events: RecordingBus

    async def station(self) -> Station:
        org = await create_org()
        site = await create_site(self.charging.network, org.id)
        return await create_station(self.charging.network, org.id, site.id)

    async def count(self, awaitable: Awaitable[T]) -> tuple[T, list[str]]:
        """What ``awaitable`` returns, and the commands it sent."""
        self.commands.names.clear()
        result = await awaitable
        return result, list(self.commands.names)


@pytest.fixture
async def world(commands: Commands) -> AsyncIterator[World]:
    events = RecordingBus()
    charging = ChargingService(events, NetworkService(events), StationCommandService(NoGateway()))
    yield World(charging, commands, events)
    await charging.close()


def reading(minute: int, wh: float, power_w: float | None = None) -> MeterReading:
    samples = [RawSample(value=str(wh))]
    if power_w is not None:
        samples.append(RawSample(value=str(power_w), measurand="Power.Active.Import", unit="W"))
    return MeterReading(at=T0 + timedelta(minutes=minute), samples=samples)


async def start(world: World, station: Station, connector_id: int = 1) -> str:
    result = await world.charging.start_transaction(
        station, connector_id=connector_id, id_tag="TAG", meter_start_wh=1000, timestamp=T0
    )
    return result.session.transaction_id or ""


async def meter(world: World, station: Station, tx: str | None, *readings: MeterReading) -> None:
    await world.charging.meter_values(
        station, connector_id=1, transaction_id=tx, readings=list(readings)
    )


async def stored(session_id: PydanticObjectId | None) -> ChargingSession:
    """What the database holds, read directly."""
    doc = await ChargingSession.get_pymongo_collection().find_one({"_id": session_id})
    assert doc is not None
    return ChargingSession.model_validate(doc)


async def test_commands_per_message_start_meter_values_stop(world: World) -> None:
    await world.charging.opener.transaction_ids.next()  # the first block of ids is reserved before
    station = await world.station()
    started, cmds = await world.count(
        world.charging.start_transaction(
            station, connector_id=1, id_tag="TAG", meter_start_wh=1000, timestamp=T0
        )
    )
    assert cmds == ["find", "insert"]  # the id tag's status, then one insert
    tx = started.session.transaction_id or ""
    for minute in (1, 2, 3):
        _, cmds = await world.count(meter(world, station, tx, reading(minute, 1000 + 500 * minute)))
        # stored before the answer: the samples and, at the same time, the session's update; a
        # transaction started here has no samples stored, so none is checked against the store
        assert sorted(cmds) == ["insert", "update"]
    others = [await world.station() for _ in range(20)]
    txs = [await start(world, other) for other in others]
    _, cmds = await world.count(
        asyncio.gather(
            *(meter(world, o, t, reading(1, 1200)) for o, t in zip(others, txs, strict=True))
        )
    )
    # twenty stations' MeterValues at once: the first goes alone, the rest share the next flush
    assert cmds.count("insert") <= 2 and cmds.count("update") <= 2, cmds
    _, cmds = await world.count(
        world.charging.stop_transaction(
            station, transaction_id=tx, meter_stop_wh=2600, timestamp=T0 + timedelta(minutes=4)
        )
    )
    assert cmds == ["find", "update"]  # the session's read and its replacement
    _, cmds = await world.count(
        world.charging.start_transaction(
            station, connector_id=1, id_tag="TAG", meter_start_wh=1000, timestamp=T0
        )
    )
    assert cmds == ["find", "insert", "find"]  # a replay: the insert clashes, the first is read


async def test_meter_values_publish_once_stored_and_write_in_order(world: World) -> None:
    station = await world.station()
    tx = await start(world, station)
    world.events.sessions.clear()
    for minute, power in ((1, 7000.0), (2, 11000.0), (3, 3000.0)):
        await meter(world, station, tx, reading(minute, 1000 + 400 * minute, power))
        session_id = PydanticObjectId(world.events.sessions[-1].session_id)
        assert (await stored(session_id)).energy_wh == 400 * minute  # stored when published
    # the live view moved with every message
    assert [(e.energy_wh, e.power_w) for e in world.events.sessions] == [
        (400, 7000.0),
        (800, 11000.0),
        (1200, 3000.0),
    ]
    written = await stored(session_id)
    # applied in arrival order: the latest power is the last message's, not the highest
    assert (written.energy_wh, written.last_power_w, written.max_power_w) == (1200, 3000.0, 11000.0)


async def test_a_read_of_the_session_sees_every_answered_meter_values(world: World) -> None:
    station = await world.station()
    tx = await start(world, station)
    await meter(world, station, tx, reading(1, 1800))
    found = await world.charging.store.session_by_transaction(station.id, tx)  # type: ignore[arg-type]
    assert found is not None and found.energy_wh == 800
    await meter(world, station, tx, reading(2, 2100))
    by_id = await world.charging.store.session(found.id)  # type: ignore[arg-type]
    assert by_id is not None and by_id.energy_wh == 1100


async def test_a_failed_write_is_not_answered_and_nothing_of_it_counts(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    station = await world.station()
    tx = await start(world, station)
    await meter(world, station, tx, reading(1, 1500, 7000))

    async def down(ops: object) -> None:
        raise ConnectionError("mongod unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(session_repo, "bulk_meter_updates", down)
        with pytest.raises(WriteBatchFailed):  # a CALLERROR: the station resends it
            await meter(world, station, tx, reading(2, 1900, 5000))
    copy = world.charging.store.running.by_transaction(station.id, tx)  # type: ignore[arg-type]
    assert copy is not None and copy.energy_wh == 500  # the failed one was not applied
    await meter(world, station, tx, reading(2, 1900, 5000))  # the station's retry
    result = await world.charging.stop_transaction(
        station, transaction_id=tx, meter_stop_wh=2000, timestamp=T0 + timedelta(minutes=3)
    )
    assert result.session is not None and result.session.status is SessionStatus.ENDED
    ended = await stored(result.session.id)
    assert (ended.energy_wh, ended.max_power_w, ended.last_power_w) == (1000, 7000.0, 0.0)


async def test_an_update_the_database_refuses_fails_only_its_own_message(world: World) -> None:
    station = await world.station()
    tx = await start(world, station)
    broken = ChargingSession.get_pymongo_collection()
    bad_id = PydanticObjectId()
    # a stored value the pipeline cannot subtract from: the database refuses this one update
    await broken.insert_one({"_id": bad_id, "status": "CHARGING", "meter_start_wh": "x"})
    update = MeterUpdate(1, 1500, 1500, False, None, ())
    bad = MeterWrite(
        station.id,  # type: ignore[arg-type]
        (),
        SessionMeterUpdate(bad_id, update, T0, {"_id": bad_id}),
    )
    outcomes = await asyncio.gather(
        world.charging.store.record_meter_values(bad),
        meter(world, station, tx, reading(1, 1700)),
        return_exceptions=True,
    )
    assert isinstance(outcomes[0], Exception) and outcomes[1] is None, outcomes
    session = await world.charging.store.session_by_transaction(station.id, tx)  # type: ignore[arg-type]
    assert session is not None and session.energy_wh == 700
    await broken.delete_one({"_id": bad_id})


async def test_the_copy_in_memory_and_the_stored_session_agree(world: World) -> None:
    """``recording.apply_meter_update`` and the database pipeline, on the same random updates."""
    rng = random.Random(6)
    station = await world.station()
    tx = await start(world, station)
    session = await world.charging.store.session_by_transaction(station.id, tx)  # type: ignore[arg-type]
    assert session is not None and session.id is not None
    copy = session.model_copy(deep=True)
    for i in range(25):
        values = sorted(rng.randint(900, 5000) for _ in range(rng.randint(0, 3)))
        if rng.random() < 0.3:
            values.reverse()
        update = MeterUpdate(
            first_wh=values[0] if values else None,
            min_wh=min(values) if values else None,
            max_wh=max(values) if values else None,
            backwards_within=any(v < max(values[:j]) for j, v in enumerate(values) if j),
            power_w=rng.choice([None, float(rng.randint(0, 22000))]),
            flags=tuple(sorted(rng.sample(["a", "b", "timestamp_unparseable"], rng.randint(0, 2)))),
        )
        if i == 20:  # no longer running: only the flags are added from here on
            await ChargingSession.get_pymongo_collection().update_one(
                {"_id": session.id}, {"$set": {"status": "ENDED"}}
            )
            copy.status = SessionStatus.ENDED
        recording.apply_meter_update(copy, update, T0)
        write = SessionMeterUpdate(session.id, update, T0, {"_id": session.id})
        await world.charging.store.record_meter_values(MeterWrite(station.id, (), write))  # type: ignore[arg-type]
    db = await stored(session.id)
    fields = ("meter_start_wh", "last_meter_wh", "energy_wh", "last_power_w", "max_power_w")
    assert [getattr(db, f) for f in fields] == [getattr(copy, f) for f in fields]
    assert db.flags == copy.flags


async def test_transaction_ids_are_reserved_in_blocks_and_skip_a_taken_one(world: World) -> None:
    ids = world.charging.opener.transaction_ids
    await ids.next()
    stations = [await world.station() for _ in range(3)]
    taken = str(ids._next)  # the id the next start would get is already a transaction there
    await ChargingSession.get_pymongo_collection().insert_one(
        {"station_id": stations[0].id, "transaction_id": taken, "status": "ENDED"}
    )
    world.commands.names.clear()
    txs = [await start(world, s) for s in stations]
    assert txs[0] != taken and len(set(txs)) == 3
    assert "findAndModify" not in world.commands.names  # no reservation: the block lasts
