"""Health snapshots written behind, coalesced per station.

Every telemetry or status event refreshes the station's health snapshot. Writing each one at once
cost a MongoDB write per MeterValues (the largest write left on that path); a snapshot is a read
model rebuilt from the station's next samples, so only the latest per station matters. ``put``
keeps the latest snapshot per station; a flush writes all waiting ones in one unordered
``bulk_write`` at most every ``interval`` seconds. Readers in this process call ``flush`` first, so
they never see an older snapshot than the one computed; another node's readers see it at most
``interval`` (plus one write) late, and a crash loses at most that much of a read model the next
sample rebuilds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from beanie import PydanticObjectId

from domain.diagnostics import repository as repo
from domain.diagnostics.models import StationHealth

log = logging.getLogger(__name__)


class HealthWriter:
    def __init__(self, *, interval: float = 0.5) -> None:
        self.interval = interval
        self._pending: dict[PydanticObjectId, StationHealth] = {}
        self._task: asyncio.Task[None] | None = None
        self._lock: asyncio.Lock | None = None
        self.writes = 0  # bulk writes issued (for tests and the curious)

    @property
    def pending(self) -> int:
        return len(self._pending)

    def put(self, health: StationHealth) -> None:
        """Keep ``health`` as the station's latest snapshot; it is written within ``interval``."""
        self._pending[health.station_id] = health
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._later(), name="health-writer")

    async def _later(self) -> None:
        await asyncio.sleep(self.interval)
        try:
            await self.flush()
        except Exception:  # kept pending: the next put or flush tries again
            log.exception("could not store %d health snapshots", len(self._pending))

    async def flush(self) -> None:
        """Store every waiting snapshot now. On failure they stay waiting (unless a newer one
        for the station arrived meanwhile) and the error is raised."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if not self._pending:
                return
            batch, self._pending = self._pending, {}
            try:
                await repo.save_healths(list(batch.values()))
                self.writes += 1
            except BaseException:
                for sid, health in batch.items():
                    self._pending.setdefault(sid, health)
                raise

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self.flush()
