"""One bench run against one server process: boot storm, then steady state, then the ramp, on the
same connections. Every phase reports what it offered, what came back and what it cost."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from laddnet.bench.loadgen import LoadGen, Recorder, Stream
from laddnet.bench.machine import ProcSample, sample
from laddnet.bench.targets import ID_TAG, STATION_KEY, station_ids, write_ops


@dataclass
class Plan:
    stations: int
    duration: float  # steady-state seconds
    workloads: set[str]
    boot_window: float = 10.0
    boot_timeout: float = 60.0
    time_scale: float = 1.0  # > 1 compresses the 300 s / 30 s intervals by this factor
    charging_fraction: float = 1 / 3
    start_pace: float = 500.0  # StartTransactions per second while setting up
    ramp_start: float = 250.0  # msgs/s of the first ramp step
    ramp_factor: float = 1.5
    ramp_step: float = 10.0
    ramp_max_steps: int = 10
    ramp_p99_limit: float = 0.100

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


def latency_table(rec: Recorder) -> dict[str, dict[str, float]]:
    return {
        action: {
            "count": len(vals),
            "p50_ms": round(percentile(vals, 50) * 1000, 2),
            "p99_ms": round(percentile(vals, 99) * 1000, 2),
            "max_ms": round(max(vals) * 1000, 2),
        }
        for action, vals in sorted(rec.latencies.items())
    }


@dataclass
class Meter:
    """CPU of the server (and of mongod and the generator) plus DB writes over one phase."""

    server_pid: int
    mongo_uri: str | None
    mongod_pid: int | None
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.get_running_loop)

    def start(self) -> tuple[float, ProcSample, ProcSample, ProcSample | None, int]:
        return (
            self.loop.time(),
            sample(self.server_pid),
            sample(),
            sample(self.mongod_pid) if self.mongod_pid else None,
            write_ops(self.mongo_uri) if self.mongo_uri else 0,
        )

    def stop(self, begun: tuple[Any, ...], messages: int) -> dict[str, float]:
        t0, server0, gen0, mongo0, ops0 = begun
        elapsed = self.loop.time() - t0
        server1, gen1 = sample(self.server_pid), sample()
        cpu = server1.cpu_seconds - server0.cpu_seconds
        out = {
            "elapsed_s": round(elapsed, 2),
            "server_cpu_pct": round(100 * cpu / elapsed, 1),
            "server_sys_pct": round(100 * (server1.sys_seconds - server0.sys_seconds) / elapsed, 1),
            "server_cpu_us_per_msg": round(1e6 * cpu / messages, 1) if messages else math.nan,
            "loadgen_cpu_pct": round(100 * (gen1.cpu_seconds - gen0.cpu_seconds) / elapsed, 1),
            "server_rss_mib": round(server1.rss_kib / 1024, 1),
        }
        if mongo0 is not None and self.mongod_pid:
            mcpu = sample(self.mongod_pid).cpu_seconds - mongo0.cpu_seconds
            out["mongod_cpu_pct"] = round(100 * mcpu / elapsed, 1)
        if self.mongo_uri:
            out["db_writes_per_s"] = round((write_ops(self.mongo_uri) - ops0) / elapsed, 1)
        return out


async def _phase(
    gen: LoadGen, meter: Meter, run: Callable[[], Any], drain: float = 10.0
) -> dict[str, Any]:
    gen.rec.reset()
    begun = meter.start()
    t0 = gen.loop.time()
    await run()
    sending = gen.loop.time() - t0
    missing = await gen.drain(drain)
    answered = sum(gen.rec.answered.values())
    out: dict[str, Any] = {
        "offered_msgs_per_s": round(sum(gen.rec.sent.values()) / sending, 1),
        "msgs_per_s": round(answered / sending, 1),
        "answered": answered,
        "missing": missing,
        "errors": dict(gen.rec.errors),
        "latency": latency_table(gen.rec),
    }
    out.update(meter.stop(begun, answered))
    return out


async def run_once(
    url: str, server_pid: int, plan: Plan, mongo_uri: str | None, mongod_pid: int | None
) -> dict[str, Any]:
    meter = Meter(server_pid, mongo_uri, mongod_pid)
    await asyncio.sleep(1.0)  # let the server settle before its idle memory is read
    idle = sample(server_pid)
    gen = LoadGen(url, STATION_KEY)
    result: dict[str, Any] = {"server_rss_idle_mib": round(idle.rss_kib / 1024, 1)}
    try:
        cp_ids = station_ids(plan.stations)
        begun = meter.start()
        boot: dict[str, Any] = await gen.boot_storm(cp_ids, plan.boot_window, plan.boot_timeout)
        boot.update(meter.stop(begun, int(boot["accepted"])))  # CPU per station: handshake + boot
        boot["latency"] = latency_table(gen.rec)
        result["boot"] = boot
        connected = len(gen.links)
        await asyncio.sleep(1.0)
        rss = sample(server_pid).rss_kib
        result["connections"] = connected
        result["memory_per_connection_kib"] = (
            round((rss - idle.rss_kib) / connected, 1) if connected else math.nan
        )
        gen.rec.reset()
        meters = await gen.start_transactions(plan.charging_fraction, ID_TAG, plan.start_pace)
        result["setup_start_transaction"] = latency_table(gen.rec).get("StartTransaction", {})
        result["charging_connectors"] = len(meters)
        beats = gen.heartbeat_streams(plan.heartbeat_interval)
        for s in meters:
            s.interval = plan.meter_interval
        if "steady" in plan.workloads:
            streams = beats + meters
            result["steady"] = await _phase(
                gen, meter, lambda: gen.run_streams(streams, plan.duration, lambda s: s.interval)
            )
            result["steady"]["time_scale"] = plan.time_scale
        if "ramp" in plan.workloads and meters:
            result["ramp"] = await _ramp(gen, meter, plan, beats, meters)
        result["server_rss_end_mib"] = round(sample(server_pid).rss_kib / 1024, 1)
    finally:
        await gen.close()
    return result


async def _ramp(
    gen: LoadGen, meter: Meter, plan: Plan, beats: list[Stream], meters: list[Stream]
) -> dict[str, Any]:
    """Step the meter interval down (the offered rate up by ``ramp_factor``) until MeterValues
    p99 exceeds the limit or answers go missing; the best rate that stayed within it."""
    steps = []
    rate = plan.ramp_start
    streams = beats + meters
    for _ in range(plan.ramp_max_steps):
        interval = len(meters) / rate

        def period(s: Stream, interval: float = interval) -> float:
            return interval if s.action == "MeterValues" else s.interval

        def send(period: Callable[[Stream], float] = period) -> Any:
            return gen.run_streams(streams, plan.ramp_step, period)

        step = await _phase(gen, meter, send, drain=5.0)
        p99 = step["latency"].get("MeterValues", {}).get("p99_ms", math.inf) / 1000
        step["meter_interval_s"] = round(interval, 4)
        steps.append(step)
        if p99 > plan.ramp_p99_limit or step["missing"] > 0:
            break
        rate *= plan.ramp_factor
    within = [
        s
        for s in steps
        if s["latency"].get("MeterValues", {}).get("p99_ms", math.inf) <= plan.ramp_p99_limit * 1000
        and s["missing"] == 0
    ]
    best = max(within, key=lambda s: s["msgs_per_s"], default=None)
    return {
        "saturation_msgs_per_s": best["msgs_per_s"] if best else 0.0,
        "saturation_cpu_us_per_msg": best["server_cpu_us_per_msg"] if best else math.nan,
        "peak_msgs_per_s": max(s["msgs_per_s"] for s in steps),
        "steps": steps,
    }
