"""The cluster's lease (one node runs the once-per-cluster jobs) and the dead-node sweep it runs."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from domain.common.clock import utcnow
from domain.network import repository as network_repo
from domain.network.service import NetworkService
from laddnet.cluster.lease import Lease, only_while_held
from laddnet.cluster.relay import LEASES, NODES
from laddnet.cluster.sweep import sweep_dead_nodes
from laddnet.database import Database
from tests.laddnet.test_cluster_relay import _Silent, station_held_by


async def test_one_node_holds_the_lease_until_it_releases_it(database: Database) -> None:
    a = Lease(database.db[LEASES], "one-at-a-time", "node-a")
    b = Lease(database.db[LEASES], "one-at-a-time", "node-b")
    assert await a.acquire() and a.held
    assert not await b.acquire() and not b.held
    assert await a.acquire()  # renewing is taking it again
    await a.release()
    assert not a.held
    assert await b.acquire() and b.held
    assert not await a.acquire()


async def test_a_lease_its_holder_stops_renewing_passes_on_after_its_ttl(
    database: Database,
) -> None:
    a = Lease(database.db[LEASES], "expiring", "node-a", ttl=0.6, renew_every=0.2)
    b = Lease(database.db[LEASES], "expiring", "node-b", ttl=0.6, renew_every=0.2)
    assert await a.acquire()
    assert not await b.acquire()
    await asyncio.sleep(0.8)  # a crashed: no renewal; MongoDB's clock says it expired
    assert not a.held  # a's own margin ended before the lease did
    assert await b.acquire()
    assert not await a.acquire()


async def test_gated_jobs_run_only_on_the_holder(database: Database) -> None:
    ran: list[str] = []
    a = Lease(database.db[LEASES], "gated", "node-a")
    b = Lease(database.db[LEASES], "gated", "node-b")
    async with a.running():
        await asyncio.sleep(0.05)
        async with b.running():
            await asyncio.sleep(0.05)
            for name, lease in (("a", a), ("b", b)):

                async def job(name: str = name) -> None:
                    ran.append(name)

                await only_while_held(lease, job)()
        assert ran == ["a"]
    # a stopped cleanly: the lease is released, not left to expire
    assert await database.db[LEASES].count_documents({"_id": "gated", "holder": None}) == 1
    assert await b.acquire()


def test_a_lease_renewed_no_sooner_than_it_expires_is_refused() -> None:
    with pytest.raises(ValueError, match="renewed"):
        Lease(None, "x", "n", ttl=5, renew_every=5)  # type: ignore[arg-type]


async def test_the_sweep_closes_out_only_stations_of_dead_nodes(database: Database) -> None:
    network = NetworkService(_Silent())
    nodes = database.db[NODES]
    now = utcnow()
    await nodes.insert_many(
        [
            {"_id": "sw-live", "seen_at": now},
            {"_id": "sw-silent", "seen_at": now - timedelta(minutes=5)},
            {"_id": "sw-busy", "seen_at": now - timedelta(seconds=30)},  # slow, not dead
        ]
    )
    live = await station_held_by(database, "sw-live/t1")
    silent = await station_held_by(database, "sw-silent/t2")
    busy = await station_held_by(database, "sw-busy/t3")
    gone = await station_held_by(database, "sw-gone/t4")  # no node document at all

    assert await sweep_dead_nodes(network, nodes, silent_after=60.0) == 2

    for station, online in ((live, True), (silent, False), (busy, True), (gone, False)):
        stored = await network_repo.get_station(station.id)  # type: ignore[arg-type]
        assert stored is not None and stored.online is online, station.node_id
    # the closed-out stations went offline in their connectivity history too
    assert await sweep_dead_nodes(network, nodes, silent_after=60.0) == 0
    history = await network.connectivity_history(
        silent, now - timedelta(minutes=1), utcnow() + timedelta(seconds=1)
    )
    assert [i.online for i in history][-1] is False
