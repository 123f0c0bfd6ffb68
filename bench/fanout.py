"""The fan-out workload: ``Plan.operators`` operator subscribers on ``stationEvents`` (all
stations) plus one driver subscriber on ``sessionProgress`` per active session, fed by the OCPP
load (a) in steady state and (b) with the meter rate stepped up until the end-to-end p99 of
either kind passes ``Plan.fanout_p99_limit`` (the peak deliveries/s within it)."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from typing import Any

from bench.gql import active_sessions, sign_in
from bench.loadgen import LoadGen, Stream
from bench.phases import Meter, phase
from bench.plan import Plan, latency_summary
from bench.subscribers import PROGRESS, STATION, SubscriberConfig, SubscriberPool
from bench.targets import ACCOUNT_PASSWORD, DRIVER_EMAIL, OPERATOR_EMAIL

SETTLE = 0.3  # seconds after the last answer for trailing deliveries
DOWN_STEPS = 3


def progress_latencies(
    arrivals: list[tuple[str, int, float]],
    sessions: dict[str, tuple[str, int]],
    sent: dict[tuple[str, int, int], float],
) -> tuple[list[float], int]:
    """Each sessionProgress arrival against the MeterValues that carried its energy (the bench's
    sessions start at 0 Wh, so the session's energy is the register sent); latencies in seconds
    and how many arrivals matched no MeterValues sent in the phase."""
    latencies: list[float] = []
    unmatched = 0
    for session_id, energy_wh, arrived in arrivals:
        where = sessions.get(session_id)
        at = sent.get((where[0], where[1], energy_wh)) if where else None
        if at is None:
            unmatched += 1
        else:
            latencies.append(arrived - at)
    return latencies, unmatched


class Fanout:
    def __init__(
        self, gen: LoadGen, meter: Meter, plan: Plan, pool: SubscriberPool, sessions: dict[str, Any]
    ) -> None:
        self.gen, self.meter, self.plan, self.pool, self.sessions = gen, meter, plan, pool, sessions
        self.operators = 0

    async def measure(self, run: Callable[[], Any], drain: float = 10.0) -> dict[str, Any]:
        gen = self.gen
        gen.meter_log = {}
        await self.pool.reset()
        out = await phase(gen, self.meter, run, drain)
        await asyncio.sleep(SETTLE)
        subs = await self.pool.collect()
        sent, gen.meter_log = gen.meter_log, None
        latencies, unmatched = progress_latencies(subs.pop("progress"), self.sessions, sent)
        deliveries: dict[str, int] = subs["deliveries"]
        total = sum(deliveries.values())
        sending = out["sending_s"]
        station_e2e = subs["station_events_e2e"]
        meters = out["answered_by_action"].get("MeterValues", 0)
        expected = meters * self.operators
        out.update(
            meter_values_per_s=round(meters / sending, 1),
            deliveries=deliveries,
            deliveries_per_s=round(total / sending, 1),
            station_events_per_s=round(deliveries.get(STATION, 0) / sending, 1),
            session_progress_per_s=round(deliveries.get(PROGRESS, 0) / sending, 1),
            e2e={STATION: station_e2e, PROGRESS: latency_summary(latencies)},
            # telemetry deliveries / (MeterValues answered x operators): 1.0 when none was lost
            station_events_completeness=round(station_e2e["count"] / expected, 4)
            if expected
            else math.nan,
            progress_unmatched=unmatched,
            server_cpu_us_per_delivery=round(out["server_cpu_s"] * 1e6 / total, 1)
            if total
            else math.nan,
            subscriber_cpu_pct=subs["cpu_pct"],
            subscriber_errors=subs["errors"],
        )
        return out

    def p99_ms(self, result: dict[str, Any]) -> float:
        """The worse end-to-end p99 of the two kinds (inf when a kind saw nothing)."""
        worst = 0.0
        for kind in (STATION, PROGRESS):
            worst = max(worst, result["e2e"][kind].get("p99_ms", math.inf))
        return worst

    def within(self, result: dict[str, Any]) -> bool:
        return (
            self.p99_ms(result) <= self.plan.fanout_p99_limit * 1000
            and result["missing"] == 0
            and result["station_events_completeness"] >= 0.99
        )

    async def ramp(self, beats: list[Stream], meters: list[Stream]) -> dict[str, Any]:
        """Up by ``ramp_factor`` from ``fanout_ramp_start`` MeterValues/s while within the
        limits; when even the first step is not, down by it (at most ``DOWN_STEPS`` times) to find
        a rate that is."""
        plan = self.plan
        steps: list[dict[str, Any]] = []
        rate = plan.fanout_ramp_start
        step = await self._step(beats, meters, rate)
        steps.append(step)
        if self.within(step):
            for _ in range(plan.ramp_max_steps - 1):
                rate *= plan.ramp_factor
                step = await self._step(beats, meters, rate)
                steps.append(step)
                if not self.within(step):
                    break
        else:
            for _ in range(DOWN_STEPS):
                rate /= plan.ramp_factor
                step = await self._step(beats, meters, rate)
                steps.append(step)
                if self.within(step):
                    break
        best = max(
            (s for s in steps if self.within(s)), key=lambda s: s["deliveries_per_s"], default=None
        )
        return {
            "peak_deliveries_per_s": best["deliveries_per_s"] if best else 0.0,
            "peak_meter_values_per_s": best["meter_values_per_s"] if best else 0.0,
            "peak_cpu_us_per_delivery": best["server_cpu_us_per_delivery"] if best else math.nan,
            "peak_e2e_p99_ms": self.p99_ms(best) if best else math.nan,
            "max_deliveries_per_s": max(s["deliveries_per_s"] for s in steps),
            "steps": steps,
        }

    async def _step(self, beats: list[Stream], meters: list[Stream], rate: float) -> dict[str, Any]:
        """``rate`` MeterValues/s over ``ramp_step`` seconds (heartbeats at their own period)."""
        gen, plan = self.gen, self.plan
        interval = len(meters) / rate

        def period(s: Stream) -> float:
            return interval if s.action == "MeterValues" else s.interval

        step = await self.measure(lambda: gen.run_streams(beats + meters, plan.ramp_step, period))
        step["offered_meter_values_per_s"] = round(rate, 1)
        return step


async def run_fanout(
    gen: LoadGen,
    meter: Meter,
    plan: Plan,
    api_port: int,
    beats: list[Stream],
    meters: list[Stream],
) -> dict[str, Any]:
    http = f"http://127.0.0.1:{api_port}/graphql"
    operator = await asyncio.to_thread(sign_in, http, OPERATOR_EMAIL, ACCOUNT_PASSWORD)
    driver = await asyncio.to_thread(sign_in, http, DRIVER_EMAIL, ACCOUNT_PASSWORD)
    sessions = await asyncio.to_thread(active_sessions, http, operator)
    cfg = SubscriberConfig(
        f"ws://127.0.0.1:{api_port}/graphql", operator, driver, plan.operators, sorted(sessions)
    )
    pool = SubscriberPool(cfg)
    try:
        setup = await pool.start()
        await asyncio.sleep(1.0)  # the server registers each subscription after its subscribe
        work = Fanout(gen, meter, plan, pool, sessions)
        work.operators = plan.operators - sum(
            n for k, n in setup["failures"].items() if k.startswith(STATION)
        )
        out: dict[str, Any] = {
            "subscribers": setup["connected"],
            "operator_subscribers": work.operators,
            "driver_subscribers": setup["connected"] - work.operators,
            "active_sessions": len(sessions),
            "setup": setup,
        }
        streams = beats + meters
        out["steady"] = await work.measure(
            lambda: gen.run_streams(streams, plan.duration, lambda s: s.interval)
        )
        if meters:
            out["ramp"] = await work.ramp(beats, meters)
    finally:
        await pool.stop()
    return out
