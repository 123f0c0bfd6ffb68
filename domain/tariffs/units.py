"""Decimal ↔ the tariff's integer units, for the edges (GraphQL speaks Decimal strings).

Each parser refuses what it cannot represent exactly (never rounds) with ``InvalidInput`` naming the
field, so an operator's typo is reported, not silently changed.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from domain.common.errors import InvalidInput
from domain.common.money import minor_digits
from domain.tariffs.models import PRICE_DIGITS


def _decimal(value: Decimal | str | int, field: str) -> Decimal:
    try:
        dec = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        raise InvalidInput(f"{value!r} is not a decimal number", field=field) from None
    if not dec.is_finite():
        raise InvalidInput(f"{value!r} is not a finite number", field=field)
    return dec


def _exact_int(dec: Decimal, exponent: int, field: str, what: str) -> int:
    scaled = dec.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise InvalidInput(f"{dec} has more decimals than {what} allows", field=field)
    return int(scaled)


def price_from_decimal(value: Decimal | str | int, currency: str, *, field: str) -> int:
    """A unit price in currency units ("3.495" SEK/kWh) → milli-minor units (349_500)."""
    digits = minor_digits(currency) + PRICE_DIGITS
    return _exact_int(_decimal(value, field), digits, field, f"a {currency} unit price")


def price_to_decimal(milli_minor: int, currency: str) -> Decimal:
    return Decimal(milli_minor).scaleb(-(minor_digits(currency) + PRICE_DIGITS))


def amount_from_decimal(value: Decimal | str | int, currency: str, *, field: str) -> int:
    """An amount in currency units ("5.00" SEK) → minor units (500)."""
    return _exact_int(_decimal(value, field), minor_digits(currency), field, currency)


def percent_to_basis_points(value: Decimal | str | int, *, field: str) -> int:
    """A percentage ("25", "25.5") → basis points (2500, 2550)."""
    return _exact_int(_decimal(value, field), 2, field, "a percentage (two decimals)")


def kw_to_w(value: Decimal | str | int, *, field: str) -> int:
    """Kilowatts ("22", "3.7") → whole watts."""
    return _exact_int(_decimal(value, field), 3, field, "a power in kW (whole watts)")


def kwh_to_wh(value: Decimal | str | int, *, field: str) -> int:
    """Kilowatt-hours ("100") → whole Wh."""
    return _exact_int(_decimal(value, field), 3, field, "an energy in kWh (whole Wh)")
