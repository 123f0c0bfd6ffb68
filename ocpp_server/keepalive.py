"""Keepalive pings for every connection of a server from one task.

websockets' own keepalive runs a task per connection (a task, a coroutine frame and a timer each,
about a kibibyte) that sleeps ``ping_interval``, pings and waits ``ping_timeout`` for the pong. This
does the same from one task: connections queue in the order they are added, each is pinged every
``interval`` seconds, and one whose pong has not come ``timeout`` seconds after its ping is closed
with 1011 "keepalive ping timeout" (what websockets closes it with). The queue holds weak references,
so a closed connection is not kept alive by it. Each pong is reported to ``on_pong`` (OCPP-J lets
pings stand in for Heartbeats: a station answering them is alive).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
import weakref
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from websockets.asyncio.server import ServerConnection
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

log = logging.getLogger(__name__)


def _retrieve(pong: asyncio.Future[float]) -> None:
    """A pong waiter fails with ConnectionClosed when its connection drops: nobody awaits it."""
    if not pong.cancelled():
        pong.exception()


class Keepalive:
    def __init__(
        self,
        interval: float,
        timeout: float,
        spawn: Callable[[Coroutine[Any, Any, Any]], None],
        *,
        tick: float | None = None,
        on_pong: Callable[[ServerConnection], None] | None = None,
    ) -> None:
        self.interval = interval
        self.on_pong = on_pong
        self.timeout = timeout
        self.tick = tick if tick is not None else min(1.0, interval / 4, timeout / 4)
        self._spawn = spawn
        self._due: deque[tuple[float, weakref.ref[ServerConnection]]] = deque()
        self._waiting: deque[tuple[float, weakref.ref[ServerConnection], asyncio.Future[float]]] = (
            deque()
        )
        self.timed_out = 0

    def _answered(self, ref: weakref.ref[ServerConnection], pong: asyncio.Future[float]) -> None:
        ws = ref()
        answered = not pong.cancelled() and pong.exception() is None
        if ws is not None and self.on_pong is not None and answered:
            self.on_pong(ws)

    def __len__(self) -> int:
        return len(self._due)

    def add(self, websocket: ServerConnection) -> None:
        """Ping ``websocket`` from ``interval`` seconds from now on, while it is open."""
        self._due.append((time.monotonic() + self.interval, weakref.ref(websocket)))

    async def run(self) -> None:
        while True:
            await asyncio.sleep(self.tick)
            try:
                await self.step(time.monotonic())
            except Exception:  # keep pinging the others whatever one connection does
                log.exception("keepalive round failed")

    async def step(self, now: float) -> None:
        """Close connections whose pong is overdue, then ping the ones that are due."""
        while self._waiting and self._waiting[0][0] <= now:
            _, ref, pong = self._waiting.popleft()
            ws = ref()
            if ws is not None and not pong.done() and ws.state is State.OPEN:
                self.timed_out += 1
                log.info("closing a connection: no pong within %ss", self.timeout)
                self._spawn(ws.close(1011, "keepalive ping timeout"))
        while self._due and self._due[0][0] <= now:
            _, ref = self._due.popleft()
            ws = ref()
            if ws is None or ws.state is State.CLOSED:
                continue  # gone: forget it
            if ws.state is State.OPEN and not ws.paused:
                # OPEN and not write-paused: ping() neither waits for a close nor for a drain
                try:
                    pong = asyncio.ensure_future(await ws.ping())  # a Future already
                except ConnectionClosed:
                    continue
                pong.add_done_callback(_retrieve)
                if self.on_pong is not None:
                    pong.add_done_callback(functools.partial(self._answered, ref))
                self._waiting.append((now + self.timeout, ref, pong))
            self._due.append((now + self.interval, ref))
