"""The running session's meter update, written behind off the answer path of MeterValues (part of
``ChargingStore``).

MeterValues is not a transaction message: its samples are answered before they are stored (see
``sample_buffer``), and so is the session's running update (energy, power, flags) it causes. The
recorder applies the update to the store's in-memory copy of the session and publishes
``SessionUpdated`` from it at once; ``add`` queues the same update as one operation of the next
batch. A ``WriteBehind`` writes the batch every ``interval`` seconds or once ``max_batch``
operations wait, with one ordered ``bulk_write`` (one command for the whole batch), so one
session's updates are applied in the order they arrived.

Loss window: what was queued and not yet written (at most ``interval`` seconds plus one write; the
samples' window is the same) is lost if the process dies. Nothing a transaction message answered
depends on it: the store flushes the pending updates of a session before it reads or replaces it.

A failed write keeps its operations, in order, for the next flush and raises to whoever awaited
the flush; an operation the database refuses as such (a write error, not a lost connection) is
dropped and logged, so it cannot block every later update, and the ones after it are kept.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo.errors import BulkWriteError

from domain.charging import session_repository as session_repo
from domain.charging.recording import MeterUpdate
from domain.common.batching import PartlyStored, WriteBehind

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueuedUpdate:
    session_id: PydanticObjectId
    station_id: PydanticObjectId
    update: MeterUpdate
    at: datetime
    query: dict[str, Any]  # which stored session it applies to (by default: session_id)


class SessionUpdateWriter:
    def __init__(self, *, interval: float = 0.1, max_batch: int = 1000) -> None:
        self.dropped = 0  # operations the database refused (logged)
        self._writes: WriteBehind[QueuedUpdate] = WriteBehind(
            self._write, interval=interval, max_batch=max_batch, name="session meter updates"
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

    def has_pending(
        self,
        session_id: PydanticObjectId | None = None,
        station_id: PydanticObjectId | None = None,
    ) -> bool:
        """Whether an update of that session (or of a session of that station; neither given:
        any update) is queued or being written."""
        if session_id is not None:
            return self._writes.holds(lambda q: q.session_id == session_id)
        if station_id is not None:
            return self._writes.holds(lambda q: q.station_id == station_id)
        return self._writes.holds(lambda q: True)

    def add(
        self,
        session_id: PydanticObjectId,
        station_id: PydanticObjectId,
        update: MeterUpdate,
        at: datetime,
        *,
        query: dict[str, Any] | None = None,
    ) -> None:
        """Queue ``update`` of the session (``query`` finds it when written; by default its id)."""
        where = query if query is not None else {"_id": session_id}
        self._writes.add(QueuedUpdate(session_id, station_id, update, at, where))

    async def flush(self) -> None:
        """Write everything queued so far (and whatever a failed flush left), in order."""
        await self._writes.flush()

    async def close(self) -> None:
        await self._writes.close()

    async def _write(self, batch: list[QueuedUpdate]) -> None:
        try:
            await session_repo.bulk_meter_updates(
                [session_repo.meter_update_op(q.query, q.update, q.at) for q in batch]
            )
        except BulkWriteError as exc:
            failed = _first_failed(exc)
            if failed is None:
                raise
            # refused as such: drop it, keep what follows (ordered: nothing after it was written)
            self.dropped += 1
            log.error("meter update of session %s refused: %s", batch[failed], exc)
            raise PartlyStored(failed + 1) from exc


def _first_failed(exc: BulkWriteError) -> int | None:
    errors = (exc.details or {}).get("writeErrors") or []
    if not errors:
        return None
    return min(int(e.get("index", 0)) for e in errors)
