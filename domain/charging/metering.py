"""Sampled values as stations send them, normalised to base units: pure rules, no I/O.

Every measurand, phase and location a station sends is kept. Values are converted to base units
(Wh, W, A, V, Celsius, Percent, varh, var, VA, Hz); kWh/kW/kvarh... are scaled, a 2.0.1
``unitOfMeasure.multiplier`` is applied, Fahrenheit and Kelvin become Celsius.

Deduplication: each normalised sample gets a deterministic ``key`` (a hash of station, connector,
transaction, time, measurand, phase, location, context and value). Storing skips keys already
stored, so a station that retries MeterValues or StopTransaction (its offline queue) adds nothing.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from domain.charging import timestamps

ENERGY_REGISTER = "Energy.Active.Import.Register"
DEFAULT_MEASURAND = ENERGY_REGISTER

FLAG_UNPARSEABLE_SAMPLE = "unparseable_sample"
FLAG_UNKNOWN_UNIT = "unknown_unit"

# unit (lower case) -> (base unit, factor)
_UNITS: dict[str, tuple[str, float]] = {
    "wh": ("Wh", 1.0),
    "kwh": ("Wh", 1000.0),
    "varh": ("varh", 1.0),
    "kvarh": ("varh", 1000.0),
    "w": ("W", 1.0),
    "kw": ("W", 1000.0),
    "va": ("VA", 1.0),
    "kva": ("VA", 1000.0),
    "var": ("var", 1.0),
    "kvar": ("var", 1000.0),
    "a": ("A", 1.0),
    "v": ("V", 1.0),
    "celsius": ("Celsius", 1.0),
    "percent": ("Percent", 1.0),
    "hz": ("Hz", 1.0),
    "k": ("Celsius", 1.0),  # converted below
    "fahrenheit": ("Celsius", 1.0),  # converted below
}

# a measurand's unit when the station does not say (OCPP 1.6 table 'Measurand')
_DEFAULT_UNIT: dict[str, str] = {
    "Energy": "Wh",
    "Power": "W",
    "Current": "A",
    "Voltage": "V",
    "Temperature": "Celsius",
    "SoC": "Percent",
    "Frequency": "Hz",
    "RPM": "",
}


@dataclass(frozen=True)
class RawSample:
    """One sampledValue as the station sent it, version-neutral."""

    value: str | float | int
    measurand: str | None = None
    phase: str | None = None
    location: str | None = None
    unit: str | None = None
    multiplier: int = 0  # 2.0.1 unitOfMeasure.multiplier (power of ten)
    context: str | None = None
    format: str | None = None  # 1.6: Raw | SignedData
    signed: bool = False


@dataclass(frozen=True)
class MeterReading:
    """One meterValue: a time and its sampled values. ``at`` None: the time did not parse."""

    at: datetime | None
    samples: Sequence[RawSample]


@dataclass(frozen=True)
class SampledValue:
    """One sampled value (OCPP SampledValue), normalised: base units, a trusted timestamp."""

    at: datetime
    measurand: str
    value: float
    unit: str
    phase: str | None = None
    location: str | None = None
    context: str | None = None
    reported_at: datetime | None = None  # the station's own time when it was not trusted

    @property
    def is_energy_register(self) -> bool:
        return self.measurand == ENERGY_REGISTER and self.phase is None and self.unit == "Wh"


@dataclass
class Normalised:
    samples: list[SampledValue] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    skipped: int = 0


def _base_unit(measurand: str, unit: str | None) -> str:
    if unit:
        return unit
    return _DEFAULT_UNIT.get(measurand.split(".", 1)[0], "")


def normalise_value(
    value: str | float | int, unit: str, multiplier: int = 0
) -> tuple[float, str] | None:
    """(value in base units, base unit), or None when the value is not a finite number."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    number *= 10.0**multiplier
    base = _UNITS.get(unit.lower())
    if base is None:
        return number, unit
    name, factor = base
    lowered = unit.lower()
    if lowered == "k":
        return round(number - 273.15, 3), name
    if lowered == "fahrenheit":
        return round((number - 32.0) * 5.0 / 9.0, 3), name
    return number * factor, name


