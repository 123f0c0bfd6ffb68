"""One measured phase of load: what it offered, what came back and what it cost the server."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.loadgen import LoadGen, Recorder
from bench.machine import ProcSample, sample
from bench.plan import latency_summary
from bench.targets import write_ops


def latency_table(rec: Recorder) -> dict[str, dict[str, float]]:
    return {action: latency_summary(vals) for action, vals in sorted(rec.latencies.items())}


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
            "server_cpu_s": round(cpu, 3),
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


async def phase(
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
        "answered_by_action": dict(gen.rec.answered),
        "sending_s": round(sending, 3),
        "missing": missing,
        "errors": dict(gen.rec.errors),
        "latency": latency_table(gen.rec),
    }
    out.update(meter.stop(begun, answered))
    return out
