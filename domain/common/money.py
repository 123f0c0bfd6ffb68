"""Money is integer minor units plus an ISO 4217 currency. Decimal strings only at the edges."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from domain.common.errors import InvalidInput

# Currencies whose minor unit is not 1/100 (ISO 4217). Everything else uses two decimals.
_MINOR_DIGITS = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0, "BHD": 3, "KWD": 3, "JOD": 3}


def minor_digits(currency: str) -> int:
    return _MINOR_DIGITS.get(currency.upper(), 2)


@dataclass(frozen=True, slots=True)
class Money:
    amount: int  # minor units (öre, cents)
    currency: str

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidInput(f"cannot combine {self.currency} with {other.currency}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency.upper())

    def to_decimal(self) -> Decimal:
        return Decimal(self.amount).scaleb(-minor_digits(self.currency))

    def to_decimal_string(self) -> str:
        digits = minor_digits(self.currency)
        return f"{self.to_decimal():.{digits}f}"

    @classmethod
    def from_decimal(
        cls, value: Decimal | str, currency: str, *, field: str | None = None
    ) -> Money:
        """Parse a decimal amount; more precision than the currency has is refused, not rounded."""
        currency = currency.upper()
        if len(currency) != 3 or not currency.isalpha():
            raise InvalidInput(f"{currency!r} is not an ISO 4217 currency code", field="currency")
        try:
            dec = Decimal(value)
        except (InvalidOperation, ValueError, TypeError):
            raise InvalidInput(f"{value!r} is not a decimal amount", field=field) from None
        if not dec.is_finite():
            raise InvalidInput(f"{value!r} is not a finite amount", field=field)
        scaled = dec.scaleb(minor_digits(currency))
        if scaled != scaled.to_integral_value(rounding=ROUND_HALF_EVEN):
            raise InvalidInput(f"{value} has more decimals than {currency} allows", field=field)
        return cls(int(scaled), currency)
