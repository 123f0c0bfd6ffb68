"""``laddnet simulate``: run N simulated charge points against a CSMS and show progress."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any, TextIO

from simulator.config import DEFAULT_ID_TAG, build_station_configs
from simulator.fleet import Fleet

REFUSED_HINT = (
    "the CSMS refused the stations' connections (HTTP 401: unknown station or wrong password; "
    "429: too many failed attempts, throttled): register {prefix}0001… with this --password "
    "first: add --register (laddnet simulate --register …) or use laddnet station add"
)
TTY_REFRESH_S = 0.5
LOG_REFRESH_S = 10.0


def _positive_int(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"{value!r} must be at least 1")
    return n


def _positive_float(value: str) -> float:
    try:
        x = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not x > 0:
        raise argparse.ArgumentTypeError(f"{value!r} must be greater than 0")
    return x


def add_simulate_parser(subparsers: Any) -> argparse.ArgumentParser:
    p: argparse.ArgumentParser = subparsers.add_parser(
        "simulate",
        help="run simulated OCPP charge points against a CSMS",
        description="Run N simulated charge points. They must be registered on the CSMS with ids "
        "PREFIX0001… and the given password (laddnet simulate --register does that first).",
    )
    p.add_argument("--stations", type=_positive_int, default=10, help="how many (default 10)")
    p.add_argument("--ocpp", choices=["1.6", "2.0.1"], default="1.6", help="OCPP version")
    p.add_argument(
        "--url", default="ws://127.0.0.1:9000/ocpp", help="CSMS base URL; the id is appended"
    )
    p.add_argument("--password", required=True, help="the stations' Basic-auth password")
    p.add_argument("--prefix", default="SIM-", help="id prefix (default SIM-: SIM-0001 …)")
    p.add_argument("--connectors", type=_positive_int, default=2, help="per station (default 2)")
    p.add_argument(
        "--dc-every", type=int, default=4, help="every Nth station is 150 kW DC (0: none)"
    )
    p.add_argument("--id-tag", default=DEFAULT_ID_TAG, help="id tag for locally started sessions")
    p.add_argument(
        "--meter-interval", type=_positive_float, default=10.0, help="seconds between MeterValues"
    )
    p.add_argument(
        "--heartbeat-interval",
        type=_positive_float,
        default=None,
        help="seconds between heartbeats (default: what the CSMS says at boot)",
    )
    p.add_argument("--charge", action="store_true", help="start and stop sessions at random")
    p.add_argument("--seed", type=int, default=0, help="random seed (reproducible runs)")
    p.add_argument(
        "--ramp", type=float, default=None, help="seconds to spread connects over (default N/200)"
    )
    p.add_argument("--duration", type=_positive_float, help="stop after this many seconds")
    p.add_argument(
        "--no-validate", action="store_true", help="skip JSON-schema validation (load tests)"
    )
    return p


async def run_simulate(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Run the fleet until ``--duration`` passes or the task is cancelled (Ctrl-C)."""
    out = out or sys.stdout
    configs = build_station_configs(
        args.stations,
        args.prefix,
        args.password,
        connectors=args.connectors,
        id_tag=args.id_tag,
        dc_every=args.dc_every,
    )
    ramp = args.ramp if args.ramp is not None else min(10.0, args.stations / 200)
    fleet = Fleet(
        args.url,
        configs,
        ocpp_version=args.ocpp,
        meter_interval=args.meter_interval,
        heartbeat_interval=args.heartbeat_interval,
        auto_charge=args.charge,
        seed=args.seed,
        validate=not args.no_validate,
        ramp_s=ramp,
    )
    tty = out.isatty()
    out.write(f"simulating {args.stations} stations ({args.ocpp}) against {args.url}\n")
    out.flush()
    await fleet.start()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + args.duration if args.duration else None
    refresh = TTY_REFRESH_S if tty else LOG_REFRESH_S
    hinted = False
    try:
        while deadline is None or loop.time() < deadline:
            wait = refresh if deadline is None else min(refresh, deadline - loop.time())
            await asyncio.sleep(max(0.0, wait))
            _show(out, fleet.progress_line(), tty)
            if fleet.stats.refused and not hinted:
                hinted = True
                if tty:
                    out.write("\n")
                out.write(REFUSED_HINT.format(prefix=args.prefix) + "\n")
                out.flush()
    finally:
        await fleet.stop()
        _show(out, fleet.progress_line(), tty)
        if tty:
            out.write("\n")
        out.flush()
    return 0 if fleet.stats.boots else 1  # 1: not one station got through to the CSMS


def _show(out: TextIO, line: str, tty: bool) -> None:
    if tty:
        out.write("\r" + line + "\x1b[K")
    else:
        out.write(line + "\n")
    out.flush()
