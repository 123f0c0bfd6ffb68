"""Group commit: the writes of many callers flushed together, each caller answered by its flush.

A caller submits an item and awaits the result of the flush that contains it, so its write is
durable before it goes on (before the OCPP answer). Flushes run one at a time: the first item
starts a flush at once (no added latency when idle); items submitted while a flush is running
wait for it to finish and then go together in the next one (natural batching: the busier the
store, the bigger the batches), at most ``max_batch`` items per flush. Items are flushed in the
order they were submitted.

A flush that raises fails every item in it with ``WriteBatchFailed`` (the store's error as its
cause): nothing in a failed flush is acknowledged, and later items go on in the next flush.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Generic, TypeVar

from domain.network.errors import WriteBatchFailed

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self,
        flush: Callable[[Sequence[Item]], Awaitable[Sequence[Result]]],
        *,
        max_batch: int = 1000,
        name: str = "group commit",
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._flush = flush
        self.max_batch = max_batch
        self.name = name
        self._pending: deque[tuple[Item, asyncio.Future[Result]]] = deque()
        self._runner: asyncio.Task[None] | None = None
        self.flushes = 0  # how many flushes ran (for tests and measurements)

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def submit(self, item: Item) -> Result:
        """Queue ``item`` and wait until the flush containing it is done; its result, or
        ``WriteBatchFailed`` when that flush failed."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._pending.append((item, future))
        if self._runner is None:
            self._runner = loop.create_task(self._run(), name=self.name)
        # a caller that gives up (its connection closed) does not stop the write
        return await asyncio.shield(future)

    async def drain(self) -> None:
        """Wait until everything submitted so far is flushed (or has failed)."""
        while self._runner is not None:
            await asyncio.shield(self._runner)

    async def _run(self) -> None:
        try:
            while self._pending:
                take = min(len(self._pending), self.max_batch)
                batch = [self._pending.popleft() for _ in range(take)]
                await self._flush_one(batch)
        except BaseException as exc:  # cancelled (loop shutting down): answer who still waits
            for _, future in self._pending:
                _fail(future, self.name, exc, len(self._pending))
            self._pending.clear()
            raise
        finally:
            self._runner = None

    async def _flush_one(self, batch: list[tuple[Item, asyncio.Future[Result]]]) -> None:
        self.flushes += 1
        try:
            results = await self._flush([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"flush returned {len(results)} results for {len(batch)}")
        except asyncio.CancelledError as exc:
            for _, future in batch:
                _fail(future, self.name, exc, len(batch))
            raise
        except Exception as exc:
            for _, future in batch:
                _fail(future, self.name, exc, len(batch))
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():
                future.set_result(result)


def _fail(future: asyncio.Future[Any], name: str, cause: BaseException, size: int) -> None:
    if future.done():
        return
    error = WriteBatchFailed(
        f"{name}: the flush of {size} items failed as a whole, this one took no effect ({cause!r})"
    )
    error.__cause__ = cause
    future.set_exception(error)
