"""A fleet with auto-charge, its progress line, and the ``laddnet simulate`` command."""

from __future__ import annotations

import argparse
import io

import pytest

from simulator import Fleet, build_station_configs
from simulator.cli import add_simulate_parser, run_simulate
from simulator.fleet import UnknownStation
from tests.simulator.conftest import PASSWORD
from tests.simulator.csms import TestCsms


async def test_auto_charge_starts_sessions_and_stop_ends_them() -> None:
    async with TestCsms(PASSWORD) as csms:
        configs = build_station_configs(6, "AUTO-", PASSWORD, connectors=2)
        fleet = Fleet(csms.url, configs, "1.6", meter_interval=0.1, auto_charge=True, seed=5)
        await fleet.start()
        try:
            await csms.wait_for(lambda: fleet.booted == 6, what="all booted")
            await csms.wait_for(
                lambda: fleet.stats.sessions_started >= 2, limit_s=5, what="auto sessions"
            )
            line = fleet.progress_line()
            assert "stations 6" in line and "booted 6" in line and "errors 0" in line
            assert fleet.charging >= 1
        finally:
            await fleet.stop()
        stops = sum(len(cp.of("StopTransaction")) for cp in csms.cps.values())
        starts = sum(len(cp.of("StartTransaction")) for cp in csms.cps.values())
        assert starts == fleet.stats.sessions_started and stops == starts  # none left open
        assert fleet.connected == 0 and fleet.charging == 0
        with pytest.raises(UnknownStation):
            fleet.station("AUTO-9999")


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="laddnet")
    add_simulate_parser(parser.add_subparsers(dest="command"))
    return parser.parse_args(["simulate", *argv])


def test_simulate_arguments_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    args = _parse("--password", PASSWORD, "--stations", "3", "--ocpp", "2.0.1", "--charge")
    assert (args.stations, args.ocpp, args.charge, args.prefix) == (3, "2.0.1", True, "SIM-")
    for bad in (["--stations", "0"], ["--meter-interval", "-1"], ["--ocpp", "1.5"], []):
        with pytest.raises(SystemExit):
            _parse(*(["--password", PASSWORD] if bad else []), *bad)
    assert "--stations" in capsys.readouterr().err


async def test_simulate_command_prints_progress() -> None:
    async with TestCsms(PASSWORD) as csms:
        args = _parse("--url", csms.url, "--password", PASSWORD, "--stations", "3",
                      "--meter-interval", "0.2", "--duration", "1", "--prefix", "CLI-")  # fmt: skip
        out = io.StringIO()
        code = await run_simulate(args, out)
        assert code == 0
        assert set(csms.cps) == {"CLI-0001", "CLI-0002", "CLI-0003"}
        text = out.getvalue()
        assert text.startswith("simulating 3 stations (1.6)")
        assert "booted 3" in text and "\r" not in text  # not a TTY: plain lines

    async with TestCsms("another-password-xyz") as csms:  # nobody gets in: exit code 1
        args = _parse("--url", csms.url, "--password", PASSWORD, "--stations", "1",
                      "--duration", "0.5")  # fmt: skip
        assert await run_simulate(args, io.StringIO()) == 1
