"""Reports at the edge: kWh and Decimal money here; the domain keeps Wh and minor units."""

from __future__ import annotations

from enum import Enum

import strawberry

from api.context import Info
from api.types.common import Money
from api.types.network import Site, Station
from domain.reporting.service import Bottleneck as DomainBottleneck
from domain.reporting.service import PeakHours as DomainPeakHours
from domain.reporting.service import UsageReport as DomainUsageReport
from domain.reporting.service import UsageRow as DomainUsageRow


@strawberry.enum
class UsageGroupBy(Enum):
    STATION = "STATION"
    SITE = "SITE"
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


def kwh(wh: int) -> float:
    return round(wh / 1000.0, 3)


@strawberry.type
class UsageRow:
    key: str
    label: str
    sessions: int
    energy_kwh: float
    charging_hours: float
    occupied_hours: float
    utilization_percent: float = strawberry.field(
        description="Occupied time over available time (not faulted, unavailable or unknown)."
    )
    uptime_percent: float = strawberry.field(
        description="Available connector time over connector time of the period."
    )
    revenue: Money

    @classmethod
    def from_domain(cls, r: DomainUsageRow) -> UsageRow:
        return cls(
            key=r.key,
            label=r.label,
            sessions=r.sessions,
            energy_kwh=kwh(r.energy_wh),
            charging_hours=r.charging_hours,
            occupied_hours=r.occupied_hours,
            utilization_percent=r.utilization_percent,
            uptime_percent=r.uptime_percent,
            revenue=Money.from_domain(r.revenue),
        )


@strawberry.type
class UsageReport:
    timezone: str
    rows: list[UsageRow]
    totals: UsageRow

    @classmethod
    def from_domain(cls, r: DomainUsageReport) -> UsageReport:
        return cls(
            timezone=r.timezone,
            rows=[UsageRow.from_domain(x) for x in r.rows],
            totals=UsageRow.from_domain(r.totals),
        )


@strawberry.type
class PeakHourCell:
    weekday: int = strawberry.field(description="ISO weekday: 1 Monday .. 7 Sunday.")
    hour: int
    occupancy_percent: float
    sessions_started: int
    energy_kwh: float


@strawberry.type
class PeakHours:
    timezone: str
    cells: list[PeakHourCell]

    @classmethod
    def from_domain(cls, p: DomainPeakHours) -> PeakHours:
        return cls(
            timezone=p.timezone,
            cells=[
                PeakHourCell(
                    weekday=c.weekday,
                    hour=c.hour,
                    occupancy_percent=c.occupancy_percent,
                    sessions_started=c.sessions_started,
                    energy_kwh=kwh(c.energy_wh),
                )
                for c in p.cells
            ],
        )


@strawberry.type
class Bottleneck:
    peak_occupancy_percent: float
    hours_at_capacity: float
    recommendation: str
    domain: strawberry.Private[DomainBottleneck]

    @classmethod
    def from_domain(cls, b: DomainBottleneck) -> Bottleneck:
        return cls(
            peak_occupancy_percent=b.peak_occupancy_percent,
            hours_at_capacity=b.hours_at_capacity,
            recommendation=b.recommendation,
            domain=b,
        )

    @strawberry.field
    async def site(self, info: Info) -> Site:
        found = await info.context.loaders.sites.load(str(self.domain.site_id))
        if found is None:
            raise LookupError(f"site {self.domain.site_id} is missing")
        return Site.from_domain(found)

    @strawberry.field
    async def station(self, info: Info) -> Station | None:
        """The station, when the bottleneck is one station; null for a whole site."""
        if self.domain.station_id is None:
            return None
        found = await info.context.loaders.stations.load(str(self.domain.station_id))
        return Station.from_domain(found) if found is not None else None
