"""The events diagnostics publishes from what stations report outside charging (security events,
file-transfer progress: ``station_reports.py``) and consumes itself. Telemetry comes from charging
(``domain/charging/events.py``)."""

from __future__ import annotations

from dataclasses import dataclass

from domain.common.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class SecurityEventReported(DomainEvent):
    """A SecurityEventNotification (2.0.1, or 1.6 with the security extension)."""

    type: str
    tech_info: str | None = None
    critical: bool | None = None  # None: decided by the OCPP list of critical events


@dataclass(frozen=True, kw_only=True)
class TransferStatusReported(DomainEvent):
    """A Diagnostics/Log/FirmwareStatusNotification, for ``DiagnosticsService.status_notification``.

    ``kind``: DIAGNOSTICS (1.6 diagnostics, 2.0.1 log upload) or FIRMWARE; ``status`` as reported."""

    kind: str
    status: str
    request_id: int | None = None
