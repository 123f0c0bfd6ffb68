"""Diagnostics at the edge: station health, alerts and alert rules. Power in kW here; the domain
keeps watts. An ``Alert`` is built from a stored alert or from an ``AlertChanged`` event (the feed)."""

from __future__ import annotations

from datetime import datetime

import strawberry
from beanie import PydanticObjectId
from strawberry.dataloader import DataLoader

from api.context import ApiContext
from api.errors import UserError
from api.types.common import PageInfo, kw, utc
from domain.common.events import AlertChanged
from domain.diagnostics.models import Alert as DomainAlert
from domain.diagnostics.models import AlertRule as DomainAlertRule
from domain.diagnostics.models import AlertState
from domain.diagnostics.models import DiagnosticsFile as DomainDiagnosticsFile
from domain.diagnostics.models import StationHealth as DomainStationHealth
from domain.diagnostics.rules import AlertKind, Rule, Severity

strawberry.enum(AlertKind, name="AlertKind")
strawberry.enum(Severity, name="AlertSeverity")
strawberry.enum(AlertState, name="AlertState")


@strawberry.type
class ConnectorHealth:
    connector_id: int
    status: str | None
    error_code: str | None
    temperature_c: float | None
    voltage_v: float | None
    current_a: float | None
    power_kw: float | None
    efficiency_percent: float | None
    sampled_at: datetime | None


@strawberry.type(
    description="A station's latest readings and its health: OK, DEGRADED, FAULTED, OFFLINE."
)
class StationHealth:
    status: str
    temperature_c: float | None
    voltage_v: float | None
    current_a: float | None
    power_kw: float | None
    efficiency_percent: float | None = strawberry.field(
        description="Output over input energy where the station meters both (Outlet and Inlet), "
        "otherwise power drawn over power offered, in percent."
    )
    sampled_at: datetime | None
    connectors: list[ConnectorHealth]

    @classmethod
    def from_domain(cls, h: DomainStationHealth) -> StationHealth:
        return cls(
            status=h.status,
            temperature_c=h.temperature_c,
            voltage_v=h.voltage_v,
            current_a=h.current_a,
            power_kw=kw(h.power_w),
            efficiency_percent=h.efficiency_percent,
            sampled_at=utc(h.sampled_at),
            connectors=[
                ConnectorHealth(
                    connector_id=c.connector_id,
                    status=c.status,
                    error_code=c.error_code,
                    temperature_c=c.temperature_c,
                    voltage_v=c.voltage_v,
                    current_a=c.current_a,
                    power_kw=kw(c.power_w),
                    efficiency_percent=c.efficiency_percent,
                    sampled_at=utc(c.sampled_at),
                )
                for c in h.connectors
            ],
        )


@strawberry.type
class Alert:
    id: strawberry.ID
    kind: AlertKind
    severity: Severity
    state: AlertState
    message: str
    station_id: strawberry.ID
    site_id: strawberry.ID | None
    connector_id: int | None
    raised_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None

    @classmethod
    def from_domain(cls, a: DomainAlert) -> Alert:
        return cls(
            id=strawberry.ID(str(a.id)),
            kind=a.kind,
            severity=a.severity,
            state=a.state,
            message=a.message,
            station_id=strawberry.ID(str(a.station_id)),
            site_id=strawberry.ID(str(a.site_id)) if a.site_id else None,
            connector_id=a.connector_id,
            raised_at=utc(a.raised_at),  # type: ignore[arg-type]
            acknowledged_at=utc(a.acknowledged_at),
            resolved_at=utc(a.resolved_at),
        )

    @classmethod
    def from_event(cls, e: AlertChanged) -> Alert:
        return cls(
            id=strawberry.ID(e.alert_id),
            kind=AlertKind(e.kind),
            severity=Severity(e.severity),
            state=AlertState(e.state),
            message=e.message,
            station_id=strawberry.ID(e.station_id or ""),
            site_id=strawberry.ID(e.site_id) if e.site_id else None,
            connector_id=e.connector_id,
            raised_at=utc(e.raised_at),  # type: ignore[arg-type]
            acknowledged_at=utc(e.acknowledged_at),
            resolved_at=utc(e.resolved_at),
        )


@strawberry.type
class AlertEdge:
    cursor: str
    node: Alert


