"""Starts decided by the unique indexes (no read before the insert): a late replay never takes a
connector or a remote start from a newer session; and the in-memory copy of running sessions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from beanie import PydanticObjectId

from domain.charging.commands import (
    CommandResult,
    CommandStatus,
    StationCommand,
    StationCommandService,
)
from domain.charging.models import ChargingSession
from domain.charging.running import RunningSessions
from domain.charging.service import ChargingService
from domain.charging.state import SessionStatus
from domain.common.events import InProcessEventBus
from domain.network.models import Station
from domain.network.service import NetworkService
from tests.factories.network import create_org, create_site, create_station

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


@dataclass
class Accepting:
    sent: list[StationCommand] = field(default_factory=list)

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        self.sent.append(command)
        return CommandResult(CommandStatus.ACCEPTED)


@pytest.fixture
async def charging(database: object) -> ChargingService:
    events = InProcessEventBus()
    return ChargingService(events, NetworkService(events), StationCommandService(Accepting()))


async def online_station(charging: ChargingService) -> Station:
    org = await create_org()
    site = await create_site(charging.network, org.id)
    station = await create_station(charging.network, org.id, site.id)
    station.online = True
    return station


async def start_16(charging: ChargingService, station: Station, at: datetime) -> ChargingSession:
    result = await charging.start_transaction(
        station, connector_id=1, id_tag="CARD", meter_start_wh=0, timestamp=at
    )
    return result.session


async def test_a_late_replay_returns_its_session_and_leaves_the_newer_one_running(
    charging: ChargingService,
) -> None:
    station = await online_station(charging)
    first = await start_16(charging, station, T0)
    await charging.stop_transaction(
        station, transaction_id=first.transaction_id or "", meter_stop_wh=10, timestamp=T0
    )
    second = await start_16(charging, station, T0 + timedelta(minutes=5))
    replay = await start_16(charging, station, T0)  # the first start, retried from a queue
    assert replay.id == first.id and replay.transaction_id == first.transaction_id
    newer = await ChargingSession.get(second.id)
    assert newer is not None and newer.status is SessionStatus.STARTED  # not superseded
    assert newer.connector_lock is not None


async def test_a_late_replay_does_not_adopt_a_waiting_remote_start(
    charging: ChargingService,
) -> None:
    station = await online_station(charging)
    first = await start_16(charging, station, T0)
    await charging.stop_transaction(
        station, transaction_id=first.transaction_id or "", meter_stop_wh=10, timestamp=T0
    )
    pending = await charging.remote_start(station, 1, "CARD")
    replay = await start_16(charging, station, T0)
    assert replay.id == first.id
    still = await ChargingSession.get(pending.id)
    assert still is not None and still.status is SessionStatus.PENDING
    adopted = await start_16(charging, station, T0 + timedelta(minutes=9))  # the real start
    assert adopted.id == pending.id and adopted.status is SessionStatus.STARTED


async def test_201_started_replayed_and_updated_before_started_make_one_session(
    charging: ChargingService,
) -> None:
    station = await online_station(charging)
    updated = await charging.transaction_event(
        station,
        event_type="Updated",
        transaction_id="TX-9",
        seq_no=1,
        timestamp=T0 + timedelta(minutes=1),
        evse_id=1,
        charging_state="Charging",
    )
    started = await charging.transaction_event(
        station,
        event_type="Started",
        transaction_id="TX-9",
        seq_no=0,
        timestamp=T0,
        evse_id=1,
        charging_state="EVConnected",
    )
    assert started.session.id == updated.session.id
    # the older Started does not move the state back; its seqNo was seen
    assert started.session.status is SessionStatus.CHARGING
    count = await ChargingSession.find({"station_id": station.id}).count()
    assert count == 1


def test_running_sessions_follow_their_state_and_expire(database: object) -> None:
    # beanie documents can only be built once beanie is bound: the store fixture binds it
    running = RunningSessions(refresh=60.0, capacity=2)
    station = PydanticObjectId()

    def session(tx: str, connector: int, status: SessionStatus) -> ChargingSession:
        return ChargingSession(
            id=PydanticObjectId(),
            org_id=PydanticObjectId(),
            site_id=PydanticObjectId(),
            station_id=station,
            charge_point_id="CP",
            connector_id=connector,
            transaction_id=tx,
            ocpp_version="1.6",
            status=status,
        )

    a = session("1", 1, SessionStatus.CHARGING)
    running.put(a)
    assert running.by_transaction(station, "1") is a and running.on_connector(station, 1) is a
    a.status = SessionStatus.ENDED
    running.put(a)  # final: forgotten
    assert running.by_transaction(station, "1") is None and running.on_connector(station, 1) is None
    b, c, d = (session(str(n), n, SessionStatus.STARTED) for n in (2, 3, 4))
    for s in (b, c, d):
        running.put(s)
    assert len(running) == 2 and running.on_connector(station, 2) is None  # least recent went
    running.refresh = 0.0  # every copy is now too old to trust
    assert running.by_transaction(station, "3") is None and len(running) == 1
