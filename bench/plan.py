"""What a bench run does (``Plan``) and the arithmetic its reports share."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class Plan:
    stations: int
    duration: float  # steady-state (and fan-out steady) seconds
    workloads: set[str]
    boot_window: float = 10.0
    boot_timeout: float = 60.0  # how long a booting station may wait for its answer
    handshake_timeout: float = 30.0  # the boot storm target: accepted within 30 s, none lost
    time_scale: float = 1.0  # > 1 compresses the 300 s / 30 s intervals by this factor
    charging_fraction: float = 1 / 3
    start_pace: float = 500.0  # StartTransactions per second while setting up
    ramp_start: float = 250.0  # msgs/s of the first ramp step
    ramp_factor: float = 1.5
    ramp_step: float = 10.0
    ramp_max_steps: int = 10
    ramp_p99_limit: float = 0.100
    # fan-out: operator subscribers to every station, one driver subscriber per active session
    operators: int = 100
    fanout_ramp_start: float = 50.0  # MeterValues/s of the first fan-out ramp step
    fanout_p99_limit: float = 0.050
    # soak: steady state for ``soak_duration`` seconds, the server's RSS every ``soak_sample``
    soak_duration: float = 3600.0
    soak_sample: float = 30.0
    soak_warmup: float = 60.0

    @property
    def heartbeat_interval(self) -> float:
        return 300.0 / self.time_scale

    @property
    def meter_interval(self) -> float:
        return 30.0 / self.time_scale


def percentile(values: list[float], q: float) -> float:
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(0, math.ceil(q / 100 * len(ordered)) - 1)
    return ordered[rank]


def latency_summary(values: list[float]) -> dict[str, float]:
    """count, p50, p99 and max in milliseconds of latencies given in seconds."""
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] * 1000, 2)

    return {
        "count": len(ordered),
        "p50_ms": at(50),
        "p99_ms": at(99),
        "max_ms": round(ordered[-1] * 1000, 2),
    }
