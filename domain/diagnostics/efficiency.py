"""Charging efficiency, in percent.

Definition (one number per connector, the operator console shows it per station):

1. **Energy efficiency** where the station meters both sides: the energy delivered to the car
   (register at meter location *Outlet*) over the energy the station drew from the grid (register at
   location *Inlet*), over the same interval: ``100 x Δoutlet / Δinlet``. This is the conversion loss
   of the charger (a DC charger is typically 92-96 %).
2. Otherwise **power utilisation**: the power the car draws over the power the station offers it
   (``Power.Active.Import`` over ``Power.Offered``): ``100 x power / offered``. It says how far the car
   is from what the station can give (a tapering battery, a car limited to fewer phases, a cable fault).

No number (``None``) when neither is available, when the inlet moved less than ``MIN_INLET_DELTA_WH``
(too little energy for a meaningful ratio) or when nothing is offered. Values are not clamped: above
100 % is a metering error worth seeing.
"""

from __future__ import annotations

from collections.abc import Sequence

from domain.diagnostics.samples import Sample

MIN_INLET_DELTA_WH = 10


def energy_efficiency(inlet_delta_wh: int, outlet_delta_wh: int) -> float | None:
    if inlet_delta_wh < MIN_INLET_DELTA_WH or outlet_delta_wh < 0:
        return None
    return 100.0 * outlet_delta_wh / inlet_delta_wh


def power_efficiency(power_w: float | None, offered_power_w: float | None) -> float | None:
    if power_w is None or offered_power_w is None or offered_power_w <= 0 or power_w < 0:
        return None
    return 100.0 * power_w / offered_power_w


def _metered_both(s: Sample) -> bool:
    return s.inlet_energy_wh is not None and s.outlet_energy_wh is not None


def _energy_between(first: Sample, last: Sample) -> float | None:
    assert first.inlet_energy_wh is not None and first.outlet_energy_wh is not None
    assert last.inlet_energy_wh is not None and last.outlet_energy_wh is not None
    return energy_efficiency(
        last.inlet_energy_wh - first.inlet_energy_wh, last.outlet_energy_wh - first.outlet_energy_wh
    )


def sample_efficiency(window: Sequence[Sample], index: int) -> float | None:
    """Efficiency at ``window[index]``: energy since the previous two-sided sample, else power."""
    i = index if index >= 0 else len(window) + index
    s = window[i]
    if _metered_both(s):
        for prev in reversed(window[:i]):
            if _metered_both(prev):
                value = _energy_between(prev, s)
                if value is not None:
                    return value
                break
    return power_efficiency(s.power_w, s.offered_power_w)


def window_efficiency(samples: Sequence[Sample]) -> float | None:
    """Efficiency over a window: energy from the first to the last two-sided sample, else the
    latest sample's power over offered power."""
    metered = [s for s in samples if _metered_both(s)]
    if len(metered) >= 2:
        value = _energy_between(metered[0], metered[-1])
        if value is not None:
            return value
    for s in reversed(samples):
        value = power_efficiency(s.power_w, s.offered_power_w)
        if value is not None:
            return value
    return None
