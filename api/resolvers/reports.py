"""usageReport, peakHours, bottlenecks: the caller's organisation's network, through the domain's
ReportingService."""

from __future__ import annotations

import strawberry

from api.context import ApiContext, Info
from api.errors import coded_errors
from api.types.common import DateRangeInput
from api.types.reports import Bottleneck, PeakHours, UsageGroupBy, UsageReport
from domain.common.errors import DomainError
from domain.network.service import parse_id
from domain.reporting.service import ReportingService


class ReportingUnavailable(DomainError):
    code = "UNAVAILABLE"


def service(ctx: ApiContext) -> ReportingService:
    if ctx.deps.reporting is None:
        raise ReportingUnavailable("reporting is not running in this process")
    return ctx.deps.reporting


async def usage_report(
    info: Info, range: DateRangeInput, group_by: UsageGroupBy, site_id: strawberry.ID | None = None
) -> UsageReport:
    ctx = info.context
    with coded_errors():
        org = ctx.reading_org()
        start, end = range.bounds()
        site = parse_id(site_id, field="siteId", what="site") if site_id else None
        report = await service(ctx).usage_report(org, start, end, group_by.value, site)
    return UsageReport.from_domain(report)


async def peak_hours(
    info: Info,
    range: DateRangeInput,
    site_id: strawberry.ID | None = None,
    station_id: strawberry.ID | None = None,
) -> PeakHours:
    ctx = info.context
    with coded_errors():
        org = ctx.reading_org()
        start, end = range.bounds()
        grid = await service(ctx).peak_hours(
            org,
            start,
            end,
            site_id=parse_id(site_id, field="siteId", what="site") if site_id else None,
            station_id=parse_id(station_id, field="stationId", what="station")
            if station_id
            else None,
        )
    return PeakHours.from_domain(grid)


async def bottlenecks(info: Info, range: DateRangeInput) -> list[Bottleneck]:
    ctx = info.context
    with coded_errors():
        org = ctx.reading_org()
        start, end = range.bounds()
        found = await service(ctx).bottlenecks(org, start, end)
    return [Bottleneck.from_domain(b) for b in found]
