"""Sites, stations and connectors at the edge. Power in kW here; the domain keeps watts."""

from __future__ import annotations

from datetime import datetime

import strawberry
from beanie import PydanticObjectId

from api.context import Info
from api.errors import UserError, coded_errors
from api.types.charging import TelemetrySample
from api.types.common import DateRangeInput, GeoPoint, GeoPointInput, PageInfo, utc
from api.types.diagnostics import Alert, StationHealth, health_loader, open_alerts_loader
from api.types.security import StationCertificate
from api.types.station_commands import (
    FileTransfer,
    StationReportRequest,
    StationVariable,
    StationVariableConnection,
    StationVariableEdge,
)
from api.types.tariffs import Tariff
from domain.diagnostics.transfers import TransferKind
from domain.network.models import Connector as DomainConnector
from domain.network.models import ConnectorStandard, ConnectorStatus
from domain.network.models import Site as DomainSite
from domain.network.models import Station as DomainStation
from domain.network.models import StatusInterval as DomainStatusInterval
from domain.tariffs.service import TariffService

# The domain enums become GraphQL enums (registered on the classes; values are their names).
strawberry.enum(ConnectorStatus, name="ConnectorStatus")
strawberry.enum(ConnectorStandard, name="ConnectorStandard")


@strawberry.type
class Site:
    id: strawberry.ID
    name: str
    address: str
    timezone: str
    location: GeoPoint
    created_at: datetime

    @classmethod
    def from_domain(cls, site: DomainSite) -> Site:
        return cls(
            id=strawberry.ID(str(site.id)),
            name=site.name,
            address=site.address,
            timezone=site.timezone,
            location=GeoPoint.from_domain(site.location),
            created_at=utc(site.created_at),  # type: ignore[arg-type]
        )


async def _site(info: Info, site_id: str) -> Site:
    site = await info.context.loaders.sites.load(site_id)
    if site is None:  # a station's site cannot vanish: sites are never deleted
        raise LookupError(f"site {site_id} of a station is missing")
    return Site.from_domain(site)


async def _tariff(tariff_id: PydanticObjectId | None) -> Tariff | None:
    """The station's tariff with its readable summary; null when none is assigned."""
    if tariff_id is None:
        return None
    found = await TariffService().tariffs_by_id([tariff_id])
    doc = found.get(tariff_id)
    return Tariff.from_domain(doc) if doc else None


@strawberry.type
class Connector:
    connector_id: int
    standard: ConnectorStandard
    max_power_kw: float
    status: ConnectorStatus
    error_code: str | None
    status_since: datetime | None

    @classmethod
    def from_domain(cls, c: DomainConnector) -> Connector:
        return cls(
            connector_id=c.connector_id,
            standard=c.standard,
            max_power_kw=c.max_power_w / 1000.0,
            status=c.status,
            error_code=c.error_code,
            status_since=utc(c.status_since),
        )


@strawberry.type
class StatusInterval:
    connector_id: int
    status: ConnectorStatus
    error_code: str | None
    from_: datetime = strawberry.field(name="from")
    to: datetime | None  # None: still in this status

    @classmethod
    def from_domain(cls, i: DomainStatusInterval) -> StatusInterval:
        return cls(
            connector_id=i.connector_id,
            status=i.status,
            error_code=i.error_code,
            from_=utc(i.start),  # type: ignore[arg-type]
            to=utc(i.end),
        )


