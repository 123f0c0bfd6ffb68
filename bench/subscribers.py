"""The fan-out's GraphQL subscribers, in a process of their own (so neither they nor the OCPP load
generator skews the other's timing): operators on ``stationEvents``, one driver per active session
on ``sessionProgress``, over graphql-transport-ws as the apps connect.

Each ``next`` is counted per kind on arrival (``time.time()``, the clock the load generator stamps
its MeterValues with). A station event's end-to-end latency is its arrival minus the ``at`` it
carries, which is the MeterValues' own timestamp (the generator's scheduled send time). A session
progress carries the session's energy instead: its arrivals go back to the parent, which knows
when the MeterValues with that register reading was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from bench.gql import SESSION_PROGRESS, STATION_EVENTS
from bench.plan import latency_summary

STATION = "stationEvents"
PROGRESS = "sessionProgress"


@dataclass
class SubscriberConfig:
    ws_url: str  # ws://host:port/graphql
    operator_token: str
    driver_token: str
    operators: int
    sessions: list[str]
    connect_concurrency: int = 50
    timeout: float = 60.0


@dataclass
class Tally:
    """What arrived since the last reset."""

    t0: float = field(default_factory=time.monotonic)
    cpu0: float = field(default_factory=time.process_time)
    deliveries: Counter[str] = field(default_factory=Counter)
    station_latency: list[float] = field(default_factory=list)  # seconds, telemetry events
    progress: list[tuple[str, int, float]] = field(default_factory=list)  # id, Wh, arrival
    errors: Counter[str] = field(default_factory=Counter)

    def report(self) -> dict[str, Any]:
        elapsed = time.monotonic() - self.t0
        return {
            "elapsed_s": round(elapsed, 3),
            "cpu_pct": round(100 * (time.process_time() - self.cpu0) / elapsed, 1),
            "deliveries": dict(self.deliveries),
            "station_events_e2e": latency_summary(self.station_latency),
            "progress": self.progress,
            "errors": dict(self.errors),
        }


def _epoch(iso: str) -> float:
    return datetime.fromisoformat(iso).timestamp()


class Subscribers:
    def __init__(self, cfg: SubscriberConfig) -> None:
        self.cfg = cfg
        self.tally = Tally()
        self.sockets: list[ClientConnection] = []
        self.readers: list[asyncio.Task[None]] = []
        self.failures: Counter[str] = Counter()

    async def open_all(self) -> dict[str, Any]:
        cfg = self.cfg
        gate = asyncio.Semaphore(cfg.connect_concurrency)
        jobs: list[tuple[str, str, dict[str, Any]]] = [
            (STATION, cfg.operator_token, {}) for _ in range(cfg.operators)
        ]
        jobs += [(PROGRESS, cfg.driver_token, {"sessionId": s}) for s in cfg.sessions]

        async def one(kind: str, token: str, variables: dict[str, Any]) -> None:
            async with gate:
                try:
                    await self._open(kind, token, variables)
                except (OSError, TimeoutError, ConnectionClosed, RuntimeError) as exc:
                    self.failures[f"{kind} {type(exc).__name__}"] += 1

        await asyncio.gather(*(one(*job) for job in jobs))
        # every driver subscription first delivers the session as it is: wait for those
        deadline = time.monotonic() + cfg.timeout
        lost = sum(n for k, n in self.failures.items() if k.startswith(PROGRESS))
        while self.tally.deliveries[PROGRESS] < len(cfg.sessions) - lost:
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        return {
            "operators": cfg.operators,
            "drivers": len(cfg.sessions),
            "connected": len(self.sockets),
            "snapshots": self.tally.deliveries[PROGRESS],
            "failures": dict(self.failures),
        }

    async def _open(self, kind: str, token: str, variables: dict[str, Any]) -> None:
        ws = await connect(
            self.cfg.ws_url,
            subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            open_timeout=self.cfg.timeout,
            ping_interval=None,
            max_queue=None,
        )
        init = {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        await ws.send(json.dumps(init))
        ack = json.loads(await asyncio.wait_for(ws.recv(), self.cfg.timeout))
        if ack.get("type") != "connection_ack":
            await ws.close()
            raise RuntimeError(f"no connection_ack: {ack}")
        name, document = (
            ("StationEvents", STATION_EVENTS)
            if kind == STATION
            else (
                "SessionProgress",
                SESSION_PROGRESS,
            )
        )
        payload = {"operationName": name, "query": document, "variables": variables}
        await ws.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        self.sockets.append(ws)
        self.readers.append(asyncio.create_task(self._read(ws, kind)))

    async def _read(self, ws: ClientConnection, kind: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in ws:
                now = time.time()
                message = json.loads(raw)
                mtype = message.get("type")
                if mtype == "next":
                    self._next(kind, message["payload"], now)
                elif mtype == "ping":
                    await ws.send('{"type":"pong"}')
                elif mtype in ("error", "complete"):
                    self.tally.errors[f"{kind} {mtype}"] += 1
        self.tally.errors[f"{kind} closed"] += 1

    def _next(self, kind: str, payload: dict[str, Any], now: float) -> None:
        tally = self.tally
        data = payload.get("data")
        if payload.get("errors") or not data:
            tally.errors[f"{kind} errors"] += 1
            return
        tally.deliveries[kind] += 1
        if kind == STATION:
            event = data[STATION]
            if event["__typename"] == "StationTelemetryUpdated":
                tally.station_latency.append(now - _epoch(event["at"]))
        else:
            p = data[PROGRESS]
            tally.progress.append((p["id"], round(p["energyKwh"] * 1000), now))

    async def close(self) -> None:
        for task in self.readers:
            task.cancel()
        await asyncio.gather(
            *(asyncio.wait_for(ws.close(), 5) for ws in self.sockets), return_exceptions=True
        )


async def _serve(cfg: SubscriberConfig) -> None:
    """The child's side: commands as lines on stdin, answers as JSON lines on stdout."""
    loop = asyncio.get_running_loop()
    subs = Subscribers(cfg)

    def answer(value: Any) -> None:
        sys.stdout.write(json.dumps(value) + "\n")
        sys.stdout.flush()

    try:
        answer(await subs.open_all())
        while True:
            command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
            if command == "reset":
                subs.tally = Tally()
                answer("ok")
            elif command == "collect":
                answer(subs.tally.report())
            else:  # "stop", or the parent went away
                break
    finally:
        await subs.close()


