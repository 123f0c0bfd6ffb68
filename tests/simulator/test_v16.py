"""OCPP 1.6J end to end: a Fleet against a minimal CSMS built on the ocpp library."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.v16 import call

from simulator import (
    AuthorizationRejected,
    ConnectorBusy,
    NoSession,
    NotConnected,
    UnknownConnector,
)


def readings(payload: dict[str, Any]) -> dict[tuple[str, str | None], float]:
    """{(measurand, phase): value} of a 1.6 MeterValues payload's first meter value."""
    out = {}
    for sv in payload["meter_value"][0]["sampled_value"]:
        out[(sv["measurand"], sv.get("phase"))] = float(sv["value"])
    return out


async def test_boot_status_remote_start_meter_values_and_remote_stop(rig) -> None:
    csms, fleet = rig
    cp = csms.cps["CP-16"]
    boot = cp.of("BootNotification")[0]
    assert boot["charge_point_vendor"] == "laddnet-sim"
    assert boot["charge_point_model"] == "SIM-AC-22kW"
    assert boot["charge_point_serial_number"] == "SN-CP-16" and boot["firmware_version"]
    await csms.wait_for(lambda: len(cp.of("StatusNotification")) >= 3, what="statuses")
    assert {(s["connector_id"], s["status"]) for s in cp.of("StatusNotification")} == {
        (0, "Available"), (1, "Available"), (2, "Available"),
    }  # fmt: skip
    await csms.wait_for(lambda: cp.of("Heartbeat"), what="heartbeat")

    res = await cp.call(call.RemoteStartTransaction(id_tag="TAG-OK", connector_id=1))
    assert res.status == "Accepted"
    start = (await csms.wait_for(lambda: cp.of("StartTransaction"), what="start"))[0]
    assert start["connector_id"] == 1 and start["id_tag"] == "TAG-OK"
    tx = start["transaction_id"]
    # a busy connector refuses a second remote start
    busy = await cp.call(call.RemoteStartTransaction(id_tag="TAG-OK", connector_id=1))
    assert busy.status == "Rejected"

    def tx_meters() -> list[dict[str, Any]]:
        return [m for m in cp.of("MeterValues") if m.get("transaction_id") == tx]

    await csms.wait_for(lambda: len(tx_meters()) >= 4, what="meter values")
    samples = [readings(m) for m in tx_meters()]
    energies = [s[("Energy.Active.Import.Register", None)] for s in samples]
    assert energies == sorted(energies) and energies[-1] > energies[0] >= start["meter_start"]
    for s in samples[1:]:
        power = s[("Power.Active.Import", None)]
        assert 1_000 < power <= 22_000
        assert s[("Power.Offered", None)] == 22_000
        for phase in ("L1", "L2", "L3"):
            volts = s[("Voltage", f"{phase}-N")]
            assert 207 <= volts <= 253
            amps = s[("Current.Import", phase)]
            assert amps == pytest.approx(power / (3 * 230 * 0.99), rel=0.06, abs=0.2)
        assert 15 <= s[("Temperature", None)] <= 60
        assert ("SoC", None) not in s  # an AC charger does not know the battery
    temp_sv = next(
        sv for sv in tx_meters()[-1]["meter_value"][0]["sampled_value"]
        if sv["measurand"] == "Temperature"
    )  # fmt: skip
    assert temp_sv["unit"] == "Celsius" and temp_sv["location"] == "Body"
    statuses = [s["status"] for s in cp.of("StatusNotification") if s["connector_id"] == 1]
    assert statuses[-2:] == ["Preparing", "Charging"]

    assert (await cp.call(call.RemoteStopTransaction(transaction_id=999))).status == "Rejected"
    assert (await cp.call(call.RemoteStopTransaction(transaction_id=tx))).status == "Accepted"
    stop = (await csms.wait_for(lambda: cp.of("StopTransaction"), what="stop"))[0]
    assert stop["transaction_id"] == tx and stop["reason"] == "Remote"
    assert stop["meter_stop"] >= energies[-1]
    await csms.wait_for(
        lambda: (
            [s["status"] for s in cp.of("StatusNotification") if s["connector_id"] == 1][-2:]
            == ["Finishing", "Available"]
        ),
        what="connector released",
    )
    assert fleet.charging == 0 and fleet.stats.errors == 0


async def test_local_session_overheat_and_cool_down(rig) -> None:
    csms, fleet = rig
    cp, station = csms.cps["CP-16"], fleet.station("CP-16")
    session = await station.start_session(2)  # the configured tag, authorised first
    assert cp.of("Authorize") == [{"id_tag": "SIMTAG0001"}]
    await station.overheat(2)

    def hottest() -> float:
        temps = [
            readings(m)[("Temperature", None)]
            for m in cp.of("MeterValues")
            if m.get("transaction_id") == session.transaction_id
        ]
        return max(temps, default=0.0)

    await csms.wait_for(lambda: hottest() > 80, limit_s=6, what="temperature over 80 °C")
    await csms.wait_for(
        lambda: any(s["error_code"] == "HighTemperature" for s in cp.of("StatusNotification")),
        what="HighTemperature warning",
    )
    await station.cool_down()
    await csms.wait_for(
        lambda: cp.of("StatusNotification")[-1]["error_code"] == "NoError",
        limit_s=6,
        what="warning cleared",
    )
    await csms.wait_for(
        lambda: readings(cp.of("MeterValues")[-1])[("Temperature", None)] < 70, what="cooled"
    )
    await station.stop_session(2)
    stop = cp.of("StopTransaction")[-1]
    assert stop["reason"] == "Local" and stop["transaction_id"] == session.transaction_id


async def test_control_api_refuses_what_cannot_be_done(rig) -> None:
    csms, fleet = rig
    cp, station = csms.cps["CP-16"], fleet.station("CP-16")
    with pytest.raises(UnknownConnector):
        await station.start_session(9)
    with pytest.raises(NoSession):
        await station.stop_session(1)
    with pytest.raises(AuthorizationRejected):
        await station.start_session(1, "UNKNOWN-TAG")
    assert station.connectors[1].status == "Available" and station.connectors[1].session is None
    assert not cp.of("StartTransaction")  # nothing started for a rejected tag
    await station.start_session(1)
    with pytest.raises(ConnectorBusy):
        await station.start_session(1)
    await station.fault(1, "GroundFailure")  # a fault ends the session
    stop = cp.of("StopTransaction")[-1]
    assert stop["reason"] == "Other"
    faulted = cp.of("StatusNotification")[-1]
    assert (faulted["connector_id"], faulted["status"], faulted["error_code"]) == (
        1, "Faulted", "GroundFailure",
    )  # fmt: skip
    with pytest.raises(ConnectorBusy):
        await station.start_session(1)
    assert (await cp.call(call.RemoteStartTransaction(id_tag="TAG-OK", connector_id=1))).status == (
        "Rejected"
    )
    await station.clear_fault(1)
    assert cp.of("StatusNotification")[-1]["status"] == "Available"
    await fleet.stop()
    with pytest.raises(NotConnected):
        await station.start_session(1)
