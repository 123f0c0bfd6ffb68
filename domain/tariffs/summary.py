"""Readable text for tariffs: the one-line summary drivers see, and labels for receipt lines."""

from __future__ import annotations

from decimal import Decimal

from domain.common.money import minor_digits
from domain.tariffs.models import MINUTES_PER_DAY, PowerBand, Tariff, TimeWindow

DASH = "\u2013"  # en dash, as in "22\u2013150 kW"

DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def format_price(milli_minor: int, currency: str) -> str:
    """A unit price: "SEK 3.50", keeping sub-minor digits when the price has them ("SEK 3.495")."""
    digits = minor_digits(currency)
    value = Decimal(milli_minor).scaleb(-(digits + 3)).normalize()
    exponent = int(value.as_tuple().exponent)
    shown = max(digits, -exponent)
    return f"{currency} {value:.{shown}f}"


def format_amount(minor: int, currency: str) -> str:
    digits = minor_digits(currency)
    return f"{currency} {Decimal(minor).scaleb(-digits):.{digits}f}"


def format_percent(basis_points: int) -> str:
    return f"{Decimal(basis_points).scaleb(-2).normalize():f}"


def format_kw(power_w: int) -> str:
    return f"{Decimal(power_w).scaleb(-3).normalize():f}"


def band_label(band: PowerBand) -> str:
    if band.max_power_w is None:
        return f">{format_kw(band.min_power_w)} kW"
    if band.min_power_w == 0:
        return f"≤{format_kw(band.max_power_w)} kW"
    return f"{format_kw(band.min_power_w)}{DASH}{format_kw(band.max_power_w)} kW"


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def days_label(days: tuple[int, ...]) -> str:
    ordered = sorted(set(days))
    if len(ordered) == 7:
        return "daily"
    runs: list[list[int]] = []
    for day in ordered:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    parts = []
    for run in runs:
        first, last = DAY_NAMES[run[0] - 1], DAY_NAMES[run[-1] - 1]
        if len(run) == 1:
            parts.append(first)
        elif len(run) == 2:
            parts.append(f"{first}, {last}")
        else:
            parts.append(f"{first}{DASH}{last}")
    return ", ".join(parts)


def window_label(window: TimeWindow) -> str:
    end = window.end_minute
    if end == window.start_minute:
        end += MINUTES_PER_DAY
    end_text = "24:00" if end == MINUTES_PER_DAY else _clock(end % MINUTES_PER_DAY)
    return f"{days_label(window.days_of_week)} {_clock(window.start_minute)}{DASH}{end_text}"


def _prices(energy: int | None, time: int | None, currency: str) -> str:
    parts = []
    if energy is not None:
        parts.append(f"{format_price(energy, currency)}/kWh")
    if time is not None:
        parts.append(f"{format_price(time, currency)}/min")
    return " + ".join(parts)


def summarize(tariff: Tariff) -> str:
    """One line for drivers, e.g. "SEK 3.50/kWh · SEK 0.50/min after 60 min idle · start fee SEK 5.00"."""
    c = tariff.currency
    parts: list[str] = []
    if tariff.energy_price_per_kwh:
        parts.append(f"{format_price(tariff.energy_price_per_kwh, c)}/kWh")
    if tariff.time_price_per_minute:
        parts.append(f"{format_price(tariff.time_price_per_minute, c)}/min charging")
    for band in tariff.power_bands:
        parts.append(
            f"{_prices(band.energy_price_per_kwh, band.time_price_per_minute, c)} at {band_label(band)}"
        )
    for window in tariff.time_windows:
        parts.append(
            f"{_prices(window.energy_price_per_kwh, window.time_price_per_minute, c)} "
            f"{window_label(window)}"
        )
    if tariff.idle_fee_per_minute:
        grace = tariff.idle_grace_minutes
        when = f"after {grace} min idle" if grace else "idle"
        parts.append(f"{format_price(tariff.idle_fee_per_minute, c)}/min {when}")
    if tariff.session_fee:
        parts.append(f"start fee {format_amount(tariff.session_fee, c)}")
    if tariff.cap is not None:
        parts.append(f"max {format_amount(tariff.cap, c)} per session")
    if not parts:
        parts.append("Free")
    parts.append(f"incl. {format_percent(tariff.vat_rate_bp)}% VAT")
    return " · ".join(parts)
