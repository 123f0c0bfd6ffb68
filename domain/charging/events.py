"""The events charging publishes; consumers (diagnostics, billing, the API's subscriptions, the
cluster relay) import them from here.

``StationTelemetryUpdated``: the latest value of each quantity a station sampled (published from
every new batch of meter samples). ``StationTelemetrySampled`` *is a* ``StationTelemetryUpdated``
(a subclass) with what diagnostics reads beyond it: per-phase voltage and current, and the energy
register at both meter locations when a station reports both. Charging always publishes the
richer one (``telemetry_event.py``); a subscriber to the plain one gets it unchanged.

``SessionUpdated``: a session after every change charging made to it (started, metered, status,
ended); billing settles on it, the API streams it.
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.common.events import DomainEvent


@dataclass(frozen=True, kw_only=True)
class StationTelemetryUpdated(DomainEvent):
    connector_id: int
    temperature_c: float | None = None
    voltage_v: float | None = None
    current_a: float | None = None
    power_w: float | None = None
    offered_power_w: float | None = None
    energy_wh: int | None = None
    soc_percent: float | None = None


@dataclass(frozen=True, kw_only=True)
class StationTelemetrySampled(StationTelemetryUpdated):
    voltage_phases_v: tuple[float, ...] = ()  # L1, L2, L3 (phase to neutral) as reported
    current_phases_a: tuple[float, ...] = ()
    inlet_energy_wh: int | None = None  # Energy.Active.Import.Register at location Inlet
    outlet_energy_wh: int | None = None  # ... at location Outlet


@dataclass(frozen=True, kw_only=True)
class SessionUpdated(DomainEvent):
    session_id: str
    driver_id: str | None
    status: str
    energy_wh: int
    power_w: float | None
    duration_seconds: int
    idle_seconds: int
    cost_amount: int | None = None
    currency: str | None = None
