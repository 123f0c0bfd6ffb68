"""Reports on hand-built histories, answers worked out here by hand (Stockholm: UTC+1 in winter,
UTC+2 in summer; DST starts 2024-03-31 02:00 and ends 2024-10-27 03:00)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.common.errors import InvalidInput
from domain.diagnostics.models import FileTransfer
from domain.reporting.service import ReportingService
from tests.domain.reporting.conftest import build_network, local, session, status

LATER = datetime(2025, 1, 1, tzinfo=UTC)
reports = ReportingService(clock=lambda: LATER)


async def _usage_network() -> tuple[object, object]:
    """Two connectors over 10-11 Jan 2024 (local days).

    c1: Available until 10th 22:00, Charging 22:00-02:00 (a 10 kWh session across midnight,
        paid 10.00 SEK, 2.00 refunded), then Available (still open).
    c2: Faulted 10th 00:00-12:00, Available until 11th 10:00, Charging 10:00-12:00 (4 kWh),
        then Available (still open).
    """
    net = await build_network([2], site_name="Usage")
    st = net.stations[0]
    await status(st, 1, "Available", local(2024, 1, 1), local(2024, 1, 10, 22))
    await status(st, 1, "Charging", local(2024, 1, 10, 22), local(2024, 1, 11, 2))
    await status(st, 1, "Available", local(2024, 1, 11, 2), None)
    await status(st, 2, "Faulted", local(2024, 1, 10), local(2024, 1, 10, 12))
    await status(st, 2, "Available", local(2024, 1, 10, 12), local(2024, 1, 11, 10))
    await status(st, 2, "Charging", local(2024, 1, 11, 10), local(2024, 1, 11, 12))
    await status(st, 2, "Available", local(2024, 1, 11, 12), None)
    paid = await session(st, 1, local(2024, 1, 10, 22), local(2024, 1, 11, 2), 10_000)
    await session(st, 2, local(2024, 1, 11, 10), local(2024, 1, 11, 12), 4_000)
    await (
        FileTransfer.get_pymongo_collection()
        .database["session_payments"]
        .insert_one(
            {
                "session_id": paid.id,
                "currency": "SEK",
                "amount_captured": 1000,
                "amount_refunded": 200,
            }
        )
    )
    return net, st


async def test_usage_by_day_shares_a_session_across_midnight(database: object) -> None:
    net, _ = await _usage_network()
    report = await reports.usage_report(
        net.org_id,
        local(2024, 1, 10),
        local(2024, 1, 12),
        "DAY",  # type: ignore[attr-defined]
    )
    assert report.timezone == "Europe/Stockholm"
    day1, day2 = report.rows
    assert (day1.key, day2.key) == ("2024-01-10", "2024-01-11")
    # day 1: c1 Available 22 h + Charging 2 h; c2 Faulted 12 h + Available 12 h. 48 h of capacity.
    assert (day1.sessions, day1.energy_wh, day1.revenue.amount) == (1, 5_000, 400)
    assert (day1.charging_hours, day1.occupied_hours) == (2.0, 2.0)
    assert day1.available_seconds == 36 * 3600
    assert (day1.utilization_percent, day1.uptime_percent) == (5.6, 75.0)  # 2/36, 36/48
    # day 2: c1 Charging 2 h + Available 22 h; c2 Available 22 h + Charging 2 h.
    assert (day2.sessions, day2.energy_wh, day2.revenue.amount) == (1, 5_000 + 4_000, 400)
    assert day2.occupied_hours == 4.0
    assert (day2.utilization_percent, day2.uptime_percent) == (8.3, 100.0)  # 4/48, 48/48
    assert day2.revenue.currency == "SEK"
    total = report.totals
    assert (total.sessions, total.energy_wh, total.revenue.amount) == (2, 14_000, 800)
    assert (total.utilization_percent, total.uptime_percent) == (7.1, 87.5)  # 6/84, 84/96


async def test_usage_by_station_site_week_and_month_agree(database: object) -> None:
    net, st = await _usage_network()
    start, end = local(2024, 1, 10), local(2024, 1, 12)
    org = net.org_id  # type: ignore[attr-defined]
    by_station = await reports.usage_report(org, start, end, "STATION")
    assert [(r.key, r.sessions, r.energy_wh) for r in by_station.rows] == [
        (str(st.id), 2, 14_000)  # type: ignore[attr-defined]
    ]
    assert by_station.rows[0].uptime_percent == 87.5
    by_site = await reports.usage_report(org, start, end, "site")
    assert by_site.rows[0].label == "Usage" and by_site.rows[0].utilization_percent == 7.1
    week = await reports.usage_report(org, start, end, "WEEK")
    assert [r.key for r in week.rows] == ["2024-W02"]
    assert week.rows[0].occupied_hours == 6.0
    month = await reports.usage_report(org, local(2024, 1, 1), local(2024, 3, 1), "MONTH")
    assert [r.key for r in month.rows] == ["2024-01", "2024-02"]
    assert month.rows[0].energy_wh == 14_000 and month.rows[1].energy_wh == 0
    # Feb: both connectors Available all month (their open intervals): uptime 100 %
    assert month.rows[1].uptime_percent == 100.0 and month.rows[1].utilization_percent == 0.0


async def test_a_day_is_23_hours_when_dst_starts(database: object) -> None:
    """c1 Charging Sat 30 Mar 23:00 to Sun 31 Mar 04:00 local: 1 h on Saturday, 3 h on Sunday
    (02:00-03:00 does not exist); an 8 kWh session is shared 2 : 6."""
    net = await build_network([1], site_name="Dst")
    st = net.stations[0]
    await status(st, 1, "Available", local(2024, 3, 1), local(2024, 3, 30, 23))
    await status(st, 1, "Charging", local(2024, 3, 30, 23), local(2024, 3, 31, 4))
    await status(st, 1, "Available", local(2024, 3, 31, 4), None)
    await session(st, 1, local(2024, 3, 30, 23), local(2024, 3, 31, 4), 8_000)
    report = await reports.usage_report(net.org_id, local(2024, 3, 30), local(2024, 4, 1), "DAY")
    sat, sun = report.rows
    assert (sat.key, sat.energy_wh, sat.occupied_hours, sat.sessions) == (
        "2024-03-30",
        2_000,
        1.0,
        1,
    )
    assert (sun.key, sun.energy_wh, sun.occupied_hours, sun.sessions) == (
        "2024-03-31",
        6_000,
        3.0,
        0,
    )
    assert sun.capacity_seconds == 23 * 3600
    assert (sat.utilization_percent, sun.utilization_percent) == (4.2, 13.0)  # 1/24, 3/23
    assert sun.uptime_percent == 100.0

    peak = await reports.peak_hours(net.org_id, local(2024, 3, 30), local(2024, 4, 1))
    cells = {(c.weekday, c.hour): c for c in peak.cells}
    assert len(peak.cells) == 7 * 24 and peak.timezone == "Europe/Stockholm"
    for hour in (0, 1, 3):
        assert cells[(7, hour)].occupancy_percent == 100.0
        assert cells[(7, hour)].energy_wh == 2_000  # 8 kWh over 4 real hours
    assert cells[(7, 2)].occupancy_percent == 0.0  # the hour that never was
    assert cells[(6, 23)].occupancy_percent == 100.0 and cells[(6, 23)].sessions_started == 1
    assert cells[(7, 4)].occupancy_percent == 0.0
    assert sum(c.sessions_started for c in peak.cells) == 1


async def test_peak_hours_count_the_doubled_hour_twice_when_dst_ends(database: object) -> None:
    """Sun 27 Oct 2024 has 02:00-03:00 twice; the connector is occupied in the first only: 50 %."""
    net = await build_network([1], site_name="Fall")
    st = net.stations[0]
    first_two = datetime(2024, 10, 27, 0, tzinfo=UTC)  # 02:00 CEST
    await status(st, 1, "Occupied", first_two, datetime(2024, 10, 27, 1, tzinfo=UTC))
    peak = await reports.peak_hours(
        net.org_id, local(2024, 10, 27), local(2024, 10, 28), site_id=net.site.id
    )
    cells = {(c.weekday, c.hour): c for c in peak.cells}
    assert cells[(7, 2)].occupancy_percent == 50.0
    assert [c for c in peak.cells if c.occupancy_percent and (c.weekday, c.hour) != (7, 2)] == []


async def test_bottlenecks_rank_full_sites_and_stations(database: object) -> None:
    """Site Hamn: two one-connector stations. Mon-Fri A is occupied 17:00-19:30, B 16:30-19:00:
    the site is full 17:00-19:00, 2 h x 5 = 10 h. Saturday A alone 10:00-12:00 (site not full).
    A is full 2.5 h x 5 + 2 = 14.5 h, B 2.5 h x 5 = 12.5 h."""
    net = await build_network([1, 1], site_name="Hamn")
    a, b = net.stations
    for day in range(15, 20):  # Mon 15 .. Fri 19 Jan 2024
        await status(a, 1, "Charging", local(2024, 1, day, 17), local(2024, 1, day, 19, 30))
        await status(b, 1, "Charging", local(2024, 1, day, 16, 30), local(2024, 1, day, 19))
    await status(a, 1, "SuspendedEV", local(2024, 1, 20, 10), local(2024, 1, 20, 12))
    quiet = await build_network([2], site_name="Quiet")
    await status(quiet.stations[0], 1, "Charging", local(2024, 1, 16, 8), local(2024, 1, 16, 9))

    found = await reports.bottlenecks(net.org_id, local(2024, 1, 15), local(2024, 1, 22))
    assert [(x.station_name, x.hours_at_capacity) for x in found] == [
        ("Hamn-1", 14.5),
        ("Hamn-2", 12.5),
        (None, 10.0),
    ]
    site = found[2]
    assert site.site_name == "Hamn" and site.peak_occupancy_percent == 100.0
    assert site.recommendation.startswith(
        "Site Hamn was full 10 h in the period, mostly weekdays 17\u201319: add capacity"
    )
    assert await reports.bottlenecks(quiet.org_id, local(2024, 1, 15), local(2024, 1, 22)) == []


async def test_bad_ranges_and_groupings_are_refused(database: object) -> None:
    net = await build_network([1], site_name="Bad")
    with pytest.raises(InvalidInput) as err:
        await reports.usage_report(net.org_id, local(2024, 1, 2), local(2024, 1, 1), "DAY")
    assert err.value.field == "range"
    with pytest.raises(InvalidInput) as err:
        await reports.usage_report(net.org_id, local(2024, 1, 1), local(2024, 1, 2), "YEAR")
    assert err.value.field == "groupBy"
    with pytest.raises(InvalidInput):
        await reports.peak_hours(net.org_id, local(2020, 1, 1), local(2024, 1, 1))
