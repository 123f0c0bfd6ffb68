"""The bench at a tiny scale against real server processes: the report has what the table needs
and traffic really flowed (no timing assertions: the machine is shared)."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import pytest

from bench.cli import build_parser, medians, plan_from
from bench.fanout import progress_latencies
from bench.gql import SESSION_PROGRESS, SIGN_IN, STATION_EVENTS
from bench.report import flatten, render
from bench.runner import Plan, percentile, run_once
from bench.targets import ServerProcess, copy_template, free_port, register_stations
from tests.contract import CLIENTS

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


FANOUT_PLAN = Plan(
    stations=10,
    duration=3.0,
    workloads={"fanout", "soak"},
    boot_window=1.0,
    boot_timeout=20.0,
    time_scale=100.0,
    ramp_step=1.0,
    ramp_max_steps=2,
    operators=3,
    fanout_ramp_start=20.0,
    soak_duration=2.0,
    soak_sample=0.5,
    soak_warmup=0.5,
)


async def _bench(kind: str, mongodb_uri: str, tmp_path: Path, plan: Plan = PLAN) -> dict:
    uri = database = ""
    if kind == "laddnet":
        template = f"bench_tpl_{uuid.uuid4().hex[:8]}"
        database = f"bench_smoke_{uuid.uuid4().hex[:8]}"
        await register_stations(mongodb_uri, plan.stations, template)
        copy_template(mongodb_uri, database, template)
        uri = mongodb_uri
    port = free_port()
    server = ServerProcess(
        kind, port=port, uri=uri, database=database, data_dir=tmp_path, log_file=tmp_path / "log"
    )
    try:
        server.wait_ready()
        return await run_once(
            f"ws://127.0.0.1:{port}/ocpp", server.pid, plan, uri or None, None, server.api_port
        )
    finally:
        server.stop()


@pytest.mark.parametrize("kind", ["laddnet", "bare"])
async def test_tiny_bench_reports_real_traffic(kind: str, mongodb_uri: str, tmp_path: Path) -> None:
    report = await _bench(kind, mongodb_uri, tmp_path)

    assert report["connections"] == PLAN.stations
    assert report["boot"]["accepted"] == PLAN.stations and report["boot"]["lost"] == 0
    assert report["boot"]["accepted_in_time"] == PLAN.stations
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
    else:
        assert "fanout" not in report  # bare has no GraphQL

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


async def test_tiny_fanout_delivers_to_operators_and_drivers(
    mongodb_uri: str, tmp_path: Path
) -> None:
    plan = FANOUT_PLAN
    report = await _bench("laddnet", mongodb_uri, tmp_path, plan)

    fanout = report["fanout"]
    sessions = report["charging_connectors"]
    assert fanout["active_sessions"] == sessions == 7  # every third of 20 connectors
    assert fanout["operator_subscribers"] == 3 and fanout["driver_subscribers"] == sessions
    assert fanout["setup"]["failures"] == {}
    steady = fanout["steady"]
    meters = steady["answered_by_action"]["MeterValues"]
    assert meters > 0 and steady["missing"] == 0
    assert steady["deliveries"]["stationEvents"] > 0 and steady["deliveries"]["sessionProgress"] > 0
    assert steady["deliveries_per_s"] > 0 and steady["server_cpu_us_per_delivery"] > 0
    for kind in ("stationEvents", "sessionProgress"):
        e2e = steady["e2e"][kind]
        assert e2e["count"] > 0 and 0 < e2e["p50_ms"] <= e2e["p99_ms"], (kind, e2e)
    # each MeterValues reached every operator, and each progress matched the one that caused it
    assert steady["e2e"]["stationEvents"]["count"] >= meters * 3 * 0.9
    assert steady["progress_unmatched"] == 0
    ramp = fanout["ramp"]
    assert ramp["steps"] and ramp["max_deliveries_per_s"] > 0

    soak = report["soak"]
    assert len(soak["rss_samples"]) >= 3 and soak["rss_end_mib"] > 0
    assert soak["rss_growth_pct"] == soak["rss_growth_pct"]  # a number, not NaN
    assert soak["latency"]["MeterValues"]["count"] > 0

    table = render(
        {"nproc": 2, "cpu_model": "x", "memory_mib": 1, "python": "3"},
        plan,
        1,
        {"laddnet": medians([report]), "bare": {"connections": 10.0}},
    )
    row = next(line for line in table.splitlines() if "stationEvents e2e" in line)
    assert "p99 < 50" in row and row.split()[-2:] == ["-", "-"]  # no bare figure, no ratio
    assert "soak: RSS growth (%)" in table


def test_the_subscribers_send_the_contract_documents_verbatim() -> None:
    assert SIGN_IN in (CLIENTS / "auth.graphql").read_text()
    assert STATION_EVENTS in (CLIENTS / "operator.graphql").read_text()
    assert SESSION_PROGRESS in (CLIENTS / "driver.graphql").read_text()


def test_progress_arrivals_match_the_meter_values_that_carried_their_energy() -> None:
    sessions = {"s1": ("BENCH-00001", 1), "s2": ("BENCH-00002", 2)}
    sent = {("BENCH-00001", 1, 97): 100.000, ("BENCH-00002", 2, 194): 100.500}
    arrivals = [("s1", 97, 100.012), ("s2", 194, 100.530), ("s2", 97, 101.0), ("s9", 97, 1.0)]
    latencies, unmatched = progress_latencies(arrivals, sessions, sent)
    assert [round(x, 3) for x in latencies] == [0.012, 0.030]
    assert unmatched == 2  # another connector's reading, an unknown session


def test_workload_options() -> None:
    plan, runs = plan_from(build_parser().parse_args(["--workload", "soak"]))
    assert plan.workloads == {"soak"} and plan.soak_duration == 3600.0 and runs == 1
    plan, _ = plan_from(build_parser().parse_args(["--workload", "soak", "--duration", "90"]))
    assert plan.soak_duration == 90.0
    plan, runs = plan_from(build_parser().parse_args([]))
    assert plan.workloads == {"steady", "ramp", "boot", "fanout"} and runs == 3  # no soak
    assert plan.operators == 100
    with pytest.raises(SystemExit, match="--operators must be 0 or more"):
        plan_from(build_parser().parse_args(["--operators", "-1"]))
