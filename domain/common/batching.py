"""The two ways laddnet batches database work: group commit and write-behind.

``GroupCommit``: the writes (or reads) of many concurrent callers sent together, each caller
answered by the flush that carries its item. The caller awaits its own result, so a write is
durable before the caller goes on (before the OCPP answer). Flushes run one at a time: the first
item starts a flush at once (no added latency when idle); items submitted while a flush runs go
together in the next one (the busier the store, the bigger the batches), at most ``max_batch``
per flush, in the order they were submitted. A flush returns one result per item; a result that
is an exception fails only its own caller. A flush that raises fails every caller in it: with
``WriteBatchFailed`` (the store's error as its cause), or with the store's error itself when
``wrap=False``. Nothing in a failed flush is acknowledged; later items go on in the next flush.
With ``isolate``, a flush of several items that fails with an error ``isolate`` accepts (one that
may be about the items, not the store being away: see ``about_the_data``) is tried again item by
item, so one bad item fails only its own caller and everyone else's writes land.

``WriteBehind``: items buffered and stored later by a background task, at most ``interval``
seconds after the first one waits (at once when ``max_batch`` wait), one flush at a time. For
what may be answered before it is stored: a read model rebuilt from the next sample (health
snapshots). With ``key`` an item replaces the waiting one with the same key (only the latest
matters). Readers in the process call ``flush()`` first. A failed flush keeps its items (behind
the ones added since, for keyed items) and raises; the background task logs and tries again.
``close()`` stops the task and stores what is left. With ``isolate``, a batch failing with an
error ``isolate`` accepts is stored item by item and an item that fails alone is dropped (logged
and counted): no writer retries a poison batch for ever.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Generic, TypeVar

from bson.errors import InvalidDocument
from pymongo.errors import BulkWriteError, ConnectionFailure, PyMongoError, WriteError

log = logging.getLogger(__name__)

Item = TypeVar("Item")
Result = TypeVar("Result")


class WriteBatchFailed(RuntimeError):
    """A group commit could not store the flush holding this write: the write is not stored and
    not acknowledged. Not a DomainError: the store failed, not the request, so the edges treat
    it as an unexpected failure (an OCPP CALLERROR)."""


def about_the_data(exc: BaseException) -> bool:
    """Whether a failed write may be about what was written (a value the store cannot hold or
    refuses), rather than about the store (unreachable, timed out, not primary): worth trying the
    items one by one. A store that is away fails every write alike, so it is not."""
    if isinstance(exc, BulkWriteError):
        details = exc.details or {}
        return bool(details.get("writeErrors")) and not details.get("writeConcernErrors")
    if isinstance(exc, WriteError | InvalidDocument | OverflowError | ValueError | TypeError):
        return True
    if isinstance(exc, ConnectionFailure):
        return False
    return isinstance(exc, PyMongoError) and not exc.has_error_label("TransientTransactionError")


class PartlyStored(Exception):
    """Raised by a ``WriteBehind``'s store when it settled only the first ``done`` items of its
    batch (stored, or refused by the database and dropped): the rest stay buffered, in order, and
    the flush raises ``__cause__``."""

    def __init__(self, done: int) -> None:
        super().__init__(f"{done} items settled")
        self.done = done


class GroupCommit(Generic[Item, Result]):
    def __init__(
        self,
        flush: Callable[[Sequence[Item]], Awaitable[Sequence[Result | BaseException]]],
        *,
        max_batch: int = 1000,
        name: str = "group commit",
        wrap: bool = True,
        isolate: Callable[[BaseException], bool] | None = None,
    ) -> None:
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self.run = flush
        self.max_batch = max_batch
        self.name = name
        self.wrap = wrap
        self.isolate = isolate
        self._pending: deque[tuple[Item, asyncio.Future[Result]]] = deque()
        self._runner: asyncio.Task[None] | None = None
        self._flushing: list[asyncio.Future[Result]] = []  # the batch being flushed
        self.flushes = 0  # how many flushes ran (a measure of the sharing)

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def submit(self, item: Item) -> Result:
        """Queue ``item`` and wait until the flush containing it is done: its result, or the
        failure of that flush (see the module)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        self._pending.append((item, future))
        if self._runner is None:
            self._runner = loop.create_task(self._run(), name=self.name)
        # a caller that gives up (its connection closed) does not stop the write
        return await asyncio.shield(future)

    async def settled(self) -> None:
        """Wait until everything submitted so far is flushed (or has failed); not for what is
        submitted meanwhile (under steady load the flushes never stop)."""
        futures = [f for _, f in self._pending] + self._flushing
        if futures:
            await asyncio.wait(futures)

    async def drain(self) -> None:
        """Wait until nothing is submitted or flushing (on shutdown)."""
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
                self._fail(future, exc, len(self._pending))
            self._pending.clear()
            raise
        finally:
            self._runner = None

    async def _flush_one(
        self, batch: list[tuple[Item, asyncio.Future[Result]]], *, alone: bool = False
    ) -> None:
        self.flushes += 1
        if not alone:
            self._flushing = [future for _, future in batch]
        try:
            results = await self.run([item for item, _ in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"flush returned {len(results)} results for {len(batch)}")
        except asyncio.CancelledError as exc:
            for _, future in batch:
                self._fail(future, exc, len(batch))
            raise
        except Exception as exc:
            if len(batch) > 1 and self.isolate is not None and self.isolate(exc):
                log.warning(
                    "%s: a flush of %d failed (%r); trying each alone", self.name, len(batch), exc
                )
                for one in batch:
                    await self._flush_one([one], alone=True)
                return
            for _, future in batch:
                self._fail(future, exc, len(batch))
            return
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():
                continue
            if isinstance(result, BaseException):
                future.set_exception(result)
            else:
                future.set_result(result)

    def _fail(self, future: asyncio.Future[Any], cause: BaseException, size: int) -> None:
        if future.done():
            return
        if not self.wrap:
            future.set_exception(cause)
            return
        error = WriteBatchFailed(
            f"{self.name}: the flush of {size} items failed as a whole, this one took no effect "
            f"({cause!r})"
        )
        error.__cause__ = cause
        future.set_exception(error)


class WriteBehind(Generic[Item]):
    def __init__(
        self,
        store: Callable[[list[Item]], Awaitable[None]],
        *,
        interval: float,
        max_batch: int = 1000,
        key: Callable[[Item], Hashable] | None = None,
        name: str = "items",
        isolate: Callable[[BaseException], bool] | None = None,
    ) -> None:
        self.store = store
        self.isolate = isolate
        self.dropped = 0  # items that could not be stored even alone (logged)
        self.interval = interval
        self.max_batch = max_batch
        self.key = key
        self.name = name
        self.writes = 0  # flushes that stored something
        self._pending: dict[Hashable, Item] = {}  # insertion order; keyed by ``key`` or a count
        self._writing: list[Item] = []  # the batch being stored
        self._count = 0
        self._task: asyncio.Task[None] | None = None
        self._wake: asyncio.Event | None = None
        self._full: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None

    @property
    def pending(self) -> int:
        return len(self._pending)

    def holds(self, match: Callable[[Item], bool]) -> bool:
        """Whether an item ``match`` accepts waits or is being stored (a reader then flushes)."""
        return any(match(i) for i in self._writing) or any(match(i) for i in self._pending.values())

    def add(self, item: Item) -> None:
        """Buffer ``item`` (replacing the waiting one with its key); stored within ``interval``."""
        if self.key is not None:
            k = self.key(item)
            self._pending.pop(k, None)  # the latest goes last
        else:
            self._count += 1
            k = self._count
        self._pending[k] = item
        self._signal()

    async def flush(self) -> None:
        """Store everything buffered so far. On failure the items stay buffered (unless a newer
        one with the same key arrived meanwhile) and the error is raised."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._pending:
                return
            batch, self._pending = self._pending, {}
            self._reset_signals()
            self._writing = list(batch.values())
            try:
                await self.store(self._writing)
                self.writes += 1
            except PartlyStored as exc:
                self._keep(dict(list(batch.items())[exc.done :]))
                if exc.__cause__ is not None:
                    raise exc.__cause__ from None
                raise
            except Exception as exc:
                if self.isolate is None or not self.isolate(exc):
                    self._keep(batch)
                    raise
                await self._one_by_one(batch, exc)
            except BaseException:
                self._keep(batch)
                raise
            finally:
                self._writing = []

    async def _one_by_one(self, batch: dict[Hashable, Item], cause: BaseException) -> None:
        """Store each item alone; drop (log) the ones the store refuses even alone. A store that
        goes away meanwhile keeps the rest buffered."""
        log.warning(
            "%s: a write of %d failed (%r); storing each alone", self.name, len(batch), cause
        )
        items = list(batch.items())
        for i, (_, item) in enumerate(items):
            try:
                await self.store([item])
            except Exception as exc:
                if self.isolate is not None and self.isolate(exc):
                    self.dropped += 1
                    log.error("%s: dropped one the store refuses: %r (%r)", self.name, item, exc)
                    continue
                self._keep(dict(items[i:]))
                raise
        self.writes += 1

    async def close(self) -> None:
        """Stop the background task and store what is left (raises if that fails)."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.flush()

    # -- internals ------------------------------------------------------------------------------

    def _keep(self, batch: dict[Hashable, Item]) -> None:
        """Put ``batch`` back before what was added since (a newer item with its key wins)."""
        kept = dict(batch)
        for k, item in self._pending.items():
            kept.pop(k, None)
            kept[k] = item
        self._pending = kept
        self._signal()

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
            self._task = asyncio.get_running_loop().create_task(self._loop(), name=self.name)

    def _reset_signals(self) -> None:
        wake, full = self._events()
        wake.clear()
        full.clear()

    async def _loop(self) -> None:
        wake, full = self._events()
        while True:
            await wake.wait()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(full.wait(), self.interval)
            try:
                await self.flush()
            except Exception:
                log.exception("could not store %d %s; retrying", self.pending, self.name)
                await asyncio.sleep(self.interval)
