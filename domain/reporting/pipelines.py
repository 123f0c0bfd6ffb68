"""MongoDB aggregation pipelines of the reports: plain builders (lists of stages), run by the
repository. Intervals (connector statuses, sessions) are clipped to the range and, where periods are
asked for, cut at calendar boundaries in a time zone by the database itself ($dateTrunc, $range,
$dateAdd), so a span across midnight or a DST change lands in each period by its share."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from beanie import PydanticObjectId

OCCUPIED = ["Preparing", "Charging", "SuspendedEV", "SuspendedEVSE", "Finishing", "Occupied"]
DOWN = ["Faulted", "Unavailable", "Unknown"]
COUNTED_SESSION_STATUSES = {"$nin": ["PENDING", "FAILED"]}

Scope = dict[str, Any]


def scope_match(
    org_id: PydanticObjectId,
    site_id: PydanticObjectId | None = None,
    station_id: PydanticObjectId | None = None,
) -> Scope:
    match: Scope = {"org_id": org_id}
    if site_id is not None:
        match["site_id"] = site_id
    if station_id is not None:
        match["station_id"] = station_id
    return match


def _clip(start_field: str, end_field: str, start: datetime, end: datetime, now: datetime) -> Any:
    return {
        "s": {"$max": [f"${start_field}", start]},
        "e": {"$min": [{"$ifNull": [f"${end_field}", now]}, end]},
    }


def split(unit: str | None, timezone: Any) -> list[dict[str, Any]]:
    """Cut each ``[s, e)`` into pieces ``[ps, pe)`` per calendar ``unit`` (bs: the period's start);
    without a unit the piece is the whole span. Adds ``secs``, the piece's length in seconds."""
    if unit is None:
        stages: list[dict[str, Any]] = [{"$addFields": {"ps": "$s", "pe": "$e", "bs": None}}]
    else:
        trunc: dict[str, Any] = {"date": "$s", "unit": unit, "timezone": timezone}
        diff: dict[str, Any] = {
            "startDate": "$b0",
            "endDate": "$e",
            "unit": unit,
            "timezone": timezone,
        }
        if unit == "week":
            trunc["startOfWeek"] = "monday"
            diff["startOfWeek"] = "monday"
        add = {"startDate": "$b0", "unit": unit, "timezone": timezone}
        stages = [
            {"$addFields": {"b0": {"$dateTrunc": trunc}}},
            {"$addFields": {"idx": {"$range": [0, {"$add": [{"$dateDiff": diff}, 1]}]}}},
            {"$unwind": "$idx"},
            {
                "$addFields": {
                    "bs": {"$dateAdd": {**add, "amount": "$idx"}},
                    "be": {"$dateAdd": {**add, "amount": {"$add": ["$idx", 1]}}},
                }
            },
            {"$addFields": {"ps": {"$max": ["$s", "$bs"]}, "pe": {"$min": ["$e", "$be"]}}},
        ]
    stages += [
        {"$match": {"$expr": {"$gt": ["$pe", "$ps"]}}},
        {"$addFields": {"secs": {"$divide": [{"$subtract": ["$pe", "$ps"]}, 1000]}}},
    ]
    return stages


def status_pieces(
    scope: Scope,
    start: datetime,
    end: datetime,
    now: datetime,
    unit: str | None,
    timezone: Any,
    statuses: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Connector-status intervals overlapping the range, clipped and cut into periods."""
    match: Scope = {
        **scope,
        "connector_id": {"$gt": 0},
        "start": {"$lt": end},
        "$or": [{"end": None}, {"end": {"$gt": start}}],
    }
    if statuses is not None:
        match["status"] = {"$in": statuses}
    return [
        {"$match": match},
        {
            "$project": {
                "station_id": 1,
                "site_id": 1,
                "connector_id": 1,
                "status": 1,
                **_clip("start", "end", start, end, now),
            }
        },
        *split(unit, timezone),
    ]


def offline_overlap(now: datetime) -> list[dict[str, Any]]:
    """Stages after ``status_pieces``: ``offline``, the seconds of each piece ``[ps, pe)`` its
    station spent offline (its recorded offline intervals, an open one running until ``now``).
    A station's connectivity intervals follow one another without overlap, so the sum is exact."""
    off_end = {"$ifNull": ["$end", now]}
    return [
        {
            "$lookup": {
                "from": "connectivity_intervals",
                "localField": "station_id",
                "foreignField": "station_id",
                "let": {"ps": "$ps", "pe": "$pe"},
                "pipeline": [
                    {
                        "$match": {
                            "online": False,
                            "$expr": {
                                "$and": [
                                    {"$lt": ["$start", "$$pe"]},
                                    {"$gt": [off_end, "$$ps"]},
                                ]
                            },
                        }
                    },
                    {
                        "$project": {
                            "_id": 0,
                            "secs": {
                                "$divide": [
                                    {
                                        "$subtract": [
                                            {"$min": [off_end, "$$pe"]},
                                            {"$max": ["$start", "$$ps"]},
                                        ]
                                    },
                                    1000,
                                ]
                            },
                        }
                    },
                ],
                "as": "off",
            }
        },
        {"$addFields": {"offline": {"$min": ["$secs", {"$sum": "$off.secs"}]}}},
        {"$project": {"off": 0}},
    ]


def status_totals(group_key: Any) -> list[dict[str, Any]]:
    """Sum pieces into occupied, charging, available and up seconds per ``group_key`` (after
    ``offline_overlap``): available is any status but DOWN; up is available while online."""

    def seconds_if(cond: Any, secs: Any = "$secs") -> Any:
        return {"$sum": {"$cond": [cond, secs, 0]}}

    usable = {"$not": [{"$in": ["$status", DOWN]}]}
    return [
        {
            "$group": {
                "_id": group_key,
                "occupied": seconds_if({"$in": ["$status", OCCUPIED]}),
                "charging": seconds_if({"$eq": ["$status", "Charging"]}),
                "available": seconds_if(usable),
                "up": seconds_if(usable, {"$subtract": ["$secs", "$offline"]}),
            }
        }
    ]


def session_pieces(
    scope: Scope, start: datetime, end: datetime, now: datetime, unit: str | None, timezone: Any
) -> list[dict[str, Any]]:
    """Started sessions overlapping the range with their net payment, clipped and cut into periods.
    Each piece carries its share of the session's energy (``wh``) and money (``money``), and
    ``started`` (1 in the piece where the session started)."""
    return [
        {
            "$match": {
                **scope,
                "status": COUNTED_SESSION_STATUSES,
                "started_at": {"$ne": None, "$lt": end},
                "$or": [{"ended_at": None}, {"ended_at": {"$gt": start}}],
            }
        },
        {
            "$lookup": {
                "from": "session_payments",
                "localField": "_id",
                "foreignField": "session_id",
                "as": "pay",
                "pipeline": [
                    {"$project": {"currency": 1, "amount_captured": 1, "amount_refunded": 1}}
                ],
            }
        },
        {
            "$project": {
                "station_id": 1,
                "site_id": 1,
                "started_at": 1,
                "energy_wh": 1,
                "currency": {"$first": "$pay.currency"},
                "net": {
                    "$sum": {
                        "$map": {
                            "input": "$pay",
                            "as": "p",
                            "in": {
                                "$subtract": [
                                    {"$ifNull": ["$$p.amount_captured", 0]},
                                    {"$ifNull": ["$$p.amount_refunded", 0]},
                                ]
                            },
                        }
                    }
                },
                "dur": {
                    "$divide": [
                        {"$subtract": [{"$ifNull": ["$ended_at", now]}, "$started_at"]},
                        1000,
                    ]
                },
                **_clip("started_at", "ended_at", start, end, now),
            }
        },
        # a session of no duration still counts: give it a 1 ms span at its start
        {"$addFields": {"e": {"$cond": [{"$gt": ["$e", "$s"]}, "$e", {"$add": ["$s", 1]}]}}},
        *split(unit, timezone),
        {
            "$addFields": {
                "frac": {"$cond": [{"$gt": ["$dur", 0]}, {"$divide": ["$secs", "$dur"]}, 1]},
                "started": {
                    "$cond": [
                        {
                            "$and": [
                                {"$gte": ["$started_at", "$ps"]},
                                {"$lt": ["$started_at", "$pe"]},
                            ]
                        },
                        1,
                        0,
                    ]
                },
            }
        },
        {
            "$addFields": {
                "wh": {"$multiply": ["$energy_wh", "$frac"]},
                "money": {"$multiply": ["$net", "$frac"]},
            }
        },
    ]


def session_totals(group_key: Any) -> list[dict[str, Any]]:
    return [
        {
            "$group": {
                "_id": group_key,
                "sessions": {"$sum": "$started"},
                "wh": {"$sum": "$wh"},
                "money": {"$sum": "$money"},
                "currency": {"$max": "$currency"},
            }
        }
    ]


def hour_cells(timezone: Any) -> dict[str, Any]:
    """The (ISO weekday, hour) of a piece's hour ``bs`` in ``timezone``."""
    return {
        "d": {"$isoDayOfWeek": {"date": "$bs", "timezone": timezone}},
        "h": {"$hour": {"date": "$bs", "timezone": timezone}},
    }


def lookup(table: dict[str, Any], key: Any) -> Any:
    """An expression: ``table[key]`` (None when absent) for a key computed per document."""
    rows = [{"k": k, "v": v} for k, v in table.items()]
    found = {"$filter": {"input": {"$literal": rows}, "as": "x", "cond": {"$eq": ["$$x.k", key]}}}
    return {"$arrayElemAt": [{"$map": {"input": found, "as": "x", "in": "$$x.v"}}, 0]}


def at_capacity_segments(
    part: str, capacity: dict[str, int], start: datetime, end: datetime, now: datetime
) -> list[dict[str, Any]]:
    """Stages after ``status_pieces(..., unit=None, statuses=OCCUPIED)``: a sweep over the moments
    connectors become occupied (+1) and free (-1) per ``part`` (site_id or station_id), the running
    count by $setWindowFields, and the segments ``[s, e)`` in which it reaches the part's connector
    count (``capacity``: part id → connectors)."""
    return [
        {
            "$project": {
                "part": f"${part}",
                "site_id": 1,
                "ev": [{"t": "$s", "d": 1}, {"t": "$e", "d": -1}],
            }
        },
        {"$unwind": "$ev"},
        {
            "$group": {
                "_id": {"part": "$part", "t": "$ev.t"},
                "d": {"$sum": "$ev.d"},
                "site_id": {"$first": "$site_id"},
            }
        },
        {"$project": {"_id": 0, "part": "$_id.part", "t": "$_id.t", "d": 1, "site_id": 1}},
        {
            "$setWindowFields": {
                "partitionBy": "$part",
                "sortBy": {"t": 1},
                "output": {
                    "busy": {"$sum": "$d", "window": {"documents": ["unbounded", "current"]}},
                    "next": {"$shift": {"output": "$t", "by": 1}},
                },
            }
        },
        {
            "$addFields": {
                "cap": lookup(capacity, {"$toString": "$part"}),
            }
        },
        {
            "$match": {
                "$expr": {
                    "$and": [
                        {"$ne": ["$next", None]},
                        {"$gt": ["$cap", 0]},
                        {"$gte": ["$busy", "$cap"]},
                    ]
                }
            }
        },
        {"$project": {"part": 1, "site_id": 1, "s": "$t", "e": "$next"}},
    ]
