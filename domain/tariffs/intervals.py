"""From a session's raw meter samples to the intervals that pricing works on. Pure.

A sample is what a station reports at one moment: the energy register (Wh, cumulative), the power
it measured and the connector's status. Between two consecutive samples lies one ``Interval``:

- ``energy_wh`` is the register's growth over the interval, measured against the highest register
  seen so far in the session. A register that goes backwards (meter reset, replaced meter, a glitch)
  marks the interval ``register_backwards`` and bills nothing for it; energy is never negative and
  the same Wh are never billed twice after a glitch.
- ``power_w`` is the average power actually delivered: the energy over the interval's duration.
  Only when the register tells nothing (no growth, no reading, or backwards) the station's power
  readings at the interval's ends stand in (their mean), else 0.
- ``idle`` is true when the vehicle draws no power (``power_w`` below ``IDLE_POWER_W``) or the
  connector reports Finishing/SuspendedEV: it is occupied while not charging.

The status during an interval is the last status reported at or before its start.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise

from domain.common.clock import as_utc

_MICROSECOND = timedelta(microseconds=1)

IDLE_POWER_W = 100
"""Below this average power the vehicle counts as not drawing power (idle)."""

IDLE_STATUSES = frozenset({"Finishing", "SuspendedEV"})
"""Connector statuses (OCPP) in which an occupied connector is idle whatever the meter says."""


@dataclass(frozen=True, slots=True)
class RegisterReading:
    at: datetime
    energy_register_wh: int | None = None
    power_w: int | None = None
    connector_status: str | None = None


@dataclass(frozen=True, slots=True)
class Interval:
    """A stretch of a session: ``energy_wh`` delivered between ``start`` and ``end`` (UTC)."""

    start: datetime
    end: datetime
    energy_wh: int
    power_w: int
    idle: bool = False
    register_backwards: bool = False

    @property
    def seconds(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())


def _average_power_w(energy_wh: int, start: datetime, end: datetime) -> int:
    micros = (end - start) // _MICROSECOND
    if micros <= 0:
        return 0
    return (energy_wh * 3_600_000_000 + micros // 2) // micros


def _readings_power_w(a: RegisterReading, b: RegisterReading | None) -> int:
    readings = [s.power_w for s in (a, b) if s is not None and s.power_w is not None]
    if not readings:
        return 0
    return max(0, round(sum(readings) / len(readings)))


def samples_to_intervals(
    samples: Iterable[RegisterReading],
    *,
    until: datetime | None = None,
    idle_below_w: int = IDLE_POWER_W,
) -> list[Interval]:
    """Consecutive samples → intervals, oldest first.

    ``until`` extends the session past its last sample (a live session "now", or the stop time)
    with an interval that delivered no energy yet, in the last known status and power reading.
    Samples may arrive in any order; samples at the same instant collapse into the last one.
    """
    ordered = sorted(
        (
            RegisterReading(as_utc(s.at), s.energy_register_wh, s.power_w, s.connector_status)
            for s in samples
        ),
        key=lambda s: s.at,
    )
    unique: list[RegisterReading] = []
    for sample in ordered:
        if unique and unique[-1].at == sample.at:
            unique[-1] = _merge(unique[-1], sample)
        else:
            unique.append(sample)
    if until is not None and unique and as_utc(until) > unique[-1].at:
        unique.append(RegisterReading(as_utc(until)))  # nothing measured yet: readings of the last

    intervals: list[Interval] = []
    watermark: int | None = None
    status: str | None = None
    for a, b in pairwise(unique):
        if watermark is None:
            watermark = a.energy_register_wh
        status = a.connector_status or status
        energy, backwards = 0, False
        if b.energy_register_wh is not None:
            if watermark is None:
                watermark = b.energy_register_wh
            elif b.energy_register_wh < watermark:
                backwards = True
            else:
                energy = b.energy_register_wh - watermark
                watermark = b.energy_register_wh
        power = _average_power_w(energy, a.at, b.at) if energy > 0 else _readings_power_w(a, b)
        idle = power < idle_below_w or status in IDLE_STATUSES
        intervals.append(Interval(a.at, b.at, energy, power, idle, backwards))
    return intervals


def _merge(earlier: RegisterReading, later: RegisterReading) -> RegisterReading:
    """Two samples at the same instant: the later one's values win where it has them."""
    return RegisterReading(
        later.at,
        later.energy_register_wh
        if later.energy_register_wh is not None
        else earlier.energy_register_wh,
        later.power_w if later.power_w is not None else earlier.power_w,
        later.connector_status or earlier.connector_status,
    )
