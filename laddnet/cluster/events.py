"""``MongoEventBus``: the ``EventBus`` of a node in a cluster.

``publish`` delivers to this node's subscribers at once (as ``InProcessEventBus`` does) and queues
the event for the ``events`` collection; a writer task inserts the queue in batches. Every node
tails the collection with one change stream that leaves out its own documents, so each event
reaches each node's subscribers exactly once: locally when published here, from the stream when
published elsewhere.

Two views:
- ``subscribe`` (GraphQL subscriptions, anything that watches the whole network): every node's
  events.
- ``local`` (workers that act on an event: billing, diagnostics): only the events published on
  this node. Every event is published on exactly one node, so a worker running on every node
  handles each event once in the cluster, on the node that produced it (for station events: the
  node holding the station, where diagnostics keeps that station's memory).

The ``events`` collection keeps a document for ``ttl_seconds`` (a TTL index on ``created_at``): long
enough for a node to resume its change stream after a short outage, short enough to stay small.
``publish`` stays synchronous and cheap: the outbox is bounded and, when MongoDB cannot keep up,
drops its oldest events (and says how many) rather than slow a charge point down.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, OperationFailure, PyMongoError

from domain.common.clock import utcnow
from domain.common.events import DomainEvent, EventFilter, InProcessEventBus
from laddnet.cluster.codec import DecodeError, decode_event, encode_event

log = logging.getLogger(__name__)

CHANGE_STREAM_HISTORY_LOST = 286
DUPLICATE_KEY = 11000


class MongoEventBus:
    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        node_id: str,
        *,
        ttl_seconds: int = 3600,
        outbox_size: int = 10_000,
        batch_size: int = 500,
    ) -> None:
        self.collection = collection
        self.node_id = node_id
        self.ttl_seconds = ttl_seconds
        self.batch_size = batch_size
        self.local = InProcessEventBus()  # events published on this node
        self._all = InProcessEventBus()  # every node's events
        self._outbox: deque[DomainEvent] = deque()
        self._outbox_size = outbox_size
        self._wake = asyncio.Event()
        self._closing = False
        self.dropped = 0  # events that never reached the collection (outbox overflow, bad value)
        self.received = 0  # events delivered from other nodes

    @property
    def subscriber_count(self) -> int:
        return self._all.subscriber_count

    def publish(self, event: DomainEvent) -> None:
        self.local.publish(event)
        self._all.publish(event)
        if len(self._outbox) >= self._outbox_size:
            self._outbox.popleft()
            self.dropped += 1
            if self.dropped in (1, 10, 100) or self.dropped % 1000 == 0:
                log.warning("event relay is behind: %d events not relayed so far", self.dropped)
        self._outbox.append(event)
        self._wake.set()

    def subscribe(
        self, accept: EventFilter, *, maxsize: int = 1000
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[DomainEvent]]:
        return self._all.subscribe(accept, maxsize=maxsize)

    # -- from the collection ---------------------------------------------------------------------

    def _deliver(self, document: dict[str, Any]) -> None:
        try:
            event = decode_event(document)
        except DecodeError as exc:
            log.warning("skipped a relayed event from node %s: %s", document.get("origin"), exc)
            return
        self.received += 1
        self._all.publish(event)

    async def _tail(self, ready: asyncio.Event) -> None:
        pipeline = [
            {"$match": {"operationType": "insert", "fullDocument.origin": {"$ne": self.node_id}}}
        ]
        token: Any = None
        while True:
            try:
                async with await self.collection.watch(pipeline, resume_after=token) as stream:
                    ready.set()
                    async for change in stream:
                        token = stream.resume_token
                        self._deliver(change["fullDocument"])
            except OperationFailure as exc:
                if exc.code == CHANGE_STREAM_HISTORY_LOST:
                    log.warning("event stream history lost: events in between were missed")
                    token = None
                else:
                    log.warning("event stream failed (%s); reopening", exc)
                await asyncio.sleep(1.0)
            except PyMongoError as exc:
                log.warning("event stream interrupted (%s); resuming", exc)
                await asyncio.sleep(1.0)

    # -- to the collection -----------------------------------------------------------------------

    def _next_batch(self) -> list[dict[str, Any]]:
        batch: list[dict[str, Any]] = []
        now = utcnow()
        while self._outbox and len(batch) < self.batch_size:
            event = self._outbox.popleft()
            try:
                doc = encode_event(event)
            except (TypeError, ValueError) as exc:
                self.dropped += 1
                log.error("cannot relay %s: %s", type(event).__name__, exc)
                continue
            doc.update(_id=ObjectId(), origin=self.node_id, created_at=now)
            batch.append(doc)
        return batch

    async def _insert(self, batch: list[dict[str, Any]]) -> None:
        try:
            await self.collection.insert_many(batch, ordered=False)
        except BulkWriteError as exc:  # a retried batch: the ones already in are duplicates
            refused = [
                e for e in exc.details.get("writeErrors", []) if e.get("code") != DUPLICATE_KEY
            ]
            if refused:  # MongoDB will not take these documents: retrying would not help
                self.dropped += len(refused)
                log.error("MongoDB refused %d relayed events: %s", len(refused), refused[0])

    async def _write(self) -> None:
        pending: list[dict[str, Any]] = []
        while True:
            if not pending:
                pending = self._next_batch()
            if not pending:
                if self._closing:
                    return
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                await self._insert(pending)
                pending = []
            except PyMongoError as exc:
                if self._closing:
                    self.dropped += len(pending)
                    log.warning("stopping with %d events not relayed: %s", len(pending), exc)
                    return
                log.warning("event relay write failed (%s); retrying", exc)
                await asyncio.sleep(0.5)

    @contextlib.asynccontextmanager
    async def running(self, start_timeout: float = 10.0) -> AsyncIterator[None]:
        """Tail the collection and write the outbox until the block ends; the outbox is flushed
        (for up to ``start_timeout`` seconds) before it returns."""
        await self.collection.create_indexes(
            [IndexModel([("created_at", ASCENDING)], expireAfterSeconds=self.ttl_seconds)]
        )
        ready = asyncio.Event()
        tail = asyncio.create_task(self._tail(ready), name="cluster-events-tail")
        self._closing = False
        writer = asyncio.create_task(self._write(), name="cluster-events-writer")
        try:
            waiting = asyncio.create_task(ready.wait())
            done, _ = await asyncio.wait(
                {waiting, tail}, timeout=start_timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if waiting not in done:
                waiting.cancel()
                raise RuntimeError("could not open the event change stream (is it a replica set?)")
            yield
        finally:
            self._closing = True
            self._wake.set()
            try:
                await asyncio.wait_for(writer, start_timeout)
            except TimeoutError:
                log.warning("%d events not relayed at stop", len(self._outbox))
            tail.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await tail
