"""Concurrent starts share their round trips (the store's group commit) and stay durable before the answer:
one insert for the starts waiting together, each caller gets its own outcome, and a failed round
fails every start in it and stores none of them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime, timedelta

import pytest
from beanie import PydanticObjectId

from domain.charging import session_repository as session_repo
from domain.charging.commands import CommandResult, StationCommand, StationCommandService
from domain.charging.models import ChargingSession
from domain.charging.results import StartResult
from domain.charging.service import ChargingService
from domain.common.events import InProcessEventBus
from domain.network.models import Station
from domain.network.service import NetworkService
from tests.domain.charging.conftest import Commands
from tests.factories.network import create_org, create_site, create_station

DRIVER = PydanticObjectId()
T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


class NoGateway:
    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        raise AssertionError("no command is sent here")


@pytest.fixture
async def charging(commands: Commands) -> AsyncIterator[ChargingService]:
    events = InProcessEventBus()
    service = ChargingService(events, NetworkService(events), StationCommandService(NoGateway()))
    await service.link_id_token(DRIVER, "CARD")  # idempotent for the same driver
    yield service
    await service.close()


async def stations(charging: ChargingService, n: int) -> list[Station]:
    org = await create_org()
    site = await create_site(charging.network, org.id)
    return [await create_station(charging.network, org.id, site.id) for _ in range(n)]


async def start(charging: ChargingService, station: Station, at: datetime = T0) -> StartResult:
    return await charging.start_transaction(
        station, connector_id=1, id_tag="CARD", meter_start_wh=0, timestamp=at
    )


async def test_concurrent_starts_share_one_read_and_one_insert(
    charging: ChargingService, commands: Commands
) -> None:
    await charging.opener.transaction_ids.next()  # the block of ids is reserved before
    many = await stations(charging, 30)
    commands.names.clear()
    results = await asyncio.gather(*(start(charging, s) for s in many))
    assert sorted(commands.names) == ["find", "insert"]  # 30 starts, two round trips
    assert len({r.session.transaction_id for r in results}) == 30
    assert all(r.id_tag_status.value == "Accepted" and r.session.id for r in results)
    stored = await ChargingSession.find({"station_id": {"$in": [s.id for s in many]}}).count()
    assert stored == 30  # answered means stored


async def test_a_replay_racing_its_original_gets_the_same_session(
    charging: ChargingService,
) -> None:
    (station,) = await stations(charging, 1)
    first, again = await asyncio.gather(start(charging, station), start(charging, station))
    assert first.session.id == again.session.id
    assert first.session.transaction_id == again.session.transaction_id
    assert await ChargingSession.find({"station_id": station.id}).count() == 1


async def test_a_failed_round_fails_every_start_in_it_and_stores_none(
    charging: ChargingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    many = await stations(charging, 3)

    async def down(sessions: Sequence[ChargingSession]) -> list[str | None]:
        raise ConnectionError("mongod unreachable")

    with monkeypatch.context() as patch:
        patch.setattr(charging.store.inserts, "run", down)
        outcomes = await asyncio.gather(*(start(charging, s) for s in many), return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes)  # none answered
    assert await ChargingSession.find({"station_id": {"$in": [s.id for s in many]}}).count() == 0
    retried = await asyncio.gather(*(start(charging, s) for s in many))  # the stations retry
    assert len({r.session.id for r in retried}) == 3


async def test_insert_sessions_reports_each_clash(charging: ChargingService) -> None:
    (station,) = await stations(charging, 1)
    stored = (await start(charging, station)).session
    twin = stored.model_copy(update={"id": None, "start_key": None, "connector_lock": None})
    other = stored.model_copy(
        update={"id": None, "start_key": None, "connector_lock": None, "transaction_id": "x-1"}
    )
    assert await session_repo.insert_sessions([twin, other]) == ["transaction_id", None]
    assert twin.id is None and other.id is not None
