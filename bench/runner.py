"""One bench run against one server process: boot storm, then steady state, the ramp, the fan-out
and the soak, on the same connections. Every phase reports what it offered, what came back and
what it cost."""

from __future__ import annotations

import asyncio
import gc
import math
from collections.abc import Callable
from typing import Any

from bench.fanout import run_fanout
from bench.loadgen import LoadGen, Stream
from bench.machine import sample
from bench.phases import Meter, latency_table, phase
from bench.plan import Plan, percentile
from bench.targets import ID_TAG, STATION_KEY, station_ids

__all__ = ["Plan", "percentile", "run_once"]


async def run_once(
    url: str,
    server_pid: int,
    plan: Plan,
    mongo_uri: str | None,
    mongod_pid: int | None,
    api_port: int | None = None,
) -> dict[str, Any]:
    """``api_port``: the server's GraphQL API (the fan-out needs it; without it, no fan-out)."""
    meter = Meter(server_pid, mongo_uri, mongod_pid)
    await asyncio.sleep(1.0)  # let the server settle before its idle memory is read
    idle = sample(server_pid)
    gen = LoadGen(url, STATION_KEY)
    result: dict[str, Any] = {"server_rss_idle_mib": round(idle.rss_kib / 1024, 1)}
    try:
        cp_ids = station_ids(plan.stations)
        begun = meter.start()
        boot: dict[str, Any] = await gen.boot_storm(
            cp_ids, plan.boot_window, plan.boot_timeout, plan.handshake_timeout
        )
        boot.update(meter.stop(begun, int(boot["accepted"])))  # CPU per station: handshake + boot
        boot["latency"] = latency_table(gen.rec)
        result["boot"] = boot
        connected = len(gen.links)
        # The generator's own thousands of connections would otherwise cost it full garbage
        # collections of hundreds of ms, which it would measure as the server's latency.
        gc.collect()
        gc.freeze()
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
            result["steady"] = await phase(
                gen, meter, lambda: gen.run_streams(streams, plan.duration, lambda s: s.interval)
            )
            result["steady"]["time_scale"] = plan.time_scale
        if "ramp" in plan.workloads and meters:
            result["ramp"] = await _ramp(gen, meter, plan, beats, meters)
        if "fanout" in plan.workloads and api_port is not None:
            result["fanout"] = await run_fanout(gen, meter, plan, api_port, beats, meters)
        if "soak" in plan.workloads:
            result["soak"] = await _soak(gen, meter, plan, server_pid, beats + meters)
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

        step = await phase(gen, meter, send, drain=5.0)
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


async def _soak(
    gen: LoadGen, meter: Meter, plan: Plan, server_pid: int, streams: list[Stream]
) -> dict[str, Any]:
    """Steady state for ``soak_duration`` seconds with the server's RSS sampled every
    ``soak_sample`` seconds; growth from the first sample after ``soak_warmup`` to the end."""
    loop = asyncio.get_running_loop()
    samples: list[list[float]] = []  # [seconds into the soak, RSS MiB]
    t0 = loop.time()

    async def watch() -> None:
        while True:
            samples.append(
                [round(loop.time() - t0, 1), round(sample(server_pid).rss_kib / 1024, 2)]
            )
            await asyncio.sleep(plan.soak_sample)

    async def run() -> None:
        nonlocal t0
        t0 = loop.time()
        watcher = asyncio.create_task(watch())
        try:
            await gen.run_streams(streams, plan.soak_duration, lambda s: s.interval)
        finally:
            watcher.cancel()

    out = await phase(gen, meter, run)
    end = round(sample(server_pid).rss_kib / 1024, 2)
    samples.append([round(loop.time() - t0, 1), end])
    warm = next((rss for t, rss in samples if t >= plan.soak_warmup), math.nan)
    out.update(
        duration_s=plan.soak_duration,
        rss_after_warmup_mib=warm,
        rss_end_mib=end,
        rss_growth_pct=round(100 * (end - warm) / warm, 2) if warm == warm else math.nan,
        rss_samples=samples,
    )
    return out
