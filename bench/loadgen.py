"""A lean OCPP 1.6J load generator: raw websocket clients sending pre-built frames.

Arrivals are open-loop: every message has a scheduled send time fixed in advance, independent of
answers, and its latency is measured from that scheduled time (so a slow server or a congested
generator shows up as latency instead of silently lowering the offered rate).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import heapq
import itertools
import json
import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake

log = logging.getLogger(__name__)

ENERGY = "Energy.Active.Import.Register"


def iso_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def iso_at(wall: float) -> str:
    """The OCPP timestamp of a wall-clock time (seconds since the epoch, whole milliseconds)."""
    return datetime.fromtimestamp(wall, UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


@dataclass
class Pending:
    action: str
    scheduled: float
    future: asyncio.Future[str] | None = None


@dataclass
class Recorder:
    """Latency per action (seconds from scheduled send to answer), counts and errors."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    sent: Counter[str] = field(default_factory=Counter)
    answered: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)

    def reset(self) -> None:
        self.latencies = defaultdict(list)
        self.sent = Counter()
        self.answered = Counter()
        self.errors = Counter()


@dataclass
class Stream:
    """One periodic message source: a station's heartbeat or a charging connector's meter."""

    link: Link
    action: str
    interval: float
    connector_id: int = 0
    transaction_id: int = 0
    energy_wh: int = 0


class Link:
    """One station's websocket and its reader."""

    def __init__(self, gen: LoadGen, cp_id: str, ws: ClientConnection) -> None:
        self.gen = gen
        self.cp_id = cp_id
        self.ws = ws
        self.reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        gen = self.gen
        try:
            async for raw in self.ws:
                gen.on_frame(self, raw if isinstance(raw, str) else raw.decode())
        except ConnectionClosed:
            pass
        finally:
            gen.closed += 1


