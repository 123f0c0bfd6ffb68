"""OCPP 1.6 transaction ids, handed out without a database round trip per start.

A 1.6 ``transactionId`` is an integer the CSMS chooses (32-bit in the specification's data types);
it has to be unique per station only. The ids come from one global sequence (as a relational
CSMS uses its table's auto-increment key), reserved in blocks of ``block``: one round trip per
block, not per start. Several nodes reserve disjoint blocks, so ids never repeat; they rise per
node but not across nodes, and a restart leaves the rest of its block unused (gaps are harmless).

Databases written before the global sequence hold per-station sequences; the first reservation
that creates the global sequence starts it above the highest of them. The unique index on
(station, transactionId) stays the guard: an id that clashes anyway is skipped by the caller.
"""

from __future__ import annotations

import asyncio

from beanie import PydanticObjectId

from domain.charging import repository as repo

SEQUENCE = "transaction"
MAX_ID = 2**31 - 1  # OCPP 1.6 integer: 32 bit signed


class TransactionIds:
    def __init__(self, *, block: int = 100) -> None:
        if block < 1:
            raise ValueError("block must be positive")
        self.block = block
        self._next = 1
        self._last = 0  # _next > _last: nothing reserved
        self._lock: asyncio.Lock | None = None

    async def next(self) -> int:
        if self._next > self._last:
            if self._lock is None:
                self._lock = asyncio.Lock()
            async with self._lock:
                if self._next > self._last:
                    await self._reserve()
        value = self._next
        self._next += 1
        return value

    async def _reserve(self) -> None:
        last = await repo.reserve_sequence(SEQUENCE, self.block)
        if last == self.block:  # this reservation created the sequence: go past the old ones
            floor = await repo.highest_station_sequence(SEQUENCE)
            if floor >= last - self.block + 1:
                await repo.raise_sequence_to(SEQUENCE, floor)
                last = await repo.reserve_sequence(SEQUENCE, self.block)
        if last > MAX_ID:
            raise RuntimeError("the transaction id sequence passed the 32-bit range")
        self._next, self._last = last - self.block + 1, last


async def next_remote_start_id(station_id: PydanticObjectId) -> int:
    """The station's next 2.0.1 remoteStartId (a per-station sequence; 1.6 ignores it)."""
    return await repo.next_sequence(station_id, "remote_start")