class SubscriberPool:
    """The parent's handle on the subscriber process (``python -m bench.subscribers``,
    configured by one JSON line on its stdin)."""

    def __init__(self, cfg: SubscriberConfig) -> None:
        self.cfg = cfg
        self.timeout = cfg.timeout
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> dict[str, Any]:
        """Start the process; once every subscriber is connected and subscribed, how that went."""
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bench.subscribers",
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=1 << 28,  # a phase's sessionProgress arrivals come back as one line
        )
        answer: dict[str, Any] = await self._ask(json.dumps(asdict(self.cfg)), 3 * self.timeout)
        return answer

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def _ask(self, line: str, within: float) -> Any:
        process = self.process
        assert process is not None and process.stdin is not None and process.stdout is not None
        process.stdin.write(line.encode() + b"\n")
        await process.stdin.drain()
        raw = await asyncio.wait_for(process.stdout.readline(), within)
        if not raw:
            raise RuntimeError(f"the subscriber process ended (exit {await process.wait()})")
        return json.loads(raw)

    async def reset(self) -> None:
        await self._ask("reset", self.timeout)

    async def collect(self) -> dict[str, Any]:
        answer: dict[str, Any] = await self._ask("collect", self.timeout)
        return answer

    async def stop(self) -> None:
        process = self.process
        if process is None or process.returncode is not None:
            return
        assert process.stdin is not None
        with contextlib.suppress(OSError, ConnectionError):
            process.stdin.write(b"stop\n")
            await process.stdin.drain()
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 15)
        except TimeoutError:
            process.kill()
            await process.wait()


def main() -> None:
    cfg = SubscriberConfig(**json.loads(sys.stdin.readline()))
    asyncio.run(_serve(cfg))


if __name__ == "__main__":
    main()
