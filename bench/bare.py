"""The bare ``ocpp`` library path: a minimal CSMS built on ``ocpp.v16.ChargePoint`` with default
settings (schema validation in the library's thread pool, no database), answering what the bench
sends. Run as ``python -m bench.bare PORT``; it prints ``ready`` once listening."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import signal
import sys
from datetime import UTC, datetime
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from websockets.asyncio.server import ServerConnection, serve

_transactions = itertools.count(1)


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class BareCentralSystem(ChargePoint):  # type: ignore[misc]
    @on("BootNotification")  # type: ignore[untyped-decorator]
    async def on_boot(self, **_: Any) -> call_result.BootNotification:
        return call_result.BootNotification(current_time=_now(), interval=300, status="Accepted")

    @on("Heartbeat")  # type: ignore[untyped-decorator]
    async def on_heartbeat(self) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time=_now())

    @on("StatusNotification")  # type: ignore[untyped-decorator]
    async def on_status(self, **_: Any) -> call_result.StatusNotification:
        return call_result.StatusNotification()

    @on("StartTransaction")  # type: ignore[untyped-decorator]
    async def on_start(self, **_: Any) -> call_result.StartTransaction:
        return call_result.StartTransaction(
            transaction_id=next(_transactions), id_tag_info={"status": "Accepted"}
        )

    @on("MeterValues")  # type: ignore[untyped-decorator]
    async def on_meter_values(self, **_: Any) -> call_result.MeterValues:
        return call_result.MeterValues()


async def _handler(websocket: ServerConnection) -> None:
    path = websocket.request.path if websocket.request else "/"
    cp = BareCentralSystem(path.rstrip("/").rsplit("/", 1)[-1], websocket)
    with contextlib.suppress(Exception):  # a closed connection ends the station
        await cp.start()


async def main(port: int) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with serve(_handler, "127.0.0.1", port, subprotocols=["ocpp1.6"]):  # type: ignore[list-item]
        print("ready", flush=True)
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1])))
