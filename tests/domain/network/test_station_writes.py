"""The network's station writes, group-committed against the real store, with every MongoDB
command counted (pymongo command monitoring): stations writing at once share one bulk write per
collection, order per station holds, a failed flush fails every caller in it and stores none of
it, and the status cache is right when a station moves between nodes."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from beanie import init_beanie
from pymongo import AsyncMongoClient, monitoring

from domain.common.batching import WriteBatchFailed
from domain.common.clock import as_utc
from domain.common.events import (
    ConnectorStatusChanged,
    DomainEvent,
    InProcessEventBus,
    StationConnectivityChanged,
)
from domain.documents import DOCUMENT_MODELS
from domain.network.errors import BadStationCredentials
from domain.network.models import ConnectivityInterval, Station, StatusInterval
from domain.network.service import NetworkService
from tests.factories.network import STATION_KEY, create_org, create_site, create_station

T0 = datetime(2026, 3, 1, 6, 0, tzinfo=UTC)
SILENT = {"hello", "isMaster", "ismaster", "ping", "endSessions", "buildInfo", "getMore"}


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


class Commands(monitoring.CommandListener):
    """(command, collection) of every command sent while ``on``."""

    def __init__(self) -> None:
        self.seen: Counter[tuple[str, str]] = Counter()
        self.on = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.on and event.command_name not in SILENT:
            target = event.command.get(event.command_name)
            self.seen[(event.command_name, target if isinstance(target, str) else "")] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def count(self, name: str | None = None) -> int:
        return sum(n for (cmd, _), n in self.seen.items() if name is None or cmd == name)


@pytest.fixture(scope="module")
async def commands(mongodb_uri: str) -> AsyncIterator[Commands]:
    """Like the ``database`` fixture, on a client that counts its commands."""
    listener = Commands()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        mongodb_uri, tz_aware=True, event_listeners=[listener]
    )
    name = f"t_station_writes_{uuid.uuid4().hex[:8]}"
    await init_beanie(database=client[name], document_models=DOCUMENT_MODELS)
    try:
        yield listener
    finally:
        await client.drop_database(name)
        await client.close()


class Recorded(InProcessEventBus):
    """The bus, remembering what was published."""

    def __init__(self) -> None:
        super().__init__()
        self.published: list[DomainEvent] = []

    def publish(self, event: DomainEvent) -> None:
        self.published.append(event)
        super().publish(event)


@pytest.fixture
def bus() -> Recorded:
    return Recorded()


@pytest.fixture
def network(commands: Commands, bus: Recorded) -> NetworkService:
    return NetworkService(bus)


async def _fleet(network: NetworkService, n: int) -> list[Station]:
    org = await create_org()
    site = await create_site(network, org.id)
    return [await create_station(network, org.id, site.id) for _ in range(n)]


async def _boot(network: NetworkService, station: Station, node: str) -> None:
    await network.station_connected(station, node_id=node, at=at(0))
    await network.station_booted(
        station, ocpp_version="1.6", vendor="V", model="M", serial_number="S1",
        firmware_version="1.0", at=at(0),
    )  # fmt: skip
    for connector_id in (0, 1, 2):
        await network.connector_status(
            station, connector_id=connector_id, status="Available", error_code="NoError", at=at(0)
        )


async def _statuses(station: Station) -> list[tuple[int, str, datetime, datetime | None]]:
    rows = (
        await StatusInterval.find(StatusInterval.station_id == station.id)
        .sort("+connector_id", "+start", "+_id")
        .to_list()
    )
    return [
        (r.connector_id, r.status.value, as_utc(r.start), as_utc(r.end) if r.end else None)
        for r in rows
    ]


async def test_stations_booting_at_once_share_their_bulk_writes(
    network: NetworkService, commands: Commands, bus: Recorded
) -> None:
    fleet = await _fleet(network, 40)
    bus.published.clear()
    commands.seen.clear()
    commands.on = True
    await asyncio.gather(*(_boot(network, s, f"n1/{i}") for i, s in enumerate(fleet)))
    commands.on = False
    published = list(bus.published)
    # connect, boot and three statuses, in lock step: five flushes for all forty stations, each
    # one bulk write per collection (it was 16 commands per station, 640 here)
    assert commands.count() <= 20, commands.seen
    assert commands.seen[("insert", "status_intervals")] == 3
    assert commands.seen[("insert", "connectivity_intervals")] == 1
    assert commands.count("commitTransaction") == 4  # connect and the three status flushes
    kinds = Counter(type(e).__name__ for e in published)
    assert kinds == {"StationConnectivityChanged": 40, "ConnectorStatusChanged": 120}
    for station in fleet:
        fresh = await network.station(station.id)  # type: ignore[arg-type]
        assert fresh.online and fresh.vendor == "V" and fresh.booted_at == at(0)
        assert [(c.connector_id, c.status.value) for c in fresh.connectors] == [
            (1, "Available"),
            (2, "Available"),
        ]
        assert await _statuses(station) == [(c, "Available", at(0), None) for c in (0, 1, 2)]
        rows = await ConnectivityInterval.find(
            ConnectivityInterval.station_id == station.id
        ).to_list()
        assert [(r.online, as_utc(r.start), r.end) for r in rows] == [(True, at(0), None)]

    # a round of heartbeats: one update for all; a repeated status: nothing at all
    commands.seen.clear()
    commands.on = True
    await asyncio.gather(*(network.station_seen(s, at(5)) for s in fleet))
    assert commands.seen == {("update", "stations"): 1}
    commands.seen.clear()
    await network.connector_status(
        fleet[0], connector_id=1, status="Available", error_code="NoError", at=at(6)
    )
    commands.on = False
    assert commands.count() == 0
    for station in fleet:
        fresh = await network.station(station.id)  # type: ignore[arg-type]
        assert as_utc(fresh.last_seen_at) == at(5)  # type: ignore[arg-type]


async def test_changes_in_quick_succession_keep_their_order(network: NetworkService) -> None:
    """Reports of one connector in one flush (or queued behind one another) give back-to-back
    intervals in report order; a report older than the open interval starts at its start."""
    for max_batch in (1000, 1):
        network = NetworkService(network.events, max_write_batch=max_batch)
        (station,) = await _fleet(network, 1)
        statuses = ["Available", "Preparing", "Charging", "Charging", "Finishing", "Available"]
        await asyncio.gather(
            *(
                network.connector_status(
                    station, connector_id=1, status=s, error_code=None, at=at(i)
                )
                for i, s in enumerate(statuses)
            ),
            network.connector_status(
                station, connector_id=1, status="Faulted", error_code="GroundFailure", at=at(3)
            ),
        )
        assert await _statuses(station) == [
            (1, "Available", at(0), at(1)),
            (1, "Preparing", at(1), at(2)),
            (1, "Charging", at(2), at(4)),  # the repeat at 3 opened nothing
            (1, "Finishing", at(4), at(5)),
            (1, "Available", at(5), at(5)),
            (1, "Faulted", at(5), None),  # stamped 3, after Available at 5: starts at 5
        ], max_batch
        fresh = await network.station(station.id)  # type: ignore[arg-type]
        connector = fresh.connector(1)
        assert connector is not None
        assert (connector.status.value, connector.error_code) == ("Faulted", "GroundFailure")


async def test_a_connector_the_station_was_not_registered_with_is_added(
    network: NetworkService,
) -> None:
    (station,) = await _fleet(network, 1)
    await network.connector_status(
        station, connector_id=3, status="Unavailable", error_code=None, at=at(0)
    )
    await network.connector_status(
        station, connector_id=3, status="Available", error_code=None, at=at(1)
    )
    fresh = await network.station(station.id)  # type: ignore[arg-type]
    assert [(c.connector_id, c.status.value) for c in fresh.connectors] == [
        (1, "Unknown"),
        (2, "Unknown"),
        (3, "Available"),
    ]
    assert as_utc(fresh.connectors[2].status_since) == at(1)  # type: ignore[arg-type]


async def test_a_refused_write_fails_only_its_caller_and_the_rest_of_its_flush_lands(
    network: NetworkService, bus: Recorded
) -> None:
    """A real store failure: a validator refuses the Faulted interval. The flush holding it (two
    stations' reports) fails as a whole, is tried again item by item, and only the refused report
    fails (its caller gets the error, no event for it, its station's intervals untouched); the
    other station's report and sign of life are stored and published. Once the store accepts
    the report again it closes the right interval."""
    one, two = await _fleet(network, 2)
    for station in (one, two):
        await network.connector_status(
            station, connector_id=1, status="Available", error_code=None, at=at(0)
        )
    db = StatusInterval.get_pymongo_collection().database
    await db.command("collMod", "status_intervals", validator={"status": {"$ne": "Faulted"}})
    try:
        bus.published.clear()
        outcomes = await asyncio.gather(
            network.connector_status(
                one, connector_id=1, status="Faulted", error_code="OtherError", at=at(1)
            ),
            network.connector_status(
                two, connector_id=1, status="Charging", error_code=None, at=at(1)
            ),
            network.station_seen(two, at(1)),
            return_exceptions=True,
        )
        assert isinstance(outcomes[0], WriteBatchFailed), outcomes
        assert outcomes[1:] == [None, None], outcomes
        assert [(e.station_id, e.status) for e in bus.published] == [  # type: ignore[attr-defined]
            (str(two.id), "Charging")
        ]
        assert await _statuses(one) == [(1, "Available", at(0), None)]
        assert await _statuses(two) == [
            (1, "Available", at(0), at(1)),
            (1, "Charging", at(1), None),
        ]
        fresh = await network.station(one.id)  # type: ignore[arg-type]
        assert fresh.connector(1).status.value == "Available"  # type: ignore[union-attr]
        fresh = await network.station(two.id)  # type: ignore[arg-type]
        assert fresh.connector(1).status.value == "Charging"  # type: ignore[union-attr]
        assert fresh.last_seen_at is not None
    finally:
        await db.command("collMod", "status_intervals", validator={})
    await network.connector_status(
        one, connector_id=1, status="Faulted", error_code="OtherError", at=at(2)
    )
    assert await _statuses(one) == [(1, "Available", at(0), at(2)), (1, "Faulted", at(2), None)]


async def test_the_status_cache_is_read_afresh_when_a_station_comes_back_from_another_node(
    network: NetworkService, bus: Recorded
) -> None:
    """Two nodes (two services): the station moves to node B and back. Node A's memory of it
    is dropped on connect, so its reports continue from what node B stored."""
    node_b = NetworkService(network.events)
    (station,) = await _fleet(network, 1)
    await network.station_connected(station, node_id="a/1", at=at(0))
    await network.connector_status(
        station, connector_id=1, status="Available", error_code=None, at=at(0)
    )
    await node_b.station_connected(station, node_id="b/1", at=at(10))
    await network.station_disconnected(station, node_id="a/1", at=at(11))  # stale: no change
    await node_b.connector_status(
        station, connector_id=1, status="Charging", error_code=None, at=at(12)
    )
    await network.station_connected(station, node_id="a/2", at=at(20))
    bus.published.clear()
    # what node B recorded is known here now: a repeat, no event
    await network.connector_status(
        station, connector_id=1, status="Charging", error_code=None, at=at(21)
    )
    await network.connector_status(
        station, connector_id=1, status="Available", error_code=None, at=at(30)
    )
    (changed,) = bus.published
    assert isinstance(changed, ConnectorStatusChanged)
    assert (changed.status, changed.at) == ("Available", at(30))
    assert await _statuses(station) == [
        (1, "Available", at(0), at(12)),
        (1, "Charging", at(12), at(30)),
        (1, "Available", at(30), None),
    ]
    fresh = await network.station(station.id)  # type: ignore[arg-type]
    assert fresh.online and fresh.node_id == "a/2"


async def test_connects_and_disconnects_of_many_stations_share_one_transaction(
    network: NetworkService, commands: Commands, bus: Recorded
) -> None:
    fleet = await _fleet(network, 30)
    for i, s in enumerate(fleet):
        await network.station_connected(s, node_id=f"n/{i}", at=at(0))
    bus.published.clear()
    commands.seen.clear()
    commands.on = True
    # half go away; the other half's disconnects are stale (another connection took over)
    await asyncio.gather(
        *(
            network.station_disconnected(s, node_id=f"n/{i}" if i % 2 else "old", at=at(5))
            for i, s in enumerate(fleet)
        )
    )
    commands.on = False
    offline = bus.published
    assert all(isinstance(e, StationConnectivityChanged) and not e.online for e in offline)
    assert sorted(e.station_id for e in offline) == sorted(str(s.id) for s in fleet[1::2])  # type: ignore[attr-defined]
    assert commands.count("commitTransaction") == 1 and commands.count() <= 6, commands.seen
    for i, s in enumerate(fleet):
        rows = (
            await ConnectivityInterval.find(ConnectivityInterval.station_id == s.id)
            .sort("+start", "+_id")
            .to_list()
        )
        got = [(r.online, as_utc(r.start), as_utc(r.end) if r.end else None) for r in rows]
        if i % 2:
            assert got == [(True, at(0), at(5)), (False, at(5), None)]
        else:
            assert got == [(True, at(0), None)]


async def test_stations_connecting_at_once_are_looked_up_in_one_query(
    network: NetworkService, commands: Commands
) -> None:
    fleet = await _fleet(network, 20)
    commands.seen.clear()
    commands.on = True
    found = await asyncio.gather(
        *(network.authenticate_station(s.charge_point_id, STATION_KEY) for s in fleet),
        network.authenticate_station("CP-NOBODY-HERE", STATION_KEY),
        network.authenticate_station(fleet[0].charge_point_id, "wrong-password-123456"),
        return_exceptions=True,
    )
    commands.on = False
    assert commands.seen == {("find", "stations"): 1}
    assert [s.id for s in found[:20]] == [s.id for s in fleet]  # type: ignore[union-attr]
    assert all(isinstance(e, BadStationCredentials) for e in found[20:])
