"""create_<thing>(**overrides) factories for the tariffs context, and pure tariff builders."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from beanie import PydanticObjectId

from domain.tariffs.intervals import Interval
from domain.tariffs.models import Plan, Tariff, TariffDocument
from domain.tariffs.service import TariffService
from domain.tariffs.validation import PlanInput, TariffInput

_seq = itertools.count(1)


def make_tariff(**overrides: Any) -> Tariff:
    """A plain SEK tariff (25 % VAT, nothing priced) with ``overrides``; prices in milli-öre."""
    args: dict[str, Any] = {"currency": "SEK", "vat_rate_bp": 2500}
    args.update(overrides)
    return Tariff(**args)


def interval(
    start: datetime,
    minutes: float,
    energy_wh: int = 0,
    *,
    power_w: int | None = None,
    idle: bool = False,
    register_backwards: bool = False,
) -> Interval:
    """An interval of ``minutes`` from ``start``; power defaults to the energy's average."""
    end = start + timedelta(minutes=minutes)
    if power_w is None:
        power_w = round(energy_wh * 60 / minutes) if minutes else 0
    return Interval(start, end, energy_wh, power_w, idle, register_backwards)


def tariff_input(**overrides: Any) -> TariffInput:
    args: dict[str, Any] = {
        "name": f"Tariff {next(_seq)}",
        "currency": "SEK",
        "vat_rate_bp": 2500,
        "energy_price_per_kwh": 350_000,
        "pre_authorization_amount": 30_000,
    }
    args.update(overrides)
    return TariffInput(**args)


async def create_tariff(
    service: TariffService, org_id: PydanticObjectId, **overrides: Any
) -> TariffDocument:
    return await service.create_tariff(org_id, tariff_input(**overrides))


def plan_input(**overrides: Any) -> PlanInput:
    args: dict[str, Any] = {
        "name": f"Plan {next(_seq)}",
        "currency": "SEK",
        "monthly_fee": 9900,
        "description": "Cheaper charging every day",
        "energy_discount_percent": 10,
        "included_wh": 50_000,
    }
    args.update(overrides)
    return PlanInput(**args)


async def create_plan(service: TariffService, org_id: PydanticObjectId, **overrides: Any) -> Plan:
    return await service.create_plan(org_id, plan_input(**overrides))
