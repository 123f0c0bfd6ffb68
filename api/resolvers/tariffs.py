"""createTariff, assignTariff, createPlan, plans."""

from __future__ import annotations

import logging

import strawberry

from api.context import ApiContext, Info
from api.errors import coded_errors, user_errors
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
from domain.billing.service import BillingService
from domain.common.errors import DomainError
from domain.network.service import parse_id
from domain.tariffs.service import TariffService

log = logging.getLogger("api")


def tariff_service(ctx: ApiContext) -> TariffService:
    service = ctx.deps.tariffs
    return service if isinstance(service, TariffService) else TariffService()


async def create_tariff(info: Info, input: TariffInput) -> CreateTariffPayload:
    ctx = info.context
    try:
        doc = await tariff_service(ctx).create_tariff(ctx.acting_org(), input.to_domain())
    except DomainError as error:
        return CreateTariffPayload(errors=user_errors(error))
    return CreateTariffPayload(tariff=Tariff.from_domain(doc))


async def assign_tariff(
    info: Info, station_id: strawberry.ID, tariff_id: strawberry.ID
) -> AssignTariffPayload:
    ctx = info.context
    try:
        org = ctx.acting_org()
        station = await ctx.deps.network.station_for_org(
            org, parse_id(station_id, field="stationId", what="station")
        )
        tariff = await tariff_service(ctx).tariff_for_org(
            org, parse_id(tariff_id, field="tariffId", what="tariff")
        )
        station = await ctx.deps.network.assign_tariff(station, tariff.id)
    except DomainError as error:
        return AssignTariffPayload(errors=user_errors(error))
    return AssignTariffPayload(station=Station.from_domain(station))


async def create_plan(info: Info, input: PlanInput) -> CreatePlanPayload:
    """The plan, and its monthly price at the payment provider (or at the first subscription,
    if the provider is unreachable now)."""
    ctx = info.context
    try:
        plan = await tariff_service(ctx).create_plan(ctx.acting_org(), input.to_domain())
    except DomainError as error:
        return CreatePlanPayload(errors=user_errors(error))
    billing = ctx.deps.billing
    if isinstance(billing, BillingService):
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
        rows = await tariff_service(ctx).list_tariffs(org)
    return [Tariff.from_domain(t) for t in rows]


async def plans(info: Info) -> list[Plan]:
    """An operator: their organisation's plans. A driver: every plan they can subscribe to."""
    ctx = info.context
    with coded_errors():
        principal = ctx.require_principal()
        org = principal.reading_org() if principal.is_operator else None
        rows = await tariff_service(ctx).list_plans(org)
    return [Plan.from_domain(p) for p in rows]
