# ruff: noqa: RUF001, RUF003 - the en dash and × are the text drivers read
"""Every tariff component, priced on hand-computed sessions (prices in milli-öre, amounts in öre)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.tariffs.models import PowerBand, Tariff
from domain.tariffs.pricing import LineKind, MemberBenefits, PricedSession, price_session
from tests.factories.tariffs import interval, make_tariff

TZ = "Europe/Stockholm"
MONDAY_NOON = datetime(2025, 6, 2, 10, 0, tzinfo=UTC)  # 12:00 in Stockholm (CEST)
T0 = MONDAY_NOON


def price(
    tariff: Tariff, *intervals_: object, membership: MemberBenefits | None = None
) -> PricedSession:
    result = price_session(tariff, intervals_, site_tz=TZ, membership=membership)  # type: ignore[arg-type]
    assert sum(line.amount for line in result.lines) == result.total
    assert result.subtotal + result.vat == result.total
    return result


def lines_of(result: PricedSession, kind: LineKind) -> list[tuple[int, int, int]]:
    return [(ln.quantity, ln.unit_price, ln.amount) for ln in result.lines if ln.kind == kind]


# -- session fee ------------------------------------------------------------------------------------


def test_session_fee_is_charged_once_for_a_session_that_delivered_energy() -> None:
    tariff = make_tariff(session_fee=500)
    result = price(tariff, interval(T0, 10, 1000), interval(T0 + timedelta(minutes=10), 10, 1000))
    assert lines_of(result, LineKind.SESSION_FEE) == [(1000, 500_000, 500)]
    assert result.total == 500


def test_a_session_that_delivered_nothing_costs_nothing() -> None:
    tariff = make_tariff(session_fee=500, energy_price_per_kwh=350_000)
    result = price(tariff, interval(T0, 5, 0, power_w=0))
    assert result.total == 0 and result.lines == ()
    assert price(tariff).total == 0  # no intervals at all


# -- energy -----------------------------------------------------------------------------------------


def test_energy_is_billed_per_kwh() -> None:
    result = price(make_tariff(energy_price_per_kwh=350_000), interval(T0, 60, 10_000))
    assert lines_of(result, LineKind.ENERGY) == [(10_000, 350_000, 3500)]
    assert result.energy_wh == 10_000


def test_energy_is_summed_exactly_before_the_line_is_rounded_once() -> None:
    tariff = make_tariff(energy_price_per_kwh=350_000)  # 0.35 öre per Wh
    ten_wh = [interval(T0 + timedelta(minutes=i), 1, 1, power_w=60) for i in range(10)]
    # each interval alone would round to 0; 10 Wh is 3.5 öre, half-to-even 4
    assert price(tariff, *ten_wh).total == 4


@pytest.mark.parametrize(("wh", "amount"), [(5, 0), (15, 2), (25, 2), (35, 4)])
def test_line_amounts_round_half_to_even(wh: int, amount: int) -> None:
    tariff = make_tariff(energy_price_per_kwh=100_000)  # 0.1 öre per Wh: 5 Wh is exactly 0.5
    assert price(tariff, interval(T0, 10, wh)).total == amount


def test_sub_minor_unit_prices_are_kept_exactly() -> None:
    tariff = make_tariff(energy_price_per_kwh=349_500)  # SEK 3.495/kWh
    assert price(tariff, interval(T0, 60, 10_000)).total == 3495


def test_a_register_going_backwards_is_flagged_and_never_billed_negative() -> None:
    tariff = make_tariff(energy_price_per_kwh=350_000)
    result = price(
        tariff,
        interval(T0, 10, 1000),
        interval(T0 + timedelta(minutes=10), 10, -5000, power_w=0),
    )
    assert result.total == 350 and result.energy_wh == 1000
    assert result.register_went_backwards
    assert result.meter_anomalies == (T0 + timedelta(minutes=10),)


# -- time and idle ----------------------------------------------------------------------------------


def test_time_is_billed_per_minute_of_charging_pro_rata() -> None:
    tariff = make_tariff(time_price_per_minute=50_000)  # SEK 0.50/min
    result = price(tariff, interval(T0, 30, 5000), interval(T0 + timedelta(minutes=30), 1.5, 100))
    assert lines_of(result, LineKind.TIME) == [(31_500, 50_000, 1575)]
    assert result.charging_seconds == 31.5 * 60


def test_idle_time_is_not_charging_time() -> None:
    tariff = make_tariff(time_price_per_minute=50_000)
    result = price(
        tariff, interval(T0, 30, 5000), interval(T0 + timedelta(minutes=30), 30, idle=True)
    )
    assert result.total == 1500
    assert result.idle_seconds == 1800


def test_idle_fee_starts_after_the_grace_period() -> None:
    tariff = make_tariff(idle_fee_per_minute=100_000, idle_grace_minutes=30)
    charging = interval(T0, 60, 20_000)
    after = T0 + timedelta(minutes=60)
    assert price(tariff, charging, interval(after, 30, idle=True)).total == 0
    result = price(tariff, charging, interval(after, 45, idle=True))
    assert lines_of(result, LineKind.IDLE) == [(15_000, 100_000, 1500)]
    assert result.lines[-1].description == "Idle fee after 30 min"


def test_the_grace_period_counts_all_idle_time_of_the_session() -> None:
    tariff = make_tariff(idle_fee_per_minute=100_000, idle_grace_minutes=30)
    result = price(
        tariff,
        interval(T0, 20, idle=True),
        interval(T0 + timedelta(minutes=20), 10, 2000),
        interval(T0 + timedelta(minutes=30), 20, idle=True),
    )
    assert lines_of(result, LineKind.IDLE) == [(10_000, 100_000, 1000)]


def test_idle_fee_without_grace_starts_at_once() -> None:
    tariff = make_tariff(idle_fee_per_minute=100_000)
    assert price(tariff, interval(T0, 3, idle=True)).total == 300


# -- charging-speed bands ---------------------------------------------------------------------------

BANDED = make_tariff(
    energy_price_per_kwh=999_000,  # only where no band applies
    power_bands=(
        PowerBand(min_power_w=0, max_power_w=22_000, energy_price_per_kwh=300_000),
        PowerBand(min_power_w=22_000, max_power_w=150_000, energy_price_per_kwh=450_000),
        PowerBand(min_power_w=150_000, energy_price_per_kwh=550_000),
    ),
)


@pytest.mark.parametrize(
    ("power_w", "unit_price"),
    [
        (0, 300_000),
        (11_000, 300_000),
        (22_000, 300_000),  # "≤ 22 kW" includes 22 kW
        (22_001, 450_000),
        (150_000, 450_000),
        (150_001, 550_000),
        (350_000, 550_000),
    ],
)
def test_each_power_band_boundary(power_w: int, unit_price: int) -> None:
    result = price(BANDED, interval(T0, 10, 1000, power_w=power_w))
    assert lines_of(result, LineKind.ENERGY) == [(1000, unit_price, unit_price // 1000)]


def test_bands_are_priced_on_the_power_measured_in_each_interval() -> None:
    # A 150 kW connector that delivered 120 kW, then tapered to 15 kW.
    result = price(
        BANDED,
        interval(T0, 10, 20_000),  # 120 kW average
        interval(T0 + timedelta(minutes=10), 20, 5000),  # 15 kW average
    )
    assert lines_of(result, LineKind.ENERGY) == [
        (20_000, 450_000, 9000),
        (5000, 300_000, 1500),
    ]
    assert [ln.description for ln in result.lines] == ["Energy, 22–150 kW", "Energy, ≤22 kW"]


def test_power_outside_every_band_and_unset_band_prices_use_the_base_price() -> None:
    tariff = make_tariff(
        energy_price_per_kwh=350_000,
        time_price_per_minute=10_000,
        power_bands=(
            PowerBand(min_power_w=50_000, max_power_w=150_000, time_price_per_minute=20_000),
        ),
    )
    slow = price(tariff, interval(T0, 60, 11_000))  # 11 kW: no band
    assert slow.total == 3850 + 600
    fast = price(tariff, interval(T0, 60, 100_000))  # 100 kW: the band's time price only
    assert lines_of(fast, LineKind.ENERGY) == [(100_000, 350_000, 35_000)]
    assert lines_of(fast, LineKind.TIME) == [(60_000, 20_000, 1200)]


# -- cap and VAT ------------------------------------------------------------------------------------


def test_the_cap_limits_the_total() -> None:
    tariff = make_tariff(energy_price_per_kwh=350_000, cap=30_000)
    capped = price(tariff, interval(T0, 60, 100_000))
    assert capped.total == 30_000 and capped.capped
    assert lines_of(capped, LineKind.CAP) == [(1000, -5_000_000, -5000)]
    below = price(tariff, interval(T0, 60, 50_000))
    assert below.total == 17_500 and not below.capped
    assert lines_of(below, LineKind.CAP) == []


def test_vat_is_the_share_of_the_vat_inclusive_total() -> None:
    tariff = make_tariff(energy_price_per_kwh=1_000_000, vat_rate_bp=2500)
    result = price(tariff, interval(T0, 60, 12_500))  # SEK 10/kWh
    assert (result.total, result.vat, result.subtotal) == (12_500, 2500, 10_000)
    finnish = price(
        make_tariff(energy_price_per_kwh=1_000_000, vat_rate_bp=2550), interval(T0, 60, 10_000)
    )
    assert (finnish.total, finnish.vat, finnish.subtotal) == (10_000, 2032, 7968)  # 2031.87
    no_vat = price(
        make_tariff(energy_price_per_kwh=1_000_000, vat_rate_bp=0), interval(T0, 60, 10_000)
    )
    assert (no_vat.vat, no_vat.subtotal) == (0, 10_000)


@pytest.mark.parametrize(("total", "vat"), [(14, 2), (42, 4)])
def test_vat_rounds_half_to_even(total: int, vat: int) -> None:
    tariff = make_tariff(session_fee=total, vat_rate_bp=1200)  # 12 %: VAT = 3 × total / 28
    result = price(tariff, interval(T0, 1, 10))
    assert (result.total, result.vat) == (total, vat)


def test_vat_is_on_the_capped_total() -> None:
    tariff = make_tariff(energy_price_per_kwh=350_000, cap=10_000)
    result = price(tariff, interval(T0, 60, 100_000))
    assert (result.total, result.vat, result.subtotal) == (10_000, 2000, 8000)


# -- membership -------------------------------------------------------------------------------------


def test_member_discount_comes_off_the_energy_only() -> None:
    tariff = make_tariff(
        energy_price_per_kwh=350_000, time_price_per_minute=10_000, session_fee=500
    )
    result = price(
        tariff, interval(T0, 60, 10_000), membership=MemberBenefits(energy_discount_percent=10)
    )
    assert lines_of(result, LineKind.DISCOUNT) == [(1000, -350_000, -350)]
    assert result.total == 500 + 3500 - 350 + 600


def test_included_energy_is_used_first_and_reported() -> None:
    tariff = make_tariff(energy_price_per_kwh=350_000)
    result = price(tariff, interval(T0, 60, 10_000), membership=MemberBenefits(10, 4000))
    assert lines_of(result, LineKind.ENERGY) == [(6000, 350_000, 2100)]
    assert lines_of(result, LineKind.INCLUDED_ENERGY) == [(4000, 0, 0)]
    assert lines_of(result, LineKind.DISCOUNT) == [(1000, -210_000, -210)]
    assert result.included_wh_used == 4000 and result.total == 1890


def test_included_energy_is_used_up_across_the_period_sessions() -> None:
    tariff = make_tariff(energy_price_per_kwh=350_000)
    remaining = 5000
    first = price(tariff, interval(T0, 30, 3000), membership=MemberBenefits(0, remaining))
    assert (first.total, first.included_wh_used) == (0, 3000)
    remaining -= first.included_wh_used
    second = price(
        tariff, interval(T0 + timedelta(days=1), 30, 4000), membership=MemberBenefits(0, remaining)
    )
    assert (second.total, second.included_wh_used) == (700, 2000)
    remaining -= second.included_wh_used
    third = price(
        tariff, interval(T0 + timedelta(days=2), 30, 1000), membership=MemberBenefits(0, remaining)
    )
    assert (third.total, third.included_wh_used) == (350, 0)
    assert lines_of(third, LineKind.INCLUDED_ENERGY) == []


def test_included_energy_covers_the_oldest_energy_first() -> None:
    night = make_tariff(
        energy_price_per_kwh=400_000,
        time_windows=(
            {
                "days_of_week": (1, 2, 3, 4, 5, 6, 7),
                "start_minute": 22 * 60,
                "end_minute": 6 * 60,
                "energy_price_per_kwh": 100_000,
            },
        ),
    )
    evening = datetime(2025, 6, 2, 19, 0, tzinfo=UTC)  # 21:00 local, an hour before the window
    result = price(night, interval(evening, 120, 4000), membership=MemberBenefits(0, 2000))
    # the day hour's 2000 Wh are included; the night hour's 2000 Wh are billed at the night price
    assert lines_of(result, LineKind.ENERGY) == [(2000, 100_000, 200)]


def test_discount_and_cap_together_cap_the_discounted_total() -> None:
    tariff = make_tariff(energy_price_per_kwh=350_000, cap=30_000)
    result = price(tariff, interval(T0, 60, 100_000), membership=MemberBenefits(20, 0))
    assert result.total == 28_000 and not result.capped  # 35 000 - 20 %
