"""Group commit for concurrent callers of one database operation.

``Rounds.call(item)`` waits for the round that carries its item and returns that item's result. A
round starts as soon as the previous one returned: at low load an item goes alone at once (one
event-loop turn later), under load the items that arrived meanwhile share one command. Nothing is
answered before its round returned, so a write stays durable before the caller's answer; an error
of the whole round is raised to every caller in it, an error of one item only to its caller.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

K = TypeVar("K")
R = TypeVar("R")


class Rounds(Generic[K, R]):
    def __init__(
        self,
        run: Callable[[Sequence[K]], Awaitable[Sequence[R | BaseException]]],
        *,
        max_batch: int = 500,
    ) -> None:
        self.run = run
        self.max_batch = max_batch
        self.rounds = 0  # how many rounds ran (a measure of the sharing)
        self._queue: list[tuple[K, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def call(self, item: K) -> R:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._queue.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._drain())
        return await future

    async def _drain(self) -> None:
        while self._queue:
            batch = self._queue[: self.max_batch]
            del self._queue[: self.max_batch]
            self.rounds += 1
            try:
                results = await self.run([item for item, _ in batch])
                if len(results) != len(batch):
                    raise RuntimeError("a round returned a result per item it did not get")
            except BaseException as exc:
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue  # its caller went away (e.g. the connection closed)
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)
