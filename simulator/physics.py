"""Pure charging physics for the simulator: plain numbers in, plain numbers out.

The model is deliberately simple but shaped like real data:

* the vehicle accepts full power up to a knee in state of charge, then tapers (DC fast charging
  tapers early, an AC on-board charger late);
* heat follows power through a first-order lag (a time constant), and a hot charger derates;
* three-phase AC current follows P = I·V·pf on each phase; DC current follows the pack voltage.
"""

from __future__ import annotations

import math
import random

NOMINAL_VOLTAGE_V = 230.0
VOLTAGE_NOISE_V = 1.5
AC_POWER_FACTOR = 0.99
AC_PHASES = 3
AMBIENT_C = 20.0
# Temperature rise at the charger body at full rated power, in steady state.
FULL_POWER_RISE_AC_C = 18.0
FULL_POWER_RISE_DC_C = 30.0
OVERHEAT_TARGET_C = 92.0
HIGH_TEMPERATURE_C = 80.0
DERATE_START_C = 75.0
DERATE_FLOOR = 0.3
DC_PACK_MIN_V = 350.0
DC_PACK_MAX_V = 410.0

# State of charge (percent) where the taper begins, and the share of rated power left at 100 %.
_KNEE = {True: 55.0, False: 85.0}
_TAPER_FLOOR = {True: 0.08, False: 0.25}


def acceptance_w(soc_pct: float, max_power_w: float, dc: bool) -> float:
    """Power the vehicle accepts at ``soc_pct``: flat up to the knee, then a linear taper."""
    if max_power_w <= 0 or soc_pct >= 100.0:
        return 0.0
    knee = _KNEE[dc]
    if soc_pct <= knee:
        return max_power_w
    floor = _TAPER_FLOOR[dc]
    remaining = (100.0 - soc_pct) / (100.0 - knee)
    return max_power_w * (floor + (1.0 - floor) * remaining)


def thermal_derate(temperature_c: float) -> float:
    """Factor in [DERATE_FLOOR, 1] a hot charger applies to its output."""
    if temperature_c <= DERATE_START_C:
        return 1.0
    over = (temperature_c - DERATE_START_C) / (OVERHEAT_TARGET_C - DERATE_START_C)
    return max(DERATE_FLOOR, 1.0 - (1.0 - DERATE_FLOOR) * over)


def delivered_power_w(
    soc_pct: float,
    max_power_w: float,
    dc: bool,
    limit_w: float | None = None,
    temperature_c: float = AMBIENT_C,
) -> float:
    """What actually flows: the lowest of rated power, profile limit and vehicle acceptance,
    derated when hot."""
    offered = offered_power_w(max_power_w, limit_w)
    return acceptance_w(soc_pct, offered, dc) * thermal_derate(temperature_c)


def offered_power_w(max_power_w: float, limit_w: float | None) -> float:
    """Power.Offered: rated power capped by the charging-profile limit."""
    if limit_w is None:
        return max_power_w
    return max(0.0, min(max_power_w, limit_w))


def energy_wh(power_w: float, seconds: float) -> float:
    """Energy of a constant power over a time span."""
    return max(0.0, power_w) * max(0.0, seconds) / 3600.0


def soc_after(soc_pct: float, added_wh: float, battery_wh: float) -> float:
    """State of charge after adding energy to a battery, capped at 100 %."""
    if battery_wh <= 0:
        raise ValueError("battery capacity must be positive")
    return min(100.0, soc_pct + 100.0 * added_wh / battery_wh)


def target_temperature_c(
    power_w: float, max_power_w: float, dc: bool, overheating: bool, ambient_c: float = AMBIENT_C
) -> float:
    """Steady-state body temperature at a given output; a failed fan (overheating) runs hot."""
    if overheating:
        return OVERHEAT_TARGET_C
    if max_power_w <= 0:
        return ambient_c
    rise = FULL_POWER_RISE_DC_C if dc else FULL_POWER_RISE_AC_C
    return ambient_c + rise * min(1.0, max(0.0, power_w) / max_power_w)


def temperature_step(
    temperature_c: float, target_c: float, seconds: float, time_constant_s: float
) -> float:
    """First-order lag towards ``target_c`` over ``seconds``."""
    if time_constant_s <= 0:
        return target_c
    return target_c + (temperature_c - target_c) * math.exp(-max(0.0, seconds) / time_constant_s)


def phase_voltages_v(rng: random.Random, phases: int = AC_PHASES) -> tuple[float, ...]:
    """Grid voltage per phase: nominal with small noise, clamped to the EN 50160 band (±10 %)."""
    lo, hi = NOMINAL_VOLTAGE_V * 0.9, NOMINAL_VOLTAGE_V * 1.1
    return tuple(
        min(hi, max(lo, rng.gauss(NOMINAL_VOLTAGE_V, VOLTAGE_NOISE_V))) for _ in range(phases)
    )


def phase_currents_a(power_w: float, voltages_v: tuple[float, ...]) -> tuple[float, ...]:
    """Balanced load: each phase carries P / (pf · ΣV)."""
    total_v = sum(voltages_v)
    if power_w <= 0 or total_v <= 0:
        return tuple(0.0 for _ in voltages_v)
    current = power_w / (AC_POWER_FACTOR * total_v)
    return tuple(current for _ in voltages_v)


def dc_pack_voltage_v(soc_pct: float) -> float:
    """A 400 V-class pack: voltage rises with state of charge."""
    soc = min(100.0, max(0.0, soc_pct))
    return DC_PACK_MIN_V + (DC_PACK_MAX_V - DC_PACK_MIN_V) * soc / 100.0


def dc_current_a(power_w: float, voltage_v: float) -> float:
    if power_w <= 0 or voltage_v <= 0:
        return 0.0
    return power_w / voltage_v


def limit_to_watts(limit: float, unit: str, dc: bool, phases: int | None = None) -> float:
    """A charging-schedule limit in W or A, as watts at this connector."""
    if limit < 0:
        raise ValueError("a charging limit cannot be negative")
    if unit == "W":
        return limit
    if unit == "A":
        if dc:
            return limit * DC_PACK_MAX_V
        return limit * NOMINAL_VOLTAGE_V * (phases or AC_PHASES)
    raise ValueError(f"unknown charging rate unit {unit!r} (expected 'W' or 'A')")
