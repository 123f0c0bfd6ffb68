"""alerts, acknowledgeAlert, setAlertRule, alertFeed: the caller's organisation's alerts and rules,
through the domain's DiagnosticsService."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry

from api.context import ApiContext, Info
from api.errors import coded_errors, domain_errors_as
from api.resolvers.events import operator_scope, scoped_filter
from api.types.common import PageInfo
from api.types.diagnostics import (
    AcknowledgeAlertPayload,
    Alert,
    AlertConnection,
    AlertEdge,
    AlertRule,
    AlertRuleInForce,
    AlertRuleInput,
    DiagnosticsFile,
    ResolveAlertPayload,
    SetAlertRulePayload,
)
from domain.common.errors import DomainError
from domain.common.events import AlertChanged, EventFilter
from domain.diagnostics.models import AlertState
from domain.diagnostics.service import DiagnosticsService
from domain.network.service import parse_id


class DiagnosticsUnavailable(DomainError):
    code = "UNAVAILABLE"


def _service(ctx: ApiContext) -> DiagnosticsService:
    if ctx.deps.diagnostics is None:
        raise DiagnosticsUnavailable("diagnostics is not running in this process")
    return ctx.deps.diagnostics


async def alerts(
    info: Info,
    state: AlertState | None = None,
    site_id: strawberry.ID | None = None,
    first: int | None = None,
    after: str | None = None,
) -> AlertConnection:
    """The organisation's alerts, newest first, optionally in one state and of one site."""
    ctx = info.context
    with coded_errors():
        org = ctx.reading_org()
        site = parse_id(site_id, field="siteId", what="site") if site_id else None
        page = await _service(ctx).list_alerts(
            org, state=state.value if state else None, site_id=site, first=first, after=after
        )
    return AlertConnection(
        edges=[AlertEdge(cursor=c, node=Alert.from_domain(a)) for c, a in page.items],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
    )


@domain_errors_as(AcknowledgeAlertPayload)
async def acknowledge_alert(info: Info, id: strawberry.ID) -> AcknowledgeAlertPayload:
    ctx = info.context
    principal = ctx.require_principal()
    alert = await _service(ctx).acknowledge(
        ctx.acting_org(), parse_id(id, field="id", what="alert"), principal.id
    )
    return AcknowledgeAlertPayload(alert=Alert.from_domain(alert))


@domain_errors_as(ResolveAlertPayload)
async def resolve_alert(info: Info, id: strawberry.ID) -> ResolveAlertPayload:
    """Resolve by hand; the condition must then hold for its full duration again to raise anew."""
    ctx = info.context
    principal = ctx.require_principal()
    alert = await _service(ctx).resolve(
        ctx.acting_org(), parse_id(id, field="id", what="alert"), principal.id
    )
    return ResolveAlertPayload(alert=Alert.from_domain(alert))


async def alert_rules(info: Info, site_id: strawberry.ID | None = None) -> list[AlertRuleInForce]:
    """The rule in force per kind: the site's, else the organisation's, else the default."""
    ctx = info.context
    with coded_errors():
        org = ctx.reading_org()
        site = parse_id(site_id, field="siteId", what="site") if site_id else None
        rules = await _service(ctx).rules_in_force(org, site)
    return [AlertRuleInForce.from_domain(rule, set_for) for rule, set_for in rules]


@domain_errors_as(SetAlertRulePayload)
async def set_alert_rule(info: Info, input: AlertRuleInput) -> SetAlertRulePayload:
    ctx = info.context
    principal = ctx.require_principal()
    rule = await _service(ctx).set_rule(
        ctx.acting_org(),
        kind=input.kind.value,
        threshold=input.threshold,
        duration_seconds=input.duration_seconds,
        severity=input.severity.value if input.severity else None,
        enabled=input.enabled,
        site_id=parse_id(input.site_id, field="siteId", what="site") if input.site_id else None,
        operator_id=principal.id,
    )
    return SetAlertRulePayload(rule=AlertRule.from_domain(rule))


def alert_filter(org_id: str, site_id: str | None) -> EventFilter:
    return scoped_filter(AlertChanged, org_id, site_id)


async def alert_feed(
    info: Info, site_id: strawberry.ID | None = None
) -> AsyncGenerator[Alert, None]:
    """Every change of an alert (raised, acknowledged, resolved) as it happens."""
    org, site = await operator_scope(info, site_id)
    async with info.context.deps.events.subscribe(alert_filter(org, site)) as stream:
        async for event in stream:
            assert isinstance(event, AlertChanged)
            yield Alert.from_event(event)


async def diagnostics_files(
    info: Info, station_id: strawberry.ID, first: int | None = None
) -> list[DiagnosticsFile]:
    """Diagnostics files the station uploaded to laddnet, newest first."""
    ctx = info.context
    with coded_errors():
        org = ctx.reading_org()
        if ctx.deps.uploads is None:
            raise DiagnosticsUnavailable("uploads are not kept by this process")
        found = await ctx.deps.uploads.files(
            org, parse_id(station_id, field="stationId", what="station"), first
        )
    return [DiagnosticsFile.from_domain(f) for f in found]
