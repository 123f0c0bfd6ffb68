"""The server's garbage housekeeping: survivors frozen out of the collector's way, and a periodic
sweep that still frees reference cycles that became garbage while frozen."""

from __future__ import annotations

import asyncio
import gc
import weakref

from laddnet.serve import garbage_housekeeping


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector can free it


async def test_frozen_cycles_wait_for_the_sweep_and_the_sweep_frees_them() -> None:
    gc.unfreeze()
    try:
        node = Node()
        ref = weakref.ref(node)
        freezing = asyncio.create_task(garbage_housekeeping(freeze_every=0.02, sweep_every=3600))
        await asyncio.sleep(0.1)
        freezing.cancel()
        assert gc.get_freeze_count() > 0
        del node
        gc.collect()
        assert ref() is not None  # frozen: invisible to collections until the sweep

        sweeping = asyncio.create_task(garbage_housekeeping(freeze_every=0.02, sweep_every=0))
        await asyncio.sleep(0.1)
        sweeping.cancel()
        assert ref() is None
    finally:
        gc.unfreeze()
