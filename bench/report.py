"""Turning bench results into numbers to compare: flattening, the printed table, profiles."""

from __future__ import annotations

import io
import math
import pstats
from pathlib import Path
from typing import Any

from bench.plan import Plan


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """Numeric leaves as ``a.b.c`` keys (ramp steps are kept out: their count varies)."""
    out: dict[str, float] = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if key == "steps":
            continue
        if isinstance(value, dict):
            out.update(flatten(value, name + "."))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int | float):
            out[name] = float(value)
    return out


# (label, summary keys joined by "|", the target for the figure or "-")
ROWS: list[tuple[str, str, str]] = [
    ("concurrent charge points", "connections", "10,000"),
    ("boot storm: accepted", "boot.accepted", "all"),
    ("boot storm: accepted within 30 s", "boot.accepted_in_time", "all"),
    ("boot storm: lost", "boot.lost", "0"),
    ("boot storm: all accepted after (s)", "boot.all_accepted_after_s", "≤ 30"),
    ("boot storm: BootNotification p99 (ms)", "boot.latency.BootNotification.p99_ms", "-"),
    ("boot storm: server CPU µs per station", "boot.server_cpu_us_per_msg", "-"),
    ("memory per connection (KiB)", "memory_per_connection_kib", "≤ 40"),
    ("server RSS idle / end (MiB)", "server_rss_idle_mib|server_rss_end_mib", "-"),
    ("steady: offered msgs/s", "steady.offered_msgs_per_s", "-"),
    ("steady: answered msgs/s", "steady.msgs_per_s", "-"),
    (
        "steady: Heartbeat p50 / p99 (ms)",
        "steady.latency.Heartbeat.p50_ms|steady.latency.Heartbeat.p99_ms",
        "p99 < 10",
    ),
    (
        "steady: MeterValues p50 / p99 (ms)",
        "steady.latency.MeterValues.p50_ms|steady.latency.MeterValues.p99_ms",
        "p99 < 25",
    ),
    ("steady: server CPU µs per msg", "steady.server_cpu_us_per_msg", "-"),
    ("steady: server CPU % (of which kernel)", "steady.server_cpu_pct|steady.server_sys_pct", "-"),
    ("steady: mongod CPU %", "steady.mongod_cpu_pct", "-"),
    ("steady: database writes/s", "steady.db_writes_per_s", "-"),
    ("ramp: saturation msgs/s (p99 ≤ 100 ms)", "ramp.saturation_msgs_per_s", "≥ 5,000"),
    ("ramp: server CPU µs per msg there", "ramp.saturation_cpu_us_per_msg", "-"),
    ("ramp: peak answered msgs/s", "ramp.peak_msgs_per_s", "-"),
    (
        "setup: StartTransaction p50 / p99 (ms)",
        "setup_start_transaction.p50_ms|setup_start_transaction.p99_ms",
        "-",
    ),
    ("load generator CPU % (steady)", "steady.loadgen_cpu_pct", "-"),
    (
        "fan-out: subscribers (operators / drivers)",
        "fanout.subscribers|fanout.operator_subscribers|fanout.driver_subscribers",
        "1,000",
    ),
    ("fan-out steady: MeterValues/s", "fanout.steady.meter_values_per_s", "-"),
    ("fan-out steady: deliveries/s", "fanout.steady.deliveries_per_s", "-"),
    (
        "fan-out steady: stationEvents e2e p50 / p99 (ms)",
        "fanout.steady.e2e.stationEvents.p50_ms|fanout.steady.e2e.stationEvents.p99_ms",
        "p99 < 50",
    ),
    (
        "fan-out steady: sessionProgress e2e p50 / p99 (ms)",
        "fanout.steady.e2e.sessionProgress.p50_ms|fanout.steady.e2e.sessionProgress.p99_ms",
        "p99 < 50",
    ),
    ("fan-out steady: server CPU µs per delivery", "fanout.steady.server_cpu_us_per_delivery", "-"),
    (
        "fan-out steady: stationEvents delivered share",
        "fanout.steady.station_events_completeness",
        "1",
    ),
    (
        "fan-out ramp: peak deliveries/s (e2e p99 ≤ 50 ms)",
        "fanout.ramp.peak_deliveries_per_s",
        "≥ 20,000",
    ),
    ("fan-out ramp: MeterValues/s there", "fanout.ramp.peak_meter_values_per_s", "-"),
    ("fan-out ramp: e2e p99 there (ms)", "fanout.ramp.peak_e2e_p99_ms", "< 50"),
    ("fan-out ramp: server CPU µs per delivery there", "fanout.ramp.peak_cpu_us_per_delivery", "-"),
    ("fan-out ramp: most deliveries/s seen", "fanout.ramp.max_deliveries_per_s", "-"),
    ("fan-out: subscriber process CPU % (steady)", "fanout.steady.subscriber_cpu_pct", "-"),
    ("soak: duration (s)", "soak.duration_s", "3,600"),
    ("soak: RSS after warm-up / end (MiB)", "soak.rss_after_warmup_mib|soak.rss_end_mib", "-"),
    ("soak: RSS growth (%)", "soak.rss_growth_pct", "< 5"),
    (
        "soak: MeterValues p50 / p99 (ms)",
        "soak.latency.MeterValues.p50_ms|soak.latency.MeterValues.p99_ms",
        "p99 < 25",
    ),
]


