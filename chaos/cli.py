"""Command line of the fault-injection suite: the full run by default, ``--short`` for the quick one
``make test`` runs. Exit code 1 when any asserted figure is not 0 or a recovery took too long."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from chaos.run import FULL, SCENARIOS, SHORT, render, replace, run_chaos


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    p.add_argument("--short", action="store_true", help="few stations, one kill, short stalls")
    p.add_argument("--scenarios", help=f"comma-separated subset of {','.join(SCENARIOS)}")
    p.add_argument("--stations-16", type=int, help="OCPP 1.6 stations (2 connectors each)")
    p.add_argument("--stations-201", type=int, help="OCPP 2.0.1 stations (2 EVSEs each)")
    p.add_argument("--kills", type=int, help="plain kill -9 phases (besides the stop-burst one)")
    p.add_argument("--stripe-stall", type=float, help="seconds the payment provider hangs")
    p.add_argument("--mongo-stall", type=float, help="seconds mongod is SIGSTOPped")
    p.add_argument("--settle-timeout", type=float, help="seconds allowed to settle after a phase")
    p.add_argument("--handshakes", type=int, help="handshakes in the flood")
    p.add_argument("--data-dir", type=Path, help="keep everything here (default: a temp dir)")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, mongod data)")
    p.add_argument("--json", type=Path, help="also write the figures as JSON here")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    config = SHORT if args.short else FULL
    changes: dict[str, object] = {}
    for name in ("stations_16", "stations_201", "kills", "stripe_stall", "mongo_stall",
                 "settle_timeout", "handshakes", "data_dir"):  # fmt: skip
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.scenarios:
        chosen = tuple(s.strip() for s in args.scenarios.split(",") if s.strip())
        unknown = set(chosen) - set(SCENARIOS)
        if unknown:
            raise SystemExit(f"unknown scenarios {sorted(unknown)}; choose from {SCENARIOS}")
        changes["scenarios"] = chosen
    config = replace(config, keep=args.keep, **changes)
    started = time.monotonic()
    report = asyncio.run(run_chaos(config, log=lambda line: print(line, flush=True)))
    print()
    print(render(report))
    violations = report.violations()
    print(f"\n{time.monotonic() - started:.0f}s in all.")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "phases": [
                        {
                            "name": p.name,
                            "figures": {k: v for k, v in vars(p.figures).items()},
                            "recoveries": p.recoveries,
                            "notes": p.notes,
                        }
                        for p in report.phases
                    ],
                    "violations": violations,
                },
                indent=2,
                default=str,
            )
        )
    if violations:
        print(
            "FAILED (every figure above must be 0, every recovery within "
            f"{config.recover_target:.0f}s):"
        )
        for phase, figures in violations.items():
            print(f"  {phase}: {figures}")
        return 1
    print(
        "PASSED: nothing lost, duplicated, unsettled, missing or double-charged; "
        "other stations unharmed; every recovery within target."
    )
    return 0
