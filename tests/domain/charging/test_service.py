"""ChargingService against the real store, with a fake station gateway (the outermost edge)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from beanie import PydanticObjectId

from domain.charging.commands import (
    CommandResult,
    CommandStatus,
    RemoteStart,
    StationCommand,
    StationCommandService,
)
from domain.charging.metering import MeterReading, RawSample
from domain.charging.models import IdTokenStatus
from domain.charging.service import ChargingService
from domain.charging.state import SessionStatus
from domain.common.errors import (
    AlreadyExists,
    CommandTimedOut,
    Conflict,
    ConnectorBusy,
    InvalidInput,
    NotFound,
)
from domain.common.events import InProcessEventBus
from domain.network.models import ConnectorStatus, Site, Station
from domain.network.service import NetworkService
from tests.factories.network import create_org, create_site, create_station

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)


@dataclass
class FakeGateway:
    status: CommandStatus = CommandStatus.ACCEPTED
    sent: list[tuple[str, StationCommand]] = field(default_factory=list)

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        self.sent.append((charge_point_id, command))
        return CommandResult(self.status)


@dataclass
class World:
    network: NetworkService
    charging: ChargingService
    gateway: FakeGateway
    site: Site

    async def station(self, online: bool = True) -> Station:
        station = await create_station(self.network, self.site.org_id, self.site.id)
        station.online = online
        return station


@pytest.fixture
async def world(database: object) -> World:
    events = InProcessEventBus()
    network = NetworkService(events)
    gateway = FakeGateway()
    charging = ChargingService(events, network, StationCommandService(gateway))
    org = await create_org()
    return World(network, charging, gateway, await create_site(network, org.id))


def reading(at: datetime, wh: float) -> MeterReading:
    return MeterReading(at=at, samples=[RawSample(value=str(wh))])


async def test_id_tags_link_once_and_authorise(world: World) -> None:
    ann, bob = PydanticObjectId(), PydanticObjectId()
    token = await world.charging.link_id_token(ann, " CARD-1 ")
    assert token.id_tag == "CARD-1" and token.driver_id == ann
    again = await world.charging.link_id_token(ann, "CARD-1")  # idempotent for the same driver
    assert again.id == token.id
    with pytest.raises(AlreadyExists):
        await world.charging.link_id_token(bob, "CARD-1")
    for bad in ("", "   ", "X" * 21):
        with pytest.raises(InvalidInput) as err:
            await world.charging.link_id_token(bob, bad)
        assert err.value.field == "idTag"
    assert [t.id_tag for t in await world.charging.id_tokens_for_driver(ann)] == ["CARD-1"]
    assert await world.charging.id_tokens_for_driver(bob) == []
    assert await world.charging.authorize("CARD-1") is IdTokenStatus.ACCEPTED
    assert await world.charging.authorize("NO-SUCH") is IdTokenStatus.INVALID


async def test_remote_start_refuses_busy_or_unknown_connectors_and_maps_timeouts(
    world: World,
) -> None:
    station = await world.station()
    with pytest.raises(InvalidInput):
        await world.charging.remote_start(station, 9, "T1")
    station.connectors[0].status = ConnectorStatus.CHARGING
    with pytest.raises(ConnectorBusy):
        await world.charging.remote_start(station, 1, "T1")
    assert world.gateway.sent == []
    world.gateway.status = CommandStatus.TIMED_OUT
    with pytest.raises(CommandTimedOut):
        await world.charging.remote_start(station, 2, "T1")
    (sent,) = world.gateway.sent
    assert isinstance(sent[1], RemoteStart) and sent[1].connector_id == 2
    page = await world.charging.sessions_for_org(station.org_id, station_id=station.id)
    (failed,) = [s for _, s in page.items]
    assert failed.status is SessionStatus.FAILED and failed.connector_lock is None
    world.gateway.status = CommandStatus.ACCEPTED
    pending = await world.charging.remote_start(station, 2, "T1")  # connector free again
    assert pending.status is SessionStatus.PENDING
    with pytest.raises(Conflict):
        await world.charging.remote_stop(pending)  # not started yet


async def test_a_stale_pending_remote_start_does_not_block_the_connector(world: World) -> None:
    station = await world.station()
    world.charging.pending_ttl = timedelta(seconds=0)
    first = await world.charging.remote_start(station, 1, "T2")
    second = await world.charging.remote_start(station, 1, "T2")
    assert second.id != first.id
    old = await world.charging.get_session(first.id)  # type: ignore[arg-type]
    assert old.status is SessionStatus.FAILED and "superseded_by_new_transaction" in old.flags


async def test_a_lost_stop_is_closed_when_the_connector_starts_again(world: World) -> None:
    station = await world.station()
    first = await world.charging.start_transaction(
        station, connector_id=1, id_tag="A", meter_start_wh=0, timestamp=T0
    )
    second = await world.charging.start_transaction(
        station, connector_id=1, id_tag="B", meter_start_wh=100, timestamp=T0 + timedelta(hours=1)
    )
    assert second.session.transaction_id != first.session.transaction_id
    lost = await world.charging.get_session(first.session.id)  # type: ignore[arg-type]
    assert lost.status is SessionStatus.ENDED and lost.stop_reason == "Superseded"
    assert second.session.status is SessionStatus.STARTED


async def test_energy_power_idle_and_a_register_going_backwards(world: World) -> None:
    station = await world.station()
    started = await world.charging.start_transaction(
        station, connector_id=2, id_tag="E", meter_start_wh=1_000, timestamp=T0
    )
    tx = started.session.transaction_id
    await world.charging.connector_status(
        station,
        connector_id=2,
        status="Charging",
        error_code="NoError",
        at=T0 + timedelta(seconds=1),
    )
    await world.charging.meter_values(
        station,
        connector_id=2,
        transaction_id=tx,
        readings=[reading(T0 + timedelta(minutes=5), 3_000)],
    )
    await world.charging.connector_status(
        station,
        connector_id=2,
        status="SuspendedEV",
        error_code="NoError",
        at=T0 + timedelta(minutes=6),
    )
    await world.charging.meter_values(
        station,
        connector_id=2,
        transaction_id=tx,
        readings=[reading(T0 + timedelta(minutes=7), 2_500)],
    )
    result = await world.charging.stop_transaction(
        station, transaction_id=tx or "", meter_stop_wh=3_200, timestamp=T0 + timedelta(minutes=16)
    )
    assert result.session is not None
    s = result.session
    assert s.energy_wh == 2_200 and "energy_register_backwards" in s.flags
    assert s.idle_seconds == 600 and s.status is SessionStatus.ENDED


async def test_201_events_out_of_order_and_replayed_are_safe(world: World) -> None:
    station = await world.station()
    charging = world.charging
    updated = await charging.transaction_event(
        station,
        event_type="Updated",
        transaction_id="OOO-1",
        seq_no=1,
        timestamp=T0 + timedelta(minutes=1),
        offline=True,
        evse_id=1,
        charging_state="Charging",
        meter_values=[reading(T0 + timedelta(minutes=1), 500)],
    )
    assert updated.session.status is SessionStatus.CHARGING
    assert "started_implicitly" in updated.session.flags and updated.session.offline
    for _ in range(2):  # the Started that was queued, then the same again
        late = await charging.transaction_event(
            station,
            event_type="Started",
            transaction_id="OOO-1",
            seq_no=0,
            timestamp=T0,
            evse_id=1,
            id_tag="LATE",
            charging_state="EVConnected",
        )
    assert late.session.id == updated.session.id
    assert late.session.status is SessionStatus.CHARGING  # an older report cannot move it back
    assert late.session.last_seq_no == 1 and late.session.id_tag == "LATE"
    await charging.transaction_event(
        station,
        event_type="Updated",
        transaction_id="OOO-1",
        seq_no=3,
        timestamp=T0 + timedelta(minutes=4),
        charging_state="Charging",
    )
    stale = await charging.transaction_event(  # seqNo 2 arrives after 3: its state is history
        station,
        event_type="Updated",
        transaction_id="OOO-1",
        seq_no=2,
        timestamp=T0 + timedelta(minutes=3),
        charging_state="SuspendedEV",
    )
    assert stale.session.status is SessionStatus.CHARGING and stale.session.last_seq_no == 3
    ended = await charging.transaction_event(
        station,
        event_type="Ended",
        transaction_id="OOO-1",
        seq_no=5,
        timestamp=T0 + timedelta(minutes=9),
        stopped_reason="Local",
        meter_values=[reading(T0 + timedelta(minutes=9), 4_500)],
    )
    s = ended.session
    assert (s.status, s.energy_wh, s.last_seq_no) == (SessionStatus.ENDED, 4_000, 5)
    assert "seq_no_gap" in s.flags


async def test_session_queries_paginate_and_check_ownership(world: World) -> None:
    station = await world.station()
    driver = PydanticObjectId()
    await world.charging.link_id_token(driver, "PAGE-1")
    ids = []
    for n in range(3):
        r = await world.charging.start_transaction(
            station,
            connector_id=1,
            id_tag="PAGE-1",
            meter_start_wh=n,
            timestamp=T0 + timedelta(minutes=n),
        )
        ids.append(r.session.id)
    first = await world.charging.sessions_for_driver(driver, first=2)
    assert [s.id for _, s in first.items] == [ids[2], ids[1]] and first.has_next_page
    rest = await world.charging.sessions_for_driver(driver, first=2, after=first.end_cursor)
    assert [s.id for _, s in rest.items] == [ids[0]] and not rest.has_next_page
    active = await world.charging.active_session_for_driver(driver)
    assert active is not None and active.id == ids[2]
    with pytest.raises(NotFound):
        await world.charging.session_for_org(PydanticObjectId(), ids[0])  # type: ignore[arg-type]
    with pytest.raises(InvalidInput):
        await world.charging.sessions_for_driver(driver, after="garbage")


async def test_telemetry_validates_its_range(world: World) -> None:
    station = await world.station()
    assert station.id is not None
    with pytest.raises(InvalidInput):
        await world.charging.telemetry(station.id, T0, T0)
    with pytest.raises(InvalidInput):
        await world.charging.telemetry(station.id, T0, T0 + timedelta(days=40))
    assert await world.charging.telemetry(station.id, T0, T0 + timedelta(hours=1)) == []


async def test_session_changes_are_published_for_live_views(world: World) -> None:
    from domain.charging.events import SessionUpdated

    station = await world.station()
    events = world.charging.events
    assert isinstance(events, InProcessEventBus)
    async with events.subscribe(lambda e: isinstance(e, SessionUpdated)) as stream:
        world.gateway.status = CommandStatus.REJECTED
        with pytest.raises(Exception, match="remote start"):
            await world.charging.remote_start(station, 1, "LIVE")
        world.gateway.status = CommandStatus.ACCEPTED
        pending = await world.charging.remote_start(station, 2, "LIVE")
        await world.charging.start_transaction(
            station, connector_id=2, id_tag="LIVE", meter_start_wh=0, timestamp=T0
        )
        seen = [await stream.__anext__() for _ in range(4)]
    assert [(e.status, e.session_id == str(pending.id)) for e in seen] == [  # type: ignore[attr-defined]
        ("PENDING", False),
        ("FAILED", False),
        ("PENDING", True),
        ("STARTED", True),
    ]
