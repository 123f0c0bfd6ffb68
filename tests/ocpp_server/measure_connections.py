"""Where an OCPP connection's memory and a message's CPU go (a measuring script, not a test).

    .venv/bin/python -m tests.ocpp_server.measure_connections --stations 2000
    .venv/bin/python -m tests.ocpp_server.measure_connections --stations 2000 --no-trace  # RSS only
    .venv/bin/python -m tests.ocpp_server.measure_connections --stations 50 --messages 4000 \
        --profile /tmp/ocpp.prof [--stub-domain]

The server runs in this process against a fresh database on the embedded MongoDB; the charge
points run in a child process (raw websockets, OCPP 1.6J frames), so their allocations are not
counted. Each station connects, boots, reports two connectors Available and sends one Heartbeat,
as the bench's boot storm leaves them. Then: tracemalloc KiB per connection (grouped by line and
by traceback) and RSS KiB per connection. With ``--messages`` one station sends that many
Heartbeat/MeterValues (alternating, one at a time) and the server's CPU per message is read from
``time.process_time`` (and cProfile with ``--profile``); ``--stub-domain`` replaces the domain
calls behind them with no-ops so only the OCPP edge's own cost is left.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import cProfile
import gc
import json
import logging
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

KEY = "measure-station-key-0123"


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def _iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- the charge points (child process) ------------------------------------------------------------


async def _client(port: int, n: int, messages: int) -> None:
    from websockets.asyncio.client import connect

    links: list[Any] = []
    sem = asyncio.Semaphore(100)

    async def call(ws: Any, action: str, payload: dict[str, Any]) -> list[Any]:
        await ws.send(json.dumps([2, uuid.uuid4().hex[:12], action, payload]))
        answer = json.loads(await ws.recv())
        if answer[0] != 3:
            raise RuntimeError(f"{action}: {answer}")
        return answer

    async def one(i: int) -> None:
        cp_id = f"MEASURE-{i:05d}"
        auth = base64.b64encode(f"{cp_id}:{KEY}".encode()).decode()
        async with sem:
            ws = await connect(
                f"ws://127.0.0.1:{port}/ocpp/{cp_id}",
                subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                additional_headers={"Authorization": f"Basic {auth}"},
                compression=None,
                ping_interval=None,
                open_timeout=120,
            )
            links.append(ws)
            boot = {"chargePointVendor": "measure", "chargePointModel": "m", "firmwareVersion": "1"}
            await call(ws, "BootNotification", boot)
            for c in (1, 2):
                status = {"connectorId": c, "errorCode": "NoError", "status": "Available"}
                await call(ws, "StatusNotification", status)
            await call(ws, "Heartbeat", {})

    await asyncio.gather(*(one(i) for i in range(n)))
    print("ready", flush=True)
    if messages:
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        ws = links[0]
        start = {"connectorId": 1, "idTag": "MEASURE", "meterStart": 0, "timestamp": _iso()}
        tx = (await call(ws, "StartTransaction", start))[2]["transactionId"]
        print("go", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        for k in range(messages):
            if k % 2:
                await call(ws, "Heartbeat", {})
            else:
                sample = {"value": str(k * 10), "measurand": "Energy.Active.Import.Register"}
                mv = [{"timestamp": _iso(), "sampledValue": [sample]}]
                await call(
                    ws, "MeterValues", {"connectorId": 1, "transactionId": tx, "meterValue": mv}
                )
        print("done", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
    for ws in links:
        await ws.close()


# -- the server (this process) --------------------------------------------------------------------


async def _setup(uri: str, n: int) -> Any:
    from domain.charging.commands import StationCommandService
    from domain.charging.models import IdToken
    from domain.charging.service import ChargingService
    from domain.common.events import InProcessEventBus
    from domain.common.passwords import hash_station_key
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
    await IdToken(id_tag="MEASURE", org_id=org.id).insert()
    specs = [ConnectorSpec(1, "CCS2", 150_000), ConnectorSpec(2, "TYPE2", 22_000)]
    await network.register_station(
        org.id, site_id=site.id, charge_point_id="MEASURE-00000", name="m0", password=KEY,
        connectors=specs,
    )  # fmt: skip
    template = await network.station_by_cp_id("MEASURE-00000")
    with ThreadPoolExecutor(2) as pool:  # distinct hashes, as real stations have
        hashes = list(pool.map(lambda _: hash_station_key(KEY), range(n - 1)))
    docs = []
    for i, h in enumerate(hashes, start=1):
        doc = template.model_dump(by_alias=True, exclude={"id"})
        doc.update(charge_point_id=f"MEASURE-{i:05d}", name=f"m{i}", password_hash=h)
        docs.append(doc)
    if docs:
        await template.get_pymongo_collection().insert_many(docs)
    server = OcppServer(
        OcppDependencies(network=network, charging=charging, events=events),
        port=0,
        node_id="measure",
    )
    commands.gateway = server.gateway
    await server.start()
    return db, server


def _top(diff: list[Any], n: int, conns: int, title: str) -> None:
    print(f"\n{title} (KiB per connection, count per connection)")
    for stat in diff[:n]:
        frames = stat.traceback.format(
            limit=5 if title.startswith("by traceback") else 1, most_recent_first=True
        )
        where = " <- ".join(
            f.strip().replace("File ", "").replace(", line ", ":")
            for f in frames
            if not f.startswith("    ")
        )
        print(f"  {stat.size_diff / 1024 / conns:8.2f} {stat.count_diff / conns:7.1f}  {where}")


async def _server(args: argparse.Namespace, uri: str) -> None:
    logging.basicConfig(level=logging.WARNING)
    db, server = await _setup(uri, args.stations)
    if args.stub_domain:

        async def nothing(*_: Any, **__: Any) -> None:
            return None

        server.deps.network.station_seen = nothing  # type: ignore[method-assign]
        server.deps.charging.meter_values = nothing  # type: ignore[method-assign]
    gc.collect()
    trace = not args.no_trace and not args.messages
    if trace:
        tracemalloc.start(args.frames)
    await asyncio.sleep(0.2)
    gc.collect()
    before = tracemalloc.take_snapshot() if trace else None
    traced0 = tracemalloc.get_traced_memory()[0] if trace else 0
    rss0 = _rss_kib()
    child = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.ocpp_server.measure_connections", "--client",
        str(server.port), str(args.stations), str(args.messages),
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert child.stdout is not None and child.stdin is not None
    t0 = time.monotonic()
    line = await child.stdout.readline()
    assert line.strip() == b"ready", line
    connected = len(server.registry)
    print(f"{connected} stations connected and booted in {time.monotonic() - t0:.1f}s")
    await asyncio.sleep(1.0)
    gc.collect()
    rss1 = _rss_kib()
    print(f"RSS: {rss0} -> {rss1} KiB: {(rss1 - rss0) / connected:.1f} KiB/connection")
    if trace and before is not None:
        traced1 = tracemalloc.get_traced_memory()[0]
        print(f"tracemalloc: {(traced1 - traced0) / 1024 / connected:.1f} KiB/connection")
        after = tracemalloc.take_snapshot()
        tracemalloc.stop()
        _top(after.compare_to(before, "filename"), args.top, connected, "by file")
        _top(after.compare_to(before, "lineno"), args.top, connected, "by line")
        _top(after.compare_to(before, "traceback"), args.top, connected, "by traceback")
    if args.messages:
        child.stdin.write(b"\n")
        await child.stdin.drain()
        assert (await child.stdout.readline()).strip() == b"go"
        profiler = cProfile.Profile() if args.profile else None
        cpu0, wall0 = time.process_time(), time.monotonic()
        if profiler:
            profiler.enable()
        child.stdin.write(b"\n")
        await child.stdin.drain()
        assert (await child.stdout.readline()).strip() == b"done"
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
        print(
            f"{args.messages} messages: server CPU {cpu / args.messages * 1e6:.0f} us/msg, "
            f"wall {wall / args.messages * 1e6:.0f} us/msg"
        )
    child.stdin.write(b"\n")
    await child.stdin.drain()
    await child.wait()
    await server.stop()
    await db.client.drop_database(db.db.name)
    await db.client.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--client", nargs=3, type=int, metavar=("PORT", "N", "MESSAGES"))
    parser.add_argument("--stations", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=0)
    parser.add_argument("--profile", default="")
    parser.add_argument("--stub-domain", action="store_true")
    parser.add_argument("--no-trace", action="store_true")
    parser.add_argument("--frames", type=int, default=8)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--mongo-dir", default=str(Path(tempfile.gettempdir()) / "laddnet-measure"))
    args = parser.parse_args()
    if args.client:
        asyncio.run(_client(*args.client))
        return
    from laddnet.embedded_mongo import EmbeddedMongo

    mongo = EmbeddedMongo(Path(args.mongo_dir))
    uri = mongo.start()
    try:
        asyncio.run(_server(args, uri))
    finally:
        mongo.stop()


if __name__ == "__main__":
    main()
