"""What every connection's handler shares, and the wire forms both OCPP versions use."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.charging.service import ChargingService
from domain.diagnostics.station_reports import StationReportLog
from domain.network.service import NetworkService
from domain.security.service import StationSecurity


@dataclass(frozen=True, slots=True)
class HandlerContext:
    """What every connection's handler shares: the domain services and the server's settings."""

    network: NetworkService
    charging: ChargingService
    reports: StationReportLog  # what stations report outside charging, kept by diagnostics
    heartbeat_interval: int
    response_timeout: float = 30.0
    security: StationSecurity | None = None  # profiles, keys, certificates (None: not offered)
    # certificates signed in a SignCertificate handler, sent by its @after hook (by station id)
    signed: dict[str, tuple[str, str | None]] = field(default_factory=dict)
