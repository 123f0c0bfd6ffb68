"""Pricing a charging session: a pure function from a tariff and the session's intervals.

The same function gives the running cost of a live session (the intervals so far) and the final
bill, so the two always agree.

What is priced (prices are VAT-inclusive; units in ``models``):

- **Session fee**: once, for a session that delivered energy (a failed start costs nothing).
- **Energy**: each interval's Wh at its unit price. **Time**: each minute (pro rata, to the
  microsecond) the vehicle was charging, i.e. not idle. The unit price of an interval is the base
  price, overridden by the **power band** holding the power measured over that interval, overridden
  in turn by the **time-of-day window** it lies in. An interval crossing a window boundary is split
  at the boundary in the site's timezone (``windows``) and its energy shared out by duration.
- **Idle**: idle minutes beyond ``idle_grace_minutes``, counted over the whole session, at
  ``idle_fee_per_minute``. An idle interval is not charging time.
- **Membership**: included energy is used first, oldest energy first, and the Wh it covers are not
  billed (an ``INCLUDED_ENERGY`` line of amount 0 says how much); then ``energy_discount_percent``
  comes off the energy lines as one ``DISCOUNT`` line.
- **Cap**: a total above ``cap`` is brought down to it by a ``CAP`` line.

Rounding, the one rule: quantities are summed exactly (per kind, description and unit price) and
each line's amount is rounded once, half-to-even, to integer minor units. Lines derived from other
lines (discount, cap) and the VAT are computed from the already-rounded amounts, half-to-even:
``vat = total * rate / (1 + rate)``, ``subtotal = total - vat`` (the amount before VAT), so
``subtotal + vat == total == sum(line amounts)``. Line quantities are shown in thousandths of their
unit (Wh for kWh, 1/1000 minute), unit prices in milli-minor units like the tariff.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from domain.common.money import Money
from domain.tariffs.intervals import Interval, RegisterReading, samples_to_intervals
from domain.tariffs.models import PRICE_SCALE, PowerBand, Tariff, TimeWindow
from domain.tariffs.summary import band_label, summarize, window_label
from domain.tariffs.windows import Piece, split

__all__ = [
    "LineKind",
    "MemberBenefits",
    "PricedLine",
    "PricedSession",
    "price_samples",
    "price_session",
    "summarize",
]

_US_PER_MINUTE = 60_000_000
_WH_PER_KWH = 1000


class LineKind(StrEnum):
    SESSION_FEE = "SESSION_FEE"
    ENERGY = "ENERGY"
    TIME = "TIME"
    IDLE = "IDLE"
    INCLUDED_ENERGY = "INCLUDED_ENERGY"
    DISCOUNT = "DISCOUNT"
    CAP = "CAP"


@dataclass(frozen=True, slots=True)
class MemberBenefits:
    """A member's benefits for this session: the plan's discount and the energy still included."""

    energy_discount_percent: int = 0
    included_wh_remaining: int = 0


@dataclass(frozen=True, slots=True)
class PricedLine:
    kind: LineKind
    description: str
    quantity: int  # thousandths of ``unit``: Wh for "kWh", 1/1000 min for "min", 1000 = 1 otherwise
    unit: str  # "kWh", "min", "session" or "" (discount, cap)
    unit_price: int  # milli-minor units per unit; 0 for informational lines
    amount: int  # minor units, VAT-inclusive; negative for DISCOUNT and CAP


@dataclass(frozen=True, slots=True)
class PricedSession:
    currency: str
    vat_rate_bp: int
    lines: tuple[PricedLine, ...]
    subtotal: int  # total before VAT
    vat: int
    total: int  # what the driver pays
    energy_wh: int  # energy delivered (never negative)
    charging_seconds: float
    idle_seconds: float
    included_wh_used: int  # to subtract from the membership's included energy for the period
    capped: bool
    meter_anomalies: tuple[datetime, ...]  # starts of intervals whose register went backwards

    @property
    def register_went_backwards(self) -> bool:
        return bool(self.meter_anomalies)

    def money(self, amount: int) -> Money:
        return Money(amount, self.currency)

    @property
    def total_money(self) -> Money:
        return Money(self.total, self.currency)

    def amount_by_kind(self) -> dict[LineKind, int]:
        out: dict[LineKind, int] = {}
        for line in self.lines:
            out[line.kind] = out.get(line.kind, 0) + line.amount
        return out


def price_samples(
    tariff: Tariff,
    samples: Iterable[RegisterReading],
    *,
    site_tz: ZoneInfo | str,
    until: datetime | None = None,
    membership: MemberBenefits | None = None,
) -> PricedSession:
    """Price raw meter samples: ``samples_to_intervals`` then ``price_session``."""
    intervals = samples_to_intervals(samples, until=until)
    return price_session(tariff, intervals, site_tz=site_tz, membership=membership)


@dataclass
class _Tally:
    """Exact quantities, grouped by (kind, description, unit price) in order of first appearance."""

    energy: list[tuple[str, int, Fraction]]  # chronological: description, price, Wh
    time_us: dict[tuple[str, int], int]
    idle_us: int = 0
    energy_wh: int = 0
    charging_us: int = 0


def price_session(
    tariff: Tariff,
    intervals: Iterable[Interval],
    *,
    site_tz: ZoneInfo | str,
    membership: MemberBenefits | None = None,
) -> PricedSession:
    """Price a session's intervals under ``tariff`` (see the module docstring for every rule)."""
    tz = site_tz if isinstance(site_tz, ZoneInfo) else ZoneInfo(site_tz)
    tally = _Tally(energy=[], time_us={})
    anomalies: list[datetime] = []
    for interval in sorted(intervals, key=lambda i: i.start):
        if interval.energy_wh < 0 or interval.register_backwards:
            anomalies.append(interval.start)
        _tally_interval(tariff, interval, tz, tally)

    lines: list[PricedLine] = []
    if tariff.session_fee > 0 and tally.energy_wh > 0:
        lines.append(
            PricedLine(
                LineKind.SESSION_FEE,
                "Start fee",
                1000,
                "session",
                tariff.session_fee * PRICE_SCALE,
                tariff.session_fee,
            )
        )
    included_used = _energy_lines(tally, membership, lines)
    _time_lines(tariff, tally, lines)

    total = sum(line.amount for line in lines)
    capped = tariff.cap is not None and total > tariff.cap
    if capped and tariff.cap is not None:
        lines.append(_credit(LineKind.CAP, "Price cap", tariff.cap - total))
        total = tariff.cap
    vat = _round(Fraction(total * tariff.vat_rate_bp, 10_000 + tariff.vat_rate_bp))
    return PricedSession(
        currency=tariff.currency,
        vat_rate_bp=tariff.vat_rate_bp,
        lines=tuple(lines),
        subtotal=total - vat,
        vat=vat,
        total=total,
        energy_wh=tally.energy_wh,
        charging_seconds=tally.charging_us / 1_000_000,
        idle_seconds=tally.idle_us / 1_000_000,
        included_wh_used=included_used,
        capped=capped,
        meter_anomalies=tuple(anomalies),
    )


