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
        fleet = [await create_station(network, org.id, site.id) for _ in range(stations)]
        for phase, run in (
            (
                "boot (connect+boot+3 status)",
                lambda: [boot(network, s, i) for i, s in enumerate(fleet)],
            ),
            ("heartbeat", lambda: [network.station_seen(s) for s in fleet]),
        ):
            listener.counts.clear()
            listener.on = True
            started = time.perf_counter()
            await asyncio.gather(*run())
            wall = time.perf_counter() - started
            listener.on = False
            total = sum(listener.counts.values())
            detail = ", ".join(f"{k} {v}" for k, v in listener.counts.most_common())
            print(
                f"{phase}: {total} commands for {stations} stations = "
                f"{total / stations:.2f} per station ({detail}); wall {wall:.2f} s (rough)"
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
