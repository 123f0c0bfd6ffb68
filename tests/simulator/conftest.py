from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from simulator import Fleet, SimStationConfig
from tests.simulator.csms import TestCsms

PASSWORD = "sim-password-0123456789"
METER_S = 0.2


async def _rig(version: str, cp_id: str, dc: bool) -> AsyncIterator[tuple[TestCsms, Fleet]]:
    async with TestCsms(PASSWORD) as csms:
        power = 150_000 if dc else 22_000
        cfg = SimStationConfig(cp_id, PASSWORD, connectors=2, dc=dc, max_power_w=power)
        fleet = Fleet(csms.url, [cfg], version, meter_interval=METER_S, heartbeat_interval=0.5,
                      auto_charge=False, seed=1, step_delay=0.05)  # fmt: skip
        await fleet.start()
        await csms.wait_for(lambda: fleet.booted == 1, what="boot")
        yield csms, fleet
        await fleet.stop()


@pytest.fixture
async def rig() -> AsyncIterator[tuple[TestCsms, Fleet]]:
    """One 22 kW AC station, OCPP 1.6J, booted."""
    async for pair in _rig("1.6", "CP-16", dc=False):
        yield pair


@pytest.fixture
async def rig201() -> AsyncIterator[tuple[TestCsms, Fleet]]:
    """One 150 kW DC station, OCPP 2.0.1, booted."""
    async for pair in _rig("2.0.1", "CP-201", dc=True):
        yield pair