def _tally_interval(tariff: Tariff, interval: Interval, tz: ZoneInfo, tally: _Tally) -> None:
    wh = max(0, interval.energy_wh)
    tally.energy_wh += wh
    band = tariff.band_for(interval.power_w)
    end = max(interval.end, interval.start)
    total_us = _micros(end - interval.start)
    pieces = (
        split(interval.start, end, tariff.time_windows, tz)
        if tariff.time_windows
        else [Piece(interval.start, end, None)]
    )
    for piece in pieces:
        us = _micros(piece.end - piece.start)
        share = Fraction(wh) if total_us == 0 else Fraction(wh * us, total_us)
        if share:
            label, price = _price(tariff.energy_price_per_kwh, band, piece.window, energy=True)
            tally.energy.append((_describe("Energy", label), price, share))
        if us == 0:
            continue
        if interval.idle:
            tally.idle_us += us
        else:
            tally.charging_us += us
            label, price = _price(tariff.time_price_per_minute, band, piece.window, energy=False)
            key = (_describe("Charging time", label), price)
            tally.time_us[key] = tally.time_us.get(key, 0) + us


def _price(
    base: int, band: PowerBand | None, window: TimeWindow | None, *, energy: bool
) -> tuple[str, int]:
    """The unit price in force and what it is named after: window over band over base price."""
    if window is not None:
        price = window.energy_price_per_kwh if energy else window.time_price_per_minute
        if price is not None:
            return window_label(window), price
    if band is not None:
        price = band.energy_price_per_kwh if energy else band.time_price_per_minute
        if price is not None:
            return band_label(band), price
    return "", base


