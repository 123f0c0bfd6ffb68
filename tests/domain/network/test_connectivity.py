"""Connectivity history: online/offline intervals per station from connects, disconnects,
replacements and the close-out of stations a crashed process left online."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest

from domain.common.clock import as_utc
from domain.common.errors import InvalidInput
from domain.common.events import InProcessEventBus, StationConnectivityChanged
from domain.network.models import ConnectivityInterval, Station
from domain.network.service import NetworkService
from tests.factories.network import create_org, create_site, create_station

T0 = datetime(2026, 2, 1, 8, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


@pytest.fixture
def network(database: object) -> NetworkService:
    return NetworkService(InProcessEventBus())


async def _station(network: NetworkService) -> Station:
    org = await create_org()
    site = await create_site(network, org.id)
    return await create_station(network, org.id, site.id)


async def _intervals(station: Station) -> list[tuple[bool, datetime, datetime | None]]:
    found = (
        await ConnectivityInterval.find(ConnectivityInterval.station_id == station.id)
        .sort("+start", "+_id")
        .to_list()
    )
    return [(i.online, as_utc(i.start), as_utc(i.end) if i.end else None) for i in found]


async def test_connect_disconnect_reconnect_make_back_to_back_intervals(
    network: NetworkService,
) -> None:
    station = await _station(network)
    async with network.events.subscribe(
        lambda e: isinstance(e, StationConnectivityChanged)
    ) as events:
        await network.station_connected(station, node_id="n1/a", at=at(0))
        await network.station_disconnected(station, node_id="n1/a", at=at(30))
        await network.station_connected(station, node_id="n1/b", at=at(45))
        seen = [await asyncio.wait_for(events.__anext__(), 1) for _ in range(3)]
    assert [(e.online, e.at) for e in seen]  # type: ignore[attr-defined] == [(True, at(0)), (False, at(30)), (True, at(45))]
    assert await _intervals(station) == [
        (True, at(0), at(30)),
        (False, at(30), at(45)),
        (True, at(45), None),
    ]
    fresh = await network.station(station.id)  # type: ignore[arg-type]
    assert fresh.online and fresh.node_id == "n1/b"
    history = await network.connectivity_history(station, at(10), at(40))
    assert [(i.online, as_utc(i.start)) for i in history] == [(True, at(0)), (False, at(30))]
    with pytest.raises(InvalidInput):
        await network.connectivity_history(station, at(40), at(10))


async def test_a_replaced_connection_leaves_no_offline_gap(network: NetworkService) -> None:
    """The server registers the new connection first, then the old one closes: its disconnect
    (guarded by its own token) must change nothing."""
    station = await _station(network)
    await network.station_connected(station, node_id="n1/old", at=at(0))
    await network.station_connected(station, node_id="n1/new", at=at(10))
    await network.station_disconnected(station, node_id="n1/old", at=at(11))
    assert await _intervals(station) == [(True, at(0), None)]
    fresh = await network.station(station.id)  # type: ignore[arg-type]
    assert fresh.online and fresh.node_id == "n1/new"
    # the live connection's own disconnect does count
    await network.station_disconnected(station, node_id="n1/new", at=at(20))
    assert await _intervals(station) == [(True, at(0), at(20)), (False, at(20), None)]


async def test_racing_connect_and_stale_disconnect_stay_consistent(
    network: NetworkService,
) -> None:
    """A new connection and the old one's disconnect at once: whichever order the store settles
    on, the station ends online with exactly one open interval, and it is the online one."""
    for round_ in range(20):
        station = await _station(network)
        await network.station_connected(station, node_id="n1/old", at=at(0))
        await asyncio.gather(
            network.station_disconnected(station, node_id="n1/old", at=at(5)),
            network.station_connected(station, node_id="n1/new", at=at(5)),
        )
        rows = await _intervals(station)
        open_rows = [r for r in rows if r[2] is None]
        assert open_rows == [(True, rows[-1][1], None)], (round_, rows)
        for (_, _, end), (_, start, _) in pairwise(rows):
            assert end == start  # back to back, no overlap
        fresh = await network.station(station.id)  # type: ignore[arg-type]
        assert fresh.online and fresh.node_id == "n1/new"


async def test_reset_closes_out_stations_left_online_from_their_last_sign_of_life(
    network: NetworkService,
) -> None:
    crashed = await _station(network)
    other_node = await _station(network)
    offline = await _station(network)
    await network.station_connected(crashed, node_id="dead/a", at=at(0))
    await network.station_seen(crashed, at(50))  # its last heartbeat
    await network.station_connected(other_node, node_id="alive/b", at=at(0))
    await network.station_connected(offline, node_id="dead/c", at=at(0))
    await network.station_disconnected(offline, node_id="dead/c", at=at(5))

    assert await network.reset_connectivity("dead/", at=at(90)) == 1
    assert await _intervals(crashed) == [(True, at(0), at(50)), (False, at(50), None)]
    assert not (await network.station(crashed.id)).online  # type: ignore[arg-type]
    assert await _intervals(other_node) == [(True, at(0), None)]  # another node's: untouched
    assert await _intervals(offline) == [(True, at(0), at(5)), (False, at(5), None)]
    # run again: nothing left to close; with no prefix, every station left online goes
    assert await network.reset_connectivity("dead/", at=at(91)) == 0
    await network.station_seen(other_node, at(80))
    assert await network.reset_connectivity(None, at=at(95)) >= 1
    assert await _intervals(other_node) == [(True, at(0), at(80)), (False, at(80), None)]
    # it comes back: the offline interval ends at the reconnect
    await network.station_connected(crashed, node_id="new/x", at=at(120))
    assert await _intervals(crashed) == [
        (True, at(0), at(50)),
        (False, at(50), at(120)),
        (True, at(120), None),
    ]


async def test_a_late_report_cannot_rewrite_connectivity_history(network: NetworkService) -> None:
    """A disconnect stamped before the open interval began closes it at its start (no negative
    interval, no overlap)."""
    station = await _station(network)
    await network.station_connected(station, node_id="n1/a", at=at(10))
    await network.station_disconnected(station, node_id="n1/a", at=at(5))
    assert await _intervals(station) == [(True, at(10), at(10)), (False, at(10), None)]
