# ruff: noqa: RUF001, RUF003 - the en dash and × are the text drivers read
"""The one-line tariff summary drivers see on each station."""

from __future__ import annotations

from domain.tariffs.models import PowerBand, TimeWindow
from domain.tariffs.pricing import summarize
from tests.factories.tariffs import make_tariff


def test_the_summary_reads_like_the_price_list() -> None:
    tariff = make_tariff(
        energy_price_per_kwh=350_000,
        idle_fee_per_minute=50_000,
        idle_grace_minutes=60,
        session_fee=500,
    )
    assert summarize(tariff) == (
        "SEK 3.50/kWh · SEK 0.50/min after 60 min idle · start fee SEK 5.00 · incl. 25% VAT"
    )


def test_the_summary_names_bands_windows_time_price_and_cap() -> None:
    tariff = make_tariff(
        currency="EUR",
        vat_rate_bp=2550,
        energy_price_per_kwh=349_500,
        time_price_per_minute=20_000,
        power_bands=(
            PowerBand(max_power_w=22_000, energy_price_per_kwh=300_000),
            PowerBand(min_power_w=22_000, max_power_w=150_000, energy_price_per_kwh=450_000),
            PowerBand(min_power_w=150_000, energy_price_per_kwh=550_000, time_price_per_minute=0),
        ),
        time_windows=(
            TimeWindow(
                days_of_week=(1, 2, 3, 4, 5),
                start_minute=1320,
                end_minute=360,
                energy_price_per_kwh=200_000,
            ),
            TimeWindow(
                days_of_week=(1, 3), start_minute=420, end_minute=540, time_price_per_minute=100_000
            ),
        ),
        idle_fee_per_minute=100_000,
        cap=30_000,
    )
    assert summarize(tariff) == (
        "EUR 3.495/kWh · EUR 0.20/min charging · EUR 3.00/kWh at ≤22 kW · "
        "EUR 4.50/kWh at 22–150 kW · EUR 5.50/kWh + EUR 0.00/min at >150 kW · "
        "EUR 2.00/kWh Mon–Fri 22:00–06:00 · EUR 1.00/min Mon, Wed 07:00–09:00 · "
        "EUR 1.00/min idle · max EUR 300.00 per session · incl. 25.5% VAT"
    )


def test_a_free_tariff_says_so_and_zero_decimal_currencies_have_no_decimals() -> None:
    assert summarize(make_tariff(vat_rate_bp=0)) == "Free · incl. 0% VAT"
    assert summarize(
        make_tariff(currency="ISK", vat_rate_bp=2400, energy_price_per_kwh=65_000)
    ) == ("ISK 65/kWh · incl. 24% VAT")
