"""What the API needs from the rest of laddnet, handed in by the composition root."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from domain.charging.commands import StationCommandService
from domain.common.events import EventBus
from domain.diagnostics.service import DiagnosticsService
from domain.identity.service import IdentityService
from domain.identity.tokens import TokenService
from domain.network.service import NetworkService
from domain.reporting.service import ReportingService


@dataclass(frozen=True)
class ApiLimits:
    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 2_000
    max_subscriptions_per_connection: int = 20
    connection_init_timeout: float = 10.0  # seconds a websocket may wait before connection_init


@dataclass
class ApiDependencies:
    identity: IdentityService
    tokens: TokenService
    network: NetworkService
    commands: StationCommandService
    events: EventBus
    health_check: Callable[[], Awaitable[dict[str, Any]]]
    charging: Any | None = None  # domain.charging's service, once it exists
    introspection: bool = False
    limits: ApiLimits = field(default_factory=ApiLimits)
    diagnostics_upload_url: str | None = None  # where stations upload diagnostics by default
    diagnostics: DiagnosticsService | None = None  # health, alerts, rules, transfers
    reporting: ReportingService | None = None  # usage, peak hours, bottlenecks
    billing: Any | None = None  # domain.billing.service.BillingService: payments, memberships
    tariffs: Any | None = None  # domain.tariffs.service.TariffService
