"""Issue 11, reports as a person meets them: an organisation that prices in SEK gets its usage
report (GraphQL, HTTP CSV/SVG and `laddnet report` as a subprocess) over the README's own dates, in
SEK; a date-only ``to`` is the site's local midnight; charts name stations and scale to the data."""

from __future__ import annotations

import os
import subprocess
import sys
from xml.etree import ElementTree

from beanie import PydanticObjectId

from domain.identity.models import Organisation
from domain.network.models import ConnectorStatus, StatusInterval
from laddnet.database import Database
from tests.domain.reporting.conftest import local, session
from tests.e2e.conftest import Laddnet
from tests.factories.network import create_site, create_station
from tests.factories.tariffs import create_tariff

SVG = "{http://www.w3.org/2000/svg}"
USAGE = """query($range: DateRangeInput!, $groupBy: UsageGroupBy!) {
  usageReport(range: $range, groupBy: $groupBy) {
    rows { label sessions energyKwh revenue { amount currency } }
    totals { sessions energyKwh revenue { amount currency } }
  }
}"""


def cli(database: Database, mongodb_uri: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LADDNET_")}
    env |= {"LADDNET_MONGODB_URI": mongodb_uri, "LADDNET_MONGODB_DATABASE": database.db.name}
    return subprocess.run(
        [sys.executable, "-m", "laddnet.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


async def test_a_tariffed_organisation_gets_its_usage_report_in_its_currency(
    laddnet: Laddnet, database: Database, mongodb_uri: str
) -> None:
    org_id, token = await laddnet.operator()
    org = PydanticObjectId(org_id)
    c = laddnet.container
    await create_tariff(c.tariffs, org, currency="SEK")
    site = await create_site(c.network, org, name="Hamnen", timezone="Europe/Stockholm")
    assert site.id is not None
    station = await create_station(c.network, org, site.id, name="Hamnen snabb 1")
    # Monday 30 November 22:00-23:00 local, one connector of two charging: counted in November.
    await StatusInterval(
        org_id=org, site_id=site.id, station_id=station.id,  # type: ignore[arg-type]
        connector_id=1, status=ConnectorStatus.CHARGING,
        start=local(2026, 11, 30, 22), end=local(2026, 11, 30, 23),
    ).insert()  # fmt: skip
    await session(station, 1, local(2026, 11, 30, 22), local(2026, 11, 30, 23), 5_000)
    # 00:15 local on 1 December is still 30 November in UTC: not part of November here.
    await session(station, 2, local(2026, 12, 1, 0, 15), local(2026, 12, 1, 0, 45), 7_000)

    # GraphQL, over the README's dates (local midnights).
    november = {"from": local(2026, 11, 1).isoformat(), "to": local(2026, 12, 1).isoformat()}
    data = await laddnet.data(USAGE, {"range": november, "groupBy": "STATION"}, token)
    report = data["usageReport"]
    assert report["totals"] == {
        "sessions": 1,
        "energyKwh": 5.0,
        "revenue": {"amount": "0.00", "currency": "SEK"},
    }
    assert [r["label"] for r in report["rows"]] == ["Hamnen snabb 1"]

    # HTTP CSV with date-only bounds: the site's local days, the last one 30 November.
    auth = {"Authorization": f"Bearer {token}"}
    dates = {"from": "2026-11-01", "to": "2026-12-01"}
    csv = await laddnet.http.get(
        "/reports/usage.csv", params={**dates, "groupBy": "DAY"}, headers=auth
    )
    assert csv.status_code == 200, csv.text
    lines = [line.split(",") for line in csv.text.splitlines()]
    assert lines[1][0] == "2026-11-01" and lines[-2][0] == "2026-11-30" and len(lines) == 32
    assert lines[-1][:3] == ["total", "Total", "1"] and lines[-1][-1] == "SEK"

    # The usage chart names the station, has axis titles and a legend.
    svg = await laddnet.http.get(
        "/reports/usage.svg", params={**dates, "groupBy": "STATION"}, headers=auth
    )
    assert svg.status_code == 200, svg.text
    root = ElementTree.fromstring(svg.text)
    texts = ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]
    assert "Hamnen snabb 1" in texts and str(station.id) not in svg.text
    assert {"utilisation (%)", "station"} <= set(texts)
    assert root.find(f"{SVG}g[@class='legend']") is not None

    # The heat map's scale fits the data: 1 h of 2 connectors x 5 Mondays' 22:00 hour = 10 %.
    heat = await laddnet.http.get("/reports/peak-hours.svg", params=dates, headers=auth)
    root = ElementTree.fromstring(heat.text)
    cells = root.findall(f"{SVG}g[@class='cells']/{SVG}rect")
    assert len(cells) == 7 * 24
    monday_22 = cells[22]
    assert "10.0% occupied" in "".join(monday_22.itertext())
    assert monday_22.get("fill") == "rgb(255,55,25)"  # the top of the scale, not a tenth of it
    legend = "".join(root.find(f"{SVG}g[@class='legend']").itertext())  # type: ignore[union-attr]
    assert "scale 0\u201310 %" in legend
    note = " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))
    assert "usage's utilisation divides by available" in note  # why the two differ

    # `laddnet report usage` exactly as the README shows it (with --org: there are several).
    name = (await Organisation.get(org)).name  # type: ignore[union-attr]
    shown = cli(database, mongodb_uri, "report", "usage", "--from", "2026-11-01", "--to",
                "2026-12-01", "--org", name, "--group-by", "STATION")  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    total = next(line for line in shown.stdout.splitlines() if line.startswith("Total"))
    assert total.split()[1] == "1" and total.endswith("0.00 SEK")
    assert "Hamnen snabb 1" in shown.stdout


async def test_report_errors_are_clear_and_name_the_organisations(
    laddnet: Laddnet, database: Database, mongodb_uri: str
) -> None:
    await laddnet.operator()
    await laddnet.operator()
    names = [o.name for o in await Organisation.find_all().sort("name").to_list()]
    several = cli(
        database, mongodb_uri, "report", "usage", "--from", "2026-11-01", "--to", "2026-12-01"
    )
    assert several.returncode == 2
    assert several.stderr.startswith("error: INVALID_INPUT (org): pass --org")
    assert all(repr(n) in several.stderr for n in names) and "Traceback" not in several.stderr
    unknown = cli(database, mongodb_uri, "report", "peak-hours", "--from", "2026-11-01",
                  "--to", "2026-12-01", "--org", names[0], "--site", "Nowhere")  # fmt: skip
    assert unknown.returncode == 2 and "Traceback" not in unknown.stderr
    assert unknown.stderr.startswith("error: NOT_FOUND (site): no site 'Nowhere'")
    nobody = cli(database, mongodb_uri, "report", "bottlenecks", "--from", "2026-11-01",
                 "--to", "2026-12-01", "--org", "Nobody AB")  # fmt: skip
    assert nobody.returncode == 2
    assert nobody.stderr.startswith("error: NOT_FOUND (org): no organisation 'Nobody AB'")
