"""Reports over real HTTP: usageReport, peakHours and bottlenecks in GraphQL, and the same as CSV and
SVG with the same authorisation."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from xml.etree import ElementTree

import pytest

from domain.network.models import ConnectorStatus, Station, StatusInterval
from domain.reporting.service import ReportingService
from tests.api.conftest import Api, start_api
from tests.api.test_operator import create_site, register
from tests.domain.reporting.conftest import local, session

USAGE = """query UsageReport($range: DateRangeInput!, $groupBy: UsageGroupBy!, $siteId: ID) {
  usageReport(range: $range, groupBy: $groupBy, siteId: $siteId) {
    rows { key label sessions energyKwh chargingHours occupiedHours utilizationPercent uptimePercent
           revenue { amount currency } }
    totals { sessions energyKwh utilizationPercent uptimePercent revenue { amount currency } }
  }
}"""
PEAK = """query PeakHours($range: DateRangeInput!, $siteId: ID, $stationId: ID) {
  peakHours(range: $range, siteId: $siteId, stationId: $stationId) {
    timezone cells { weekday hour occupancyPercent sessionsStarted energyKwh }
  }
}"""
BOTTLENECKS = """query Bottlenecks($range: DateRangeInput!) {
  bottlenecks(range: $range) {
    site { id name } station { id name } peakOccupancyPercent hoursAtCapacity recommendation
  }
}"""
RANGE = {"from": local(2024, 1, 15).isoformat(), "to": local(2024, 1, 17).isoformat()}


@pytest.fixture(scope="module")
async def api(database: object) -> AsyncIterator[Api]:
    async with start_api() as running:
        running.deps.reporting = ReportingService(clock=lambda: datetime(2025, 1, 1, tzinfo=UTC))
        yield running


async def _history(api: Api, cp: str) -> tuple[str, str, str]:
    """One station, two connectors, Stockholm. Mon 15 Jan both connectors Charging 17:00-19:00
    (full 2 h); a 6 kWh session on c1 from Mon 23:00 to Tue 01:00 across midnight."""
    _, admin = await api.operator()
    site_id = await create_site(api, admin, name="Report site")
    station = await Station.get(await register(api, admin, site_id, cp))
    assert station is not None
    for c in (1, 2):
        await StatusInterval(
            org_id=station.org_id, site_id=station.site_id, station_id=station.id,  # type: ignore[arg-type]
            connector_id=c, status=ConnectorStatus.CHARGING,
            start=local(2024, 1, 15, 17), end=local(2024, 1, 15, 19),
        ).insert()  # fmt: skip
    await session(station, 1, local(2024, 1, 15, 23), local(2024, 1, 16, 1), 6_000)
    return admin, site_id, str(station.id)


async def test_reports_in_graphql(api: Api) -> None:
    admin, site_id, station_id = await _history(api, "RP-1")
    usage = await api.gql(USAGE, {"range": RANGE, "groupBy": "DAY", "siteId": site_id}, admin)
    rows = usage["data"]["usageReport"]["rows"]
    assert [(r["key"], r["sessions"], r["energyKwh"], r["occupiedHours"]) for r in rows] == [
        ("2024-01-15", 1, 3.0, 4.0),
        ("2024-01-16", 0, 3.0, 0.0),
    ]
    assert rows[0]["revenue"] == {"amount": "0.00", "currency": "EUR"}
    peak = (await api.gql(PEAK, {"range": RANGE, "stationId": station_id}, admin))["data"]
    cells = {(c["weekday"], c["hour"]): c for c in peak["peakHours"]["cells"]}
    assert peak["peakHours"]["timezone"] == "Europe/Stockholm"
    assert cells[(1, 17)]["occupancyPercent"] == 100.0 and cells[(1, 23)]["sessionsStarted"] == 1
    found = (await api.gql(BOTTLENECKS, {"range": RANGE}, admin))["data"]["bottlenecks"]
    assert [(b["station"], b["hoursAtCapacity"]) for b in found] == [
        (None, 2.0),  # the site first on a tie: it is where capacity is added
        ({"id": station_id, "name": "RP-1"}, 2.0),
    ]
    assert found[0]["site"]["name"] == "Report site"
    assert found[0]["recommendation"].startswith("Site Report site was full 2 h in the period")
    bad = await api.gql(USAGE, {"range": {**RANGE, "to": RANGE["from"]}, "groupBy": "DAY"}, admin)
    assert bad["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "range"}
    driver = await api.driver()
    refused = await api.gql(USAGE, {"range": RANGE, "groupBy": "DAY"}, driver)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_reports_as_csv_and_svg_with_the_same_authorisation(api: Api) -> None:
    admin, site_id, _ = await _history(api, "RP-2")
    params = {"from": RANGE["from"], "to": RANGE["to"], "groupBy": "DAY", "siteId": site_id}
    auth = {"Authorization": f"Bearer {admin}"}
    response = await api.http.get("/reports/usage.csv", params=params, headers=auth)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(response.text)))
    assert [(r["key"], r["energy_kwh"], r["occupied_hours"]) for r in table] == [
        ("2024-01-15", "3.000", "4.0"),
        ("2024-01-16", "3.000", "0.0"),
        ("total", "6.000", "4.0"),
    ]
    svg = await api.http.get("/reports/peak-hours.svg", params=params, headers=auth)
    assert svg.headers["content-type"] == "image/svg+xml"
    root = ElementTree.fromstring(svg.text)
    rects = root.findall(
        "{http://www.w3.org/2000/svg}g[@class='cells']/{http://www.w3.org/2000/svg}rect"
    )
    assert len(rects) == 7 * 24
    trend = await api.http.get("/reports/usage.svg", params=params, headers=auth)
    bars = "{http://www.w3.org/2000/svg}g[@class='bars']/{http://www.w3.org/2000/svg}rect"
    assert len(ElementTree.fromstring(trend.text).findall(bars)) == 2
    found = await api.http.get("/reports/bottlenecks.csv", params=params, headers=auth)
    assert "was full 2 h" in found.text
    anonymous = await api.http.get("/reports/usage.csv", params=params)
    assert anonymous.status_code == 401
    driver = await api.driver()
    forbidden = await api.http.get(
        "/reports/usage.csv", params=params, headers={"Authorization": f"Bearer {driver}"}
    )
    assert forbidden.status_code == 403
    bad = await api.http.get(
        "/reports/usage.csv", params={**params, "from": "yesterday"}, headers=auth
    )
    assert bad.status_code == 400 and bad.json()["field"] == "from"
    _, stranger = await api.operator()
    other = await api.http.get(
        "/reports/usage.csv", params=params, headers={"Authorization": f"Bearer {stranger}"}
    )
    assert other.status_code == 404  # another organisation's site
