"""A station left online by a crashed run is offline from its last sign of life on restart."""

from __future__ import annotations

from datetime import timedelta

from domain.common.clock import utcnow
from laddnet.container import build_container
from laddnet.database import Database
from laddnet.serve import running_ocpp
from laddnet.settings import Settings
from tests.factories.network import create_org, create_site, create_station


async def test_restart_closes_out_stations_a_crashed_run_left_online(database: Database) -> None:
    container = build_container(Settings(), database)
    org = await create_org()
    site = await create_site(container.network, org.id)
    station = await create_station(container.network, org.id, site.id)
    connected = utcnow() - timedelta(minutes=20)
    await container.network.station_connected(station, node_id="crashed-node/abc", at=connected)
    last_seen = utcnow() - timedelta(minutes=10)
    await station.set({"last_seen_at": last_seen})

    async with running_ocpp(container, "127.0.0.1", 0):
        fresh = await container.network.station(station.id)  # type: ignore[arg-type]
        assert fresh.online is False
        history = await container.network.connectivity_history(
            fresh, connected - timedelta(hours=1), utcnow() + timedelta(seconds=1)
        )
        assert [h.online for h in history] == [True, False]
        assert abs((history[1].start - last_seen).total_seconds()) < 1
