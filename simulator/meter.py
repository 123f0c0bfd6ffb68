"""A meter sample as OCPP sampled values (1.6: string values and ``unit``; 2.0.1: numbers and
``unit_of_measure``)."""

from __future__ import annotations

from typing import Any

from simulator.model import MeterSample

ENERGY = "Energy.Active.Import.Register"
AC_PHASES = ("L1", "L2", "L3")


def _value(value: float, decimals: int, numeric: bool) -> Any:
    rounded = round(value, decimals) if decimals else round(value)
    return rounded if numeric else (f"{value:.{decimals}f}" if decimals else str(rounded))


def _sv(
    measurand: str,
    value: float,
    unit: str,
    numeric: bool,
    *,
    decimals: int = 0,
    context: str,
    phase: str | None = None,
    location: str = "Outlet",
) -> dict[str, Any]:
    sv: dict[str, Any] = {
        "value": _value(value, decimals, numeric),
        "context": context,
        "measurand": measurand,
        "location": location,
    }
    if phase is not None:
        sv["phase"] = phase
    if numeric:
        sv["unit_of_measure"] = {"unit": unit}
    else:
        sv["unit"] = unit
    return sv


def energy_only(sample: MeterSample, context: str, numeric: bool) -> list[dict[str, Any]]:
    """The register reading alone (Transaction.Begin / Transaction.End)."""
    return [_sv(ENERGY, sample.energy_wh, "Wh", numeric, context=context)]


def sampled_values(
    sample: MeterSample, numeric: bool, context: str = "Sample.Periodic", temperature: bool = True
) -> list[dict[str, Any]]:
    """Energy, power, offered power, current and voltage (per phase for AC), body temperature,
    and the vehicle's state of charge for DC.

    OCPP 2.0.1 has no Temperature measurand (temperature is a device-model variable reported
    with NotifyEvent), so its adapter passes ``temperature=False``."""
    n = numeric
    out = [
        _sv(ENERGY, sample.energy_wh, "Wh", n, context=context),
        _sv("Power.Active.Import", sample.power_w, "W", n, context=context),
        _sv("Power.Offered", sample.offered_w, "W", n, context=context),
    ]
    if sample.dc:
        out.append(_sv("Current.Import", sample.currents_a[0], "A", n, decimals=1, context=context))
        out.append(_sv("Voltage", sample.voltages_v[0], "V", n, decimals=1, context=context))
    else:
        for phase, amps in zip(AC_PHASES, sample.currents_a, strict=True):
            out.append(
                _sv("Current.Import", amps, "A", n, decimals=1, context=context, phase=phase)
            )
        for phase, volts in zip(AC_PHASES, sample.voltages_v, strict=True):
            out.append(
                _sv("Voltage", volts, "V", n, decimals=1, context=context, phase=f"{phase}-N")
            )
    if temperature:
        out.append(
            _sv(
                "Temperature",
                sample.temperature_c,
                "Celsius",
                n,
                decimals=1,
                context=context,
                location="Body",
            )
        )
    if sample.soc is not None:
        out.append(_sv("SoC", sample.soc, "Percent", n, decimals=1, context=context, location="EV"))
    return out
