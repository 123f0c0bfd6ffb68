"""``python -m bench`` (``make bench``): one ``laddnet serve`` process (OCPP and GraphQL
API) and a bare ``ocpp`` CSMS under the same open-loop load, plus GraphQL subscribers fed by it
(fan-out, laddnet only), repeated, medians printed beside the targets and kept as JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import math
import signal
import statistics
import tempfile
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.machine import machine, raise_file_limit
from bench.report import flatten, profile_summary, render
from bench.runner import Plan, run_once
from bench.targets import (
    ServerProcess,
    copy_template,
    embedded_store,
    free_port,
    register_stations,
)

log = logging.getLogger("bench")
WORKLOADS = ("steady", "ramp", "boot", "fanout")  # "all"; the soak runs only when asked for


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--stations", type=int, help="charge points (default 1000; --quick 200)")
    p.add_argument(
        "--duration",
        type=float,
        help="steady-state seconds (default 30; quick 15); with --workload soak the soak's "
        "length (default 3600)",
    )
    p.add_argument("--runs", type=int, help="repetitions, medians reported (default 3; quick 1)")
    p.add_argument(
        "--workload",
        choices=[*WORKLOADS, "soak", "all"],
        default="all",
        help="what to run (all: steady, ramp, boot and fanout; soak only on its own)",
    )
    p.add_argument("--quick", action="store_true", help="small defaults, about a minute")
    p.add_argument(
        "--time-scale",
        type=float,
        help="divide the 300 s heartbeat / 30 s meter intervals by this (default 1; quick 10)",
    )
    p.add_argument("--boot-window", type=float, default=10.0, help="boot storm spread (s)")
    p.add_argument("--ramp-step", type=float, help="seconds per ramp step (default 6; quick 5)")
    p.add_argument("--ramp-start", type=float, default=250.0, help="first ramp rate (msgs/s)")
    p.add_argument(
        "--operators", type=int, default=100, help="fan-out: operator subscribers (default 100)"
    )
    p.add_argument(
        "--fanout-ramp-start",
        type=float,
        default=50.0,
        help="fan-out ramp: first MeterValues/s (each feeds every operator subscriber)",
    )
    p.add_argument(
        "--targets",
        help="comma-separated: laddnet, bare (default both; the soak: laddnet)",
    )
    p.add_argument("--profile", action="store_true", help="run laddnet under cProfile")
    p.add_argument("--out", type=Path, default=Path("bench-results"), help="results directory")
    return p


def plan_from(args: argparse.Namespace) -> tuple[Plan, int]:
    quick = args.quick
    workloads = set(WORKLOADS) if args.workload == "all" else {args.workload}
    soak = "soak" in workloads
    if args.operators < 0:
        raise SystemExit("--operators must be 0 or more")
    plan = Plan(
        stations=args.stations or (200 if quick else 1000),
        duration=(None if soak else args.duration) or (15.0 if quick else 30.0),
        workloads=workloads,
        boot_window=args.boot_window,
        time_scale=args.time_scale or (10.0 if quick else 1.0),
        ramp_start=args.ramp_start,
        ramp_step=args.ramp_step or (5.0 if quick else 6.0),
        ramp_max_steps=6 if quick else 10,
        operators=args.operators,
        fanout_ramp_start=args.fanout_ramp_start,
        soak_duration=(args.duration if soak else None) or 3600.0,
    )
    return plan, args.runs or (1 if quick or soak else 3)


def medians(results: list[dict[str, Any]]) -> dict[str, float]:
    flat = [flatten(r) for r in results]
    keys = {k for f in flat for k in f}
    out = {}
    for key in sorted(keys):
        vals = [f[key] for f in flat if key in f and not math.isnan(f[key])]
        if vals:
            out[key] = statistics.median(vals)
    return out


async def _one_run(
    kind: str,
    plan: Plan,
    uri: str,
    mongod_pid: int | None,
    run: int,
    tmp: Path,
    profile: Path | None,
) -> dict[str, Any]:
    port = free_port()
    database = f"bench_run{run}"
    if kind == "laddnet":
        copy_template(uri, database)
    server = ServerProcess(
        kind,
        port=port,
        api_port=free_port() if kind == "laddnet" else None,
        uri=uri,
        database=database,
        data_dir=tmp,
        profile=profile,
        log_file=tmp / f"{kind}-run{run}.log",
    )
    try:
        server.wait_ready()
        result = await run_once(
            f"ws://127.0.0.1:{port}/ocpp",
            server.pid,
            plan,
            uri if kind == "laddnet" else None,
            mongod_pid if kind == "laddnet" else None,
            server.api_port,  # bare has no GraphQL: no fan-out
        )
    finally:
        server.stop()
    return result


async def bench(args: argparse.Namespace) -> int:
    plan, runs = plan_from(args)
    chosen = args.targets or ("laddnet" if "soak" in plan.workloads else "laddnet,bare")
    targets = [t.strip() for t in chosen.split(",") if t.strip()]
    fd_limit = raise_file_limit()
    if plan.stations + 200 > fd_limit:
        raise SystemExit(f"{plan.stations} stations need more open files than {fd_limit}")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    out: Path = args.out
    info = machine() | {"open_files_limit": fd_limit}
    raw: dict[str, list[dict[str, Any]]] = {t: [] for t in targets}
    profiles: list[str] = []
    with tempfile.TemporaryDirectory(prefix="laddnet-bench-") as tmpdir:
        tmp = Path(tmpdir)
        with embedded_store(tmp / "store") as uri:
            mongod_pid = json.loads((tmp / "store" / "mongod.json").read_text())["pid"]
            took = await register_stations(uri, plan.stations)
            print(f"registered {plan.stations} stations in {took:.1f}s", flush=True)
            for run in range(1, runs + 1):
                for kind in targets:
                    t0 = time.monotonic()
                    prof = (
                        out / f"{stamp}-{kind}-run{run}.prof"
                        if args.profile and kind == "laddnet"
                        else None
                    )
                    result = await _one_run(kind, plan, uri, mongod_pid, run, tmp, prof)
                    raw[kind].append(result)
                    print(f"run {run}/{runs} {kind}: {time.monotonic() - t0:.0f}s", flush=True)
                    if prof is not None and prof.exists():
                        profiles.append(profile_summary(prof, prof.with_suffix(".txt")))
    summary = {kind: medians(results) for kind, results in raw.items()}
    document = {
        "timestamp": stamp,
        "machine": info,
        "plan": {k: (sorted(v) if isinstance(v, set) else v) for k, v in vars(plan).items()},
        "runs": runs,
        "medians": summary,
        "raw": raw,
    }
    path = out / f"{stamp}.json"
    path.write_text(json.dumps(document, indent=2, default=str))
    print(render(info, plan, runs, summary))
    for text in profiles:
        print(text)
    print(f"\nresults: {path}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING)
    args = build_parser().parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    # SIGTERM stops like Ctrl-C, so the server under test and the bench's mongod are stopped too
    # (a terminated bench used to leave both running).
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    return asyncio.run(bench(args))
