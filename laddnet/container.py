"""Wiring: the one place that knows the domain, the OCPP server and the API together."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from beanie import PydanticObjectId

from api.app import ApiDependencies, ApiLimits
from domain.billing.service import BillingService, compose_billing
from domain.billing.stripe_gateway import StripeGateway
from domain.charging.commands import (
    CommandResult,
    CommandStatus,
    StationCommand,
    StationCommandService,
    StationGateway,
)
from domain.charging.service import ChargingService
from domain.common.clientaddr import TrustedProxies
from domain.common.events import EventBus, InProcessEventBus
from domain.common.throttle import FailureThrottle
from domain.diagnostics.service import DiagnosticsService
from domain.diagnostics.station_reports import StationReportLog
from domain.diagnostics.uploads import DiagnosticsUploads
from domain.diagnostics.webhook import WebhookNotifier
from domain.identity import repository as identity_repository
from domain.identity.service import IdentityService
from domain.identity.tokens import TokenService
from domain.network.service import NetworkService
from domain.reporting.service import ReportingService
from domain.reporting.telemetry import apply_retention
from domain.security.service import Endpoints, StationSecurity
from domain.tariffs.service import TariffService
from laddnet.adapters import billing_ports
from laddnet.cluster.lease import only_while_held
from laddnet.cluster.relay import ClusterRelay
from laddnet.cluster.sweep import sweep_dead_nodes
from laddnet.database import Database, mongo_health
from laddnet.file_store import DataDirFileStore
from laddnet.recovery import reap_abandoned_transactions
from laddnet.settings import Settings
from laddnet.tls_files import TlsFiles, ensure_tls_files
from laddnet.webhooks import UrllibWebhookTransport
from ocpp_server.server import OcppDependencies, OcppServer
from ocpp_server.tls import server_context

log = logging.getLogger(__name__)


class SwitchableGateway:
    """A StationGateway whose target is set once the OCPP server exists (it needs the services
    that need the gateway). Without a target every station is offline."""

    def __init__(self) -> None:
        self.target: StationGateway | None = None

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        if self.target is None:
            return CommandResult(CommandStatus.OFFLINE, "no OCPP server in this process")
        return await self.target.send(charge_point_id, command)


@dataclass
class Container:
    settings: Settings
    database: Database
    events: EventBus
    network: NetworkService
    commands: StationCommandService
    charging: ChargingService
    identity: IdentityService
    tokens: TokenService
    gateway: SwitchableGateway
    diagnostics: DiagnosticsService
    reports: StationReportLog
    reporting: ReportingService
    billing: BillingService
    tariffs: TariffService
    security: StationSecurity | None = None
    tls: TlsFiles | None = None  # set when OCPP offers wss:// (security profiles 2 and 3)
    tls_port: int | None = None
    uploads: DiagnosticsUploads | None = None  # diagnostics files stations upload here
    node_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    cluster: ClusterRelay | None = None  # set when several nodes share the database
    ocpp: OcppServer | None = None  # this process's OCPP server, once made

    @property
    def worker_events(self) -> EventBus:
        """Where consumers that act on events (billing, diagnostics) listen: in a cluster only
        this node's own events, so each event is handled once, by the node that published it."""
        return self.cluster.events.local if self.cluster is not None else self.events

    async def health(self) -> dict[str, Any]:
        return dict(await mongo_health(self.database.db))

    def ocpp_server(self, host: str, port: int) -> OcppServer:
        s = self.settings
        server = OcppServer(
            OcppDependencies(
                network=self.network,
                charging=self.charging,
                events=self.events,
                reports=self.reports,
                security=self.security,
            ),
            host=host,
            port=port,
            tls=(
                server_context(self.tls.server_cert, self.tls.server_key, self.tls.station_ca_cert)
                if self.tls is not None
                else None
            ),
            tls_port=self.tls_port if self.tls is not None else None,
            node_id=self.node_id,
            response_timeout=s.ocpp_response_timeout,
            heartbeat_interval=s.heartbeat_interval,
            auth_failure_limit=s.auth_failure_limit,
            auth_failure_window=s.auth_failure_window,
            trusted_proxies=s.trusted_proxies,
        )
        self.gateway.target = server.gateway
        self.ocpp = server
        return server

    def api_dependencies(self) -> ApiDependencies:
        return ApiDependencies(
            identity=self.identity,
            tokens=self.tokens,
            network=self.network,
            commands=self.commands,
            events=self.events,
            charging=self.charging,
            health_check=self.health,
            introspection=self.settings.introspection_enabled,
            cors_origins=tuple(self.settings.cors_origins),
            limits=ApiLimits(max_body_bytes=self.settings.max_body_bytes),
            trusted_proxies=TrustedProxies.of(self.settings.trusted_proxies),
            diagnostics_upload_url=self.settings.diagnostics_upload_url,
            diagnostics=self.diagnostics,
            uploads=self.uploads,
            upload_secret=hashlib.sha256(
                b"laddnet diagnostics uploads:" + self.settings.resolved_jwt_secret().encode()
            ).digest(),
            upload_max_bytes=self.settings.diagnostics_upload_max_bytes,
            reporting=self.reporting,
            billing=self.billing,
            tariffs=self.tariffs,
            security=self.security,
        )

    @contextlib.asynccontextmanager
    async def background(self) -> AsyncIterator[None]:
        """Long-running domain work (event consumers, periodic checks) for the life of the app;
        in a cluster, the relay through MongoDB around it."""
        async with contextlib.AsyncExitStack() as stack:
            if self.cluster is not None:
                await stack.enter_async_context(self.cluster.running())
            await stack.enter_async_context(self._workers())
            yield

    @contextlib.asynccontextmanager
    async def _workers(self) -> AsyncIterator[None]:
        await apply_retention(self.settings.telemetry_retention_days)
        tasks = [
            asyncio.create_task(self.diagnostics.run(self.worker_events), name="diagnostics"),
            asyncio.create_task(self.billing.run(self.worker_events), name="billing"),
        ]
        if self.cluster is None:
            tasks += [
                asyncio.create_task(
                    _every(DIAGNOSTICS_TICK_SECONDS, self.diagnostics.tick), name="diagnostics-tick"
                ),
                asyncio.create_task(
                    self.billing.run_settlement(self.settings.settlement_interval),
                    name="billing-settlement",
                ),
            ]
        else:
            # Once per cluster, not once per node: only the lease holder runs these.
            lease = self.cluster.lease
            cluster_nodes = self.cluster.nodes.collection

            async def sweep() -> None:
                await sweep_dead_nodes(self.network, cluster_nodes)

            tasks += [
                asyncio.create_task(
                    _every(DIAGNOSTICS_TICK_SECONDS, only_while_held(lease, self.diagnostics.tick)),
                    name="diagnostics-tick",
                ),
                asyncio.create_task(
                    _every(
                        self.settings.settlement_interval,
                        only_while_held(lease, self.billing.reconcile),
                    ),
                    name="billing-settlement",
                ),
                asyncio.create_task(
                    _every(DEAD_NODE_SWEEP_SECONDS, only_while_held(lease, sweep)),
                    name="dead-node-sweep",
                ),
                # on every node: a dead node's open transaction must not outlive it by a minute
                asyncio.create_task(
                    reap_abandoned_transactions(self.database.client),
                    name="abandoned-transactions",
                ),
            ]
        await asyncio.sleep(0)  # let the consumers subscribe before anything is published
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            await self.diagnostics.aclose()