@strawberry.type(description="A station as its operator sees it.")
class Station:
    id: strawberry.ID
    charge_point_id: str
    name: str
    online: bool
    last_seen_at: datetime | None
    connected_at: datetime | None
    ocpp_version: str | None
    vendor: str | None
    model: str | None
    serial_number: str | None
    firmware_version: str | None
    booted_at: datetime | None
    location: GeoPoint
    connectors: list[Connector]
    security_profile: int = strawberry.field(
        description="The OCPP security profile the station must connect with (1-3)."
    )
    domain: strawberry.Private[DomainStation]

    @classmethod
    def from_domain(cls, s: DomainStation) -> Station:
        return cls(
            id=strawberry.ID(str(s.id)),
            charge_point_id=s.charge_point_id,
            name=s.name,
            online=s.online,
            last_seen_at=utc(s.last_seen_at),
            connected_at=utc(s.connected_at),
            ocpp_version=s.ocpp_version,
            vendor=s.vendor,
            model=s.model,
            serial_number=s.serial_number,
            firmware_version=s.firmware_version,
            booted_at=utc(s.booted_at),
            location=GeoPoint.from_domain(s.location),
            connectors=[Connector.from_domain(c) for c in s.connectors],
            security_profile=s.security_profile,
            domain=s,
        )

    @strawberry.field
    async def certificates(self, info: Info) -> list[StationCertificate]:
        """Certificates laddnet signed for or knows on this station."""
        security = info.context.deps.security
        if security is None:
            return []
        info.context.reading_org()
        return [StationCertificate.from_domain(c) for c in await security.certificates(self.domain)]

    @strawberry.field
    async def site(self, info: Info) -> Site:
        return await _site(info, str(self.domain.site_id))

    @strawberry.field
    async def health(self, info: Info) -> StationHealth | None:
        """Latest readings and health status (judged now); null where diagnostics is not running."""
        found = await health_loader(info.context).load(str(self.id))
        return StationHealth.from_domain(found) if found is not None else None

    @strawberry.field
    async def open_alerts(self, info: Info) -> list[Alert]:
        """Alerts raised on this station and not yet resolved, oldest first."""
        return [
            Alert.from_domain(a) for a in await open_alerts_loader(info.context).load(str(self.id))
        ]

    @strawberry.field
    async def tariff(self) -> Tariff | None:
        return await _tariff(self.domain.tariff_id)

    @strawberry.field
    async def status_history(self, info: Info, range: DateRangeInput) -> list[StatusInterval]:
        """Each connector's statuses overlapping the range, oldest first."""
        with coded_errors():
            start, end = range.bounds()
            rows = await info.context.deps.network.status_history(self.domain, start, end)
        return [StatusInterval.from_domain(i) for i in rows]

    @strawberry.field
    async def variables(
        self,
        info: Info,
        component: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> StationVariableConnection:
        """The device model as last reported (2.0.1 NotifyReport and GetVariables; 1.6
        configuration keys as variables of the component ChargePoint), by component and name."""
        with coded_errors():
            page = await info.context.deps.network.device_model.variables(
                self.domain, component=component, first=first, after=after
            )
        return StationVariableConnection(
            total_count=page.total_count or 0,
            edges=[
                StationVariableEdge(cursor=c, node=StationVariable.from_domain(v))
                for c, v in page.items
            ],
            page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        )

    @strawberry.field
    async def report_request(self, info: Info, request_id: int) -> StationReportRequest | None:
        """A report asked with requestStationReport: the station's answer and the parts so far."""
        found = await info.context.deps.network.device_model.report_request(self.domain, request_id)
        return StationReportRequest.from_domain(found) if found else None

    @strawberry.field
    async def transfers(
        self, info: Info, kind: TransferKind | None = None, first: int | None = None
    ) -> list[FileTransfer]:
        """Firmware updates and diagnostics uploads asked of the station, newest first."""
        diagnostics = info.context.deps.diagnostics
        if diagnostics is None:
            return []
        with coded_errors():
            rows = await diagnostics.transfers(
                self.domain.org_id,
                self.domain.id,  # type: ignore[arg-type]
                kind=kind.value if kind else None,
                first=first,
            )
        return [FileTransfer.from_domain(t) for t in rows]

    @strawberry.field
    async def telemetry(self, info: Info, range: DateRangeInput) -> list[TelemetrySample]:
        """Each connector's readings in the range (at most 31 days), oldest first."""
        with coded_errors():
            start, end = range.bounds()
            rows = await info.context.deps.charging.telemetry(self.domain.id, start, end)  # type: ignore[arg-type]
        return [TelemetrySample.from_domain(r) for r in rows]


@strawberry.type
class StationEdge:
    cursor: str
    node: Station


@strawberry.type
class StationConnection:
    total_count: int
    edges: list[StationEdge]
    page_info: PageInfo


@strawberry.type(description="A station as a driver sees it: where it is and whether it is free.")
class PublicStation:
    id: strawberry.ID
    name: str
    online: bool
    location: GeoPoint
    connectors: list[Connector]
    site_id: strawberry.Private[str]
    tariff_id: strawberry.Private[PydanticObjectId | None] = None

    @classmethod
    def from_domain(cls, s: DomainStation) -> PublicStation:
        return cls(
            id=strawberry.ID(str(s.id)),
            name=s.name,
            online=s.online,
            location=GeoPoint.from_domain(s.location),
            connectors=[Connector.from_domain(c) for c in s.connectors],
            site_id=str(s.site_id),
            tariff_id=s.tariff_id,
        )

    @strawberry.field
    async def site(self, info: Info) -> Site:
        return await _site(info, self.site_id)

    @strawberry.field
    async def tariff(self) -> Tariff | None:
        return await _tariff(self.tariff_id)


@strawberry.type
class NearbyStationEdge:
    distance_km: float
    node: PublicStation


@strawberry.type
class NearbyStationConnection:
    edges: list[NearbyStationEdge]


@strawberry.input(name="StationFilter")
class StationFilterInput:
    site_id: strawberry.ID | None = None
    online: bool | None = None
    connector_status: ConnectorStatus | None = None
    search: str | None = None


@strawberry.input
class CreateSiteInput:
    name: str
    location: GeoPointInput
    timezone: str = strawberry.field(description='IANA timezone, e.g. "Europe/Stockholm"')
    address: str = ""


@strawberry.input
class ConnectorInput:
    connector_id: int
    standard: ConnectorStandard = ConnectorStandard.TYPE2
    max_power_kw: float = 22.0


@strawberry.input
class RegisterStationInput:
    charge_point_id: str
    name: str
    site_id: strawberry.ID
    password: str = strawberry.field(
        description="OCPP Basic-auth key (16-40 characters); stored only as a hash"
    )
    connectors: list[ConnectorInput]
    location: GeoPointInput | None = None


@strawberry.type
class CreateSitePayload:
    site: Site | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class RegisterStationPayload:
    station: Station | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
