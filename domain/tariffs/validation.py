"""What operators send to create tariffs and plans, and the rules it must meet. Pure.

Inputs are already in the domain's integer units (``models``); the edge converts Decimal strings
with ``units``. Every refusal is an ``InvalidInput`` whose ``field`` is the contract's input path
(``powerBands[1].minKw``, ``timeOfDay[0].startTime``), raised before anything is stored.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from domain.common.errors import InvalidInput
from domain.tariffs.currencies import is_iso_4217
from domain.tariffs.models import MINUTES_PER_DAY, PowerBand, Tariff, TimeWindow

MAX_NAME = 100
MAX_DESCRIPTION = 1000
MAX_VALUE = 10**12  # far above any real price, far below MongoDB's int64
MAX_GRACE_MINUTES = 7 * MINUTES_PER_DAY
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_DAYS = {
    name: number
    for number, names in enumerate(
        [
            ("mon", "monday"),
            ("tue", "tues", "tuesday"),
            ("wed", "wednesday"),
            ("thu", "thur", "thurs", "thursday"),
            ("fri", "friday"),
            ("sat", "saturday"),
            ("sun", "sunday"),
        ],
        start=1,
    )
    for name in names
}


@dataclass(frozen=True)
class PowerBandInput:
    min_power_w: int = 0
    max_power_w: int | None = None
    energy_price_per_kwh: int | None = None
    time_price_per_minute: int | None = None


@dataclass(frozen=True)
class TimeWindowInput:
    days_of_week: Sequence[int | str]  # ISO 1..7 (Monday = 1) or names ("Mon", "monday")
    start_time: str  # "HH:MM" site time
    end_time: str  # "HH:MM"; at or before start_time means the next day; "24:00" is midnight
    energy_price_per_kwh: int | None = None
    time_price_per_minute: int | None = None


@dataclass(frozen=True)
class TariffInput:
    name: str
    currency: str
    vat_rate_bp: int
    session_fee: int = 0
    energy_price_per_kwh: int = 0
    time_price_per_minute: int = 0
    idle_fee_per_minute: int = 0
    idle_grace_minutes: int = 0
    power_bands: Sequence[PowerBandInput] = ()
    time_of_day: Sequence[TimeWindowInput] = ()
    cap: int | None = None
    pre_authorization_amount: int = 0


@dataclass(frozen=True)
class PlanInput:
    name: str
    currency: str
    monthly_fee: int
    description: str = ""
    energy_discount_percent: int = 0
    included_wh: int = 0
    stripe_price_id: str | None = None


def _name(value: str) -> str:
    name = value.strip()
    if not name:
        raise InvalidInput("a name is required", field="name")
    if len(name) > MAX_NAME:
        raise InvalidInput(f"a name has at most {MAX_NAME} characters", field="name")
    return name


def _currency(value: str) -> str:
    code = value.strip().upper()
    if not is_iso_4217(code):
        raise InvalidInput(f"{value!r} is not an ISO 4217 currency code", field="currency")
    return code


def _amount(value: int | None, field: str, *, positive: bool = False) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput("must be a whole number", field=field)
    if value < 0 or (positive and value == 0):
        raise InvalidInput("must be positive" if positive else "must not be negative", field=field)
    if value > MAX_VALUE:
        raise InvalidInput("is unreasonably large", field=field)


def _bands(bands: Sequence[PowerBandInput]) -> tuple[PowerBand, ...]:
    out: list[PowerBand] = []
    for i, band in enumerate(bands):
        at = f"powerBands[{i}]"
        _amount(band.min_power_w, f"{at}.minKw")
        _amount(band.max_power_w, f"{at}.maxKw", positive=True)
        _amount(band.energy_price_per_kwh, f"{at}.energyPricePerKwh")
        _amount(band.time_price_per_minute, f"{at}.timePricePerMinute")
        if band.max_power_w is not None and band.max_power_w <= band.min_power_w:
            raise InvalidInput("maxKw must be above minKw", field=f"{at}.maxKw")
        if band.energy_price_per_kwh is None and band.time_price_per_minute is None:
            raise InvalidInput("a band needs an energy or a time price", field=at)
        if out:
            previous = out[-1]
            if previous.max_power_w is None or band.min_power_w < previous.max_power_w:
                raise InvalidInput(
                    "bands must be in ascending order and must not overlap", field=f"{at}.minKw"
                )
        out.append(
            PowerBand(
                min_power_w=band.min_power_w,
                max_power_w=band.max_power_w,
                energy_price_per_kwh=band.energy_price_per_kwh,
                time_price_per_minute=band.time_price_per_minute,
            )
        )
    return tuple(out)


def parse_clock(value: str, *, field: str, allow_24: bool = False) -> int:
    """ "HH:MM" → minutes after midnight ("24:00" → 1440 only where ``allow_24``)."""
    text = value.strip()
    if allow_24 and text == "24:00":
        return MINUTES_PER_DAY
    match = _CLOCK.match(text)
    if not match:
        raise InvalidInput(f"{value!r} is not a time of day as HH:MM", field=field)
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_days(values: Sequence[int | str], *, field: str) -> tuple[int, ...]:
    """ISO day numbers 1..7 or day names → sorted, distinct ISO numbers."""
    days: set[int] = set()
    for value in values:
        day: int | None
        if isinstance(value, bool):
            day = None
        elif isinstance(value, int):
            day = value if 1 <= value <= 7 else None
        else:
            text = str(value).strip().lower()
            day = int(text) if text.isdigit() and 1 <= int(text) <= 7 else _DAYS.get(text)
        if day is None:
            raise InvalidInput(
                f"{value!r} is not a day of week (1-7, Monday = 1, or a name)", field=field
            )
        days.add(day)
    if not days:
        raise InvalidInput("a window needs at least one day of week", field=field)
    return tuple(sorted(days))


def _week_minutes(window: TimeWindow) -> set[int]:
    length = window.end_minute - window.start_minute
    if length <= 0:
        length += MINUTES_PER_DAY
    week = 7 * MINUTES_PER_DAY
    return {
        ((day - 1) * MINUTES_PER_DAY + window.start_minute + m) % week
        for day in window.days_of_week
        for m in range(length)
    }


def _windows(windows: Sequence[TimeWindowInput]) -> tuple[TimeWindow, ...]:
    out: list[TimeWindow] = []
    taken: set[int] = set()
    for i, w in enumerate(windows):
        at = f"timeOfDay[{i}]"
        days = parse_days(w.days_of_week, field=f"{at}.daysOfWeek")
        start = parse_clock(w.start_time, field=f"{at}.startTime")
        end = parse_clock(w.end_time, field=f"{at}.endTime", allow_24=True)
        _amount(w.energy_price_per_kwh, f"{at}.energyPricePerKwh")
        _amount(w.time_price_per_minute, f"{at}.timePricePerMinute")
        if w.energy_price_per_kwh is None and w.time_price_per_minute is None:
            raise InvalidInput("a window needs an energy or a time price", field=at)
        window = TimeWindow(
            days_of_week=days,
            start_minute=start,
            end_minute=end,
            energy_price_per_kwh=w.energy_price_per_kwh,
            time_price_per_minute=w.time_price_per_minute,
        )
        minutes = _week_minutes(window)
        if minutes & taken:
            raise InvalidInput("time-of-day windows must not overlap", field=at)
        taken |= minutes
        out.append(window)
    return tuple(out)


def build_tariff(data: TariffInput) -> tuple[str, Tariff]:
    """Check an operator's tariff; returns its name and the tariff, or raises ``InvalidInput``."""
    name = _name(data.name)
    currency = _currency(data.currency)
    if isinstance(data.vat_rate_bp, bool) or not 0 <= data.vat_rate_bp <= 10_000:
        raise InvalidInput("VAT must be between 0 and 100 percent", field="vatPercent")
    for value, field in (
        (data.session_fee, "sessionFee"),
        (data.energy_price_per_kwh, "energyPricePerKwh"),
        (data.time_price_per_minute, "timePricePerMinute"),
        (data.idle_fee_per_minute, "idleFeePerMinute"),
        (data.idle_grace_minutes, "idleGraceMinutes"),
        (data.pre_authorization_amount, "preAuthorizationAmount"),
    ):
        _amount(value, field)
    _amount(data.cap, "cap", positive=True)
    if data.idle_grace_minutes > MAX_GRACE_MINUTES:
        raise InvalidInput("the idle grace period is at most a week", field="idleGraceMinutes")
    tariff = Tariff(
        currency=currency,
        vat_rate_bp=data.vat_rate_bp,
        session_fee=data.session_fee,
        energy_price_per_kwh=data.energy_price_per_kwh,
        time_price_per_minute=data.time_price_per_minute,
        idle_fee_per_minute=data.idle_fee_per_minute,
        idle_grace_minutes=data.idle_grace_minutes,
        power_bands=_bands(data.power_bands),
        time_windows=_windows(data.time_of_day),
        cap=data.cap,
        pre_authorization_amount=data.pre_authorization_amount,
    )
    return name, tariff


def check_plan(data: PlanInput) -> PlanInput:
    """Check a plan; returns it normalised (trimmed name, upper-case currency)."""
    name = _name(data.name)
    currency = _currency(data.currency)
    _amount(data.monthly_fee, "monthlyFee")
    _amount(data.included_wh, "includedKwh")
    percent = data.energy_discount_percent
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        raise InvalidInput(
            "the energy discount is a whole percent from 0 to 100", field="energyDiscountPercent"
        )
    description = data.description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise InvalidInput(
            f"a description has at most {MAX_DESCRIPTION} characters", field="description"
        )
    price_id = (data.stripe_price_id or "").strip() or None
    return PlanInput(
        name=name,
        currency=currency,
        monthly_fee=data.monthly_fee,
        description=description,
        energy_discount_percent=percent,
        included_wh=data.included_wh,
        stripe_price_id=price_id,
    )
