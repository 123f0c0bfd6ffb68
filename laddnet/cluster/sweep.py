"""The dead-node sweep: stations a crashed OCPP node left marked online are closed out.

A single OCPP node closes out what a previous run left online when it starts. In a cluster a
starting node must not do that (other live nodes hold stations), so one node at a time (the holder
of the cluster's lease) looks for stations held by nodes that have stopped beating and closes each
out from its last sign of life, exactly as the single-node start does: the outage counts against
uptime until the station reconnects to a live node.

A node counts as dead here only after ``silent_after`` seconds without a heartbeat (longer than the
command relay's 15 s: a node whose event loop is merely busy, say in a boot storm, must not have its
stations closed out under it) or when its document is gone (a clean stop deletes it after closing
its connections; MongoDB's TTL removes a crashed node's within the hour).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from domain.common.clock import utcnow
from domain.network.models import Station
from domain.network.service import NetworkService
from laddnet.cluster.commands import holder_node

log = logging.getLogger(__name__)


async def sweep_dead_nodes(
    network: NetworkService, nodes: AsyncCollection[dict[str, Any]], *, silent_after: float = 60.0
) -> int:
    """Close out every station held by a dead node; returns how many were closed out."""
    holders = await Station.get_pymongo_collection().distinct("node_id", {"online": True})
    candidates = {n for n in (holder_node(h) for h in holders) if n}
    if not candidates:
        return 0
    since = utcnow() - timedelta(seconds=silent_after)
    alive = {
        doc["_id"]
        async for doc in nodes.find(
            {"_id": {"$in": sorted(candidates)}, "seen_at": {"$gte": since}}, {"_id": 1}
        )
    }
    closed = 0
    for dead in sorted(candidates - alive):
        count = await network.reset_connectivity(dead + "/")
        if count:
            log.warning("node %s stopped beating: closed out %d of its stations", dead, count)
        closed += count
    return closed