class LoadGen:
    def __init__(self, url: str, password: str, *, seed: int = 1) -> None:
        self.url = url.rstrip("/")
        self.password = password
        self.loop = asyncio.get_running_loop()
        self.links: dict[str, Link] = {}
        self.pending: dict[str, Pending] = {}
        self.rec = Recorder()
        self.rng = random.Random(seed)
        self.closed = 0
        # when set, every MeterValues sent: (chargePointId, connector, energy Wh) -> its
        # scheduled send time (wall clock, whole ms: the time the message itself carries)
        self.meter_log: dict[tuple[str, int, int], float] | None = None
        self._ids = itertools.count(1)
        self._tasks: set[asyncio.Future[None]] = set()

    # -- frames ----------------------------------------------------------------------------

    def on_frame(self, link: Link, raw: str) -> None:
        now = self.loop.time()
        if raw.startswith('[3,"'):
            mid = raw[4 : raw.index('"', 4)]
            ok = True
        else:
            try:
                msg = json.loads(raw)
            except ValueError:
                self.rec.errors["unreadable"] += 1
                return
            if msg[0] == 2:  # a CSMS-initiated call: accept it blindly
                task = asyncio.ensure_future(self._answer(link, msg[1]))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                return
            mid, ok = str(msg[1]), msg[0] == 3
        entry = self.pending.pop(mid, None)
        if entry is None:
            return
        if ok:
            self.rec.answered[entry.action] += 1
            self.rec.latencies[entry.action].append(now - entry.scheduled)
        else:
            self.rec.errors[entry.action] += 1
        if entry.future is not None and not entry.future.done():
            entry.future.set_result(raw)

    async def _answer(self, link: Link, mid: str) -> None:
        with contextlib.suppress(ConnectionClosed):
            await link.ws.send(f'[3,"{mid}",{{}}]')

    async def call(
        self, link: Link, action: str, payload: str, scheduled: float, *, wait: bool = False
    ) -> asyncio.Future[str] | None:
        mid = format(next(self._ids), "x")
        future: asyncio.Future[str] | None = self.loop.create_future() if wait else None
        self.pending[mid] = Pending(action, scheduled, future)
        self.rec.sent[action] += 1
        try:
            await link.ws.send(f'[2,"{mid}","{action}",{payload}]')
        except ConnectionClosed:
            self.pending.pop(mid, None)
            self.rec.errors[action] += 1
            if future is not None:
                future.cancel()
        return future

    def meter_payload(self, s: Stream, wall: float) -> str:
        """The next MeterValues of a stream, stamped with ``wall`` (its scheduled send time)
        truncated to the millisecond: a subscriber's delivery carries that stamp back."""
        s.energy_wh += 97
        wall = int(wall * 1000) / 1000
        if self.meter_log is not None:
            self.meter_log[(s.link.cp_id, s.connector_id, s.energy_wh)] = wall
        return (
            f'{{"connectorId":{s.connector_id},"transactionId":{s.transaction_id},'
            f'"meterValue":[{{"timestamp":"{iso_at(wall)}","sampledValue":['
            f'{{"value":"{s.energy_wh}","measurand":"{ENERGY}","unit":"Wh"}},'
            f'{{"value":"11000","measurand":"Power.Active.Import","unit":"W"}}]}}]}}'
        )

    # -- phases ----------------------------------------------------------------------------

    async def boot_storm(
        self,
        cp_ids: list[str],
        window: float,
        answer_within: float,
        handshake_within: float = 30.0,
    ) -> dict[str, float | int]:
        """Connect every station and send BootNotification, spread evenly over ``window``
        seconds (open loop). Each waits up to ``handshake_within`` seconds for its websocket
        handshake, then up to ``answer_within`` for the answer. ``accepted_in_time``: Accepted
        within ``handshake_within`` seconds of the storm's start; ``lost``: never Accepted."""
        t0 = self.loop.time()
        step = window / max(1, len(cp_ids))
        accepted_at: list[float] = []
        failures: Counter[str] = Counter()
        boot = json.dumps(
            {
                "chargePointVendor": "laddnet-bench",
                "chargePointModel": "lean",
                "firmwareVersion": "1",
            }
        )

        async def one(i: int, cp_id: str) -> None:
            at = t0 + i * step
            await asyncio.sleep(max(0.0, at - self.loop.time()))
            auth = base64.b64encode(f"{cp_id}:{self.password}".encode()).decode()
            try:
                ws = await connect(
                    f"{self.url}/{cp_id}",
                    subprotocols=["ocpp1.6"],  # type: ignore[list-item]
                    additional_headers={"Authorization": f"Basic {auth}"},
                    compression=None,
                    open_timeout=handshake_within,
                    ping_interval=None,
                    max_queue=None,
                )
            except (OSError, InvalidHandshake, TimeoutError) as exc:
                failures[type(exc).__name__] += 1
                return
            link = Link(self, cp_id, ws)
            self.links[cp_id] = link
            future = await self.call(link, "BootNotification", boot, at, wait=True)
            if future is None:
                failures["closed"] += 1
                return
            try:
                raw = await asyncio.wait_for(future, answer_within)
            except (TimeoutError, asyncio.CancelledError):
                failures["no answer"] += 1
                return
            if '"Accepted"' in raw:
                accepted_at.append(self.loop.time() - t0)
            else:
                failures["not accepted"] += 1

        tasks = [asyncio.ensure_future(one(i, c)) for i, c in enumerate(cp_ids)]
        await asyncio.wait(tasks, timeout=window + 2 * answer_within)
        for task in tasks:
            task.cancel()
        return {
            "stations": len(cp_ids),
            "window_s": window,
            "accepted": len(accepted_at),
            "accepted_in_time": sum(1 for t in accepted_at if t <= handshake_within),
            "in_time_s": handshake_within,
            "lost": len(cp_ids) - len(accepted_at),
            "all_accepted_after_s": max(accepted_at) if len(accepted_at) == len(cp_ids) else -1.0,
            "last_accepted_after_s": max(accepted_at, default=-1.0),
            "failures": dict(failures),  # type: ignore[dict-item]
        }

    async def start_transactions(self, fraction: float, id_tag: str, pace: float) -> list[Stream]:
        """Start a transaction on ``fraction`` of the connectors (connectors 1 and 2 of each
        station), ``pace`` per second; the meter streams for them."""
        links = list(self.links.values())
        slots = [(link, c) for link in links for c in (1, 2)]
        chosen = slots[:: max(1, round(1 / fraction))] if fraction > 0 else []
        t0 = self.loop.time()
        waits: list[tuple[Link, int, asyncio.Future[str]]] = []
        for i, (link, c) in enumerate(chosen):
            at = t0 + i / pace
            await asyncio.sleep(max(0.0, at - self.loop.time()))
            payload = (
                f'{{"connectorId":{c},"idTag":"{id_tag}","meterStart":0,"timestamp":"{iso_now()}"}}'
            )
            future = await self.call(link, "StartTransaction", payload, at, wait=True)
            if future is not None:
                waits.append((link, c, future))
        streams = []
        for link, c, future in waits:
            try:
                raw = await asyncio.wait_for(future, 60)
            except (TimeoutError, asyncio.CancelledError):
                continue
            tx = json.loads(raw)[2].get("transactionId")
            if tx:
                streams.append(Stream(link, "MeterValues", 30.0, connector_id=c, transaction_id=tx))
        return streams

    def heartbeat_streams(self, interval: float) -> list[Stream]:
        return [Stream(link, "Heartbeat", interval) for link in self.links.values()]

    async def run_streams(
        self,
        streams: Iterable[Stream],
        duration: float,
        interval_of: Callable[[Stream], float],
    ) -> float:
        """Send every stream's message at its own period (random phase, seeded) for ``duration``
        seconds. Returns the start time (loop clock)."""
        t0 = self.loop.time() + 0.05
        end = t0 + duration
        to_wall = time.time() - self.loop.time()  # per call: the clocks drift apart slowly
        seq = itertools.count()
        heap: list[tuple[float, int, Stream]] = []
        for s in streams:
            period = interval_of(s)
            heap.append((t0 + self.rng.random() * period, next(seq), s))
        heapq.heapify(heap)
        burst = 0
        while heap:
            at, _, s = heap[0]
            if at >= end:
                break
            now = self.loop.time()
            if at > now:
                burst = 0
                await asyncio.sleep(at - now)
                continue
            heapq.heapreplace(heap, (at + interval_of(s), next(seq), s))
            payload = self.meter_payload(s, at + to_wall) if s.action == "MeterValues" else "{}"
            await self.call(s.link, s.action, payload, at)
            burst += 1
            if burst % 64 == 0:
                await asyncio.sleep(0)  # let the readers run while catching up
        return t0

    async def drain(self, within: float) -> int:
        """Wait up to ``within`` seconds for outstanding answers; how many are still missing."""
        deadline = self.loop.time() + within
        while self.pending and self.loop.time() < deadline:  # noqa: ASYNC110 - polls a dict
            await asyncio.sleep(0.05)
        missing = len(self.pending)
        for entry in self.pending.values():
            self.rec.errors[f"{entry.action} unanswered"] += 1
        self.pending.clear()
        return missing

    async def close(self) -> None:
        links = list(self.links.values())
        self.links.clear()
        for i in range(0, len(links), 500):
            chunk = links[i : i + 500]
            await asyncio.gather(
                *(asyncio.wait_for(link.ws.close(), 5) for link in chunk), return_exceptions=True
            )
        for link in links:
            link.reader.cancel()
