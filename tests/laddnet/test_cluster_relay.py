"""Two cluster relays in one test process on the module's database (the embedded replica set):
events cross once, commands reach the node that holds the station, and the ways a command can fail
(no station, a dead node, a node that never answers, a document it cannot read) each say so."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from domain.charging.commands import (
    CommandResult,
    CommandStatus,
    GetConfiguration,
    RemoteStart,
    StationCommand,
)
from domain.common.clock import utcnow
from domain.common.events import ConnectorStatusChanged, DomainEvent
from domain.network.models import Station
from domain.network.service import NetworkService
from laddnet.cluster.relay import COMMANDS, NODES, ClusterRelay
from laddnet.database import Database
from tests.factories.network import create_org, create_site, create_station


@dataclass
class RecordingGateway:
    """This node's OCPP side, faked: records what it is asked and accepts it."""

    sent: list[tuple[str, StationCommand]] = field(default_factory=list)

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        self.sent.append((charge_point_id, command))
        return CommandResult(CommandStatus.ACCEPTED, None, {"echo": type(command).__name__})


@contextlib.asynccontextmanager
async def node(
    database: Database, name: str, command_timeout: float = 3.0
) -> AsyncIterator[tuple[ClusterRelay, RecordingGateway]]:
    local = RecordingGateway()
    relay = ClusterRelay(database.db, name, local=local, command_timeout=command_timeout)
    async with relay.running():
        yield relay, local


async def station_held_by(database: Database, holder: str | None) -> Station:
    network = NetworkService(_Silent())
    org = await create_org()
    assert org.id is not None
    site = await create_site(network, org.id)
    assert site.id is not None
    station = await create_station(network, org.id, site.id)
    if holder is not None:
        await network.station_connected(station, node_id=holder)
    return station


class _Silent:
    def publish(self, event: DomainEvent) -> None:
        pass

    def subscribe(self, *_: Any, **__: Any) -> Any:
        raise NotImplementedError


def status_event(connector_id: int) -> ConnectorStatusChanged:
    return ConnectorStatusChanged(
        org_id="o", at=utcnow(), station_id="s", connector_id=connector_id, status="Available"
    )


async def test_an_event_reaches_every_node_once_and_only_its_own_nodes_workers(
    database: Database,
) -> None:
    async with node(database, "ev-a") as (a, _), node(database, "ev-b") as (b, _):
        wanted = lambda ev: isinstance(ev, ConnectorStatusChanged)  # noqa: E731
        async with (
            a.events.subscribe(wanted) as on_a,
            b.events.subscribe(wanted) as on_b,
            b.events.local.subscribe(wanted) as b_workers,
        ):
            sent = status_event(7)
            a.events.publish(sent)
            assert await asyncio.wait_for(anext(on_b), 5) == sent
            assert await asyncio.wait_for(anext(on_a), 1) == sent
            b.events.publish(status_event(8))  # marks the end: a's event must not come twice
            assert (await asyncio.wait_for(anext(on_a), 5)).connector_id == 8
            assert (await asyncio.wait_for(anext(on_b), 1)).connector_id == 8
            assert (await asyncio.wait_for(anext(b_workers), 1)).connector_id == 8
        assert a.events.received == 1 and b.events.received == 1


async def test_a_command_reaches_the_node_holding_the_station(database: Database) -> None:
    station = await station_held_by(database, "cmd-a/tok1")
    async with node(database, "cmd-a") as (_, a_local), node(database, "cmd-b") as (b, b_local):
        result = await asyncio.wait_for(
            b.gateway.send(station.charge_point_id, GetConfiguration(keys=("K",))), 10
        )
        assert result == CommandResult(CommandStatus.ACCEPTED, None, {"echo": "GetConfiguration"})
        assert a_local.sent == [(station.charge_point_id, GetConfiguration(keys=("K",)))]
        assert b_local.sent == []
        doc = await database.db[COMMANDS].find_one({"charge_point_id": station.charge_point_id})
        assert doc is not None and doc["status"] == "done" and doc["node"] == "cmd-a"


async def test_a_command_for_its_own_station_stays_on_the_node(database: Database) -> None:
    station = await station_held_by(database, "own-a/tok")
    async with node(database, "own-a") as (a, a_local):
        start = RemoteStart(connector_id=1, id_tag="T")
        assert (await a.gateway.send(station.charge_point_id, start)).accepted
        assert a_local.sent == [(station.charge_point_id, start)]
    assert await database.db[COMMANDS].count_documents({"node": "own-a"}) == 0


async def test_offline_station_and_gone_node_are_offline(database: Database) -> None:
    never = await station_held_by(database, None)
    orphan = await station_held_by(database, "crashed/tok")
    async with node(database, "off-b") as (b, _):
        result = await b.gateway.send(never.charge_point_id, RemoteStart(1, "T"))
        assert result.status is CommandStatus.OFFLINE
        result = await asyncio.wait_for(
            b.gateway.send(orphan.charge_point_id, RemoteStart(1, "T")), 2
        )
        assert result.status is CommandStatus.OFFLINE and "gone" in (result.detail or "")
        assert (
            await b.gateway.send("NO-SUCH-CP", RemoteStart(1, "T"))
        ).status is CommandStatus.OFFLINE


async def test_a_node_that_never_answers_times_out_and_its_command_is_withdrawn(
    database: Database,
) -> None:
    station = await station_held_by(database, "mute/tok")
    await database.db[NODES].insert_one({"_id": "mute", "seen_at": utcnow()})  # beats, never acts
    async with node(database, "tmo-b", command_timeout=0.5) as (b, _):
        result = await asyncio.wait_for(
            b.gateway.send(station.charge_point_id, RemoteStart(1, "T")), 5
        )
    assert result.status is CommandStatus.TIMED_OUT
    doc = await database.db[COMMANDS].find_one({"node": "mute"})
    assert doc is not None and doc["status"] == "timed_out"  # a late node will not execute it


async def test_a_stale_heartbeat_is_a_gone_node(database: Database) -> None:
    station = await station_held_by(database, "stale/tok")
    await database.db[NODES].insert_one(
        {"_id": "stale", "seen_at": utcnow() - timedelta(minutes=1)}
    )
    async with node(database, "stl-b") as (b, _):
        result = await asyncio.wait_for(
            b.gateway.send(station.charge_point_id, RemoteStart(1, "T")), 2
        )
    assert result.status is CommandStatus.OFFLINE


async def test_a_command_document_the_node_cannot_read_fails_with_the_reason(
    database: Database,
) -> None:
    async with node(database, "bad-a") as (_, a_local):
        inserted = await database.db[COMMANDS].insert_one(
            {
                "node": "bad-a",
                "origin": "someone",
                "charge_point_id": "CP-X",
                "command": {"type": "SelfDestruct", "fields": {}},
                "status": "pending",
                "created_at": utcnow(),
            }
        )
        for _ in range(200):
            doc = await database.db[COMMANDS].find_one({"_id": inserted.inserted_id})
            if doc is not None and doc["status"] == "done":
                break
            await asyncio.sleep(0.02)
        assert doc is not None and doc["status"] == "done"
        assert doc["result"]["status"] == "failed"
        assert "unknown type 'SelfDestruct'" in doc["result"]["detail"]
        assert a_local.sent == []  # nothing reached the station
