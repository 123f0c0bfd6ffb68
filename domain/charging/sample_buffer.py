"""Meter samples buffered off the answer path of MeterValues (part of ``ChargingStore``).

OCPP 1.6 MeterValues is not a transaction message: its samples may be answered before they are
stored. ``add`` decides at once which samples are new (a retried message sends the same keys again:
those buffered or stored lately are dropped) and buffers them in a ``WriteBehind``: stored every
``interval`` seconds or once ``max_batch`` wait. A flush drops keys the database already holds
(one query for the whole batch, e.g. samples a process before a restart stored) and inserts the
rest with one ``insert_many``. Whoever needs the samples stored awaits ``flush()`` (the store does
before it reads samples, and before a stop is billed); a failed flush keeps its batch.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from beanie import PydanticObjectId

from domain.charging import sample_repository as sample_repo
from domain.charging.metering import SampledValue
from domain.common.batching import WriteBehind


@dataclass(frozen=True)
class BufferedSample:
    key: str
    org_id: PydanticObjectId
    station_id: PydanticObjectId
    connector_id: int
    transaction_id: str | None
    sample: SampledValue


class SampleBuffer:
    def __init__(
        self, *, interval: float = 0.1, max_batch: int = 1000, remember: int = 20_000
    ) -> None:
        """``remember``: how many recent sample keys are kept to skip a retried message without
        buffering it again (~180 bytes each). A retry older than that is still caught: every flush
        asks the store which keys it holds already. 20,000 covers about ten seconds of 10,000
        stations' meter values (the 200,000 kept before grew a soak's memory for half an hour)."""
        self.remember = remember
        self._recent: OrderedDict[str, None] = OrderedDict()  # keys buffered or stored lately
        self._writes: WriteBehind[BufferedSample] = WriteBehind(
            _write, interval=interval, max_batch=max_batch, name="buffered meter samples"
        )

    @property
    def interval(self) -> float:
        return self._writes.interval

    @interval.setter
    def interval(self, seconds: float) -> None:
        self._writes.interval = seconds

    @property
    def pending(self) -> int:
        return self._writes.pending

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
        keyed: Sequence[tuple[str, SampledValue]],
    ) -> list[SampledValue]:
        """Buffer the samples whose key is not buffered or stored lately; return those."""
        fresh = [(k, s) for k, s in dict(keyed).items() if k not in self._recent]
        if not fresh:
            return []
        self.remember_keys([k for k, _ in fresh])
        for k, s in fresh:
            self._writes.add(BufferedSample(k, org_id, station_id, connector_id, transaction_id, s))
        return [s for _, s in fresh]

    async def flush(self) -> None:
        """Store everything buffered so far (and whatever a failed flush left)."""
        await self._writes.flush()

    async def close(self) -> None:
        await self._writes.close()


async def _write(batch: list[BufferedSample]) -> None:
    keys = [b.key for b in batch]
    start = min(b.sample.at for b in batch)
    end = max(b.sample.at for b in batch)
    stored = await sample_repo.existing_sample_keys_any(keys, start, end)
    await sample_repo.insert_buffered_samples([b for b in batch if b.key not in stored])
