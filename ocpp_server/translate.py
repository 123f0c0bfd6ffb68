"""Payload translation both OCPP versions share: meter values into the domain's readings."""

from __future__ import annotations

from typing import Any

from domain.charging.metering import MeterReading, RawSample
from domain.charging.timestamps import parse


def sampled(value: dict[str, Any], *, v201: bool) -> RawSample:
    """One sampledValue (snake_case keys as the ``ocpp`` library passes them)."""
    unit = value.get("unit")
    multiplier = 0
    if v201:
        uom = value.get("unit_of_measure") or {}
        unit = uom.get("unit")
        multiplier = int(uom.get("multiplier") or 0)
    return RawSample(
        value=value.get("value", ""),
        measurand=value.get("measurand"),
        phase=value.get("phase"),
        location=value.get("location"),
        unit=unit,
        multiplier=multiplier,
        context=value.get("context"),
        format=value.get("format"),
        signed=bool(value.get("signed_meter_value")) and value.get("value") is None,
    )


def readings(meter_value: list[dict[str, Any]] | None, *, v201: bool) -> list[MeterReading]:
    return [
        MeterReading(
            at=parse(mv.get("timestamp")),
            samples=[sampled(sv, v201=v201) for sv in mv.get("sampled_value") or []],
        )
        for mv in meter_value or []
    ]
