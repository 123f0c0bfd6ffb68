"""A named lease in ``cluster_leases``: at most one live node holds it at a time.

Work that must run once per cluster rather than once per node (the periodic diagnostics check, the
payment retry round, the dead-node sweep) runs only on the holder. The holder renews the lease every
``renew_every`` seconds; a node that stops renewing (crashed, cut off from MongoDB) loses it when
``ttl`` has passed and the next node to ask takes it over. Expiry is judged by MongoDB's clock
(``$$NOW``), never by the nodes' own, so clock skew between machines cannot give two holders.

Acquiring is one conditional update: its filter matches the lease document only when this node
holds it or it has expired (``$expr`` against ``$$NOW``), so of two nodes asking at once exactly one
matches. (MongoDB refuses ``$expr`` in an upsert's filter, so the document is created, expired, the
first time a lease name is used.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError, PyMongoError

log = logging.getLogger(__name__)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Lease:
    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        name: str,
        node_id: str,
        *,
        ttl: float = 15.0,
        renew_every: float = 5.0,
    ) -> None:
        if renew_every >= ttl:
            raise ValueError("a lease must be renewed well before it expires")
        self.collection = collection
        self.name = name
        self.node_id = node_id
        self.ttl = ttl
        self.renew_every = renew_every
        self._held_until: float | None = None  # loop time up to which this node may act

    @property
    def held(self) -> bool:
        """True while this node holds the lease by its last successful renewal. The local margin
        (renewed at ``t``, trusted until ``t + ttl - renew_every``) keeps a slow renewal from
        overlapping the next holder."""
        loop = asyncio.get_running_loop()
        return self._held_until is not None and loop.time() < self._held_until

    async def acquire(self) -> bool:
        """Take or renew the lease; False when another node holds an unexpired one."""
        loop = asyncio.get_running_loop()
        asked = loop.time()
        taken = await self._take()
        if not taken:
            # First use of this lease name: create it expired (a duplicate means another node
            # just did), then ask again.
            with contextlib.suppress(DuplicateKeyError):
                await self.collection.insert_one(
                    {"_id": self.name, "holder": None, "expires_at": EPOCH}
                )
            taken = await self._take()
        self._held_until = asked + self.ttl - self.renew_every if taken else None
        return taken

    async def _take(self) -> bool:
        result = await self.collection.update_one(
            {
                "_id": self.name,
                "$expr": {
                    "$or": [
                        {"$eq": ["$holder", self.node_id]},
                        {"$lt": ["$expires_at", "$$NOW"]},
                    ]
                },
            },
            [
                {
                    "$set": {
                        "holder": self.node_id,
                        "expires_at": {"$add": ["$$NOW", int(self.ttl * 1000)]},
                    }
                }
            ],
        )
        return result.matched_count == 1

    async def release(self) -> None:
        """Give the lease up at once (a clean stop), so another node need not wait for expiry."""
        self._held_until = None
        await self.collection.update_one(
            {"_id": self.name, "holder": self.node_id},
            {"$set": {"holder": None, "expires_at": EPOCH}},
        )

    async def _renewing(self) -> None:
        while True:
            try:
                was = self.held
                now_held = await self.acquire()
                if now_held and not was:
                    log.info("this node now runs the cluster's periodic work (%s)", self.name)
            except PyMongoError as exc:  # MongoDB away: not held until a renewal succeeds
                self._held_until = None
                log.warning("lease %s could not be renewed: %s", self.name, exc)
            await asyncio.sleep(self.renew_every)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._renewing(), name=f"lease-{self.name}")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            try:
                await self.release()
            except PyMongoError as exc:
                log.warning("could not release lease %s: %s", self.name, exc)


def only_while_held(
    lease: Lease, job: Callable[[], Awaitable[Any]]
) -> Callable[[], Awaitable[None]]:
    """``job`` wrapped to do nothing on nodes that do not hold ``lease``."""

    async def gated() -> None:
        if lease.held:
            await job()

    gated.__qualname__ = getattr(job, "__qualname__", "job")
    return gated
