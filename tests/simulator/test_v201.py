"""OCPP 2.0.1 end to end: a 150 kW DC station against a minimal ocpp-library CSMS."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.v201 import call

from simulator import Fleet, SimStationConfig
from tests.simulator.conftest import PASSWORD
from tests.simulator.csms import TestCsms


def readings(event: dict[str, Any]) -> dict[tuple[str, str | None], float]:
    out = {}
    for sv in event["meter_value"][0]["sampled_value"]:
        out[(sv.get("measurand", "Energy.Active.Import.Register"), sv.get("phase"))] = sv["value"]
    return out


def events(cp: Any, kind: str) -> list[dict[str, Any]]:
    return [e for e in cp.of("TransactionEvent") if e["event_type"] == kind]


async def test_boot_remote_start_meter_values_overheat_and_remote_stop(rig201) -> None:
    csms, fleet = rig201
    cp, station = csms.cps["CP-201"], fleet.station("CP-201")
    boot = cp.of("BootNotification")[0]
    assert boot["reason"] == "PowerUp"
    assert boot["charging_station"]["vendor_name"] == "laddnet-sim"
    assert boot["charging_station"]["model"] == "SIM-DC-150kW"
    await csms.wait_for(lambda: len(cp.of("StatusNotification")) >= 2, what="statuses")
    assert {(s["evse_id"], s["connector_status"]) for s in cp.of("StatusNotification")} == {
        (1, "Available"), (2, "Available"),
    }  # fmt: skip

    res = await cp.call(
        call.RequestStartTransaction(id_token={"id_token": "TAG-OK", "type": "ISO14443"}, remote_start_id=42, evse_id=2)
    )  # fmt: skip
    assert res.status == "Accepted"
    started = (await csms.wait_for(lambda: events(cp, "Started"), what="Started"))[0]
    assert started["trigger_reason"] == "RemoteStart"
    assert started["transaction_info"]["remote_start_id"] == 42
    assert started["evse"] == {"id": 2, "connector_id": 1}
    assert started["id_token"]["id_token"] == "TAG-OK"
    tx = started["transaction_info"]["transaction_id"]
    assert cp.of("StatusNotification")[-1]["connector_status"] == "Occupied"

    await station.overheat(2)
    await csms.wait_for(lambda: len(events(cp, "Updated")) >= 4, what="updates")
    for ev in events(cp, "Updated")[1:]:
        s = readings(ev)
        assert ev["transaction_info"]["transaction_id"] == tx
        assert ev["trigger_reason"] == "MeterValuePeriodic"
        power, volts, amps = (s[("Power.Active.Import", None)], s[("Voltage", None)],
                              s[("Current.Import", None)])  # fmt: skip
        assert 10_000 < power <= 150_000 and s[("Power.Offered", None)] == 150_000
        assert 350 <= volts <= 410  # a 400 V-class pack
        assert amps == pytest.approx(power / volts, rel=0.01, abs=0.2)
        assert 10 <= s[("SoC", None)] <= 100
    energies = [readings(e)[("Energy.Active.Import.Register", None)] for e in events(cp, "Updated")]
    assert energies == sorted(energies) and energies[-1] > energies[0]

    # 2.0.1 has no Temperature measurand: the connector's Temperature variable is reported
    # by NotifyEvent (a Delta monitor, and an Alerting upper threshold at 80 °C)
    assert all(("Temperature", None) not in readings(e) for e in events(cp, "Updated"))

    def temperatures(trigger: str) -> list[dict[str, Any]]:
        return [
            d
            for n in cp.of("NotifyEvent")
            for d in n["event_data"]
            if d["variable"]["name"] == "Temperature" and d["trigger"] == trigger
        ]

    await csms.wait_for(
        lambda: max((float(d["actual_value"]) for d in temperatures("Delta")), default=0) > 80,
        limit_s=6,
        what="temperature over 80 °C",
    )
    alert = (await csms.wait_for(lambda: temperatures("Alerting"), what="alert"))[0]
    assert alert["tech_code"] == "HighTemperature" and not alert["cleared"]
    assert alert["component"] == {"name": "Connector", "evse": {"id": 2, "connector_id": 1}}
    await station.cool_down(2)
    await csms.wait_for(lambda: len(temperatures("Alerting")) == 2, limit_s=6, what="cleared")
    assert temperatures("Alerting")[1]["cleared"] is True

    stop = await cp.call(call.RequestStopTransaction(transaction_id=tx))
    assert stop.status == "Accepted"
    ended = (await csms.wait_for(lambda: events(cp, "Ended"), what="Ended"))[0]
    assert ended["transaction_info"]["stopped_reason"] == "Remote"
    assert ended["trigger_reason"] == "RemoteStop"
    assert readings(ended)[("Energy.Active.Import.Register", None)] >= energies[-1]
    seq = [e["seq_no"] for e in cp.of("TransactionEvent")]
    assert seq == sorted(seq) and len(set(seq)) == len(seq)
    await csms.wait_for(
        lambda: cp.of("StatusNotification")[-1]["connector_status"] == "Available", what="free"
    )
    unknown = await cp.call(call.RequestStopTransaction(transaction_id="nope"))
    assert unknown.status == "Rejected"


async def test_variables_log_firmware_fault_and_reset(rig201) -> None:
    csms, fleet = rig201
    cp, station = csms.cps["CP-201"], fleet.station("CP-201")
    got = await cp.call(
        call.GetVariables(get_variable_data=[
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "Nope"}},
            {"component": {"name": "NoSuchCtrlr"}, "variable": {"name": "HeartbeatInterval"}},
        ])
    )  # fmt: skip
    assert [(r["attribute_status"], r.get("attribute_value")) for r in got.get_variable_result] == [
        ("Accepted", "60"), ("UnknownVariable", None), ("UnknownComponent", None),
    ]  # fmt: skip
    put = await cp.call(
        call.SetVariables(set_variable_data=[
            {"component": {"name": "SampledDataCtrlr"}, "variable": {"name": "TxUpdatedInterval"}, "attribute_value": "15"},
            {"component": {"name": "SecurityCtrlr"}, "variable": {"name": "Identity"}, "attribute_value": "X"},
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "attribute_value": "-1"},
        ])
    )  # fmt: skip
    assert [r["attribute_status"] for r in put.set_variable_result] == [
        "Accepted", "Rejected", "Rejected",
    ]  # fmt: skip
    assert station.meter_interval == 15

    log = await cp.call(
        call.GetLog(log={"remote_location": "ftp://logs.example/up"}, log_type="DiagnosticsLog", request_id=7)
    )  # fmt: skip
    assert log.status == "Accepted" and log.filename
    await csms.wait_for(lambda: len(cp.of("LogStatusNotification")) == 2, what="log upload")
    assert [(n["status"], n["request_id"]) for n in cp.of("LogStatusNotification")] == [
        ("Uploading", 7), ("Uploaded", 7),
    ]  # fmt: skip
    # an http(s) location gets the file by PUT; one that refuses it is 2.0.1's UploadFailure
    refused = await cp.call(
        call.GetLog(log={"remote_location": "http://127.0.0.1:1/up"}, log_type="DiagnosticsLog", request_id=9)
    )  # fmt: skip
    assert refused.status == "Accepted"
    await csms.wait_for(lambda: len(cp.of("LogStatusNotification")) == 4, what="failed upload")
    assert [(n["status"], n["request_id"]) for n in cp.of("LogStatusNotification")][2:] == [
        ("Uploading", 9), ("UploadFailure", 9),
    ]  # fmt: skip
    fw = await cp.call(
        call.UpdateFirmware(request_id=8, firmware={"location": "https://fw.example/x-3.0.1.bin", "retrieve_date_time": "2025-01-01T00:00:00Z"})
    )  # fmt: skip
    assert fw.status == "Accepted"
    await csms.wait_for(lambda: len(cp.of("FirmwareStatusNotification")) == 4, what="firmware")
    assert cp.of("FirmwareStatusNotification")[-1] == {"status": "Installed", "request_id": 8}

    report = await cp.call(call.GetBaseReport(request_id=9, report_base="FullInventory"))
    assert report.status == "Accepted"
    data = (await csms.wait_for(lambda: cp.of("NotifyReport"), what="report"))[0]["report_data"]
    assert {d["component"]["name"] for d in data} >= {"OCPPCommCtrlr", "SampledDataCtrlr"}

    await station.fault(1, "GroundFailure")
    await csms.wait_for(lambda: cp.of("NotifyEvent"), what="fault event")
    assert cp.of("StatusNotification")[-1]["connector_status"] == "Faulted"
    fault = cp.of("NotifyEvent")[-1]["event_data"][0]
    assert (fault["variable"]["name"], fault["actual_value"], fault["tech_code"]) == (
        "AvailabilityState", "Faulted", "GroundFailure",
    )  # fmt: skip
    unlock = await cp.call(call.UnlockConnector(evse_id=5, connector_id=1))
    assert unlock.status == "UnknownConnector"
    trig = await cp.call(call.TriggerMessage(requested_message="SignV2GCertificate"))
    assert trig.status == "NotImplemented"

    assert (await cp.call(call.Reset(type="Immediate"))).status == "Accepted"
    await csms.wait_for(lambda: len(cp.of("BootNotification")) == 2, what="reboot")
    assert cp.of("BootNotification")[1]["reason"] == "RemoteReset"


async def test_pending_boot_is_retried_and_bad_password_is_refused() -> None:
    async with TestCsms(PASSWORD, pending_boots=1) as csms:
        good = SimStationConfig("CP-OK", PASSWORD, connectors=1)
        bad = SimStationConfig("CP-BAD", "wrong-password-0000000", connectors=1)
        fleet = Fleet(csms.url, [good, bad], "2.0.1", meter_interval=0.2, seed=3)
        await fleet.start()
        try:
            await csms.wait_for(lambda: fleet.station("CP-OK").booted, limit_s=5, what="boot")
            assert [b for b in csms.cps["CP-OK"].of("BootNotification")] and csms.cps[
                "CP-OK"
            ].boots == 2
            assert fleet.station("CP-OK").registration == "Accepted"
            assert "CP-BAD" not in csms.cps and csms.refused >= 1
            assert fleet.stats.errors >= 1 and not fleet.station("CP-BAD").connected
            assert fleet.booted == 1 and "booted 1" in fleet.progress_line()
        finally:
            await fleet.stop()
