"""Uptime counts a connector up only while its station is online and its status is not Faulted,
Unavailable or Unknown. Hand-built histories in Stockholm (UTC+1 in January); answers by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from domain.common.events import InProcessEventBus
from domain.network.service import NetworkService
from domain.reporting.service import ReportingService
from tests.domain.reporting.conftest import build_network, connectivity, local, status

LATER = datetime(2025, 1, 1, tzinfo=UTC)
reports = ReportingService(clock=lambda: LATER)
HOUR = 3600


async def test_two_hours_offline_of_a_day_is_91_67_percent_uptime(database: object) -> None:
    """Two connectors Available all of 10 Jan; the station online but for 10:00-12:00.
    Up: 2 x 22 h of 2 x 24 h = 91.67 %. Utilisation is untouched (nothing occupied)."""
    net = await build_network([2], site_name="Offline2h")
    st = net.stations[0]
    for c in (1, 2):
        await status(st, c, "Available", local(2024, 1, 1), None)
    await connectivity(st, True, local(2024, 1, 9), local(2024, 1, 10, 10))
    await connectivity(st, False, local(2024, 1, 10, 10), local(2024, 1, 10, 12))
    await connectivity(st, True, local(2024, 1, 10, 12), None)
    report = await reports.usage_report(net.org_id, local(2024, 1, 10), local(2024, 1, 11), "DAY")
    [day] = report.rows
    assert day.key == "2024-01-10"
    assert day.capacity_seconds == 48 * HOUR and day.available_seconds == 48 * HOUR
    assert day.up_seconds == 44 * HOUR
    assert day.up_seconds / day.capacity_seconds == pytest.approx(0.9167, abs=5e-5)
    assert day.uptime_percent == 91.7  # reports round to 0.1
    assert day.utilization_percent == 0.0
    by_station = await reports.usage_report(
        net.org_id, local(2024, 1, 10), local(2024, 1, 11), "STATION"
    )
    assert by_station.rows[0].uptime_percent == 91.7


async def test_offline_overlapping_a_fault_is_not_counted_twice(database: object) -> None:
    """c1: Available 00-08, Faulted 08-12, Available 12-24. Offline 10:00-14:00.
    Down: Faulted 08-12 (4 h, 2 h of it also offline) + offline while Available 12-14 (2 h) = 6 h;
    up 18 h of 24 = 75 %. Counting the overlap twice would give 16 h (66.7 %)."""
    net = await build_network([1], site_name="FaultOff")
    st = net.stations[0]
    await status(st, 1, "Available", local(2024, 1, 10), local(2024, 1, 10, 8))
    await status(st, 1, "Faulted", local(2024, 1, 10, 8), local(2024, 1, 10, 12))
    await status(st, 1, "Available", local(2024, 1, 10, 12), None)
    await connectivity(st, False, local(2024, 1, 10, 10), local(2024, 1, 10, 14))
    [day] = (
        await reports.usage_report(net.org_id, local(2024, 1, 10), local(2024, 1, 11), "DAY")
    ).rows
    assert day.available_seconds == 20 * HOUR
    assert day.up_seconds == 18 * HOUR
    assert day.uptime_percent == 75.0


async def test_an_outage_across_midnight_is_split_between_local_days(database: object) -> None:
    """Offline 10 Jan 22:00 to 11 Jan 03:00 Stockholm time (21:00-02:00 UTC): 2 h on the 10th and
    3 h on the 11th (a UTC split would say 3 h and 2 h). One connector Available throughout."""
    net = await build_network([1], site_name="Midnight")
    st = net.stations[0]
    await status(st, 1, "Available", local(2024, 1, 1), None)
    await connectivity(st, False, local(2024, 1, 10, 22), local(2024, 1, 11, 3))
    await connectivity(st, True, local(2024, 1, 11, 3), None)
    report = await reports.usage_report(net.org_id, local(2024, 1, 10), local(2024, 1, 12), "DAY")
    day1, day2 = report.rows
    assert (day1.key, day1.up_seconds, day1.uptime_percent) == ("2024-01-10", 22 * HOUR, 91.7)
    assert (day2.key, day2.up_seconds, day2.uptime_percent) == ("2024-01-11", 21 * HOUR, 87.5)
    assert report.totals.up_seconds == 43 * HOUR
    assert report.totals.uptime_percent == 89.6  # 43 / 48
    week = await reports.usage_report(net.org_id, local(2024, 1, 10), local(2024, 1, 12), "WEEK")
    assert week.rows[0].up_seconds == 43 * HOUR


async def test_a_station_still_offline_is_down_until_now(database: object) -> None:
    """Offline from 18:00 and never back: the open interval runs to the report's now (here the
    range's end), so the day has 18 h up of 24."""
    net = await build_network([1], site_name="StillOff")
    st = net.stations[0]
    await status(st, 1, "Available", local(2024, 1, 1), None)
    await connectivity(st, True, local(2024, 1, 1), local(2024, 1, 10, 18))
    await connectivity(st, False, local(2024, 1, 10, 18), None)
    [day] = (
        await reports.usage_report(net.org_id, local(2024, 1, 10), local(2024, 1, 11), "DAY")
    ).rows
    assert (day.up_seconds, day.uptime_percent) == (18 * HOUR, 75.0)


async def test_uptime_from_what_the_network_service_records(database: object) -> None:
    """Through NetworkService: connected at 00:00 with the connector Available, the connection
    lost 06:00-09:00, a reconnect replacing the live connection at 12:00 (its stale disconnect
    right after changes nothing). Up 21 h of 24 = 87.5 %."""
    network = NetworkService(InProcessEventBus())
    net = await build_network([1], site_name="Live")
    st = net.stations[0]
    await network.station_connected(st, node_id="n/a", at=local(2024, 1, 10))
    await network.connector_status(
        st, connector_id=1, status="Available", error_code="NoError", at=local(2024, 1, 10)
    )
    await network.station_disconnected(st, node_id="n/a", at=local(2024, 1, 10, 6))
    await network.station_connected(st, node_id="n/b", at=local(2024, 1, 10, 9))
    await network.station_connected(st, node_id="n/c", at=local(2024, 1, 10, 12))
    await network.station_disconnected(st, node_id="n/b", at=local(2024, 1, 10, 12, 0, 1))
    [day] = (
        await reports.usage_report(net.org_id, local(2024, 1, 10), local(2024, 1, 11), "DAY")
    ).rows
    assert (day.up_seconds, day.uptime_percent) == (21 * HOUR, 87.5)
