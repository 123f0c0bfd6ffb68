"""The ``nodes`` collection: one document per running laddnet process, refreshed by a heartbeat.

A node is alive while its ``seen_at`` is younger than ``stale_after``; a clean stop deletes its
document at once, a crashed node just stops beating (and a TTL index removes it within the hour).
The command relay asks here before it addresses a command to the node a station record names.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from pymongo import ASCENDING, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from domain.common.clock import as_utc, utcnow

log = logging.getLogger(__name__)

NODE_TTL_SECONDS = 3600


class NodeDirectory:
    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        node_id: str,
        *,
        roles: tuple[str, ...] = (),
        interval: float = 5.0,
        stale_after: float = 15.0,
    ) -> None:
        self.collection = collection
        self.node_id = node_id
        self.roles = roles
        self.interval = interval
        self.stale_after = stale_after

    async def alive(self, node_id: str) -> bool:
        if node_id == self.node_id:
            return True
        doc = await self.collection.find_one({"_id": node_id}, {"seen_at": 1})
        if doc is None:
            return False
        age = utcnow() - as_utc(doc["seen_at"])
        return age <= timedelta(seconds=self.stale_after)

    async def live_nodes(self) -> list[str]:
        since = utcnow() - timedelta(seconds=self.stale_after)
        return [
            d["_id"] async for d in self.collection.find({"seen_at": {"$gte": since}}, {"_id": 1})
        ]

    async def _beat(self) -> None:
        await self.collection.update_one(
            {"_id": self.node_id},
            {
                "$set": {"seen_at": utcnow(), "roles": list(self.roles)},
                "$setOnInsert": {
                    "started_at": utcnow(),
                    "host": socket.gethostname(),
                    "pid": os.getpid(),
                },
            },
            upsert=True,
        )

    async def _beating(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await self._beat()
            except PyMongoError as exc:  # MongoDB away for a moment: the next beat retries
                log.warning("node heartbeat failed: %s", exc)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        await self.collection.create_indexes(
            [IndexModel([("seen_at", ASCENDING)], expireAfterSeconds=NODE_TTL_SECONDS)]
        )
        await self._beat()
        task = asyncio.create_task(self._beating(), name="cluster-heartbeat")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            try:
                await self.collection.delete_one({"_id": self.node_id})
            except PyMongoError as exc:
                log.warning("could not sign this node off: %s", exc)
