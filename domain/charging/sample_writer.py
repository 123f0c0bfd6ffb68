"""Meter samples written in batches, off the answer path of MeterValues.

OCPP 1.6 MeterValues is not a transaction message: its samples may be answered before they are
stored. ``SampleWriter.add`` decides at once which samples are new (a retried message sends the
same keys again: those already buffered or recently stored are dropped) and buffers them; a
background task flushes the buffer every ``interval`` seconds or once ``max_batch`` samples wait.
A flush drops keys the database already holds (one query for the whole batch, e.g. samples a
process before a restart stored) and inserts the rest with one unordered ``insert_many``.

Whoever needs the samples stored awaits ``flush()``: a StopTransaction or an Ended
TransactionEvent before billing, readers of samples (the repository calls ``flush_pending``), and
``close()`` on shutdown. A failed flush keeps its batch and is retried by the next one.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from beanie import PydanticObjectId

from domain.charging import repository as repo
from domain.charging import sample_repository as sample_repo
from domain.charging.batched import BatchedWriter
from domain.charging.metering import Sample

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BufferedSample:
    key: str
    org_id: PydanticObjectId
    station_id: PydanticObjectId
    connector_id: int
    transaction_id: str | None
    sample: Sample


class SampleWriter(BatchedWriter[BufferedSample]):
    what = "buffered meter samples"

    def __init__(
        self, *, interval: float = 0.1, max_batch: int = 1000, remember: int = 20_000
    ) -> None:
        """``remember``: how many recent sample keys are kept to skip a retried message without
        buffering it again (~180 bytes each). A retry older than that is still caught: every flush
        asks the store which keys it holds already. 20,000 covers about ten seconds of 10,000
        stations' meter values (the 200,000 kept before grew a soak's memory for half an hour)."""
        super().__init__(interval=interval, max_batch=max_batch)
        self.remember = remember
        self._recent: OrderedDict[str, None] = OrderedDict()  # keys buffered or stored lately
        repo.track_pending_writes(self)

    def seen(self, keys: Sequence[str]) -> set[str]:
        """The keys among ``keys`` buffered or stored by this process lately."""
        return {k for k in keys if k in self._recent}

    def remember_keys(self, keys: Sequence[str]) -> None:
        for key in keys:
            self._recent[key] = None
            self._recent.move_to_end(key)
        while len(self._recent) > self.remember:
            self._recent.popitem(last=False)

    def add(
        self,
        org_id: PydanticObjectId,
        station_id: PydanticObjectId,
        connector_id: int,
        transaction_id: str | None,
        keyed: Sequence[tuple[str, Sample]],
    ) -> list[Sample]:
        """Buffer the samples whose key is not buffered or stored lately; return those."""
        fresh = [(k, s) for k, s in dict(keyed).items() if k not in self._recent]
        if not fresh:
            return []
        self.remember_keys([k for k, _ in fresh])
        self._pending.extend(
            BufferedSample(k, org_id, station_id, connector_id, transaction_id, s) for k, s in fresh
        )
        self._signal()
        return [s for _, s in fresh]

    async def flush(self) -> None:
        """Store everything buffered so far (and whatever a failed flush left)."""
        async with self._flush_lock():
            if not self._pending:
                return
            batch, self._pending = self._pending, []
            self._reset_signals()
            try:
                await self._write(batch)
            except BaseException:
                self._pending[:0] = batch
                self._signal()
                raise

    # -- internals ------------------------------------------------------------------------------

    async def _write(self, batch: list[BufferedSample]) -> None:
        keys = [b.key for b in batch]
        start = min(b.sample.at for b in batch)
        end = max(b.sample.at for b in batch)
        stored = await sample_repo.existing_sample_keys_any(keys, start, end)
        await sample_repo.insert_buffered_samples([b for b in batch if b.key not in stored])
