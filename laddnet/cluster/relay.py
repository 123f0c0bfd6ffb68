"""``ClusterRelay``: what a node needs to work beside others on one MongoDB replica set, with one
lifecycle: its heartbeat (``nodes``), the event bus (``events``), the command relay
(``commands``) and the lease that picks the one node running once-per-cluster jobs (``lease``). The composition root builds it when clustering is on and hands ``events`` and
``gateway`` to the services instead of the single-process ones.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from domain.charging.commands import StationGateway
from domain.network import repository as network_repo
from laddnet.cluster.commands import CommandRelay
from laddnet.cluster.events import MongoEventBus
from laddnet.cluster.lease import Lease
from laddnet.cluster.nodes import NodeDirectory

EVENTS = "cluster_events"
COMMANDS = "cluster_commands"
NODES = "cluster_nodes"
LEASES = "cluster_leases"
PERIODIC_WORK = "periodic-work"  # the lease whose holder runs the once-per-cluster jobs


class ClusterRelay:
    def __init__(
        self,
        db: AsyncDatabase[Any],
        node_id: str,
        *,
        local: StationGateway,
        command_timeout: float,
        roles: tuple[str, ...] = (),
        event_ttl_seconds: int = 3600,
        command_ttl_seconds: int = 86400,
    ) -> None:
        self.node_id = node_id
        self.nodes = NodeDirectory(db[NODES], node_id, roles=roles)
        self.lease = Lease(db[LEASES], PERIODIC_WORK, node_id)
        self.events = MongoEventBus(db[EVENTS], node_id, ttl_seconds=event_ttl_seconds)
        self.gateway = CommandRelay(
            db[COMMANDS],
            node_id,
            local=local,
            locate=self._holder,
            nodes=self.nodes,
            timeout=command_timeout,
            ttl_seconds=command_ttl_seconds,
        )

    async def _holder(self, charge_point_id: str) -> str | None:
        """``Station.node_id`` of an online station ("{node}/{token}"), else None."""
        station = await network_repo.get_station_by_cp_id(charge_point_id)
        if station is None or not station.online:
            return None
        return station.node_id

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async with (
            self.nodes.running(),
            self.events.running(),
            self.gateway.running(),
            self.lease.running(),
        ):
            yield
