"""Tariffs and membership plans at the edge: Decimal strings in, the domain's integer units inside
(``domain.tariffs.units``), readable summaries out."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from api.errors import UserError
from api.types.common import Money
from domain.common.errors import InvalidInput
from domain.tariffs import units
from domain.tariffs.models import Plan as DomainPlan
from domain.tariffs.models import TariffDocument
from domain.tariffs.summary import summarize
from domain.tariffs.validation import PlanInput as DomainPlanInput
from domain.tariffs.validation import PowerBandInput as DomainBand
from domain.tariffs.validation import TariffInput as DomainTariffInput
from domain.tariffs.validation import TimeWindowInput


@strawberry.type
class Tariff:
    id: strawberry.ID
    name: str
    currency: str
    summary: str = strawberry.field(description="One readable line, e.g. SEK 3.50/kWh · …")
    vat_percent: Decimal
    pre_authorization_amount: Money

    @classmethod
    def from_domain(cls, doc: TariffDocument) -> Tariff:
        t = doc.tariff
        return cls(
            id=strawberry.ID(str(doc.id)),
            name=doc.name,
            currency=t.currency,
            summary=summarize(t),
            vat_percent=Decimal(t.vat_rate_bp).scaleb(-2),
            pre_authorization_amount=Money.from_domain(t.money(t.pre_authorization_amount)),
        )


@strawberry.input
class PowerBandInput:
    min_kw: Decimal = Decimal(0)
    max_kw: Decimal | None = None
    energy_price_per_kwh: Decimal | None = None
    time_price_per_minute: Decimal | None = None


@strawberry.input
class TimeOfDayInput:
    days_of_week: list[str] = strawberry.field(description='ISO numbers ("1" = Monday) or names')
    start_time: str = strawberry.field(description='"HH:MM" in the site\'s timezone')
    end_time: str = strawberry.field(description='"HH:MM"; at or before startTime: the next day')
    energy_price_per_kwh: Decimal | None = None
    time_price_per_minute: Decimal | None = None


@strawberry.input
class TariffInput:
    """Prices are VAT-inclusive, in currency units ("3.50" per kWh, "0.25" per minute)."""

    name: str
    currency: str
    vat_percent: Decimal
    session_fee: Decimal = Decimal(0)
    energy_price_per_kwh: Decimal = Decimal(0)
    time_price_per_minute: Decimal = Decimal(0)
    idle_fee_per_minute: Decimal = Decimal(0)
    idle_grace_minutes: int = 0
    power_bands: list[PowerBandInput] = strawberry.field(default_factory=list)
    time_of_day: list[TimeOfDayInput] = strawberry.field(default_factory=list)
    pre_authorization_amount: Decimal = Decimal(0)
    cap: Decimal | None = strawberry.field(default=None, description="Most a session can cost")

    def to_domain(self) -> DomainTariffInput:
        c = self.currency.strip().upper()
        if len(c) != 3 or not c.isalpha():
            raise InvalidInput(
                f"{self.currency!r} is not an ISO 4217 currency code", field="currency"
            )

        def price(value: Decimal | None, field: str) -> int | None:
            return None if value is None else units.price_from_decimal(value, c, field=field)

        def amount(value: Decimal, field: str) -> int:
            return units.amount_from_decimal(value, c, field=field)

        return DomainTariffInput(
            name=self.name,
            currency=c,
            vat_rate_bp=units.percent_to_basis_points(self.vat_percent, field="vatPercent"),
            session_fee=amount(self.session_fee, "sessionFee"),
            energy_price_per_kwh=price(self.energy_price_per_kwh, "energyPricePerKwh") or 0,
            time_price_per_minute=price(self.time_price_per_minute, "timePricePerMinute") or 0,
            idle_fee_per_minute=price(self.idle_fee_per_minute, "idleFeePerMinute") or 0,
            idle_grace_minutes=self.idle_grace_minutes,
            power_bands=[
                DomainBand(
                    min_power_w=units.kw_to_w(b.min_kw, field=f"powerBands[{i}].minKw"),
                    max_power_w=None
                    if b.max_kw is None
                    else units.kw_to_w(b.max_kw, field=f"powerBands[{i}].maxKw"),
                    energy_price_per_kwh=price(
                        b.energy_price_per_kwh, f"powerBands[{i}].energyPricePerKwh"
                    ),
                    time_price_per_minute=price(
                        b.time_price_per_minute, f"powerBands[{i}].timePricePerMinute"
                    ),
                )
                for i, b in enumerate(self.power_bands)
            ],
            time_of_day=[
                TimeWindowInput(
                    days_of_week=list(w.days_of_week),
                    start_time=w.start_time,
                    end_time=w.end_time,
                    energy_price_per_kwh=price(
                        w.energy_price_per_kwh, f"timeOfDay[{i}].energyPricePerKwh"
                    ),
                    time_price_per_minute=price(
                        w.time_price_per_minute, f"timeOfDay[{i}].timePricePerMinute"
                    ),
                )
                for i, w in enumerate(self.time_of_day)
            ],
            cap=None if self.cap is None else amount(self.cap, "cap"),
            pre_authorization_amount=amount(
                self.pre_authorization_amount, "preAuthorizationAmount"
            ),
        )


@strawberry.type
class CreateTariffPayload:
    tariff: Tariff | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class Plan:
    id: strawberry.ID
    name: str
    description: str
    monthly_fee: Money
    energy_discount_percent: int
    included_kwh: float

    @classmethod
    def from_domain(cls, plan: DomainPlan) -> Plan:
        return cls(
            id=strawberry.ID(str(plan.id)),
            name=plan.name,
            description=plan.description,
            monthly_fee=Money.from_domain(plan.monthly_fee_money),
            energy_discount_percent=plan.energy_discount_percent,
            included_kwh=plan.included_wh / 1000.0,
        )


@strawberry.input
class PlanInput:
    name: str
    monthly_fee: Decimal
    description: str = ""
    energy_discount_percent: int = 0
    included_kwh: Decimal = Decimal(0)
    currency: str = "SEK"

    def to_domain(self) -> DomainPlanInput:
        c = self.currency.strip().upper()
        return DomainPlanInput(
            name=self.name,
            currency=c,
            monthly_fee=units.amount_from_decimal(self.monthly_fee, c, field="monthlyFee")
            if len(c) == 3
            else 0,
            description=self.description,
            energy_discount_percent=self.energy_discount_percent,
            included_wh=units.kwh_to_wh(self.included_kwh, field="includedKwh"),
        )


@strawberry.type
class CreatePlanPayload:
    plan: Plan | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
