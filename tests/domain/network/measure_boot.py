"""Count the MongoDB commands of a boot storm and of a round of Heartbeats (pymongo command
monitoring), for the network context's station paths.

    .venv/bin/python -m tests.domain.network.measure_boot [stations]

Each station connects, sends a BootNotification and three StatusNotifications (connector 0, 1, 2,
one after another as a charge point does), all stations at once; then every station heartbeats
once, all at once. Prints commands per station for each phase, by command name. Deterministic
(no wall-clock judgement); the wall time printed is rough.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from beanie import init_beanie
from pymongo import AsyncMongoClient, monitoring

from domain.common.events import InProcessEventBus
from domain.documents import DOCUMENT_MODELS
from domain.network.models import Station
from domain.network.service import NetworkService
from laddnet.embedded_mongo import EmbeddedMongo
from tests.factories.network import create_org, create_site, create_station

IGNORED = {"hello", "isMaster", "ismaster", "ping", "endSessions", "buildInfo", "saslStart"}


class Counting(monitoring.CommandListener):
    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self.on = False

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.on and event.command_name not in IGNORED:
            self.counts[event.command_name] += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


async def boot(network: NetworkService, station: Station, n: int) -> None:
    now = datetime.now(UTC)
    await network.station_connected(station, node_id=f"bench/{n}", at=now)
    await network.station_booted(
        station,
        ocpp_version="1.6",
        vendor="V",
        model="M",
        serial_number=None,
        firmware_version=None,
        at=now,
    )
    for connector_id in (0, 1, 2):
        await network.connector_status(
            station, connector_id=connector_id, status="Available", error_code="NoError", at=now
        )


async def seen_one_by_one(network: NetworkService, fleet: list[Station]) -> None:
    for s in fleet:
        await network.station_seen(s)


async def main(stations: int, uri: str) -> None:
    listener = Counting()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        uri, tz_aware=True, event_listeners=[listener]
    )
    name = f"measure_{uuid.uuid4().hex[:8]}"
    await init_beanie(database=client[name], document_models=DOCUMENT_MODELS)
    try:
        network = NetworkService(InProcessEventBus())
        org = await create_org()
        site = await create_site(network, org.id)

        async def new_fleet() -> list[Station]:
            return [await create_station(network, org.id, site.id) for _ in range(stations)]

        async def all_at_once(fleet: list[Station]) -> None:
            await asyncio.gather(*(boot(network, s, i) for i, s in enumerate(fleet)))

        async def arriving(fleet: list[Station]) -> None:
            async def one(i: int, s: Station) -> None:
                await asyncio.sleep(i / 1000)  # 1,000 stations/s: the 10,000-in-10-s storm
                await boot(network, s, i)

            await asyncio.gather(*(one(i, s) for i, s in enumerate(fleet)))

        async def one_by_one(fleet: list[Station]) -> None:
            for i, s in enumerate(fleet):
                await boot(network, s, i)

        async def heartbeats(fleet: list[Station]) -> None:
            await asyncio.gather(*(network.station_seen(s) for s in fleet))

        async def heartbeat_one_by_one(fleet: list[Station]) -> None:
            for s in fleet:
                await network.station_seen(s)

        fleet: list[Station] = []
        for phase, run, fresh in (
            ("boot, all at once", all_at_once, True),
            ("boot, 1,000 arrivals/s", arriving, True),
            ("boot, one station at a time", one_by_one, True),
            ("heartbeat, all at once", heartbeats, False),
            ("heartbeat, one at a time", heartbeat_one_by_one, False),
        ):
            if fresh:
                fleet = await new_fleet()
            listener.counts.clear()
            listener.on = True
            started = time.perf_counter()
            await run(fleet)
            wall = time.perf_counter() - started
            listener.on = False
            total = sum(listener.counts.values())
            detail = ", ".join(f"{k} {v}" for k, v in listener.counts.most_common())
            print(
                f"{phase}: {total / stations:.2f} commands per station "
                f"({total} for {stations}: {detail}); wall {wall:.2f} s (rough)"
            )
    finally:
        await client.drop_database(name)
        await client.close()


if __name__ == "__main__":
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as tmp:
        mongo = EmbeddedMongo(Path(tmp))
        try:
            asyncio.run(main(count, mongo.start()))
        finally:
            mongo.stop()
