"""What one measurement of one connector looks like to the diagnostics rules.

A ``Sample`` is a plain value: the rules, the efficiency and the health computation take sequences of
them and never touch the database. ``voltage_v`` and ``current_a`` hold one value per phase (L1, L2,
L3) or a single value when the station reports no phases. ``energy_wh`` is the (Outlet, or unlocated)
``Energy.Active.Import.Register``; ``inlet_energy_wh``/``outlet_energy_wh`` are set only where the
station reports the register at both meter locations (OCPP ``location`` Inlet and Outlet).

``status``/``error_code`` are the connector's status as last reported when the sample was taken: the
window keeper stamps them, so a rule can ask "was it charging?".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.charging.events import StationTelemetryUpdated
from domain.common.clock import as_utc


def stored_time(value: datetime) -> datetime:
    """UTC at MongoDB's millisecond precision: sample times, alert times and durations then agree
    whether read from an event or from the store."""
    value = as_utc(value)
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


@dataclass(frozen=True, kw_only=True)
class Sample:
    at: datetime
    station_id: str
    connector_id: int
    temperature_c: float | None = None
    voltage_v: tuple[float, ...] = ()
    current_a: tuple[float, ...] = ()
    power_w: float | None = None
    offered_power_w: float | None = None
    energy_wh: int | None = None
    inlet_energy_wh: int | None = None
    outlet_energy_wh: int | None = None
    soc_percent: float | None = None
    status: str | None = None
    error_code: str | None = None


def _phases(per_phase: tuple[float, ...], single: float | None) -> tuple[float, ...]:
    if per_phase:
        return tuple(float(v) for v in per_phase)
    return () if single is None else (float(single),)


def sample_from_event(
    event: StationTelemetryUpdated, *, status: str | None, error_code: str | None
) -> Sample:
    """A sample from a telemetry event; richer fields are read when the event carries them."""
    voltage_phases: tuple[float, ...] = getattr(event, "voltage_phases_v", ())
    current_phases: tuple[float, ...] = getattr(event, "current_phases_a", ())
    inlet: int | None = getattr(event, "inlet_energy_wh", None)
    outlet: int | None = getattr(event, "outlet_energy_wh", None)
    return Sample(
        at=stored_time(event.at),
        station_id=event.station_id or "",
        connector_id=event.connector_id,
        temperature_c=event.temperature_c,
        voltage_v=_phases(voltage_phases, event.voltage_v),
        current_a=_phases(current_phases, event.current_a),
        power_w=event.power_w,
        offered_power_w=event.offered_power_w,
        energy_wh=event.energy_wh,
        inlet_energy_wh=inlet,
        outlet_energy_wh=outlet,
        soc_percent=event.soc_percent,
        status=status,
        error_code=error_code,
    )