DIAGNOSTICS_TICK_SECONDS = 15.0
DEAD_NODE_SWEEP_SECONDS = 15.0


async def _every(seconds: float, job: Callable[[], Awaitable[None]]) -> None:
    """Run ``job`` every ``seconds`` until cancelled; a failing run is logged, the loop goes on."""
    while True:
        await asyncio.sleep(seconds)
        try:
            await job()
        except Exception:
            log.exception("periodic job %s failed", getattr(job, "__qualname__", job))


def build_container(
    settings: Settings, database: Database, *, cluster: bool = False, roles: tuple[str, ...] = ()
) -> Container:
    """``cluster``: events and station commands also travel through MongoDB to and from other
    nodes on the same database (laddnet.cluster); otherwise everything stays in this process."""
    node_id = uuid.uuid4().hex[:12]
    gateway = SwitchableGateway()
    relay = None
    if cluster:
        relay = ClusterRelay(
            database.db,
            node_id,
            local=gateway,
            command_timeout=settings.ocpp_response_timeout + 5.0,
            roles=roles,
        )
    events: EventBus = relay.events if relay is not None else InProcessEventBus()
    network = NetworkService(events)
    commands = StationCommandService(
        relay.gateway if relay is not None else gateway, device_model=network.device_model
    )
    charging = ChargingService(events=events, network=network, commands=commands)
    tokens = TokenService(
        secret=settings.resolved_jwt_secret(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        access_ttl=settings.access_token_ttl,
        refresh_ttl=settings.refresh_token_ttl,
        jwks_url=settings.jwks_url,
        jwks_issuer=settings.jwks_issuer,
        jwks_audience=settings.jwks_audience,
    )
    identity = IdentityService(
        tokens=tokens,
        sign_in_failures=FailureThrottle(settings.auth_failure_limit, settings.auth_failure_window),
    )
    diagnostics = DiagnosticsService(
        events,
        WebhookNotifier(UrllibWebhookTransport()),
        heartbeat_interval=settings.heartbeat_interval,
    )
    tls_port = settings.ocpp_tls_port
    if tls_port is None and settings.demo:
        tls_port = DEMO_TLS_PORT
    tls = ensure_tls_files(settings) if tls_port is not None else None
    public = settings.ocpp_public_host or settings.ocpp_host
    security = StationSecurity(
        commands,
        organisation_name,
        ca=tls.station_ca if tls is not None else None,
        endpoints=Endpoints(
            ws_url=f"ws://{public}:{settings.ocpp_port}/ocpp/",
            wss_url=f"wss://{public}:{tls_port}/ocpp/" if tls is not None else None,
        ),
    )
    return Container(
        settings=settings,
        database=database,
        events=events,
        network=network,
        commands=commands,
        charging=charging,
        identity=identity,
        tokens=tokens,
        gateway=gateway,
        diagnostics=diagnostics,
        reports=StationReportLog(events),
        reporting=ReportingService(),
        billing=compose_billing(stripe_gateway(settings), billing_ports(charging, network)),
        tariffs=TariffService(),
        security=security,
        tls=tls,
        tls_port=tls_port,
        uploads=DiagnosticsUploads(
            DataDirFileStore(settings.data_dir / "uploads"),
            max_bytes=settings.diagnostics_upload_max_bytes,
        ),
        node_id=node_id,
        cluster=relay,
    )


DEMO_TLS_PORT = 9443


async def organisation_name(org_id: PydanticObjectId) -> str | None:
    """Security's port into identity: an organisation's registered name."""
    org = await identity_repository.get_organisation(org_id)
    return org.name if org is not None else None


def stripe_gateway(settings: Settings) -> StripeGateway:
    hook = settings.stripe_webhook_secret
    return StripeGateway(
        secret_key=settings.stripe_secret_key.get_secret_value(),
        publishable_key=settings.stripe_publishable_key,
        api_base=settings.stripe_api_base,
        webhook_secret=hook.get_secret_value() if hook else None,
    )
