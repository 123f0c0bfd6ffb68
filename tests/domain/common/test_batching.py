"""The two batching primitives on their own (no database). GroupCommit: who shares a flush, in
what order, and how a failed flush (or one failed item) reaches its callers. WriteBehind: what a
failed or partly stored flush keeps, and in what order."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import pytest

from domain.common.batching import (
    GroupCommit,
    PartlyStored,
    WriteBatchFailed,
    WriteBehind,
    about_the_data,
)


async def until(condition: Callable[[], bool]) -> None:
    for _ in range(100):
        if condition():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


class Store:
    """Records each flush; fails the flushes whose items include a poisoned one."""

    def __init__(self, delay: float = 0.0) -> None:
        self.flushes: list[list[int]] = []
        self.stored: list[int] = []
        self.delay = delay
        self.gate: asyncio.Event | None = None

    async def flush(self, items: Sequence[int]) -> list[int]:
        self.flushes.append(list(items))
        if self.gate is not None:
            await self.gate.wait()
        await asyncio.sleep(self.delay)
        if any(i < 0 for i in items):
            raise ConnectionError("store went away")
        self.stored.extend(items)
        return [i * 10 for i in items]


async def test_callers_at_once_share_one_flush_and_get_their_own_result() -> None:
    store = Store()
    commits: GroupCommit[int, int] = GroupCommit(store.flush)
    results = await asyncio.gather(*(commits.submit(i) for i in range(50)))
    assert results == [i * 10 for i in range(50)]
    assert store.flushes == [list(range(50))]


async def test_writes_arriving_during_a_flush_go_together_in_the_next_in_order() -> None:
    store = Store()
    store.gate = asyncio.Event()
    commits: GroupCommit[int, int] = GroupCommit(store.flush)
    first = asyncio.ensure_future(commits.submit(0))
    await until(lambda: bool(store.flushes))  # the first flush starts at once, alone
    assert store.flushes == [[0]]
    later = [asyncio.ensure_future(commits.submit(i)) for i in range(1, 6)]
    await asyncio.sleep(0.01)
    assert store.flushes == [[0]] and commits.pending == 5  # waiting for the running flush
    store.gate.set()
    assert await first == 0
    assert await asyncio.gather(*later) == [10, 20, 30, 40, 50]
    assert store.flushes == [[0], [1, 2, 3, 4, 5]]
    assert store.stored == [0, 1, 2, 3, 4, 5]


async def test_a_flush_holds_at_most_max_batch() -> None:
    store = Store()
    commits: GroupCommit[int, int] = GroupCommit(store.flush, max_batch=4)
    await asyncio.gather(*(commits.submit(i) for i in range(10)))
    assert store.flushes == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    with pytest.raises(ValueError):
        GroupCommit(store.flush, max_batch=0)


async def test_a_failed_flush_fails_every_caller_in_it_and_the_next_flush_goes_on() -> None:
    store = Store()
    store.gate = asyncio.Event()
    commits: GroupCommit[int, int] = GroupCommit(store.flush, name="test writes")
    blocker = asyncio.ensure_future(commits.submit(100))
    await until(lambda: bool(store.flushes))
    poisoned = [asyncio.ensure_future(commits.submit(i)) for i in (1, -1, 2)]
    await asyncio.sleep(0)
    store.gate.set()
    assert await blocker == 1000
    outcomes = await asyncio.gather(*poisoned, return_exceptions=True)
    assert all(isinstance(o, WriteBatchFailed) for o in outcomes), outcomes
    assert all(isinstance(o.__cause__, ConnectionError) for o in outcomes)  # type: ignore[union-attr]
    assert "test writes" in str(outcomes[0]) and "took no effect" in str(outcomes[0])
    assert store.stored == [100]  # nothing of the failed flush counts as stored
    assert await commits.submit(3) == 30  # the store is back: the next flush goes on
    assert store.stored == [100, 3]


async def test_a_caller_that_gives_up_does_not_stop_its_write() -> None:
    store = Store(delay=0.02)
    commits: GroupCommit[int, int] = GroupCommit(store.flush)
    waiting = asyncio.ensure_future(commits.submit(7))
    await asyncio.sleep(0.005)
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting
    await commits.drain()
    assert store.stored == [7]


async def test_one_failing_item_fails_only_its_caller() -> None:
    async def run(items: Sequence[int]) -> list[int | BaseException]:
        return [ValueError(i) if i == 2 else i * 10 for i in items]

    rounds: GroupCommit[int, int] = GroupCommit(run)
    outcomes = await asyncio.gather(*(rounds.submit(i) for i in range(4)), return_exceptions=True)
    assert outcomes[:2] == [0, 10] and outcomes[3] == 30
    assert isinstance(outcomes[2], ValueError)
    assert rounds.flushes == 1


async def test_unwrapped_a_failed_flush_raises_the_stores_own_error() -> None:
    store = Store()
    commits: GroupCommit[int, int] = GroupCommit(store.flush, wrap=False)
    outcomes = await asyncio.gather(*(commits.submit(i) for i in (1, -1)), return_exceptions=True)
    assert all(isinstance(o, ConnectionError) for o in outcomes), outcomes


class Shelf:
    """A WriteBehind's store: keeps what it stores; fails while ``down``; stores only the first
    ``partly`` items of a batch when that is set (and says so)."""

    def __init__(self) -> None:
        self.stored: list[int] = []
        self.down = False
        self.partly: int | None = None

    async def store(self, batch: list[int]) -> None:
        if self.down:
            raise ConnectionError("store away")
        if self.partly is not None:
            self.stored.extend(batch[: self.partly])
            raise PartlyStored(self.partly) from ValueError("refused")
        self.stored.extend(batch)


async def test_write_behind_stores_later_in_one_write_and_keeps_order_on_failure() -> None:
    shelf = Shelf()
    writes: WriteBehind[int] = WriteBehind(shelf.store, interval=60)
    for i in range(3):
        writes.add(i)
    assert writes.pending == 3 and shelf.stored == []
    shelf.down = True
    with pytest.raises(ConnectionError):
        await writes.flush()
    writes.add(3)  # arrives after the failed flush: stays behind what it kept
    assert writes.pending == 4
    shelf.down = False
    shelf.partly = 1
    with pytest.raises(ValueError):
        await writes.flush()
    assert shelf.stored == [0] and writes.pending == 3  # the rest kept, in order
    shelf.partly = None
    await writes.close()
    assert shelf.stored == [0, 1, 2, 3] and writes.writes == 1


async def test_write_behind_isolates_a_poison_item_and_never_retries_it() -> None:
    stored: list[int] = []

    async def store(batch: list[int]) -> None:
        if -1 in batch:
            raise OverflowError("the store cannot hold -1")
        stored.extend(batch)

    writes: WriteBehind[int] = WriteBehind(store, interval=60, isolate=about_the_data)
    for i in (1, -1, 2):
        writes.add(i)
    await writes.flush()  # no error: the poison one is dropped, the others stored
    assert stored == [1, 2] and writes.dropped == 1 and writes.pending == 0
    writes.add(3)
    await writes.close()
    assert stored == [1, 2, 3]


async def test_group_commit_isolates_a_poison_item_but_not_an_unreachable_store() -> None:
    async def flush(items: Sequence[int]) -> list[int]:
        if -1 in items:
            raise OverflowError("the store cannot hold -1")
        if -2 in items:
            raise ConnectionError("store went away")
        return [i * 10 for i in items]

    commits: GroupCommit[int, int] = GroupCommit(flush, isolate=about_the_data)
    outcomes = await asyncio.gather(
        *(commits.submit(i) for i in (1, -1, 2)), return_exceptions=True
    )
    assert outcomes[0] == 10 and outcomes[2] == 20
    assert isinstance(outcomes[1], WriteBatchFailed)
    assert isinstance(outcomes[1].__cause__, OverflowError)
    outcomes = await asyncio.gather(
        *(commits.submit(i) for i in (3, -2, 4)), return_exceptions=True
    )
    assert all(isinstance(o, WriteBatchFailed) for o in outcomes)  # nobody's write is stored
