"""OCPP 1.6J: every CSMS command gets a station-like answer and its follow-up messages."""

from __future__ import annotations

from typing import Any

from ocpp.v16 import call

from tests.simulator.test_v16 import readings


def _profile(pid: int, purpose: str, limit: float, unit: str = "W") -> dict[str, Any]:
    return {
        "chargingProfileId": pid,
        "stackLevel": 0,
        "chargingProfilePurpose": purpose,
        "chargingProfileKind": "Absolute",
        "chargingSchedule": {
            "chargingRateUnit": unit,
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": limit}],
        },
    }


async def test_configuration_is_read_and_written(rig) -> None:
    csms, fleet = rig
    cp, station = csms.cps["CP-16"], fleet.station("CP-16")
    everything = await cp.call(call.GetConfiguration())
    keys = {k["key"]: k for k in everything.configuration_key}
    assert keys["NumberOfConnectors"] == {
        "key": "NumberOfConnectors",
        "readonly": True,
        "value": "2",
    }
    assert keys["HeartbeatInterval"]["value"] == "60"  # what the CSMS said at boot
    some = await cp.call(call.GetConfiguration(key=["MeterValueSampleInterval", "NoSuchKey"]))
    assert [k["key"] for k in some.configuration_key] == ["MeterValueSampleInterval"]
    assert some.unknown_key == ["NoSuchKey"]

    async def change(key: str, value: str) -> str:
        return (await cp.call(call.ChangeConfiguration(key=key, value=value))).status

    assert await change("HeartbeatInterval", "7") == "Accepted"
    assert station.heartbeat_interval == 7
    assert await change("HeartbeatInterval", "soon") == "Rejected"
    assert await change("NumberOfConnectors", "4") == "Rejected"
    assert await change("NoSuchKey", "1") == "NotSupported"
    assert station.device.get("HeartbeatInterval").value == "7"


async def test_trigger_diagnostics_and_firmware(rig) -> None:
    csms, _fleet = rig
    cp = csms.cps["CP-16"]
    before = len(cp.of("StatusNotification"))
    trig = await cp.call(
        call.TriggerMessage(requested_message="StatusNotification", connector_id=2)
    )
    assert trig.status == "Accepted"
    await csms.wait_for(lambda: len(cp.of("StatusNotification")) == before + 1, what="trigger")
    assert cp.of("StatusNotification")[-1]["connector_id"] == 2
    bad = await cp.call(call.TriggerMessage(requested_message="MeterValues", connector_id=7))
    assert bad.status == "Rejected"

    diag = await cp.call(call.GetDiagnostics(location="ftp://diag.example/upload"))
    assert diag.file_name.startswith("CP-16-diagnostics-")
    await csms.wait_for(lambda: len(cp.of("DiagnosticsStatusNotification")) == 2, what="upload")
    assert [d["status"] for d in cp.of("DiagnosticsStatusNotification")] == [
        "Uploading",
        "Uploaded",
    ]

    await cp.call(
        call.UpdateFirmware(location="https://fw.example/sim-2.1.0.bin", retrieve_date="2025-01-01T00:00:00Z")
    )  # fmt: skip
    await csms.wait_for(lambda: len(cp.of("FirmwareStatusNotification")) == 4, what="firmware")
    assert [f["status"] for f in cp.of("FirmwareStatusNotification")] == [
        "Downloading", "Downloaded", "Installing", "Installed",
    ]  # fmt: skip
    await csms.wait_for(lambda: _fleet.station("CP-16").firmware_version == "2.1.0", what="version")


