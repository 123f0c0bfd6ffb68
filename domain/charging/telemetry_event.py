"""The telemetry event charging publishes from newly stored samples: the latest value of each
quantity, plus what diagnostics needs beyond it (per-phase voltage and current, and the energy
register at both meter locations when a station reports both). Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence

from domain.charging import metering
from domain.charging.events import StationTelemetrySampled

PHASES = ("L1", "L2", "L3")
_PHASE_NAMES = {"L1": "L1", "L2": "L2", "L3": "L3", "L1-N": "L1", "L2-N": "L2", "L3-N": "L3"}


def _per_phase(
    samples: Sequence[metering.SampledValue], measurand: str, unit: str
) -> tuple[float, ...]:
    """The latest moment's value per phase (L1, L2, L3 order), when that moment reports phases."""
    found = [s for s in samples if s.measurand == measurand and s.unit == unit and s.phase]
    if not found:
        return ()
    latest = max(s.at for s in found)
    by_phase: dict[str, float] = {}
    for s in found:
        name = _PHASE_NAMES.get(s.phase or "")
        if s.at == latest and name is not None:
            by_phase[name] = s.value
    return tuple(by_phase[p] for p in PHASES if p in by_phase)


def _register_at(samples: Sequence[metering.SampledValue], location: str) -> int | None:
    found = [s for s in samples if s.is_energy_register and s.location == location]
    return round(max(found, key=lambda s: s.at).value) if found else None


def telemetry_event(
    *,
    org_id: str,
    site_id: str,
    station_id: str,
    connector_id: int,
    samples: Sequence[metering.SampledValue],
) -> StationTelemetrySampled | None:
    """None when the samples carry no telemetry quantity."""
    row = metering.latest_row(connector_id, samples)
    if row is None:
        return None
    inlet = _register_at(samples, "Inlet")
    outlet = _register_at(samples, "Outlet")
    both = inlet is not None and outlet is not None
    return StationTelemetrySampled(
        org_id=org_id,
        site_id=site_id,
        station_id=station_id,
        at=row.at,
        connector_id=connector_id,
        temperature_c=row.temperature_c,
        voltage_v=row.voltage_v,
        current_a=row.current_a,
        power_w=row.power_w,
        offered_power_w=row.offered_power_w,
        energy_wh=row.energy_wh,
        soc_percent=row.soc_percent,
        voltage_phases_v=_per_phase(samples, "Voltage", "V"),
        current_phases_a=_per_phase(samples, "Current.Import", "A"),
        inlet_energy_wh=inlet if both else None,
        outlet_energy_wh=outlet if both else None,
    )
