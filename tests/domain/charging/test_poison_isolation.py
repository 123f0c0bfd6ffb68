"""A value the store cannot hold (an integer past BSON's 64 bits), reaching storage past the OCPP
edge's checks, fails only the message that carries it: the group commit it shares with other
stations' writes tries each alone, and everyone else's is stored."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from beanie import PydanticObjectId

from domain.charging.commands import CommandResult, StationCommand, StationCommandService
from domain.charging.meter_writes import MeterWrite, SampleRow
from domain.charging.metering import MeterReading, RawSample, SampledValue
from domain.charging.models import ChargingSession, MeterSample
from domain.charging.service import ChargingService
from domain.common.events import InProcessEventBus
from domain.network.models import Station, StatusInterval
from domain.network.service import NetworkService
from tests.factories.network import create_org, create_site, create_station

POISON = 2**63
DRIVER = PydanticObjectId()
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


class NoGateway:
    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        raise AssertionError("no command is sent here")


@pytest.fixture
async def charging(database: object) -> ChargingService:
    events = InProcessEventBus()
    service = ChargingService(events, NetworkService(events), StationCommandService(NoGateway()))
    await service.link_id_token(DRIVER, "TAG")  # idempotent for the same driver
    return service


async def stations(charging: ChargingService, n: int) -> list[Station]:
    org = await create_org()
    site = await create_site(charging.network, org.id)
    return [await create_station(charging.network, org.id, site.id) for _ in range(n)]


def reading(minute: int, wh: int) -> MeterReading:
    return MeterReading(at=T0 + timedelta(minutes=minute), samples=[RawSample(value=str(wh))])


async def test_poison_meter_values_fail_alone_and_the_others_are_stored(
    charging: ChargingService,
) -> None:
    good = await stations(charging, 10)
    txs = []
    for station in good:
        started = await charging.start_transaction(
            station, connector_id=1, id_tag="TAG", meter_start_wh=1000, timestamp=T0
        )
        txs.append(started.session.transaction_id)
    (bad,) = await stations(charging, 1)
    assert bad.id is not None
    poison = MeterWrite(
        bad.id,
        (
            SampleRow(
                "poison-key",
                bad.org_id,
                bad.id,
                POISON,
                None,
                SampledValue(
                    at=T0, measurand="Energy.Active.Import.Register", value=1.0, unit="Wh"
                ),
            ),
        ),
    )
    flushes = charging.store.meter_writes.flushes
    outcomes = await asyncio.gather(
        *(
            charging.meter_values(s, connector_id=1, transaction_id=tx, readings=[reading(1, 1500)])
            for s, tx in zip(good, txs, strict=True)
        ),
        charging.store.record_meter_values(poison),
        return_exceptions=True,
    )
    assert outcomes[:10] == [None] * 10, outcomes
    assert isinstance(outcomes[10], Exception)
    assert charging.store.meter_writes.flushes - flushes > 2  # shared, then tried one by one
    for station, tx in zip(good, txs, strict=True):
        samples = await MeterSample.find(
            {"meta.station_id": station.id, "transaction_id": tx}
        ).to_list()
        assert [s.value for s in samples] == [1500.0]
        session = await ChargingSession.find_one({"station_id": station.id})
        assert session is not None and session.energy_wh == 500
    assert await MeterSample.find({"meta.station_id": bad.id}).count() == 0


async def test_a_poison_start_fails_alone_and_the_other_starts_are_stored(
    charging: ChargingService,
) -> None:
    many = await stations(charging, 8)
    outcomes = await asyncio.gather(
        *(
            charging.start_transaction(
                s,
                connector_id=1,
                id_tag="TAG",
                meter_start_wh=POISON if i == 3 else 1000,
                timestamp=T0,
            )
            for i, s in enumerate(many)
        ),
        return_exceptions=True,
    )
    assert isinstance(outcomes[3], Exception)
    assert all(not isinstance(o, BaseException) for i, o in enumerate(outcomes) if i != 3)
    stored = await ChargingSession.find({"station_id": {"$in": [s.id for s in many]}}).count()
    assert stored == 7


async def test_a_poison_status_fails_alone_and_the_other_statuses_are_stored(
    charging: ChargingService,
) -> None:
    many = await stations(charging, 8)
    outcomes = await asyncio.gather(
        *(
            charging.connector_status(
                s,
                connector_id=POISON if i == 5 else 1,
                status="Available",
                error_code="NoError",
                at=T0,
            )
            for i, s in enumerate(many)
        ),
        return_exceptions=True,
    )
    assert isinstance(outcomes[5], Exception)
    assert [o for i, o in enumerate(outcomes) if i != 5] == [None] * 7, outcomes
    for i, station in enumerate(many):
        count = await StatusInterval.find({"station_id": station.id}).count()
        assert count == (0 if i == 5 else 1)
