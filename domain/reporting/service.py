"""Reporting use cases: usage, peak hours and bottlenecks of an organisation's network (definitions
in ``domain/reporting/__init__.py``). The database does the summing; this assembles rows."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from typing import Any

from beanie import PydanticObjectId

from domain.common.clock import as_utc, utcnow
from domain.common.errors import InvalidInput
from domain.common.money import Money
from domain.network.errors import SiteNotFound, StationNotFound
from domain.reporting import pipelines as pl
from domain.reporting import repository as repo
from domain.reporting.arithmetic import (
    GroupBy,
    calendar_buckets,
    hour_cell_seconds,
    hours,
    percent,
    recommendation,
)

MAX_RANGE = timedelta(days=400)
DEFAULT_CURRENCY = "EUR"


@dataclass(frozen=True)
class UsageRow:
    key: str
    label: str
    sessions: int
    energy_wh: int
    charging_seconds: float
    occupied_seconds: float
    available_seconds: float  # connector time in any status but Faulted, Unavailable, Unknown
    up_seconds: float  # available time while the station was online
    capacity_seconds: float  # connectors x seconds of the period within the range
    revenue: Money

    def plus(self, other: UsageRow) -> UsageRow:
        """The same row over two pieces of a range: every quantity summed, the labels kept."""
        summed: dict[str, Any] = {}
        for f in fields(self):
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            quantity = isinstance(mine, int | float) and not isinstance(mine, bool)
            if quantity or isinstance(mine, Money):
                summed[f.name] = mine + theirs
        return replace(self, **summed)

    @property
    def charging_hours(self) -> float:
        return hours(self.charging_seconds)

    @property
    def occupied_hours(self) -> float:
        return hours(self.occupied_seconds)

    @property
    def utilization_percent(self) -> float:
        return percent(self.occupied_seconds, self.available_seconds)

    @property
    def uptime_percent(self) -> float:
        return percent(self.up_seconds, self.capacity_seconds)


@dataclass(frozen=True)
class UsageReport:
    group_by: GroupBy
    timezone: str
    rows: list[UsageRow]
    totals: UsageRow


@dataclass(frozen=True)
class PeakCell:
    weekday: int  # ISO: 1 Monday .. 7 Sunday
    hour: int
    occupancy_percent: float
    sessions_started: int
    energy_wh: int


@dataclass(frozen=True)
class PeakHours:
    timezone: str
    cells: list[PeakCell] = field(default_factory=list)


@dataclass(frozen=True)
class Bottleneck:
    site_id: PydanticObjectId
    site_name: str
    station_id: PydanticObjectId | None
    station_name: str | None
    hours_at_capacity: float
    peak_occupancy_percent: float
    recommendation: str


def check_range(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = as_utc(start), as_utc(end)
    if end <= start:
        raise InvalidInput("the range must end after it starts", field="range")
    if end - start > MAX_RANGE:
        raise InvalidInput("a report covers at most 400 days", field="range")
    return start, end


def parse_group_by(value: str | GroupBy) -> GroupBy:
    try:
        return GroupBy(str(value).upper())
    except ValueError:
        raise InvalidInput(
            f"unknown grouping {value!r}; one of " + ", ".join(g.value for g in GroupBy),
            field="groupBy",
        ) from None


class ReportingService:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self.clock = clock

    async def _site(self, org_id: PydanticObjectId, site_id: PydanticObjectId) -> repo.SiteInfo:
        for site in await repo.sites(org_id):
            if site.site_id == site_id:
                return site
        raise SiteNotFound("no such site", field="siteId")

    async def timezone(self, org_id: PydanticObjectId, site_id: PydanticObjectId | None) -> str:
        """The zone a report of the organisation (or of one site) is computed in: the site's, else
        the one its sites share, else UTC. Dates a person types are local days in it."""
        return await self._timezone(org_id, site_id)

    async def _timezone(self, org_id: PydanticObjectId, site_id: PydanticObjectId | None) -> str:
        if site_id is not None:
            return (await self._site(org_id, site_id)).timezone
        zones = {s.timezone for s in await repo.sites(org_id)}
        return zones.pop() if len(zones) == 1 else "UTC"

    async def _currency(self, org_id: PydanticObjectId, found: list[str | None]) -> str:
        for currency in found:
            if currency:
                return currency
        return await repo.org_currency(org_id) or DEFAULT_CURRENCY

    async def usage_report(
        self,
        org_id: PydanticObjectId,
        start: datetime,
        end: datetime,
        group_by: str | GroupBy,
        site_id: PydanticObjectId | None = None,
    ) -> UsageReport:
        start, end = check_range(start, end)
        grouping = parse_group_by(group_by)
        tz = await self._timezone(org_id, site_id)
        now = min(self.clock(), end)
        scope = pl.scope_match(org_id, site_id)
        unit = grouping.calendar_unit
        key: object = {
            GroupBy.STATION: "$station_id",
            GroupBy.SITE: "$site_id",
        }.get(grouping, "$bs")
        status = {
            r["_id"]: r for r in await repo.status_totals(scope, start, end, now, unit, tz, key)
        }
        sessions = {
            r["_id"]: r for r in await repo.session_totals(scope, start, end, now, unit, tz, key)
        }
        currency = await self._currency(org_id, [r.get("currency") for r in sessions.values()])
        stations = await repo.stations(org_id, site_id)
        connectors = sum(s.connectors for s in stations)
        period = (end - start).total_seconds()
        rows: list[UsageRow] = []
        if unit is not None:
            for b in calendar_buckets(start, end, unit, tz):
                k = b.period_start  # the database keys a period by its (unclipped) start
                rows.append(
                    _row(
                        b.key,
                        b.label,
                        status.get(k),
                        sessions.get(k),
                        connectors * b.seconds,
                        currency,
                    )
                )
        elif grouping is GroupBy.STATION:
            for s in sorted(stations, key=lambda s: s.name):
                rows.append(
                    _row(
                        str(s.station_id),
                        s.name,
                        status.get(s.station_id),
                        sessions.get(s.station_id),
                        s.connectors * period,
                        currency,
                    )
                )
        else:
            names = {s.site_id: s for s in await repo.sites(org_id)}
            per_site: dict[PydanticObjectId, int] = {}
            for s in stations:
                per_site[s.site_id] = per_site.get(s.site_id, 0) + s.connectors
            for sid, count in sorted(per_site.items(), key=lambda kv: names[kv[0]].name):
                rows.append(
                    _row(
                        str(sid),
                        names[sid].name,
                        status.get(sid),
                        sessions.get(sid),
                        count * period,
                        currency,
                    )
                )
        return UsageReport(grouping, tz, rows, total_row(rows, currency))

    async def peak_hours(
        self,
        org_id: PydanticObjectId,
        start: datetime,
        end: datetime,
        site_id: PydanticObjectId | None = None,
        station_id: PydanticObjectId | None = None,
    ) -> PeakHours:
        start, end = check_range(start, end)
        if station_id is not None:
            found = await repo.stations(org_id, station_id=station_id)
            if not found:
                raise StationNotFound("no such station", field="stationId")
            site_id = site_id or found[0].site_id
            if found[0].site_id != site_id:
                raise StationNotFound("no such station at that site", field="stationId")
        tz = await self._timezone(org_id, site_id)
        now = min(self.clock(), end)
        scope = pl.scope_match(org_id, site_id, station_id)
        connectors = sum(s.connectors for s in await repo.stations(org_id, site_id, station_id))
        occupied = {
            (r["_id"]["d"], r["_id"]["h"]): r["occupied"]
            for r in await repo.occupancy_by_hour_cell(scope, start, end, now, tz)
        }
        started = {
            (r["_id"]["d"], r["_id"]["h"]): r
            for r in await repo.sessions_by_hour_cell(scope, start, end, now, tz)
        }
        denominators = hour_cell_seconds(start, end, tz)
        cells = []
        for day in range(1, 8):
            for hour in range(24):
                s = started.get((day, hour), {})
                cells.append(
                    PeakCell(
                        weekday=day,
                        hour=hour,
                        occupancy_percent=percent(
                            occupied.get((day, hour), 0.0),
                            connectors * denominators.get((day, hour), 0.0),
                        ),
                        sessions_started=int(s.get("sessions", 0)),
                        energy_wh=round(s.get("wh", 0.0)),
                    )
                )
        return PeakHours(tz, cells)

    async def bottlenecks(
        self,
        org_id: PydanticObjectId,
        start: datetime,
        end: datetime,
        *,
        min_hours: float = 1.0,
        site_id: PydanticObjectId | None = None,
    ) -> list[Bottleneck]:
        """Sites and stations at capacity for at least ``min_hours``, most hours first."""
        start, end = check_range(start, end)
        now = min(self.clock(), end)
        sites = {s.site_id: s for s in await repo.sites(org_id)}
        if site_id is not None and site_id not in sites:
            raise SiteNotFound("no such site", field="siteId")
        stations = await repo.stations(org_id, site_id)
        scope = pl.scope_match(org_id, site_id)
        zones = {str(k): v.timezone for k, v in sites.items()}
        site_cap: dict[str, int] = {}
        for s in stations:
            site_cap[str(s.site_id)] = site_cap.get(str(s.site_id), 0) + s.connectors
        station_cap = {str(s.station_id): s.connectors for s in stations}
        by_station = {s.station_id: s for s in stations}
        days = (end - start).total_seconds() / 86_400
        out: list[Bottleneck] = []
        for part, cap in (("site_id", site_cap), ("station_id", station_cap)):
            cells: dict[PydanticObjectId, dict[tuple[int, int], float]] = {}
            for r in await repo.at_capacity(scope, part, cap, zones, start, end, now):
                key = r["_id"]
                cells.setdefault(key["part"], {})[(key["d"], key["h"])] = r["secs"]
            peaks = {
                r["_id"]: r["ratio"]
                for r in await repo.peak_hour_occupancy(scope, part, start, end, now)
            }
            for pid, grid in cells.items():
                at_cap = sum(grid.values()) / 3600.0
                if at_cap < min_hours:
                    continue
                station = by_station.get(pid) if part == "station_id" else None
                site = sites[station.site_id if station else pid]
                count = cap.get(str(pid), 0)
                name = f"Station {station.name}" if station else f"Site {site.name}"
                out.append(
                    Bottleneck(
                        site_id=site.site_id,
                        site_name=site.name,
                        station_id=station.station_id if station else None,
                        station_name=station.name if station else None,
                        hours_at_capacity=round(at_cap, 2),
                        peak_occupancy_percent=percent(peaks.get(pid, 0.0), count),
                        recommendation=recommendation(name, at_cap, grid, days),
                    )
                )
        out.sort(key=lambda b: (-b.hours_at_capacity, b.station_id is not None, b.site_name))
        return out


def _row(
    key: str,
    label: str,
    status: dict[str, float] | None,
    sessions: dict[str, object] | None,
    capacity_seconds: float,
    currency: str,
) -> UsageRow:
    st = status or {}
    se = sessions or {}
    return UsageRow(
        key=key,
        label=label,
        sessions=int(se.get("sessions", 0)),  # type: ignore[call-overload]
        energy_wh=round(float(se.get("wh", 0.0))),  # type: ignore[arg-type]
        charging_seconds=float(st.get("charging", 0.0)),
        occupied_seconds=float(st.get("occupied", 0.0)),
        available_seconds=float(st.get("available", 0.0)),
        up_seconds=float(st.get("up", 0.0)),
        capacity_seconds=capacity_seconds,
        revenue=Money(round(float(se.get("money", 0.0))), currency),  # type: ignore[arg-type]
    )


def total_row(rows: list[UsageRow], currency: str) -> UsageRow:
    return UsageRow(
        key="total",
        label="Total",
        sessions=sum(r.sessions for r in rows),
        energy_wh=sum(r.energy_wh for r in rows),
        charging_seconds=sum(r.charging_seconds for r in rows),
        occupied_seconds=sum(r.occupied_seconds for r in rows),
        available_seconds=sum(r.available_seconds for r in rows),
        up_seconds=sum(r.up_seconds for r in rows),
        capacity_seconds=sum(r.capacity_seconds for r in rows),
        revenue=Money(sum(r.revenue.amount for r in rows), currency),
    )
