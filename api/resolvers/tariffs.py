"""createTariff, assignTariff, createPlan, plans."""

from __future__ import annotations

import logging

import strawberry

from api.context import Info
from api.errors import coded_errors, domain_errors_as
from api.types.billing import AssignTariffPayload
from api.types.network import Station
from api.types.tariffs import (
    CreatePlanPayload,
    CreateTariffPayload,
    Plan,
    PlanInput,
    Tariff,
    TariffInput,
)
from domain.billing.errors import GatewayUnavailable
from domain.network.service import parse_id

log = logging.getLogger("api")


@domain_errors_as(CreateTariffPayload)
async def create_tariff(info: Info, input: TariffInput) -> CreateTariffPayload:
    ctx = info.context
    doc = await ctx.deps.tariffs.create_tariff(ctx.acting_org(), input.to_domain())
    return CreateTariffPayload(tariff=Tariff.from_domain(doc))


@domain_errors_as(AssignTariffPayload)
async def assign_tariff(
    info: Info, station_id: strawberry.ID, tariff_id: strawberry.ID
) -> AssignTariffPayload:
    ctx = info.context
    org = ctx.acting_org()
    station = await ctx.deps.network.station_for_org(
        org, parse_id(station_id, field="stationId", what="station")
    )
    tariff = await ctx.deps.tariffs.tariff_for_org(
        org, parse_id(tariff_id, field="tariffId", what="tariff")
    )
    station = await ctx.deps.network.assign_tariff(station, tariff.id)
    return AssignTariffPayload(station=Station.from_domain(station))


@domain_errors_as(CreatePlanPayload)
async def create_plan(info: Info, input: PlanInput) -> CreatePlanPayload:
    """The plan, and its monthly price at the payment provider (or at the first subscription,
    if the provider is unreachable now)."""
    ctx = info.context
    plan = await ctx.deps.tariffs.create_plan(ctx.acting_org(), input.to_domain())
    billing = ctx.deps.billing
    if billing is not None:
        try:
            plan = await billing.sync_plan(plan)
        except GatewayUnavailable as error:
            log.warning("plan %s has no provider price yet: %s", plan.id, error)
    return CreatePlanPayload(plan=Plan.from_domain(plan))


async def tariffs(info: Info) -> list[Tariff]:
    """The operator's organisation's tariffs."""
    ctx = info.context
    with coded_errors():
        org = ctx.reading_org()
        rows = await ctx.deps.tariffs.list_tariffs(org)
    return [Tariff.from_domain(t) for t in rows]


async def plans(info: Info) -> list[Plan]:
    """An operator: their organisation's plans. A driver: every plan they can subscribe to."""
    ctx = info.context
    with coded_errors():
        principal = ctx.require_principal()
        org = principal.reading_org() if principal.is_operator else None
        rows = await ctx.deps.tariffs.list_plans(org)
    return [Plan.from_domain(p) for p in rows]