def _energy_lines(tally: _Tally, membership: MemberBenefits | None, lines: list[PricedLine]) -> int:
    """Energy lines after included energy, the included line and the discount; returns Wh used."""
    included = Fraction(max(0, membership.included_wh_remaining)) if membership else Fraction(0)
    remaining = included
    billable: dict[tuple[str, int], Fraction] = {}
    for description, price, wh in tally.energy:
        use = min(remaining, wh)
        remaining -= use
        key = (description, price)
        billable[key] = billable.get(key, Fraction(0)) + wh - use
    energy_amount = 0
    for (description, price), wh in billable.items():
        if wh == 0 or price == 0:
            continue
        amount = _round(wh * price / (_WH_PER_KWH * PRICE_SCALE))
        energy_amount += amount
        lines.append(PricedLine(LineKind.ENERGY, description, _round(wh), "kWh", price, amount))
    used = included - remaining
    assert used.denominator == 1  # min(included, delivered): both whole Wh
    if used:
        lines.append(
            PricedLine(LineKind.INCLUDED_ENERGY, "Included in membership", int(used), "kWh", 0, 0)
        )
    percent = min(100, max(0, membership.energy_discount_percent)) if membership else 0
    discount = _round(Fraction(energy_amount * percent, 100))
    if discount:
        lines.append(_credit(LineKind.DISCOUNT, f"Member discount {percent}% on energy", -discount))
    return int(used)


def _time_lines(tariff: Tariff, tally: _Tally, lines: list[PricedLine]) -> None:
    for (description, price), us in tally.time_us.items():
        if price:
            lines.append(_minutes_line(LineKind.TIME, description, us, price))
    grace_us = tariff.idle_grace_minutes * _US_PER_MINUTE
    billable_idle = max(0, tally.idle_us - grace_us)
    if billable_idle and tariff.idle_fee_per_minute:
        description = "Idle fee"
        if tariff.idle_grace_minutes:
            description += f" after {tariff.idle_grace_minutes} min"
        lines.append(
            _minutes_line(LineKind.IDLE, description, billable_idle, tariff.idle_fee_per_minute)
        )


def _minutes_line(kind: LineKind, description: str, us: int, price: int) -> PricedLine:
    amount = _round(Fraction(us * price, _US_PER_MINUTE * PRICE_SCALE))
    return PricedLine(kind, description, _round(Fraction(us, 60_000)), "min", price, amount)


def _credit(kind: LineKind, description: str, amount: int) -> PricedLine:
    return PricedLine(kind, description, 1000, "", amount * PRICE_SCALE, amount)


def _describe(what: str, label: str) -> str:
    return f"{what}, {label}" if label else what


def _micros(delta: timedelta) -> int:
    return delta // timedelta(microseconds=1)


def _round(value: Fraction) -> int:
    """Half-to-even to an integer (``round`` on a Fraction is exact and rounds half to even)."""
    return round(value)