async def test_charging_profile_limits_power_and_is_cleared(rig) -> None:
    csms, fleet = rig
    cp = csms.cps["CP-16"]
    await cp.call(call.RemoteStartTransaction(id_tag="TAG-OK", connector_id=1))
    tx = (await csms.wait_for(lambda: cp.of("StartTransaction"), what="start"))[0]["transaction_id"]
    cap = await cp.call(
        call.SetChargingProfile(connector_id=0, cs_charging_profiles=_profile(1, "ChargePointMaxProfile", 5000))
    )  # fmt: skip
    assert cap.status == "Accepted"
    n = len(cp.of("MeterValues"))
    await csms.wait_for(lambda: len(cp.of("MeterValues")) >= n + 3, what="limited meter values")
    last = readings(cp.of("MeterValues")[-1])
    assert last[("Power.Offered", None)] == 5000
    assert 0 < last[("Power.Active.Import", None)] <= 5000

    # a TxProfile needs a running transaction on that connector; amps convert to watts
    no_tx = await cp.call(
        call.SetChargingProfile(connector_id=2, cs_charging_profiles=_profile(2, "TxProfile", 8, "A"))
    )  # fmt: skip
    assert no_tx.status == "Rejected"
    bad = _profile(3, "TxDefaultProfile", 1000)
    bad["chargingSchedule"]["chargingRateUnit"] = "W"
    bad["chargingSchedule"]["chargingSchedulePeriod"] = []
    assert (
        await cp.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=bad))
    ).status == "Rejected"
    tx_profile = {**_profile(4, "TxProfile", 10, "A"), "transactionId": tx}
    ok = await cp.call(call.SetChargingProfile(connector_id=1, cs_charging_profiles=tx_profile))
    assert ok.status == "Accepted"
    assert fleet.station("CP-16").profiles.limit_w(1) == 5000  # min(5000 W cap, 10 A x 3 x 230 V)

    assert (await cp.call(call.ClearChargingProfile(id=1))).status == "Accepted"
    assert (await cp.call(call.ClearChargingProfile(id=1))).status == "Unknown"
    assert fleet.station("CP-16").profiles.limit_w(1) == 10 * 3 * 230
    await cp.call(call.RemoteStopTransaction(transaction_id=tx))
    await csms.wait_for(lambda: cp.of("StopTransaction"), what="stop")
    # the TxProfile ends with its session (cleared once the station has closed it)
    await csms.wait_for(
        lambda: fleet.station("CP-16").profiles.limit_w(1) is None, what="tx profile cleared"
    )


async def test_availability_unlock_and_reset(rig) -> None:
    csms, fleet = rig
    cp = csms.cps["CP-16"]
    res = await cp.call(call.ChangeAvailability(connector_id=2, type="Inoperative"))
    assert res.status == "Accepted"
    await csms.wait_for(
        lambda: cp.of("StatusNotification")[-1]["status"] == "Unavailable", what="unavailable"
    )
    refused = await cp.call(call.RemoteStartTransaction(id_tag="TAG-OK", connector_id=2))
    assert refused.status == "Rejected"
    assert (
        await cp.call(call.ChangeAvailability(connector_id=2, type="Operative"))
    ).status == "Accepted"
    await csms.wait_for(
        lambda: cp.of("StatusNotification")[-1]["status"] == "Available", what="available"
    )

    await cp.call(call.RemoteStartTransaction(id_tag="TAG-OK", connector_id=1))
    await csms.wait_for(lambda: cp.of("StartTransaction"), what="start")
    sched = await cp.call(call.ChangeAvailability(connector_id=1, type="Inoperative"))
    assert sched.status == "Scheduled"  # applied when the session ends
    assert (await cp.call(call.UnlockConnector(connector_id=1))).status == "Unlocked"
    stop = (await csms.wait_for(lambda: cp.of("StopTransaction"), what="unlock stop"))[0]
    assert stop["reason"] == "UnlockCommand"
    await csms.wait_for(
        lambda: cp.of("StatusNotification")[-1]["status"] == "Unavailable", what="scheduled"
    )
    assert (await cp.call(call.UnlockConnector(connector_id=9))).status == "NotSupported"

    assert (await cp.call(call.Reset(type="Soft"))).status == "Accepted"
    await csms.wait_for(lambda: len(cp.of("BootNotification")) == 2, what="reboot")
    await csms.wait_for(lambda: fleet.booted == 1, what="booted again")
    assert csms.connections == 2
