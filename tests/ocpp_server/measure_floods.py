"""What a flood from outside leaves behind in the OCPP server (a measuring script, not a test).

    .venv/bin/python -m tests.ocpp_server.measure_floods --handshakes 20000
    .venv/bin/python -m tests.ocpp_server.measure_floods --callresults 30000

The server runs in this process against a fresh database on the embedded MongoDB. Handshakes:
unauthenticated upgrade requests for distinct unknown ids, each from its own address (a trusted
proxy's ``X-Forwarded-For`` where the server knows one, else loopback). Callresults: one
authenticated station sends CALLRESULTs of ~1 KB for calls the server never made. Printed:
memory held after a full collection (tracemalloc and RSS), and the OCPP server's throttle sizes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import gc
import json
import logging
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from typing import Any

KEY = "measure-station-key-0123"


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def _setup(uri: str) -> Any:
    from domain.charging.commands import StationCommandService
    from domain.charging.service import ChargingService
    from domain.common.events import InProcessEventBus
    from domain.network.service import ConnectorSpec, NetworkService
    from laddnet.database import bind
    from ocpp_server.server import OcppDependencies, OcppServer
    from tests.factories.network import create_org, create_site

    db = await bind(uri, f"measure_{uuid.uuid4().hex[:8]}")
    events = InProcessEventBus()
    network = NetworkService(events)
    commands = StationCommandService(None)  # type: ignore[arg-type]
    charging = ChargingService(events=events, network=network, commands=commands)
    org = await create_org()
    site = await create_site(network, org.id)
    await network.register_station(
        org.id,
        site_id=site.id,
        charge_point_id="FLOOD-0",
        name="f0",
        password=KEY,
        connectors=[ConnectorSpec(1, "CCS2", 150_000)],
    )
    options: dict[str, Any] = {}
    try:
        OcppServer.__init__.__code__.co_varnames.index("trusted_proxies")
        options["trusted_proxies"] = ["127.0.0.1/32"]
    except ValueError:
        pass
    server = OcppServer(
        OcppDependencies(network=network, charging=charging, events=events),
        port=0,
        node_id="measure",
        **options,
    )
    await server.start()
    return db, server, bool(options)


async def _handshake(port: int, cp_id: str, address: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    auth = base64.b64encode(f"{cp_id}:wrong-key-wrong-key".encode()).decode()
    key = base64.b64encode(uuid.uuid4().bytes).decode()
    writer.write(
        (
            f"GET /ocpp/{cp_id} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: ocpp1.6\r\nAuthorization: Basic {auth}\r\n"
            f"X-Forwarded-For: {address}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    status = await reader.readline()
    writer.close()
    return status


async def _handshakes(port: int, n: int) -> dict[bytes, int]:
    seen: dict[bytes, int] = {}
    queue = iter(range(n))

    async def worker() -> None:
        for i in queue:
            status = await _handshake(
                port, f"NOBODY-{i:06d}", f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
            )
            code = status.split(b" ")[1] if status else b"-"
            seen[code] = seen.get(code, 0) + 1

    await asyncio.gather(*(worker() for _ in range(20)))
    return seen


async def _callresults(port: int, n: int) -> None:
    from websockets.asyncio.client import connect

    auth = base64.b64encode(f"FLOOD-0:{KEY}".encode()).decode()
    async with connect(
        f"ws://127.0.0.1:{port}/ocpp/FLOOD-0",
        subprotocols=["ocpp1.6"],  # type: ignore[list-item]
        additional_headers={"Authorization": f"Basic {auth}"},
    ) as ws:
        filler = "x" * 1000
        for i in range(n):
            await ws.send(json.dumps([3, f"never-asked-{i}", {"data": filler}]))
        await ws.send(json.dumps([2, "last", "Heartbeat", {}]))
        while json.loads(await ws.recv())[1] != "last":
            pass


async def _run(args: argparse.Namespace, uri: str) -> None:
    logging.basicConfig(level=logging.ERROR)
    db, server, trusted = await _setup(uri)
    gc.collect()
    tracemalloc.start(4)
    await asyncio.sleep(0.2)
    gc.collect()
    traced0, rss0 = tracemalloc.get_traced_memory()[0], _rss_kib()
    before = tracemalloc.take_snapshot()
    t0 = time.monotonic()
    if args.handshakes:
        seen = await _handshakes(server.port, args.handshakes)
        print(f"{args.handshakes} handshakes in {time.monotonic() - t0:.1f}s: {seen}")
        print(f"trusted proxy known to the server: {trusted}")
    if args.callresults:
        await _callresults(server.port, args.callresults)
        print(f"{args.callresults} unsolicited CALLRESULTs in {time.monotonic() - t0:.1f}s")
    await asyncio.sleep(0.5)
    gc.collect()
    traced1, rss1 = tracemalloc.get_traced_memory()[0], _rss_kib()
    print(f"held after the flood: tracemalloc {(traced1 - traced0) / 2**20:+.1f} MiB, "
          f"RSS {(rss1 - rss0) / 1024:+.1f} MiB")  # fmt: skip
    for stat in tracemalloc.take_snapshot().compare_to(before, "lineno")[: args.top]:
        print(f"  {stat.size_diff / 2**20:+7.2f} MiB  {stat.traceback.format(limit=1)[0].strip()}")
    await server.stop()
    await db.client.drop_database(db.db.name)
    await db.client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--handshakes", type=int, default=0)
    parser.add_argument("--callresults", type=int, default=0)
    parser.add_argument("--top", type=int, default=6)
    parser.add_argument("--mongo-dir", default=str(Path(tempfile.gettempdir()) / "laddnet-floods"))
    args = parser.parse_args()
    from laddnet.embedded_mongo import EmbeddedMongo

    mongo = EmbeddedMongo(Path(args.mongo_dir))
    uri = mongo.start()
    try:
        asyncio.run(_run(args, uri))
    finally:
        mongo.stop()


if __name__ == "__main__":
    main()
