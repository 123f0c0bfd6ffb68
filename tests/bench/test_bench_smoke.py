"""The bench at a tiny scale against real server processes: the report has what the table needs
and traffic really flowed (no timing assertions: the machine is shared)."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import pytest

from laddnet.bench.cli import build_parser, medians, plan_from
from laddnet.bench.report import flatten, render
from laddnet.bench.runner import Plan, percentile, run_once
from laddnet.bench.targets import ServerProcess, copy_template, free_port, register_stations

PLAN = Plan(
    stations=5,
    duration=3.0,
    workloads={"steady", "ramp"},
    boot_window=1.0,
    boot_timeout=20.0,
    time_scale=100.0,  # heartbeat every 3 s, meter values every 0.3 s
    ramp_start=20.0,
    ramp_step=1.0,
    ramp_max_steps=2,
)


async def _bench(kind: str, mongodb_uri: str, tmp_path: Path) -> dict:
    uri = database = ""
    if kind == "laddnet":
        template = f"bench_tpl_{uuid.uuid4().hex[:8]}"
        database = f"bench_smoke_{uuid.uuid4().hex[:8]}"
        await register_stations(mongodb_uri, PLAN.stations, template)
        copy_template(mongodb_uri, database, template)
        uri = mongodb_uri
    port = free_port()
    server = ServerProcess(
        kind, port=port, uri=uri, database=database, data_dir=tmp_path, log_file=tmp_path / "log"
    )
    try:
        server.wait_ready()
        return await run_once(f"ws://127.0.0.1:{port}/ocpp", server.pid, PLAN, uri or None, None)
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["laddnet", "bare"])
async def test_tiny_bench_reports_real_traffic(kind: str, mongodb_uri: str, tmp_path: Path) -> None:
    report = await _bench(kind, mongodb_uri, tmp_path)

    assert report["connections"] == PLAN.stations
    assert report["boot"]["accepted"] == PLAN.stations and report["boot"]["lost"] == 0
    assert report["charging_connectors"] == 4  # every third of 10 connectors: 0, 3, 6, 9
    steady = report["steady"]
    assert steady["msgs_per_s"] > 0 and steady["missing"] == 0
    assert steady["latency"]["MeterValues"]["count"] > 0
    assert steady["latency"]["Heartbeat"]["count"] > 0
    assert steady["server_cpu_us_per_msg"] > 0
    assert report["memory_per_connection_kib"] == report["memory_per_connection_kib"]  # not NaN
    assert report["ramp"]["steps"] and report["ramp"]["peak_msgs_per_s"] > 0
    if kind == "laddnet":
        assert steady["db_writes_per_s"] > 0  # the meter values were stored

    table = render(
        {"nproc": 2, "cpu_model": "x", "memory_mib": 1, "python": "3"},
        PLAN,
        1,
        {kind: medians([report])},
    )
    assert "MeterValues p50 / p99" in table


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert math.isnan(percentile([], 99))


def test_medians_over_runs_ignore_ramp_steps() -> None:
    runs = [{"a": {"b": v}, "ramp": {"steps": [{"x": v}]}} for v in (1, 5, 3)]
    assert medians(runs) == {"a.b": 3.0}
    assert flatten({"ramp": {"steps": [1], "peak": 2}}) == {"ramp.peak": 2.0}


def test_fanout_is_refused_with_a_clear_message() -> None:
    args = build_parser().parse_args(["--workload", "fanout"])
    with pytest.raises(SystemExit, match="fanout is not implemented"):
        plan_from(args)
