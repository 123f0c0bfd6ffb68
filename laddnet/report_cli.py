"""`laddnet report usage|peak-hours|bottlenecks --from --to [--site] [--org] [--format table|csv]`.

``laddnet/cli.py`` calls ``add_report_parser(subparsers)`` and, for the ``report`` command,
``await run_report(args, settings)``. A usage report over more than a month is computed a month at a
time (rows are sums, so the pieces add up) with a progress bar on stderr.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timedelta
from typing import Any, TextIO

from beanie import PydanticObjectId
from bson.errors import InvalidId

from domain.common.clock import as_utc
from domain.common.errors import DomainError, InvalidInput, NotFound
from domain.identity.models import Organisation
from domain.network.errors import SiteNotFound
from domain.network.models import Site
from domain.reporting import export
from domain.reporting.arithmetic import WEEKDAYS, parse_bound
from domain.reporting.service import ReportingService, UsageReport, UsageRow, total_row
from laddnet.database import open_database
from laddnet.settings import Settings

CHUNK = timedelta(days=31)


def _when(value: str) -> datetime | str:
    """An instant when an offset is given; otherwise the text, made an instant once the report's
    time zone is known (a date is that zone's local day)."""
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not an ISO date or date-time") from None
    return as_utc(parsed) if parsed.tzinfo else value


def bound(value: str | datetime, timezone: str, field: str) -> datetime:
    if isinstance(value, datetime):
        return as_utc(value)
    try:
        return parse_bound(value, timezone, field)
    except ValueError as error:
        raise InvalidInput(str(error), field=field) from None


def add_report_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report", help="usage, peak hours or bottlenecks of an organisation's network"
    )
    parser.add_argument("kind", choices=["usage", "peak-hours", "bottlenecks"])
    parser.add_argument(
        "--from",
        dest="start",
        type=_when,
        required=True,
        help="ISO date or date-time; a date is local midnight in the report's time zone",
    )
    parser.add_argument(
        "--to",
        dest="end",
        type=_when,
        required=True,
        help="ISO date or date-time, not included (--to 2026-12-01 ends at the local midnight "
        "that starts 1 December)",
    )
    parser.add_argument("--site", help="a site's id or name")
    parser.add_argument("--org", help="an organisation's id or name (default: the only one)")
    parser.add_argument(
        "--group-by", default="DAY", help="usage: STATION, SITE, DAY, WEEK or MONTH (default DAY)"
    )
    parser.add_argument("--format", choices=["table", "csv"], default="table")
    return parser


def progress(done: int, total: int, out: TextIO) -> None:
    width = 30
    filled = round(width * done / total) if total else width
    out.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
    if done >= total:
        out.write("\n")
    out.flush()


def _merge(reports: list[UsageReport]) -> UsageReport:
    """Rows with the same key (a week or a station across chunks) are sums of their pieces."""
    rows: dict[str, UsageRow] = {}
    for report in reports:
        for r in report.rows:
            seen = rows.get(r.key)
            rows[r.key] = r if seen is None else seen.plus(r)
    merged = list(rows.values())
    currency = merged[0].revenue.currency if merged else "EUR"
    first = reports[0]
    return UsageReport(first.group_by, first.timezone, merged, total_row(merged, currency))


async def _org(selector: str | None) -> PydanticObjectId:
    if selector:
        try:
            found = await Organisation.get(PydanticObjectId(selector))
        except (InvalidId, TypeError, ValueError):
            found = await Organisation.find_one(Organisation.name == selector)
        if found is None or found.id is None:
            raise NotFound(f"no organisation {selector!r}", field="org")
        return found.id
    orgs = await Organisation.find_all().sort("name").to_list()
    if not orgs:
        raise NotFound("there is no organisation yet: laddnet operator create", field="org")
    if len(orgs) > 1:
        names = ", ".join(repr(o.name) for o in orgs)
        raise InvalidInput(f"pass --org: there are {len(orgs)} organisations: {names}", field="org")
    assert orgs[0].id is not None
    return orgs[0].id


async def _site(org: PydanticObjectId, selector: str | None) -> PydanticObjectId | None:
    if not selector:
        return None
    try:
        return PydanticObjectId(selector)
    except (InvalidId, TypeError, ValueError):
        site = await Site.find_one(Site.org_id == org, Site.name == selector)
        if site is None:
            raise SiteNotFound(f"no site {selector!r} in the organisation", field="site") from None
        return site.id


def _table(header: list[str], rows: list[list[object]], out: TextIO) -> None:
    cells = [header, *[[str(c) for c in r] for r in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    for n, row in enumerate(cells):
        out.write("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() + "\n")
        if n == 0:
            out.write("  ".join("-" * w for w in widths) + "\n")


async def report(
    service: ReportingService, args: argparse.Namespace, out: TextIO, err: TextIO
) -> None:
    org = await _org(args.org)
    site = await _site(org, args.site)
    zone = await service.timezone(org, site)
    start, end = bound(args.start, zone, "from"), bound(args.end, zone, "to")
    if args.kind == "usage":
        pieces: list[tuple[datetime, datetime]] = []
        at = start
        while at < end:
            pieces.append((at, min(at + CHUNK, end)))
            at += CHUNK
        reports = []
        for i, (lo, hi) in enumerate(pieces or [(start, end)]):
            reports.append(await service.usage_report(org, lo, hi, args.group_by, site))
            if len(pieces) > 1:
                progress(i + 1, len(pieces), err)
        usage = _merge(reports)
        if args.format == "csv":
            out.write(export.usage_csv(usage))
            return
        _table(
            [
                "period" if usage.group_by.calendar_unit else "name",
                "sessions",
                "kWh",
                "charging h",
                "occupied h",
                "utilisation %",
                "uptime %",
                "revenue",
            ],
            [
                [
                    r.label,
                    r.sessions,
                    f"{r.energy_wh / 1000:.1f}",
                    r.charging_hours,
                    r.occupied_hours,
                    r.utilization_percent,
                    r.uptime_percent,
                    f"{r.revenue.to_decimal()} {r.revenue.currency}",
                ]
                for r in [*usage.rows, usage.totals]
            ],
            out,
        )
        out.write(f"times in {usage.timezone}; {export.USAGE_NOTE}\n")
    elif args.kind == "peak-hours":
        grid = await service.peak_hours(org, start, end, site_id=site)
        if args.format == "csv":
            out.write(export.peak_hours_csv(grid))
            return
        out.write(f"occupancy % by weekday and hour ({grid.timezone})\n")
        out.write(" ".join(export.PEAK_NOTE) + "\n")
        by = {(c.weekday, c.hour): c.occupancy_percent for c in grid.cells}
        _table(
            ["", *[f"{h:02d}" for h in range(24)]],
            [[WEEKDAYS[d - 1], *[f"{by[(d, h)]:.0f}" for h in range(24)]] for d in range(1, 8)],
            out,
        )
    else:
        found = await service.bottlenecks(org, start, end, site_id=site)
        if args.format == "csv":
            out.write(export.bottlenecks_csv(found))
            return
        for b in found:
            out.write(
                f"{b.hours_at_capacity:7.1f} h  {b.peak_occupancy_percent:5.1f} %  "
                f"{b.recommendation}\n"
            )
        if not found:
            out.write("no site or station was full in the period\n")


async def run_report(args: argparse.Namespace, settings: Settings) -> int:
    async with open_database(settings):
        try:
            await report(ReportingService(), args, sys.stdout, sys.stderr)
        except DomainError as error:
            where = f" ({error.field})" if error.field else ""
            sys.stderr.write(f"error: {error.code}{where}: {error.message}\n")
            return 2
    return 0
