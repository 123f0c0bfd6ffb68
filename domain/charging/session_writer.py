"""The running session's meter update, written in batches off the answer path of MeterValues.

MeterValues is not a transaction message: its samples are answered before they are stored (see
``sample_writer``), and so is the session's running update (energy, power, flags) it causes. The
service applies the update to its in-memory copy of the session (``RunningSessions``) and publishes
``SessionUpdated`` from it at once; ``SessionWriter.add`` queues the same update as one operation
of the next batch. A background task writes the batch every ``interval`` seconds or once
``max_batch`` operations wait, with one ordered ``bulk_write`` (one command for the whole batch),
so one session's updates are applied in the order they arrived.

Loss window: what was queued and not yet written (at most ``interval`` seconds plus one write; the
samples' window is the same) is lost if the process dies. Nothing a transaction message answered
depends on it: a stop or a TransactionEvent flushes the station's pending updates before it reads
the session, and every repository read of a session flushes the updates of what it reads first.

A failed write keeps its operations, in order, for the next flush and raises to whoever awaited
the flush; an operation the database refuses as such (a write error, not a lost connection) is
dropped and logged, so it cannot block every later update, and the ones after it are kept.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo.errors import BulkWriteError

from domain.charging import repository as repo
from domain.charging.batched import BatchedWriter
from domain.charging.models import ChargingSession
from domain.charging.recording import MeterUpdate
from domain.charging.state import RUNNING

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueuedUpdate:
    session_id: PydanticObjectId
    station_id: PydanticObjectId
    update: MeterUpdate
    at: datetime
    query: dict[str, Any]  # which stored session it applies to (by default: session_id)


class SessionWriter(BatchedWriter[QueuedUpdate]):
    what = "session meter updates"

    def __init__(self, *, interval: float = 0.1, max_batch: int = 1000) -> None:
        super().__init__(interval=interval, max_batch=max_batch)
        self.dropped = 0  # operations the database refused (logged)
        self._sessions: Counter[PydanticObjectId] = Counter()  # queued or being written
        self._stations: Counter[PydanticObjectId] = Counter()
        repo.track_session_writes(self)

    def has_pending(
        self,
        session_id: PydanticObjectId | None = None,
        station_id: PydanticObjectId | None = None,
    ) -> bool:
        """Whether an update of that session (or of a session of that station; neither given:
        any update) is queued or being written."""
        if session_id is not None:
            return self._sessions[session_id] > 0
        if station_id is not None:
            return self._stations[station_id] > 0
        return bool(self._sessions)

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
        self._pending.append(QueuedUpdate(session_id, station_id, update, at, where))
        self._sessions[session_id] += 1
        self._stations[station_id] += 1
        self._signal()

    async def flush(self) -> None:
        """Write everything queued so far (and whatever a failed flush left), in order."""
        async with self._flush_lock():
            if not self._pending:
                return
            batch, self._pending = self._pending, []
            self._reset_signals()
            done = 0
            try:
                await repo.bulk_meter_updates(
                    [repo.meter_update_op(q.query, q.update, q.at) for q in batch]
                )
                done = len(batch)
            except BulkWriteError as exc:
                failed = _first_failed(exc)
                if failed is not None:  # refused as such: drop it, keep what follows
                    self.dropped += 1
                    log.error("meter update of session %s refused: %s", batch[failed], exc)
                    done = failed + 1
                self._keep(batch[done:])
                raise
            except BaseException:
                self._keep(batch)
                raise
            finally:
                self._forget(batch[:done])

    # -- internals ------------------------------------------------------------------------------

    def _keep(self, ops: list[QueuedUpdate]) -> None:
        """Put ``ops`` back before anything queued since they were taken: order is kept."""
        self._pending[:0] = ops
        self._signal()

    def _forget(self, ops: list[QueuedUpdate]) -> None:
        for q in ops:
            self._sessions[q.session_id] -= 1
            if self._sessions[q.session_id] <= 0:
                del self._sessions[q.session_id]
            self._stations[q.station_id] -= 1
            if self._stations[q.station_id] <= 0:
                del self._stations[q.station_id]


def _first_failed(exc: BulkWriteError) -> int | None:
    errors = (exc.details or {}).get("writeErrors") or []
    if not errors:
        return None
    return min(int(e.get("index", 0)) for e in errors)


class RunningSessions:
    """This process's copy of the sessions running on its stations, by transaction and by
    connector: what MeterValues updates in memory instead of reading the session each time.

    Every write the service makes to a session also updates the copy (or drops it once the
    session is final). A copy is read again from the database after ``refresh`` seconds, so one
    changed elsewhere (e.g. the station was connected to another node meanwhile) is not trusted
    for longer; at most ``capacity`` are kept (the least recently used go first)."""

    def __init__(self, *, refresh: float = 300.0, capacity: int = 50_000) -> None:
        self.refresh = refresh
        self.capacity = capacity
        self._by_tx: OrderedDict[tuple[PydanticObjectId, str], tuple[ChargingSession, float]] = (
            OrderedDict()
        )
        self._by_connector: dict[tuple[PydanticObjectId, int], str] = {}

    def __len__(self) -> int:
        return len(self._by_tx)

    def by_transaction(
        self, station_id: PydanticObjectId, transaction_id: str
    ) -> ChargingSession | None:
        key = (station_id, transaction_id)
        entry = self._by_tx.get(key)
        if entry is None:
            return None
        session, loaded = entry
        if time.monotonic() - loaded > self.refresh:
            self.drop(session)
            return None
        self._by_tx.move_to_end(key)
        return session

    def on_connector(
        self, station_id: PydanticObjectId, connector_id: int
    ) -> ChargingSession | None:
        tx = self._by_connector.get((station_id, connector_id))
        return self.by_transaction(station_id, tx) if tx is not None else None

    def put(self, session: ChargingSession) -> None:
        """Keep ``session`` (as just read or written) while it runs; drop it once it does not."""
        if session.transaction_id is None:
            return
        if session.status not in RUNNING:
            self.drop(session)
            return
        key = (session.station_id, session.transaction_id)
        self._by_tx[key] = (session, time.monotonic())
        self._by_tx.move_to_end(key)
        self._by_connector[(session.station_id, session.connector_id)] = session.transaction_id
        while len(self._by_tx) > self.capacity:
            (_, _), (old, _) = self._by_tx.popitem(last=False)
            self._unlink(old)

    def drop(self, session: ChargingSession) -> None:
        if session.transaction_id is None:
            return
        entry = self._by_tx.pop((session.station_id, session.transaction_id), None)
        self._unlink(entry[0] if entry is not None else session)

    def _unlink(self, session: ChargingSession) -> None:
        key = (session.station_id, session.connector_id)
        if self._by_connector.get(key) == session.transaction_id:
            del self._by_connector[key]
