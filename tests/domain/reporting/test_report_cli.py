"""`laddnet report`: a usage report over two months in monthly pieces (with a progress bar) adds up
to the same answer as one query; peak hours and bottlenecks as tables and CSV."""

from __future__ import annotations

import argparse
import io
from datetime import UTC, datetime

from domain.reporting.service import ReportingService
from laddnet.report_cli import add_report_parser, report
from tests.domain.reporting.conftest import build_network, local, session, status

LATER = datetime(2025, 1, 1, tzinfo=UTC)


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="laddnet")
    add_report_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["report", *argv])


async def test_usage_in_pieces_matches_one_query_and_shows_progress(database: object) -> None:
    net = await build_network([1], site_name="Cli")
    st = net.stations[0]
    await status(st, 1, "Available", local(2024, 1, 1), local(2024, 2, 1, 23))
    await status(st, 1, "Charging", local(2024, 2, 1, 23), local(2024, 2, 2, 1))
    await status(st, 1, "Available", local(2024, 2, 2, 1), None)
    await session(st, 1, local(2024, 2, 1, 23), local(2024, 2, 2, 1), 4_000)
    service = ReportingService(clock=lambda: LATER)
    args = parse("usage", "--from", "2024-01-01T00:00:00+01:00", "--to", "2024-03-01T00:00:00+01:00",
                 "--org", str(net.org_id), "--group-by", "MONTH", "--format", "csv")  # fmt: skip
    out, err = io.StringIO(), io.StringIO()
    await report(service, args, out, err)
    assert err.getvalue().endswith("] 2/2\n")  # two monthly pieces
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("key,label,sessions,energy_kwh")
    whole = await service.usage_report(net.org_id, args.start, args.end, "MONTH")
    assert [ln.split(",")[:4] for ln in lines[1:]] == [
        [r.key, r.label, str(r.sessions), f"{r.energy_wh / 1000:.3f}"]
        for r in [*whole.rows, whole.totals]
    ]
    assert lines[-1].split(",")[7] == str(whole.totals.uptime_percent) == "100.0"

    table = io.StringIO()
    await report(service, parse("peak-hours", "--from", "2024-02-01", "--to", "2024-02-03",
                                "--org", str(net.org_id)), table, err)  # fmt: skip
    assert "Thu" in table.getvalue() and "(Europe/Stockholm)" in table.getvalue()
    full = io.StringIO()
    await report(service, parse("bottlenecks", "--from", "2024-02-01", "--to", "2024-02-03",
                                "--org", str(net.org_id), "--site", "Cli"), full, err)  # fmt: skip
    text = full.getvalue().splitlines()
    assert len(text) == 2 and "Site Cli was full 2 h in the period, mostly Thu, Fri" in text[0]
    assert "Station Cli-1 was full 2 h" in text[1]
