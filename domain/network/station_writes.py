"""The writes stations cause (connect, disconnect, boot, seen, status), planned for one flush of
the group commit without I/O; ``repository.write_station_batch`` executes a plan.

A plan holds at most one ordered bulk write per collection. Writes of one station keep their
order: each is planned against the state the earlier ones leave (a status interval opened and
closed within one flush is inserted closed, so inserts and closes never depend on one another's
order inside a flush; a flush only starts when the previous one is durable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from bson import ObjectId
from pymongo import UpdateOne

from domain.common.clock import as_utc
from domain.network.models import Connector, ConnectorStatus


@dataclass(frozen=True, slots=True)
class Connectivity:
    """Set the station's online flag (``fields``), if its document matches ``guard``; then
    bring its open connectivity interval in line with the flag from ``fields['connectivity_since']``."""

    station_id: ObjectId
    org_id: ObjectId
    site_id: ObjectId
    fields: dict[str, Any]
    guard: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Boot:
    station_id: ObjectId
    fields: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Seen:
    station_id: ObjectId
    at: datetime


@dataclass(frozen=True, slots=True)
class StatusReport:
    station_id: ObjectId
    org_id: ObjectId
    site_id: ObjectId
    connector_id: int
    status: ConnectorStatus
    error_code: str | None
    vendor_error_code: str | None
    info: str | None
    at: datetime


StationWrite = Connectivity | Boot | Seen | StatusReport


class OpenStatus(NamedTuple):
    """A connector's open status interval, as the cache keeps it."""

    id: ObjectId
    status: ConnectorStatus
    error_code: str | None
    start: datetime


OpenStatuses = dict[int, OpenStatus]  # by connector id


@dataclass
class WritePlan:
    station_ops: list[UpdateOne] = field(default_factory=list)
    status_inserts: list[dict[str, Any]] = field(default_factory=list)
    status_closes: list[UpdateOne] = field(default_factory=list)
    # per item: the status start recorded (None: a repeat), None for boot/seen; connectivity
    # results are decided inside the transaction (ConnectivityPlan)
    results: list[Any] = field(default_factory=list)
    statuses: dict[ObjectId, OpenStatuses] = field(default_factory=dict)  # after this plan
    connectivity: list[tuple[int, Connectivity]] = field(default_factory=list)

    @property
    def touches_intervals(self) -> bool:
        return bool(self.connectivity or self.status_inserts or self.status_closes)


def plan_writes(items: Sequence[StationWrite], known: Mapping[ObjectId, OpenStatuses]) -> WritePlan:
    """``known``: the open status intervals of every station with a StatusReport in ``items``."""
    plan = WritePlan(results=[None] * len(items))
    pending: dict[ObjectId, dict[str, Any]] = {}  # status intervals inserted by this plan
    seen: dict[ObjectId, datetime] = {}
    for index, item in enumerate(items):
        if isinstance(item, StatusReport):
            plan.results[index] = _plan_status(plan, item, known, pending)
        elif isinstance(item, Boot):
            plan.station_ops.append(UpdateOne({"_id": item.station_id}, {"$set": item.fields}))
        elif isinstance(item, Seen):
            at = seen.get(item.station_id)
            seen[item.station_id] = item.at if at is None else max(at, item.at)
        else:
            plan.connectivity.append((index, item))
    plan.station_ops.extend(
        UpdateOne({"_id": sid}, {"$max": {"last_seen_at": at}}) for sid, at in seen.items()
    )
    return plan


