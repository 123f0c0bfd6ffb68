"""Tariffs and plans stored per organisation; bad input is refused and stores nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from beanie import PydanticObjectId

from domain.common.errors import AlreadyExists, InvalidInput, NotFound
from domain.common.events import InProcessEventBus
from domain.network.service import NetworkService
from domain.tariffs.models import TariffDocument
from domain.tariffs.pricing import price_session, summarize
from domain.tariffs.service import TariffService
from domain.tariffs.validation import PowerBandInput, TimeWindowInput
from tests.factories.network import create_org, create_site, create_station
from tests.factories.tariffs import create_plan, create_tariff, interval, tariff_input


@pytest.fixture
def tariffs(database: object) -> TariffService:
    return TariffService()


async def test_a_tariff_is_stored_and_read_back_intact(tariffs: TariffService) -> None:
    org = await create_org()
    created = await create_tariff(
        tariffs,
        org.id,
        name="Snabb",
        session_fee=500,
        idle_fee_per_minute=50_000,
        idle_grace_minutes=60,
        power_bands=[PowerBandInput(0, 22_000, 300_000), PowerBandInput(22_000, None, 450_000)],
        time_of_day=[TimeWindowInput(["Sat", "Sun"], "00:00", "00:00", None, 0)],
        cap=40_000,
    )
    loaded = await tariffs.tariff_for_org(org.id, created.id)  # type: ignore[arg-type]
    assert loaded.tariff == created.tariff and loaded.name == "Snabb"
    assert summarize(loaded.tariff).startswith("SEK 3.50/kWh · SEK 3.00/kWh at ≤22 kW")
    # what comes back from MongoDB prices like what went in
    session = [interval(datetime(2025, 6, 7, 10, tzinfo=UTC), 60, 30_000)]
    assert price_session(loaded.tariff, session, site_tz="Europe/Stockholm").total == 500 + 13_500


async def test_bad_input_is_refused_with_its_field_and_nothing_is_stored(
    tariffs: TariffService,
) -> None:
    org = await create_org()
    for bad, field in [
        (tariff_input(currency="XXX"), "currency"),
        (tariff_input(energy_price_per_kwh=-1), "energyPricePerKwh"),
        (
            tariff_input(
                power_bands=[PowerBandInput(0, 50_000, 1), PowerBandInput(22_000, None, 2)]
            ),
            "powerBands[1].minKw",
        ),
        (
            tariff_input(time_of_day=[TimeWindowInput([8], "22:00", "06:00", 1)]),
            "timeOfDay[0].daysOfWeek",
        ),
        (
            tariff_input(time_of_day=[TimeWindowInput([1], "22.00", "06:00", 1)]),
            "timeOfDay[0].startTime",
        ),
    ]:
        with pytest.raises(InvalidInput) as refused:
            await tariffs.create_tariff(org.id, bad)  # type: ignore[arg-type]
        assert refused.value.field == field
    assert await tariffs.list_tariffs(org.id) == []  # type: ignore[arg-type]
    assert await TariffDocument.find(TariffDocument.org_id == org.id).count() == 0


async def test_tariffs_are_listed_per_organisation_by_name_and_names_are_unique(
    tariffs: TariffService,
) -> None:
    org, other = await create_org(), await create_org()
    await create_tariff(tariffs, org.id, name="Normal")
    await create_tariff(tariffs, org.id, name="Kväll")
    theirs = await create_tariff(tariffs, other.id, name="Normal")  # another org may reuse a name
    with pytest.raises(AlreadyExists) as duplicate:
        await create_tariff(tariffs, org.id, name=" Normal ")
    assert duplicate.value.field == "name"
    assert [t.name for t in await tariffs.list_tariffs(org.id)] == ["Kväll", "Normal"]  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await tariffs.tariff_for_org(org.id, theirs.id)  # type: ignore[arg-type]
    assert (await tariffs.get_tariff(theirs.id)).name == "Normal"  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await tariffs.get_tariff(PydanticObjectId())
    found = await tariffs.tariffs_by_id([theirs.id, PydanticObjectId()])  # type: ignore[list-item]
    assert list(found) == [theirs.id]


async def test_a_station_shows_the_tariff_assigned_to_it(tariffs: TariffService) -> None:
    network = NetworkService(InProcessEventBus())
    org = await create_org()
    site = await create_site(network, org.id)
    station = await create_station(network, org.id, site.id)
    tariff = await create_tariff(tariffs, org.id, energy_price_per_kwh=420_000)
    await network.assign_tariff(station, tariff.id)
    reloaded = await network.station_for_org(org.id, station.id)  # type: ignore[arg-type]
    assert reloaded.tariff_id == tariff.id
    shown = await tariffs.get_tariff(reloaded.tariff_id)  # type: ignore[arg-type]
    assert summarize(shown.tariff) == "SEK 4.20/kWh · incl. 25% VAT"


async def test_plans_are_created_listed_and_validated(tariffs: TariffService) -> None:
    org, other = await create_org(), await create_org()
    plan = await create_plan(tariffs, org.id, name="Bas", monthly_fee=9900, included_wh=50_000)
    await create_plan(tariffs, other.id, name="Plus", stripe_price_id="price_123")
    assert plan.monthly_fee_money.to_decimal_string() == "99.00"
    assert [p.name for p in await tariffs.list_plans(org.id)] == ["Bas"]  # type: ignore[arg-type]
    assert {p.name for p in await tariffs.list_plans()} >= {"Bas", "Plus"}
    assert (await tariffs.get_plan(plan.id)).included_wh == 50_000  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        await tariffs.plan_for_org(other.id, plan.id)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput) as refused:
        await create_plan(tariffs, org.id, name="Gratis", energy_discount_percent=150)
    assert refused.value.field == "energyDiscountPercent"
    with pytest.raises(AlreadyExists):
        await create_plan(tariffs, org.id, name="Bas")
    assert [p.name for p in await tariffs.list_plans(org.id)] == ["Bas"]  # type: ignore[arg-type]
