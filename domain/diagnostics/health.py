"""A station's health from its latest measurements, its open alerts and its connectivity.

Status, worst first:

- OFFLINE: not connected, or nothing heard from it for longer than the OFFLINE rule's threshold.
- FAULTED: a connector (or connector 0, the station itself) reports Faulted, or a FAULTED alert is
  open.
- DEGRADED: any other alert is open, or a connector reports an error code while not Faulted.
- OK: none of the above.

Readings per connector are the latest value of each measurand in the window. A connector's voltage
is the mean of its phases, its current the highest phase current (the per-phase load, as "16 A
three-phase" is spoken of). The station's figures: the hottest connector, the mean voltage, the sum
of currents and powers, and the mean efficiency of the connectors delivering power.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from domain.diagnostics.efficiency import window_efficiency
from domain.diagnostics.rules import AlertKind
from domain.diagnostics.samples import Sample

FAULTED = "Faulted"


class HealthStatus(StrEnum):
    OK = "OK"
    DEGRADED = "DEGRADED"
    FAULTED = "FAULTED"
    OFFLINE = "OFFLINE"


@dataclass(frozen=True)
class ConnectorReading:
    connector_id: int
    sampled_at: datetime | None = None
    temperature_c: float | None = None
    voltage_v: float | None = None
    current_a: float | None = None
    power_w: float | None = None
    offered_power_w: float | None = None
    energy_wh: int | None = None
    efficiency_percent: float | None = None
    status: str | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class StationReading:
    sampled_at: datetime | None
    temperature_c: float | None
    voltage_v: float | None
    current_a: float | None
    power_w: float | None
    efficiency_percent: float | None


def _latest(samples: Sequence[Sample], attr: str) -> Any:
    for s in reversed(samples):
        value = getattr(s, attr)
        if value is not None and value != ():
            return value
    return None


def connector_reading(connector_id: int, samples: Sequence[Sample]) -> ConnectorReading:
    """The latest of every measurand of one connector's window (oldest sample first)."""
    measured = [s for s in samples if _has_measurement(s)]
    volts: tuple[float, ...] | None = _latest(samples, "voltage_v")
    amps: tuple[float, ...] | None = _latest(samples, "current_a")
    last = samples[-1] if samples else None
    return ConnectorReading(
        connector_id=connector_id,
        sampled_at=measured[-1].at if measured else None,
        temperature_c=_latest(samples, "temperature_c"),
        voltage_v=sum(volts) / len(volts) if volts else None,
        current_a=max(amps) if amps else None,
        power_w=_latest(samples, "power_w"),
        offered_power_w=_latest(samples, "offered_power_w"),
        energy_wh=_latest(samples, "energy_wh"),
        efficiency_percent=window_efficiency(samples),
        status=last.status if last else None,
        error_code=last.error_code if last else None,
    )


def _has_measurement(s: Sample) -> bool:
    return any(
        v is not None and v != ()
        for v in (s.temperature_c, s.voltage_v, s.current_a, s.power_w, s.energy_wh)
    )


def station_reading(connectors: Iterable[ConnectorReading]) -> StationReading:
    readings = list(connectors)
    temps = [r.temperature_c for r in readings if r.temperature_c is not None]
    volts = [r.voltage_v for r in readings if r.voltage_v is not None]
    amps = [r.current_a for r in readings if r.current_a is not None]
    powers = [r.power_w for r in readings if r.power_w is not None]
    times = [r.sampled_at for r in readings if r.sampled_at is not None]
    effs = [
        r.efficiency_percent
        for r in readings
        if r.efficiency_percent is not None and (r.power_w is None or r.power_w > 0)
    ]
    return StationReading(
        sampled_at=max(times) if times else None,
        temperature_c=max(temps) if temps else None,
        voltage_v=sum(volts) / len(volts) if volts else None,
        current_a=sum(amps) if amps else None,
        power_w=sum(powers) if powers else None,
        efficiency_percent=sum(effs) / len(effs) if effs else None,
    )


def health_status(
    *,
    online: bool,
    last_seen_at: datetime | None,
    now: datetime,
    silent_after_seconds: float,
    connectors: Iterable[tuple[str | None, str | None]],
    open_alert_kinds: Iterable[str],
) -> HealthStatus:
    """``connectors``: (status, error_code) per connector; ``open_alert_kinds``: kinds of the
    station's alerts that are not resolved."""
    if not online or last_seen_at is None:
        return HealthStatus.OFFLINE
    if now - last_seen_at > timedelta(seconds=silent_after_seconds):
        return HealthStatus.OFFLINE
    kinds = set(open_alert_kinds)
    conns = list(connectors)
    if AlertKind.FAULTED.value in kinds or any(status == FAULTED for status, _ in conns):
        return HealthStatus.FAULTED
    if kinds or any(code not in (None, "", "NoError") for _, code in conns):
        return HealthStatus.DEGRADED
    return HealthStatus.OK
