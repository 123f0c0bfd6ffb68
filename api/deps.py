"""What the API needs from the rest of laddnet, handed in by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from domain.billing.service import BillingService
from domain.charging.commands import StationCommandService
from domain.charging.service import ChargingService
from domain.common.clientaddr import TrustedProxies
from domain.common.events import EventBus
from domain.diagnostics.service import DiagnosticsService
from domain.diagnostics.uploads import DiagnosticsUploads
from domain.identity.service import IdentityService
from domain.identity.tokens import TokenService
from domain.network.service import NetworkService
from domain.reporting.service import ReportingService
from domain.security.service import StationSecurity
from domain.tariffs.service import TariffService


@dataclass(frozen=True)
class ApiLimits:
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2_000
    max_subscriptions_per_connection: int = 20
    connection_init_timeout: float = 10.0  # seconds a websocket may wait before connection_init
    max_body_bytes: int = 1 << 20  # every HTTP endpoint's request body (api/bodylimit.py)
    health_timeout: float = 2.0  # /healthz answers 503 when the checks take longer


@dataclass
class ApiDependencies:
    identity: IdentityService
    tokens: TokenService
    network: NetworkService
    commands: StationCommandService
    events: EventBus
    health_check: Callable[[], Awaitable[dict[str, Any]]]
    charging: ChargingService
    introspection: bool = False
    cors_origins: tuple[str, ...] = ()  # browser origins allowed to call the API
    limits: ApiLimits = field(default_factory=ApiLimits)
    diagnostics_upload_url: str | None = None  # where stations upload diagnostics by default
    diagnostics: DiagnosticsService | None = None  # health, alerts, rules, transfers
    uploads: DiagnosticsUploads | None = None  # diagnostics files stations upload to laddnet
    upload_secret: bytes | None = None  # keys the per-station upload tokens
    upload_max_bytes: int = 64 * 1024 * 1024
    reporting: ReportingService | None = None  # usage, peak hours, bottlenecks
    # payments, memberships, receipts; without it sessions are free and the Stripe webhook is a 503
    billing: BillingService | None = None
    tariffs: TariffService = field(default_factory=TariffService)
    # whose X-Forwarded-For names the client for rate limits (domain/common/clientaddr.py)
    security: StationSecurity | None = None  # OCPP security profiles, keys, certificates
    trusted_proxies: TrustedProxies = field(default_factory=TrustedProxies)

    def require_billing(self) -> BillingService:
        """Billing, for the operations that exist only with it (payment methods, refunds)."""
        if self.billing is None:
            raise RuntimeError("the API was built without a billing service")
        return self.billing