def _cell(summary: dict[str, float], keys: str) -> tuple[str, float | None]:
    values = [summary.get(k) for k in keys.split("|")]
    if all(v is None for v in values):
        return "-", None
    text = " / ".join("-" if v is None else f"{v:,.1f}".rstrip("0").rstrip(".") for v in values)
    return text, values[-1]


def render(
    machine: dict[str, Any], plan: Plan, runs: int, summary: dict[str, dict[str, float]]
) -> str:
    """laddnet's figure, the issue's target beside it, then the bare library's and the ratio
    when a bare run was made (bare has no GraphQL: its fan-out cells are "-")."""
    kinds = list(summary)
    head = (
        f"\nladdnet bench — {machine['nproc']} CPU x {machine['cpu_model']}, "
        f"{machine['memory_mib']} MiB, Python {machine['python']}\n"
        f"{plan.stations} stations, "
        + (f"steady {plan.duration:g}s " if plan.workloads & {"steady", "fanout"} else "")
        + f"(heartbeat {plan.heartbeat_interval:g}s, meter {plan.meter_interval:g}s, "
        f"time scale x{plan.time_scale:g}, {plan.charging_fraction:.0%} of connectors charging), "
        f"boot window {plan.boot_window:g}s, medians of {runs} run(s); "
        f"server, mongod and generator share this machine\n"
    )
    if "fanout" in plan.workloads:
        head += (
            f"fan-out: {plan.operators} operator subscribers (stationEvents, all stations) + one "
            "driver subscriber (sessionProgress) per active session, in their own process; "
            "e2e = MeterValues scheduled send -> delivery (ms-truncated stamps: up to 1 ms high)\n"
        )
    if "soak" in plan.workloads:
        head += (
            f"soak: {plan.soak_duration:g}s steady, RSS every {plan.soak_sample:g}s, growth from "
            f"the first sample after {plan.soak_warmup:g}s to the end\n"
        )
    width = max(len(label) for label, _, _ in ROWS) + 2
    first, rest = kinds[:1], kinds[1:]
    cols = [*first, "target", *rest] + (["ratio"] if len(kinds) == 2 else [])
    lines = [head, "".ljust(width) + "".join(c.rjust(18) for c in cols)]
    for label, keys, target in ROWS:
        cells = [_cell(summary[k], keys) for k in kinds]
        if all(v is None for _, v in cells):
            continue
        texts = [text for text, _ in cells]
        row = label.ljust(width) + "".join(t.rjust(18) for t in [*texts[:1], target, *texts[1:]])
        if len(cells) == 2:
            a, b = cells[0][1], cells[1][1]
            ratio = f"{a / b:.2f}x" if a is not None and b and not math.isnan(a / b) else "-"
            row += ratio.rjust(18)
        lines.append(row)
    return "\n".join(lines)


def profile_summary(profile: Path, text_path: Path, top: int = 30) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(str(profile), stream=stream)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    text_path.write_text(stream.getvalue())
    return f"\nprofile (cProfile of the laddnet server, {profile.name}):\n" + stream.getvalue()
