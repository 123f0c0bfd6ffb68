"""Operators' tariff and plan input: every refusal names its field; Decimal parsing is exact."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from domain.common.errors import InvalidInput
from domain.tariffs.models import PowerBand, TimeWindow
from domain.tariffs.units import (
    amount_from_decimal,
    kw_to_w,
    kwh_to_wh,
    percent_to_basis_points,
    price_from_decimal,
    price_to_decimal,
)
from domain.tariffs.validation import (
    PowerBandInput,
    TimeWindowInput,
    build_tariff,
    check_plan,
    parse_clock,
    parse_days,
)
from tests.factories.tariffs import plan_input, tariff_input

BANDS = [
    PowerBandInput(0, 22_000, 300_000),
    PowerBandInput(22_000, 150_000, 450_000),
    PowerBandInput(150_000, None, 550_000),
]


def test_a_full_tariff_is_built_in_domain_units() -> None:
    name, tariff = build_tariff(
        tariff_input(
            name="  Snabbladd  ",
            currency="sek",
            power_bands=BANDS,
            time_of_day=[
                TimeWindowInput(["Mon", "tuesday", 3, "4", "FRI"], "22:00", "06:00", 200_000)
            ],
            cap=30_000,
        )
    )
    assert name == "Snabbladd" and tariff.currency == "SEK"
    assert tariff.power_bands[1] == PowerBand(
        min_power_w=22_000, max_power_w=150_000, energy_price_per_kwh=450_000
    )
    assert tariff.time_windows == (
        TimeWindow(
            days_of_week=(1, 2, 3, 4, 5),
            start_minute=1320,
            end_minute=360,
            energy_price_per_kwh=200_000,
        ),
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "   "}, "name"),
        ({"currency": "XYZ"}, "currency"),
        ({"currency": "kronor"}, "currency"),
        ({"vat_rate_bp": -1}, "vatPercent"),
        ({"vat_rate_bp": 10_001}, "vatPercent"),
        ({"session_fee": -1}, "sessionFee"),
        ({"energy_price_per_kwh": -350_000}, "energyPricePerKwh"),
        ({"time_price_per_minute": -1}, "timePricePerMinute"),
        ({"idle_fee_per_minute": -1}, "idleFeePerMinute"),
        ({"idle_grace_minutes": -5}, "idleGraceMinutes"),
        ({"idle_grace_minutes": 100_000}, "idleGraceMinutes"),
        ({"pre_authorization_amount": -100}, "preAuthorizationAmount"),
        ({"cap": 0}, "cap"),
        ({"energy_price_per_kwh": 10**13}, "energyPricePerKwh"),
        ({"power_bands": [PowerBandInput(22_000, 11_000, 1)]}, "powerBands[0].maxKw"),
        ({"power_bands": [PowerBandInput(-1, 11_000, 1)]}, "powerBands[0].minKw"),
        ({"power_bands": [PowerBandInput(0, 22_000, -1)]}, "powerBands[0].energyPricePerKwh"),
        ({"power_bands": [PowerBandInput(0, 22_000)]}, "powerBands[0]"),
        ({"power_bands": [BANDS[1], BANDS[0]]}, "powerBands[1].minKw"),  # out of order
        (
            {"power_bands": [PowerBandInput(0, 50_000, 1), PowerBandInput(22_000, None, 2)]},
            "powerBands[1].minKw",
        ),
        (
            {"power_bands": [PowerBandInput(0, None, 1), PowerBandInput(22_000, None, 2)]},
            "powerBands[1].minKw",
        ),
        ({"time_of_day": [TimeWindowInput([1], "25:00", "06:00", 1)]}, "timeOfDay[0].startTime"),
        ({"time_of_day": [TimeWindowInput([1], "7:00", "09:00", 1)]}, "timeOfDay[0].startTime"),
        ({"time_of_day": [TimeWindowInput([1], "07:00", "09:60", 1)]}, "timeOfDay[0].endTime"),
        ({"time_of_day": [TimeWindowInput([1], "24:00", "09:00", 1)]}, "timeOfDay[0].startTime"),
        ({"time_of_day": [TimeWindowInput([0], "07:00", "09:00", 1)]}, "timeOfDay[0].daysOfWeek"),
        (
            {"time_of_day": [TimeWindowInput(["Someday"], "07:00", "09:00", 1)]},
            "timeOfDay[0].daysOfWeek",
        ),
        ({"time_of_day": [TimeWindowInput([], "07:00", "09:00", 1)]}, "timeOfDay[0].daysOfWeek"),
        ({"time_of_day": [TimeWindowInput([1], "07:00", "09:00")]}, "timeOfDay[0]"),
        (
            {"time_of_day": [TimeWindowInput([1], "07:00", "09:00", None, -1)]},
            "timeOfDay[0].timePricePerMinute",
        ),
        (
            # Friday's night window runs into Saturday 05:00, where the weekend window starts
            {
                "time_of_day": [
                    TimeWindowInput([5], "22:00", "06:00", 1),
                    TimeWindowInput([6], "05:00", "10:00", 2),
                ]
            },
            "timeOfDay[1]",
        ),
    ],
)
def test_bad_tariff_input_is_refused_with_its_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        build_tariff(tariff_input(**overrides))
    assert refused.value.field == field
    assert refused.value.code == "INVALID_INPUT"


def test_windows_that_only_touch_are_fine() -> None:
    _, tariff = build_tariff(
        tariff_input(
            time_of_day=[
                TimeWindowInput([5], "22:00", "06:00", 1),
                TimeWindowInput([6], "06:00", "24:00", 2),
                TimeWindowInput([7], "00:00", "00:00", 3),  # all Sunday
            ]
        )
    )
    assert [w.end_minute for w in tariff.time_windows] == [360, 1440, 0]


def test_clock_and_day_parsing() -> None:
    assert parse_clock("00:00", field="t") == 0 and parse_clock("23:59", field="t") == 1439
    assert parse_clock("24:00", field="t", allow_24=True) == 1440
    assert parse_days(["sun", 1, "1", "Sat"], field="d") == (1, 6, 7)
    with pytest.raises(InvalidInput):
        parse_days([True], field="d")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": ""}, "name"),
        ({"currency": "SEKK"}, "currency"),
        ({"monthly_fee": -1}, "monthlyFee"),
        ({"included_wh": -1}, "includedKwh"),
        ({"energy_discount_percent": 101}, "energyDiscountPercent"),
        ({"energy_discount_percent": -1}, "energyDiscountPercent"),
        ({"description": "x" * 1001}, "description"),
    ],
)
def test_bad_plan_input_is_refused_with_its_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_plan(plan_input(**overrides))
    assert refused.value.field == field


def test_decimal_strings_convert_exactly_or_not_at_all() -> None:
    assert price_from_decimal("3.495", "SEK", field="p") == 349_500
    assert price_from_decimal(Decimal("3.50"), "SEK", field="p") == 350_000
    assert price_from_decimal("65", "ISK", field="p") == 65_000
    assert price_to_decimal(349_500, "SEK") == Decimal("3.495")
    assert amount_from_decimal("5.00", "SEK", field="a") == 500
    assert percent_to_basis_points("25.5", field="v") == 2550
    assert kw_to_w("3.7", field="k") == 3700
    assert kwh_to_wh("100", field="k") == 100_000
    for bad in ("3.495123", "abc", "NaN", "Infinity"):
        with pytest.raises(InvalidInput) as refused:
            price_from_decimal(bad, "SEK", field="energyPricePerKwh")
        assert refused.value.field == "energyPricePerKwh"
    with pytest.raises(InvalidInput):
        amount_from_decimal("5.001", "SEK", field="a")
