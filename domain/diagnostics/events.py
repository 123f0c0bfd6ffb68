"""Diagnostics' own, richer events. ``domain.common.events`` is shared, so they live here.

``StationTelemetrySampled`` *is a* ``StationTelemetryUpdated`` (a subclass): whoever publishes it
instead of the plain one (the OCPP handlers, when a station reports phases or both meter locations)
reaches every existing subscriber unchanged, and diagnostics reads the extra fields.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.common.events import DomainEvent, StationTelemetryUpdated


@dataclass(frozen=True, kw_only=True)
class StationTelemetrySampled(StationTelemetryUpdated):
    voltage_phases_v: tuple[float, ...] = ()  # L1, L2, L3 (phase to neutral) as reported
    current_phases_a: tuple[float, ...] = ()
    inlet_energy_wh: int | None = None  # Energy.Active.Import.Register at location Inlet
    outlet_energy_wh: int | None = None  # ... at location Outlet


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