def _plan_status(
    plan: WritePlan,
    item: StatusReport,
    known: Mapping[ObjectId, OpenStatuses],
    pending: dict[ObjectId, dict[str, Any]],
) -> datetime | None:
    sid = item.station_id
    statuses = plan.statuses.get(sid)
    if statuses is None:
        statuses = plan.statuses[sid] = dict(known.get(sid, {}))
    current = statuses.get(item.connector_id)
    if current is not None and (current.status, current.error_code) == (
        item.status,
        item.error_code,
    ):
        return None  # a repeat of what we know: no new interval, no event
    at = item.at
    if current is not None:
        at = max(at, current.start)  # a report older than the open interval cannot rewrite history
        opened_here = pending.get(current.id)
        if opened_here is not None:
            opened_here["end"] = at
        else:
            plan.status_closes.append(
                UpdateOne({"_id": current.id, "end": None}, {"$set": {"end": at}})
            )
    doc: dict[str, Any] = {
        "_id": ObjectId(),
        "org_id": item.org_id,
        "site_id": item.site_id,
        "station_id": sid,
        "connector_id": item.connector_id,
        "status": item.status.value,
        "error_code": item.error_code,
        "vendor_error_code": item.vendor_error_code,
        "info": item.info,
        "start": at,
        "end": None,
    }
    plan.status_inserts.append(doc)
    pending[doc["_id"]] = doc
    statuses[item.connector_id] = OpenStatus(doc["_id"], item.status, item.error_code, at)
    if item.connector_id > 0:
        plan.station_ops.extend(_connector_ops(sid, item, at))
    return at


def _connector_ops(sid: ObjectId, item: StatusReport, at: datetime) -> list[UpdateOne]:
    """The station's summary of the connector: set in place, or added (in connector order) when
    the station reports a connector it was not registered with."""
    cid = item.connector_id
    added = Connector(
        connector_id=cid, status=item.status, error_code=item.error_code, status_since=at
    )
    return [
        UpdateOne(
            {"_id": sid},
            {
                "$set": {
                    "connectors.$[c].status": item.status.value,
                    "connectors.$[c].error_code": item.error_code,
                    "connectors.$[c].status_since": at,
                }
            },
            array_filters=[{"c.connector_id": cid}],
        ),
        UpdateOne(
            {"_id": sid, "connectors.connector_id": {"$ne": cid}},
            {
                "$push": {
                    "connectors": {
                        "$each": [added.model_dump(mode="python")],
                        "$sort": {"connector_id": 1},
                    }
                }
            },
        ),
    ]


@dataclass
class ConnectivityPlan:
    station_ops: list[UpdateOne] = field(default_factory=list)
    interval_inserts: list[dict[str, Any]] = field(default_factory=list)
    interval_closes: list[UpdateOne] = field(default_factory=list)
    results: dict[int, bool] = field(default_factory=dict)  # item index -> flag written


def plan_connectivity(
    items: Sequence[tuple[int, Connectivity]],
    stations: dict[ObjectId, dict[str, Any]],
    open_intervals: dict[ObjectId, dict[str, Any]],
) -> ConnectivityPlan:
    """Given the stations' ``online``/``node_id`` and open connectivity intervals as read in the
    flush's transaction, apply each item in order: its guard is checked against the state the
    earlier items left, and every change of the flag closes the open interval and opens the next
    (from ``connectivity_since``, never before the open one's start: history is not rewritten)."""
    plan = ConnectivityPlan()
    written: dict[ObjectId, dict[str, Any]] = {}
    versions: dict[ObjectId, int] = {}
    opened_here: set[ObjectId] = set()
    for index, item in items:
        sid = item.station_id
        doc = stations.get(sid)
        if doc is None or any(doc.get(k) != v for k, v in item.guard.items()):
            plan.results[index] = False
            continue
        doc.update(item.fields)
        written.setdefault(sid, {}).update(item.fields)
        versions[sid] = versions.get(sid, 0) + 1
        plan.results[index] = True
        online = bool(item.fields["online"])
        at = as_utc(item.fields["connectivity_since"])
        current = open_intervals.get(sid)
        if current is not None and bool(current["online"]) == online:
            continue  # a replaced connection: the open interval goes on, no false gap
        if current is not None:
            at = max(at, as_utc(current["start"]))
            if current["_id"] in opened_here:
                current["end"] = at
            else:
                plan.interval_closes.append(
                    UpdateOne({"_id": current["_id"], "end": None}, {"$set": {"end": at}})
                )
        new: dict[str, Any] = {
            "_id": ObjectId(),
            "org_id": item.org_id,
            "site_id": item.site_id,
            "station_id": sid,
            "online": online,
            "start": at,
            "end": None,
        }
        plan.interval_inserts.append(new)
        opened_here.add(new["_id"])
        open_intervals[sid] = new
    plan.station_ops = [
        UpdateOne({"_id": sid}, {"$set": fields, "$inc": {"connectivity_version": versions[sid]}})
        for sid, fields in written.items()
    ]
    return plan
