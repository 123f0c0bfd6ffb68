"""Turning bench results into numbers to compare: flattening, the printed table, profiles."""

from __future__ import annotations

import io
import math
import pstats
from pathlib import Path
from typing import Any

from laddnet.bench.runner import Plan


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


ROWS: list[tuple[str, str]] = [
    ("concurrent charge points", "connections"),
    ("boot storm: accepted", "boot.accepted"),
    ("boot storm: lost", "boot.lost"),
    ("boot storm: all accepted after (s)", "boot.all_accepted_after_s"),
    ("boot storm: BootNotification p99 (ms)", "boot.latency.BootNotification.p99_ms"),
    ("boot storm: server CPU µs per station", "boot.server_cpu_us_per_msg"),
    ("memory per connection (KiB)", "memory_per_connection_kib"),
    ("server RSS idle / end (MiB)", "server_rss_idle_mib|server_rss_end_mib"),
    ("steady: offered msgs/s", "steady.offered_msgs_per_s"),
    ("steady: answered msgs/s", "steady.msgs_per_s"),
    (
        "steady: Heartbeat p50 / p99 (ms)",
        "steady.latency.Heartbeat.p50_ms|steady.latency.Heartbeat.p99_ms",
    ),
    (
        "steady: MeterValues p50 / p99 (ms)",
        "steady.latency.MeterValues.p50_ms|steady.latency.MeterValues.p99_ms",
    ),
    ("steady: server CPU µs per msg", "steady.server_cpu_us_per_msg"),
    ("steady: server CPU % (of which kernel)", "steady.server_cpu_pct|steady.server_sys_pct"),
    ("steady: mongod CPU %", "steady.mongod_cpu_pct"),
    ("steady: database writes/s", "steady.db_writes_per_s"),
    ("ramp: saturation msgs/s (p99 ≤ 100 ms)", "ramp.saturation_msgs_per_s"),
    ("ramp: server CPU µs per msg there", "ramp.saturation_cpu_us_per_msg"),
    ("ramp: peak answered msgs/s", "ramp.peak_msgs_per_s"),
    (
        "setup: StartTransaction p50 / p99 (ms)",
        "setup_start_transaction.p50_ms|setup_start_transaction.p99_ms",
    ),
    ("load generator CPU % (steady)", "steady.loadgen_cpu_pct"),
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
    kinds = list(summary)
    head = (
        f"\nladdnet bench — {machine['nproc']} CPU x {machine['cpu_model']}, "
        f"{machine['memory_mib']} MiB, Python {machine['python']}\n"
        f"{plan.stations} stations, steady {plan.duration:g}s "
        f"(heartbeat {plan.heartbeat_interval:g}s, meter {plan.meter_interval:g}s, "
        f"time scale x{plan.time_scale:g}, {plan.charging_fraction:.0%} of connectors charging), "
        f"boot window {plan.boot_window:g}s, medians of {runs} run(s); "
        f"server, mongod and generator share this machine\n"
    )
    width = max(len(label) for label, _ in ROWS) + 2
    cols = [*kinds, "ratio"] if len(kinds) == 2 else kinds
    lines = [head, "".ljust(width) + "".join(c.rjust(20) for c in cols)]
    for label, keys in ROWS:
        cells = [_cell(summary[k], keys) for k in kinds]
        if all(v is None for _, v in cells):
            continue
        row = label.ljust(width) + "".join(text.rjust(20) for text, _ in cells)
        if len(cells) == 2:
            a, b = cells[0][1], cells[1][1]
            ratio = f"{a / b:.2f}x" if a is not None and b and not math.isnan(a / b) else "-"
            row += ratio.rjust(20)
        lines.append(row)
    return "\n".join(lines)


def profile_summary(profile: Path, text_path: Path, top: int = 30) -> str:
    stream = io.StringIO()
    stats = pstats.Stats(str(profile), stream=stream)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    text_path.write_text(stream.getvalue())
    return f"\nprofile (cProfile of the laddnet server, {profile.name}):\n" + stream.getvalue()