def normalise(readings: Iterable[MeterReading], received_at: datetime) -> Normalised:
    out = Normalised()
    for reading in readings:
        at, flag = timestamps.check(reading.at, received_at)
        if flag:
            out.flags.add(flag)
        reported = reading.at if flag == timestamps.FLAG_OUT_OF_RANGE else None
        for raw in reading.samples:
            if raw.signed or (raw.format or "").lower() == "signeddata":
                out.skipped += 1  # signed meter data is an opaque blob, not a number
                continue
            measurand = raw.measurand or DEFAULT_MEASURAND
            unit = _base_unit(measurand, raw.unit)
            converted = normalise_value(raw.value, unit, raw.multiplier)
            if converted is None:
                out.flags.add(FLAG_UNPARSEABLE_SAMPLE)
                out.skipped += 1
                continue
            value, base = converted
            if base and base.lower() not in {u.lower() for u, _ in _UNITS.values()}:
                out.flags.add(FLAG_UNKNOWN_UNIT)
            out.samples.append(
                SampledValue(
                    at=at,
                    measurand=measurand,
                    value=value,
                    unit=base,
                    phase=raw.phase or None,
                    location=raw.location or None,
                    context=raw.context or None,
                    reported_at=reported,
                )
            )
    return out


def sample_key(
    station_id: str, connector_id: int, transaction_id: str | None, sample: SampledValue
) -> str:
    """Deterministic identity of a sample, for skipping the ones a retry sends again."""
    moment = (sample.reported_at or sample.at).isoformat()
    text = "|".join(
        [
            station_id,
            str(connector_id),
            transaction_id or "",
            moment,
            sample.measurand,
            sample.phase or "",
            sample.location or "",
            sample.context or "",
            repr(sample.value),
        ]
    )
    return hashlib.blake2b(text.encode(), digest_size=12).hexdigest()


def energy_register(samples: Iterable[SampledValue]) -> list[SampledValue]:
    """The main energy register readings (no phase; Outlet/unspecified location), oldest first."""
    found = [
        s
        for s in samples
        if s.is_energy_register and (s.location in (None, "Outlet")) and s.value >= 0
    ]
    return sorted(found, key=lambda s: s.at)


TELEMETRY_MEASURANDS = frozenset(
    {
        "Temperature",
        "Voltage",
        "Current.Import",
        "Power.Active.Import",
        "Power.Offered",
        ENERGY_REGISTER,
        "SoC",
    }
)


@dataclass(frozen=True)
class TelemetryRow:
    at: datetime
    connector_id: int
    temperature_c: float | None = None
    voltage_v: float | None = None
    current_a: float | None = None
    power_w: float | None = None
    offered_power_w: float | None = None
    energy_wh: int | None = None
    soc_percent: float | None = None


def _combine(values: list[tuple[str | None, float]], how: str) -> float | None:
    """Prefer the phase-less value; else combine the phases (sum for power, mean otherwise)."""
    if not values:
        return None
    total = [v for phase, v in values if phase is None]
    if total:
        return total[-1]
    phases = [v for phase, v in values if phase != "other"]
    nums = phases or [v for _, v in values]
    if how == "sum":
        return sum(nums)
    if how == "max":
        return max(nums)
    if how == "last":
        return nums[-1]
    return sum(nums) / len(nums)


def telemetry_row(at: datetime, connector_id: int, samples: Iterable[SampledValue]) -> TelemetryRow:
    """One row from the samples taken at one moment on one connector."""
    groups: dict[str, list[tuple[str | None, float]]] = {}
    for s in samples:
        if s.measurand == "Temperature" and s.unit == "Celsius":
            groups.setdefault("t", []).append((None, s.value))
        elif s.measurand == "Voltage" and s.unit == "V":
            groups.setdefault("v", []).append((_phase_group(s.phase), s.value))
        elif s.measurand == "Current.Import" and s.unit == "A":
            groups.setdefault("a", []).append((_phase_group(s.phase), s.value))
        elif s.measurand == "Power.Active.Import" and s.unit == "W":
            groups.setdefault("p", []).append((_phase_group(s.phase), s.value))
        elif s.measurand == "Power.Offered" and s.unit == "W":
            groups.setdefault("o", []).append((None, s.value))
        elif s.is_energy_register and s.location in (None, "Outlet"):
            groups.setdefault("e", []).append((None, s.value))
        elif s.measurand == "SoC" and s.unit == "Percent":
            groups.setdefault("s", []).append((None, s.value))
    energy = _combine(groups.get("e", []), "last")
    return TelemetryRow(
        at=at,
        connector_id=connector_id,
        temperature_c=_combine(groups.get("t", []), "max"),
        voltage_v=_combine(groups.get("v", []), "mean"),
        current_a=_combine(groups.get("a", []), "mean"),
        power_w=_combine(groups.get("p", []), "sum"),
        offered_power_w=_combine(groups.get("o", []), "last"),
        energy_wh=round(energy) if energy is not None else None,
        soc_percent=_combine(groups.get("s", []), "last"),
    )


