"""createTariff and assignTariff: Decimal strings in, clear errors, organisations kept apart."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.factories.network import create_site, create_station

CREATE = """mutation($i: TariffInput!) { createTariff(input: $i) {
  tariff { id name currency summary } errors { code field message } } }"""
ASSIGN = """mutation($s: ID!, $t: ID!) { assignTariff(stationId: $s, tariffId: $t) {
  station { id tariff { id name } } errors { code field message } } }"""


def tariff(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "name": "Fast",
        "currency": "SEK",
        "vatPercent": "25",
        "energyPricePerKwh": "3.495",
        "idleFeePerMinute": "1",
        "idleGraceMinutes": 30,
        "powerBands": [
            {"minKw": "0", "maxKw": "22", "energyPricePerKwh": "2.50"},
            {"minKw": "22", "energyPricePerKwh": "4.50"},
        ],
        "timeOfDay": [
            {
                "daysOfWeek": ["Mon", "2"],
                "startTime": "22:00",
                "endTime": "06:00",
                "energyPricePerKwh": "1.99",
            }
        ],
        "sessionFee": "5",
        "cap": "400",
    }
    args.update(overrides)
    return args


async def test_a_tariff_with_every_component_reads_as_a_summary(api: Api) -> None:
    _, token = await api.operator()
    body = await api.gql(CREATE, {"i": tariff()}, token)
    result = body["data"]["createTariff"]
    assert result["errors"] == [], result
    summary = result["tariff"]["summary"]
    assert "SEK 3.495/kWh" in summary and "SEK 2.50/kWh at ≤22 kW" in summary
    assert "Mon, Tue 22:00\u201306:00" in summary and "start fee SEK 5.00" in summary
    assert "max SEK 400.00 per session" in summary and "after 30 min idle" in summary


async def test_bad_input_names_the_field_and_stores_nothing(api: Api) -> None:
    _, token = await api.operator()
    cases = [
        ({"energyPricePerKwh": "3.495001"}, "energyPricePerKwh"),
        ({"currency": "XX"}, "currency"),
        ({"vatPercent": "125"}, "vatPercent"),
        ({"cap": "0"}, "cap"),
        (
            {"powerBands": [{"minKw": "22", "maxKw": "11", "energyPricePerKwh": "1"}]},
            "powerBands[0].maxKw",
        ),
        (
            {
                "timeOfDay": [
                    {
                        "daysOfWeek": ["Funday"],
                        "startTime": "22:00",
                        "endTime": "06:00",
                        "energyPricePerKwh": "1",
                    }
                ]
            },
            "timeOfDay[0].daysOfWeek",
        ),
    ]
    for change, field in cases:
        body = await api.gql(CREATE, {"i": tariff(name=f"Bad {field}", **change)}, token)
        result = body["data"]["createTariff"]
        assert result["tariff"] is None, change
        assert (
            result["errors"][0]["code"] == "INVALID_INPUT" and result["errors"][0]["field"] == field
        )


async def test_only_the_organisations_own_tariff_can_be_assigned(api: Api) -> None:
    org, token = await api.operator()
    _, other = await api.operator()
    site = await create_site(api.deps.network, org.id)  # type: ignore[arg-type]
    station = await create_station(api.deps.network, org.id, site.id)  # type: ignore[arg-type]
    foreign = (await api.gql(CREATE, {"i": tariff(name="Theirs")}, other))["data"]["createTariff"]
    body = await api.gql(ASSIGN, {"s": str(station.id), "t": foreign["tariff"]["id"]}, token)
    assert body["data"]["assignTariff"]["errors"][0]["code"] == "NOT_FOUND"
    own = (await api.gql(CREATE, {"i": tariff(name="Ours")}, token))["data"]["createTariff"]
    body = await api.gql(ASSIGN, {"s": str(station.id), "t": own["tariff"]["id"]}, token)
    assert body["data"]["assignTariff"]["station"]["tariff"]["name"] == "Ours"
    viewer = await api.operator_in(org, "viewer")
    body = await api.gql(ASSIGN, {"s": str(station.id), "t": own["tariff"]["id"]}, viewer)
    assert body["data"]["assignTariff"]["errors"][0]["code"] == "FORBIDDEN"


async def test_an_operator_lists_only_the_organisations_own_tariffs(api: Api) -> None:
    org, token = await api.operator()
    viewer = await api.operator_in(org, "viewer")
    listing = "{ tariffs { id name currency summary } }"
    assert (await api.gql(listing, {}, viewer))["data"]["tariffs"] == []
    made = [
        (await api.gql(CREATE, {"i": tariff(name=name)}, token))["data"]["createTariff"]["tariff"]
        for name in ("Day", "Night")
    ]
    _, stranger = await api.operator()
    await api.gql(CREATE, {"i": tariff(name="Theirs")}, stranger)
    listed = (await api.gql(listing, {}, viewer))["data"]["tariffs"]
    assert sorted(t["name"] for t in listed) == ["Day", "Night"]
    assert {t["id"] for t in listed} == {t["id"] for t in made}
    anonymous = await api.gql(listing, {})
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