@strawberry.type
class AlertConnection:
    edges: list[AlertEdge]
    page_info: PageInfo


@strawberry.type
class AcknowledgeAlertPayload:
    alert: Alert | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class AlertRule:
    id: strawberry.ID
    kind: AlertKind
    threshold: float
    duration_seconds: int
    severity: Severity
    enabled: bool
    site_id: strawberry.ID | None

    @classmethod
    def from_domain(cls, r: DomainAlertRule) -> AlertRule:
        return cls(
            id=strawberry.ID(str(r.id)),
            kind=r.kind,
            threshold=r.threshold,
            duration_seconds=r.duration_seconds,
            severity=r.severity,
            enabled=r.enabled,
            site_id=strawberry.ID(str(r.site_id)) if r.site_id else None,
        )


@strawberry.type(description="The rule in force for one kind of alert, and where it was set.")
class AlertRuleInForce:
    kind: AlertKind
    threshold: float
    duration_seconds: int
    severity: Severity
    enabled: bool
    set_for: str = strawberry.field(description="SITE, ORGANISATION or DEFAULT")

    @classmethod
    def from_domain(cls, rule: Rule, set_for: str) -> AlertRuleInForce:
        return cls(
            kind=rule.kind,
            threshold=rule.threshold,
            duration_seconds=rule.duration_seconds,
            severity=rule.severity,
            enabled=rule.enabled,
            set_for=set_for,
        )


@strawberry.type
class ResolveAlertPayload:
    alert: Alert | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class AlertRuleInput:
    kind: AlertKind
    threshold: float | None = strawberry.field(
        default=None, description="In the kind's unit (°C, %, W, Wh, s); left out: the default."
    )
    duration_seconds: int | None = None
    severity: Severity | None = None
    enabled: bool = True
    site_id: strawberry.ID | None = strawberry.field(
        default=None, description="One site's rule; left out: the organisation's, for all sites."
    )


@strawberry.type
class SetAlertRulePayload:
    rule: AlertRule | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


# -- DataLoaders: health and open alerts of every station on a page, in one batch ------------------


def health_loader(ctx: ApiContext) -> DataLoader[str, DomainStationHealth | None]:
    loader = ctx.loaders.extra.get("station_health")
    if loader is None:
        diagnostics, org = ctx.deps.diagnostics, ctx.reading_org()

        async def load(keys: list[str]) -> list[DomainStationHealth | None]:
            if diagnostics is None:
                return [None] * len(keys)
            found = await diagnostics.health_for_stations(org, [PydanticObjectId(k) for k in keys])
            return [found.get(PydanticObjectId(k)) for k in keys]

        loader = ctx.loaders.extra["station_health"] = DataLoader(load_fn=load)
    return loader


def open_alerts_loader(ctx: ApiContext) -> DataLoader[str, list[DomainAlert]]:
    loader = ctx.loaders.extra.get("open_alerts")
    if loader is None:
        diagnostics, org = ctx.deps.diagnostics, ctx.reading_org()

        async def load(keys: list[str]) -> list[list[DomainAlert]]:
            if diagnostics is None:
                return [[] for _ in keys]
            found = await diagnostics.open_alerts_for_stations(
                org, [PydanticObjectId(k) for k in keys]
            )
            return [found.get(PydanticObjectId(k), []) for k in keys]

        loader = ctx.loaders.extra["open_alerts"] = DataLoader(load_fn=load)
    return loader


@strawberry.type(
    description="A diagnostics file a station uploaded to laddnet; download it from downloadPath "
    "with the same Bearer token."
)
class DiagnosticsFile:
    id: strawberry.ID
    station_id: strawberry.ID
    file_name: str
    size_bytes: int
    received_at: datetime
    request_id: strawberry.ID | None = strawberry.field(
        description="The diagnostics request it answers, when one was open."
    )
    download_path: str

    @classmethod
    def from_domain(cls, f: DomainDiagnosticsFile) -> DiagnosticsFile:
        return cls(
            id=strawberry.ID(str(f.id)),
            station_id=strawberry.ID(str(f.station_id)),
            file_name=f.file_name,
            size_bytes=f.size_bytes,
            received_at=utc(f.received_at),  # type: ignore[arg-type]
            request_id=strawberry.ID(str(f.transfer_id)) if f.transfer_id else None,
            download_path=f"/diagnostics/files/{f.id}",
        )
