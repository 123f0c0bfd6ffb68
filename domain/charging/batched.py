"""What the charging context's background writers share: a list of pending items, flushed by a
task every ``interval`` seconds (or at once when ``max_batch`` wait), one flush at a time, and
``close()`` that stops the task and flushes what is left.

A subclass says how to store a batch (``flush``, holding ``_flush_lock()`` and calling
``_reset_signals()`` once it has taken the batch) and what it stores (``what``, for the log); it
calls ``_signal()`` after adding to ``_pending``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

Item = TypeVar("Item")


class BatchedWriter(Generic[Item]):
    what = "items"

    def __init__(self, *, interval: float, max_batch: int) -> None:
        self.interval = interval
        self.max_batch = max_batch
        self._pending: list[Item] = []
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._full: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def flush(self) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """Stop the background task and store what is left (raises if that fails)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()

    def _flush_lock(self) -> asyncio.Lock:
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    def _events(self) -> tuple[asyncio.Event, asyncio.Event]:
        if self._wake is None or self._full is None:
            self._wake, self._full = asyncio.Event(), asyncio.Event()
        return self._wake, self._full

    def _signal(self) -> None:
        if not self._pending:
            return
        wake, full = self._events()
        wake.set()
        if len(self._pending) >= self.max_batch:
            full.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run())

    def _reset_signals(self) -> None:
        wake, full = self._events()
        wake.clear()
        full.clear()

    async def _run(self) -> None:
        wake, full = self._events()
        while True:
            await wake.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(full.wait(), self.interval)
            try:
                await self.flush()
            except Exception:
                log.exception("could not store %d %s; retrying", self.pending, self.what)
                await asyncio.sleep(self.interval)
