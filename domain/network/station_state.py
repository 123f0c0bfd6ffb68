"""The station writes of the OCPP path, group-committed, with each connected station's connector
statuses kept in memory so that a StatusNotification needs no read.

Round trips. Every connect, disconnect, boot, status change and sign of life goes through one
``GroupCommit``: a flush is one ordered bulk write per collection (stations, status intervals,
connectivity intervals), in one transaction when it touches more than the stations, shared by
every station that wrote meanwhile. Each caller awaits its flush, so its write is durable before
its OCPP answer. A repeated status (same status and error code as the open interval) is answered
from memory with no write at all.

Why the cache is right in a cluster. A station's open status intervals and connector statuses
change only through its own StatusNotifications, and its websocket is held by exactly one OCPP
node at a time: the node holding the connection is the only writer of that station's statuses.
When a station connects (to this node, or back to it after holding time on another) its entry
is dropped and loaded fresh from MongoDB, in one query shared by the flush, at its first status
report; so whatever another node wrote while it held the station is seen. The entry is dropped
again on disconnect (memory) and for every station of a flush that failed (the store's state is
then unknown; the next report reloads it). What is cached is only what a flush made durable: a
write is planned at flush time against the cached state, and the cache takes the flush's result
only once it is stored. Connectivity is not cached: each flush reads the flags and open
intervals of its connecting stations inside its transaction (a connect on another node races
this one safely: a write conflict retries the transaction).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bson import ObjectId

from domain.common.batching import GroupCommit, about_the_data
from domain.network import repository as repo
from domain.network.models import ConnectorStatus, Station
from domain.network.station_writes import (
    Boot,
    Connectivity,
    OpenStatuses,
    Seen,
    StationWrite,
    StatusReport,
    plan_writes,
)


def connectivity_fields(*, online: bool, at: datetime, node_id: str | None) -> dict[str, Any]:
    """The station's connectivity fields for a connect or disconnect at ``at``."""
    fields: dict[str, Any] = {
        "online": online,
        "last_seen_at": at,
        "node_id": node_id,
        "connectivity_since": at,
    }
    if online:
        fields["connected_at"] = at
    return fields


async def lookup_stations(charge_point_ids: Sequence[str]) -> list[Station | None]:
    """Stations by charge point id (None: unknown), one query for the lot."""
    found = await repo.get_stations_by_cp_ids(set(charge_point_ids))
    return [found.get(cp_id) for cp_id in charge_point_ids]


class StationWriter:
    def __init__(self, *, max_batch: int = 1000) -> None:
        self._statuses: dict[ObjectId, OpenStatuses] = {}  # stations' open status intervals
        self._queued: dict[ObjectId, int] = {}  # status reports not yet flushed, per station
        self._dropped: set[ObjectId] = set()  # forgotten while the running flush was planned
        self.commits: GroupCommit[StationWrite, Any] = GroupCommit(
            self._flush, max_batch=max_batch, name="station writes", isolate=about_the_data
        )

    # -- what callers write ---------------------------------------------------------------

    async def connectivity(
        self, station: Station, *, fields: dict[str, Any], guard: dict[str, Any]
    ) -> bool:
        """Write the online flag ``fields`` (with ``online`` and ``connectivity_since``) if the
        station document matches ``guard``, and its connectivity intervals with it. True when
        written."""
        sid: ObjectId = station.id  # type: ignore[assignment]
        written = await self.commits.submit(
            Connectivity(sid, station.org_id, station.site_id, fields, guard)
        )
        return bool(written)

    async def booted(self, station: Station, fields: dict[str, Any]) -> None:
        await self.commits.submit(Boot(station.id, fields))  # type: ignore[arg-type]

    async def seen(self, station: Station, at: datetime) -> None:
        await self.commits.submit(Seen(station.id, at))  # type: ignore[arg-type]

    async def status(
        self,
        station: Station,
        *,
        connector_id: int,
        status: ConnectorStatus,
        error_code: str | None,
        vendor_error_code: str | None,
        info: str | None,
        at: datetime,
    ) -> datetime | None:
        """Record a status report: the start of the interval it opened, or None when it repeats
        the connector's open interval (nothing written)."""
        sid: ObjectId = station.id  # type: ignore[assignment]
        known = self._statuses.get(sid)
        if known is not None and not self._queued.get(sid):
            current = known.get(connector_id)
            if current is not None and (current.status, current.error_code) == (
                status,
                error_code,
            ):
                return None
        report = StatusReport(
            sid,
            station.org_id,
            station.site_id,
            connector_id,
            status,
            error_code,
            vendor_error_code,
            info,
            at,
        )
        self._queued[sid] = self._queued.get(sid, 0) + 1
        try:
            started: datetime | None = await self.commits.submit(report)
        finally:
            left = self._queued[sid] - 1
            if left:
                self._queued[sid] = left
            else:
                del self._queued[sid]
        return started

    def forget(self, station_id: ObjectId) -> None:
        """Drop what is cached of the station: its next status report reads it fresh."""
        self._statuses.pop(station_id, None)
        self._dropped.add(station_id)

    @property
    def cached_stations(self) -> int:
        return len(self._statuses)

    async def drain(self) -> None:
        """Wait until every write submitted so far is stored (or has failed)."""
        await self.commits.drain()

    # -- one flush -------------------------------------------------------------------------

    async def _flush(self, items: Sequence[StationWrite]) -> list[Any]:
        reporting = {item.station_id for item in items if isinstance(item, StatusReport)}
        self._dropped.clear()
        try:
            known = {sid: self._statuses[sid] for sid in reporting if sid in self._statuses}
            missing = [sid for sid in reporting if sid not in known]
            if missing:
                known.update(await repo.open_status_intervals(missing))
            plan = plan_writes(items, known)
            await repo.write_station_batch(plan)
        except BaseException:
            for sid in reporting:
                self.forget(sid)
            raise
        for sid, statuses in plan.statuses.items():
            if sid not in self._dropped:  # (re)connected or gone meanwhile: read it afresh
                self._statuses[sid] = statuses
        return plan.results