def _phase_group(phase: str | None) -> str | None:
    """Line-to-neutral phases are combined; N and line-to-line values are not mixed in."""
    if phase is None:
        return None
    return phase if phase in ("L1", "L2", "L3", "L1-N", "L2-N", "L3-N") else "other"


def telemetry_rows(samples: Iterable[tuple[int, SampledValue]]) -> list[TelemetryRow]:
    """Rows per (time, connector), oldest first, from (connector_id, sample) pairs."""
    buckets: dict[tuple[datetime, int], list[SampledValue]] = {}
    for connector_id, s in samples:
        buckets.setdefault((s.at, connector_id), []).append(s)
    rows = [telemetry_row(at, cid, group) for (at, cid), group in buckets.items()]
    rows = [r for r in rows if _has_data(r)]
    return sorted(rows, key=lambda r: (r.at, r.connector_id))


def _has_data(row: TelemetryRow) -> bool:
    return any(
        v is not None
        for v in (
            row.temperature_c,
            row.voltage_v,
            row.current_a,
            row.power_w,
            row.offered_power_w,
            row.energy_wh,
            row.soc_percent,
        )
    )


def latest_row(connector_id: int, samples: Sequence[SampledValue]) -> TelemetryRow | None:
    """The freshest picture of one connector: the latest value of each quantity."""
    rows = telemetry_rows((connector_id, s) for s in samples)
    if not rows:
        return None
    merged = rows[0]
    for row in rows[1:]:
        merged = TelemetryRow(
            at=row.at,
            connector_id=connector_id,
            temperature_c=_pick(row.temperature_c, merged.temperature_c),
            voltage_v=_pick(row.voltage_v, merged.voltage_v),
            current_a=_pick(row.current_a, merged.current_a),
            power_w=_pick(row.power_w, merged.power_w),
            offered_power_w=_pick(row.offered_power_w, merged.offered_power_w),
            energy_wh=row.energy_wh if row.energy_wh is not None else merged.energy_wh,
            soc_percent=_pick(row.soc_percent, merged.soc_percent),
        )
    return merged


def _pick(new: float | None, old: float | None) -> float | None:
    return new if new is not None else old


# -- 2.0.1 connector temperatures (NotifyEvent; 2.0.1 has no Temperature measurand) ------------


def _is_connector_temperature(item: dict[str, Any]) -> bool:
    component = item.get("component") or {}
    variable = item.get("variable") or {}
    return (
        component.get("name") == "Connector"
        and variable.get("name") == "Temperature"
        and isinstance((component.get("evse") or {}).get("id"), int)
    )


def temperature_readings(
    event_data: Iterable[dict[str, Any]] | None,
) -> dict[int, list[MeterReading]]:
    """NotifyEvent eventData about a Connector's Temperature, per EVSE (our connector id)."""
    out: dict[int, list[MeterReading]] = {}
    for item in event_data or ():
        if not isinstance(item, dict) or not _is_connector_temperature(item):
            continue
        evse_id = int(item["component"]["evse"]["id"])
        at: datetime | None = timestamps.parse(item.get("timestamp"))
        raw = RawSample(value=item.get("actual_value", ""), measurand="Temperature", unit="Celsius")
        out.setdefault(evse_id, []).append(MeterReading(at=at, samples=[raw]))
    return out
