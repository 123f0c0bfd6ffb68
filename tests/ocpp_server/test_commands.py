"""Every CSMS command, in both OCPP versions, answered by a real ocpp charge point."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp.routing import on
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from domain.charging import commands as c
from domain.charging.commands import CommandStatus
from domain.charging.state import SessionStatus
from domain.common.errors import CommandRejected, ConnectorBusy, StationOffline
from domain.network import repository as network_repo
from domain.network.device_model import VariableRef, VariableSetting
from domain.network.models import Station
from tests.factories.charging import (
    TestChargePoint16,
    connect_charge_point,
    link_tag,
)
from tests.factories.network import create_station
from tests.ocpp_server.conftest import Csms

WHEN = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
PROFILE = {
    "id": 11,
    "stackLevel": 1,
    "purpose": "TxDefaultProfile",
    "kind": "Absolute",
    "schedule": {
        "chargingRateUnit": "A",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 16.0}],
    },
}

COMMANDS_16: list[tuple[Any, str, dict[str, Any]]] = [
    (c.RemoteStop(transaction_id="42"), "RemoteStopTransaction", {"transaction_id": 42}),
    (c.Reset(hard=True), "Reset", {"type": "Hard"}),
    (
        c.ChangeAvailability(available=False, connector_id=2),
        "ChangeAvailability",
        {"type": "Inoperative", "connector_id": 2},
    ),
    (c.UnlockConnector(connector_id=1), "UnlockConnector", {"connector_id": 1}),
    (
        c.TriggerMessage(message="StatusNotification", connector_id=1),
        "TriggerMessage",
        {"requested_message": "StatusNotification"},
    ),
    (
        c.ChangeConfiguration(key="HeartbeatInterval", value="120"),
        "ChangeConfiguration",
        {"key": "HeartbeatInterval", "value": "120"},
    ),
    (
        c.RequestDiagnostics(location="ftp://logs.example/up"),
        "GetDiagnostics",
        {"location": "ftp://logs.example/up"},
    ),
    (
        c.UpdateFirmware(location="https://fw.example/2.bin", retrieve_at=WHEN),
        "UpdateFirmware",
        {"retrieve_date": "2030-01-02T03:04:05Z"},
    ),
    (
        c.SetChargingProfile(connector_id=1, profile=PROFILE),
        "SetChargingProfile",
        {"connector_id": 1},
    ),
    (c.ClearChargingProfile(profile_id=11), "ClearChargingProfile", {"id": 11}),
    (
        c.GetVariables((VariableRef("ChargePoint", "HeartbeatInterval"),)),
        "GetConfiguration",
        {"key": ["HeartbeatInterval"]},
    ),
    (
        c.SetVariables((VariableSetting(VariableRef("ChargePoint", "HeartbeatInterval"), "90"),)),
        "ChangeConfiguration",
        {"key": "HeartbeatInterval", "value": "90"},
    ),
    (c.GetReport(request_id=5, report="SummaryInventory"), "GetConfiguration", {"key": None}),
]

COMMANDS_201: list[tuple[Any, str, dict[str, Any]]] = [
    (c.RemoteStop(transaction_id="TX-9"), "RequestStopTransaction", {"transaction_id": "TX-9"}),
    (c.Reset(hard=False), "Reset", {"type": "OnIdle"}),
    (
        c.ChangeAvailability(available=True, connector_id=1),
        "ChangeAvailability",
        {"operational_status": "Operative", "evse": {"id": 1}},
    ),
    (c.UnlockConnector(connector_id=2), "UnlockConnector", {"evse_id": 2, "connector_id": 1}),
    (
        c.TriggerMessage(message="DiagnosticsStatusNotification"),
        "TriggerMessage",
        {"requested_message": "LogStatusNotification"},
    ),
    (c.GetConfiguration(), "GetBaseReport", {"report_base": "FullInventory"}),
    (c.ChangeConfiguration(key="OCPPCommCtrlr.HeartbeatInterval", value="120"), "SetVariables", {}),
    (
        c.RequestDiagnostics(location="https://logs.example/up", request_id=5),
        "GetLog",
        {"log_type": "DiagnosticsLog", "request_id": 5},
    ),
    (
        c.UpdateFirmware(location="https://fw.example/2.bin", retrieve_at=WHEN, request_id=6),
        "UpdateFirmware",
        {"request_id": 6},
    ),
    (c.SetChargingProfile(connector_id=1, profile=PROFILE), "SetChargingProfile", {"evse_id": 1}),
    (
        c.ClearChargingProfile(profile_id=11, connector_id=1),
        "ClearChargingProfile",
        {"charging_profile_id": 11},
    ),
    (
        c.GetVariables((VariableRef("OCPPCommCtrlr", "HeartbeatInterval"),)),
        "GetVariables",
        {},
    ),
    (
        c.SetVariables((VariableSetting(VariableRef("EVSE", "Power", evse_id=1), "7400"),)),
        "SetVariables",
        {
            "set_variable_data": [
                {
                    "attribute_value": "7400",
                    "component": {"name": "EVSE", "evse": {"id": 1}},
                    "variable": {"name": "Power"},
                }
            ]
        },
    ),
    (
        c.GetReport(request_id=123456, report="SummaryInventory"),
        "GetBaseReport",
        {"request_id": 123456, "report_base": "SummaryInventory"},
    ),
]


async def _online(csms: Csms, cp_id: str, within: float = 5.0) -> Station:
    """The station once the server has recorded it online.

    The client's handshake completes before the server's handler has written the connect, so the
    flag is awaited rather than read once (CI once read it a moment too early).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        station = await network_repo.get_station_by_cp_id(cp_id)
        if station is not None and station.online:
            return station
        assert loop.time() < deadline, f"{cp_id} not recorded online within {within}s"
        await asyncio.sleep(0.02)


@pytest.mark.parametrize(("version", "table"), [("1.6", COMMANDS_16), ("2.0.1", COMMANDS_201)])
async def test_every_command_is_sent_in_the_stations_version_and_answered(
    csms: Csms, version: str, table: list[tuple[Any, str, dict[str, Any]]]
) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    async with connect_charge_point(csms.port, station.charge_point_id, version) as cp:
        for command, action, expected in table:
            result = await csms.commands.send(station.charge_point_id, command)
            assert result.status is CommandStatus.ACCEPTED, (action, result)
            got_action, payload = cp.received[-1]
            assert got_action == action
            assert expected.items() <= payload.items(), (action, payload)
        # answers other than Accepted are rejections, with the station's word as detail
        cp.answers["Reset"] = "Rejected"
        result = await csms.commands.send(station.charge_point_id, c.Reset())
        assert (result.status, result.detail) == (CommandStatus.REJECTED, "Rejected")


async def test_configuration_is_read_in_both_versions(csms: Csms) -> None:
    s16 = await create_station(csms.network, csms.site.org_id, csms.site.id)
    s201 = await create_station(csms.network, csms.site.org_id, csms.site.id)
    async with connect_charge_point(csms.port, s16.charge_point_id, "1.6"):
        result = await csms.commands.send(
            s16.charge_point_id, c.GetConfiguration(keys=("HeartbeatInterval", "Nope"))
        )
    assert result.accepted
    assert result.data["configuration"] == [
        {"key": "HeartbeatInterval", "value": "300", "readonly": False}
    ]
    assert result.data["unknown_keys"] == ["Nope"]
    async with connect_charge_point(csms.port, s201.charge_point_id, "2.0.1"):
        result = await csms.commands.send(
            s201.charge_point_id, c.GetConfiguration(keys=("OCPPCommCtrlr.HeartbeatInterval",))
        )
        assert result.accepted
        assert result.data["configuration"][0] == {
            "key": "OCPPCommCtrlr.HeartbeatInterval",
            "value": "300",
            "status": "Accepted",
        }
        bad = await csms.commands.send(s201.charge_point_id, c.GetConfiguration(keys=("NoDot",)))
        assert bad.status is CommandStatus.FAILED and "Component.Variable" in (bad.detail or "")


class _Broken16(TestChargePoint16):
    @on("Reset")
    def on_reset(self, **kw: Any) -> Any:
        raise RuntimeError("firmware bug")


async def test_offline_timeout_and_callerror_have_their_own_status(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    offline = await csms.commands.send(station.charge_point_id, c.Reset())
    assert offline.status is CommandStatus.OFFLINE
    with pytest.raises(StationOffline):
        offline.raise_for_status("reset")
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6", cls=_Broken16) as cp:
        failed = await csms.commands.send(station.charge_point_id, c.Reset())
        assert failed.status is CommandStatus.FAILED and "InternalError" in (failed.detail or "")
        cp.delay = 3.0  # longer than the server's 2 s response timeout
        timed_out = await csms.commands.send(
            station.charge_point_id, c.RemoteStart(connector_id=1, id_tag="T")
        )
        assert timed_out.status is CommandStatus.TIMED_OUT


async def test_remote_start_16_is_adopted_by_the_stations_start_and_stopped_remotely(
    csms: Csms,
) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    driver_id = await link_tag(csms.charging, "TAG-RS16")
    with pytest.raises(StationOffline):
        await csms.charging.remote_start(station, 1, "TAG-RS16", driver_id)
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        online = await _online(csms, station.charge_point_id)
        pending = await csms.charging.remote_start(online, 1, "TAG-RS16", driver_id)
        assert pending.status is SessionStatus.PENDING and pending.transaction_id is None
        assert cp.received[-1] == (
            "RemoteStartTransaction",
            {"id_tag": "TAG-RS16", "connector_id": 1},
        )
        with pytest.raises(ConnectorBusy):
            await csms.charging.remote_start(online, 1, "TAG-RS16", driver_id)

        now = datetime.now(UTC).replace(microsecond=0).isoformat()
        start = await cp.call(
            call16.StartTransaction(connector_id=1, id_tag="TAG-RS16", meter_start=0, timestamp=now)
        )
        adopted = await csms.charging.get_session(pending.id)  # type: ignore[arg-type]
        assert adopted.status is SessionStatus.STARTED
        assert adopted.transaction_id == str(start.transaction_id)
        assert adopted.driver_id == driver_id
        assert len((await csms.charging.sessions_for_driver(driver_id)).items) == 1

        await csms.charging.remote_stop(adopted)
        assert cp.received[-1] == (
            "RemoteStopTransaction",
            {"transaction_id": start.transaction_id},
        )

        cp.answers["RemoteStartTransaction"] = "Rejected"
        with pytest.raises(CommandRejected):
            await csms.charging.remote_start(online, 2, "TAG-RS16", driver_id)
        page = await csms.charging.sessions_for_org(online.org_id, station_id=online.id)
        failed = [s for _, s in page.items if s.connector_id == 2]
        assert [s.status for s in failed] == [SessionStatus.FAILED]
        assert failed[0].connector_lock is None  # the connector is free again
        assert "remote_start_rejected" in failed[0].flags


async def test_remote_start_201_is_adopted_by_remote_start_id(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    driver_id = await link_tag(csms.charging, "TAG-RS201")
    async with connect_charge_point(csms.port, station.charge_point_id, "2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )
        online = await _online(csms, station.charge_point_id)
        pending = await csms.charging.remote_start(online, 2, "TAG-RS201")
        assert pending.driver_id == driver_id  # found through the linked id tag
        action, payload = cp.received[-1]
        assert action == "RequestStartTransaction"
        assert payload["remote_start_id"] == pending.remote_start_id and payload["evse_id"] == 2
        now = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=1)
        await cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=now.isoformat(),
                trigger_reason="RemoteStart",
                seq_no=0,
                transaction_info={
                    "transaction_id": "RS-1",
                    "remote_start_id": pending.remote_start_id,
                },
                evse={"id": 2},
                id_token={"id_token": "TAG-RS201", "type": "Central"},
            )
        )
        adopted = await csms.charging.store.session_by_transaction(online.id, "RS-1")  # type: ignore[arg-type]
        assert adopted is not None and adopted.id == pending.id
        active = await csms.charging.active_session_for_driver(driver_id)
        assert active is not None and active.id == pending.id
        await csms.charging.remote_stop(adopted)
        assert cp.received[-1] == ("RequestStopTransaction", {"transaction_id": "RS-1"})


async def test_remote_start_16_the_station_gave_up_on_frees_the_connector_for_a_retry(
    csms: Csms,
) -> None:
    """1.6: the station accepts RemoteStartTransaction, the EV is not plugged in before its
    ConnectionTimeOut, and it goes Preparing -> Available with no StartTransaction. The driver's
    retry is a new remote start, not CONNECTOR_BUSY for the pending TTL."""
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    driver_id = await link_tag(csms.charging, "TAG-GAVEUP")
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        online = await _online(csms, station.charge_point_id)
        first = await csms.charging.remote_start(online, 1, "TAG-GAVEUP", driver_id)
        assert first.status is SessionStatus.PENDING

        async def status(value: str) -> None:
            now = datetime.now(UTC).isoformat()
            await cp.call(
                call16.StatusNotification(
                    connector_id=1, error_code="NoError", status=value, timestamp=now
                )
            )

        await status("Preparing")
        with pytest.raises(ConnectorBusy):  # still waiting for the cable: the start may come
            await csms.charging.remote_start(
                await _online(csms, station.charge_point_id), 1, "TAG-GAVEUP", driver_id
            )
        await status("Available")  # ConnectionTimeOut: the station gave up
        retry = await csms.charging.remote_start(
            await _online(csms, station.charge_point_id), 1, "TAG-GAVEUP", driver_id
        )
        assert retry.status is SessionStatus.PENDING and retry.id != first.id
        assert cp.received[-1] == (
            "RemoteStartTransaction",
            {"id_tag": "TAG-GAVEUP", "connector_id": 1},
        )
        gone = await csms.charging.get_session(first.id)  # type: ignore[arg-type]
        assert gone.status is SessionStatus.FAILED and gone.connector_lock is None


async def test_remote_start_201_authorises_a_transaction_started_at_plug_in(csms: Csms) -> None:
    """2.0.1 F01 with TxStartPoint EVConnected: the transaction starts when the cable goes in,
    without an idToken. A remote start then sends RequestStartTransaction with a remoteStartId
    (not CONNECTOR_BUSY) and the station's TransactionEvent carrying that idToken and
    remoteStartId makes the running session the driver's."""
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    driver_id = await link_tag(csms.charging, "TAG-F01")
    async with connect_charge_point(csms.port, station.charge_point_id, "2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )
        t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=5)
        await cp.call(
            call201.StatusNotification(
                timestamp=t0.isoformat(), connector_status="Occupied", evse_id=1, connector_id=1
            )
        )
        await cp.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=t0.isoformat(),
                trigger_reason="CablePluggedIn",
                seq_no=0,
                transaction_info={"transaction_id": "F01-1", "charging_state": "EVConnected"},
                evse={"id": 1, "connector_id": 1},
            )
        )
        online = await _online(csms, station.charge_point_id)
        plugged = await csms.charging.store.session_by_transaction(online.id, "F01-1")  # type: ignore[arg-type]
        assert plugged is not None and plugged.id_tag is None

        authorised = await csms.charging.remote_start(online, 1, "TAG-F01", driver_id)
        assert authorised.id == plugged.id  # the running transaction, not a second session
        action, payload = cp.received[-1]
        assert action == "RequestStartTransaction"
        assert payload["id_token"]["id_token"] == "TAG-F01" and payload["evse_id"] == 1
        assert payload["remote_start_id"] == authorised.remote_start_id is not None

        await cp.call(
            call201.TransactionEvent(
                event_type="Updated",
                timestamp=(t0 + timedelta(seconds=4)).isoformat(),
                trigger_reason="RemoteStart",
                seq_no=1,
                transaction_info={
                    "transaction_id": "F01-1",
                    "remote_start_id": authorised.remote_start_id,
                    "charging_state": "Charging",
                },
                evse={"id": 1, "connector_id": 1},
                id_token={"id_token": "TAG-F01", "type": "ISO14443"},
            )
        )
        mine = await csms.charging.active_session_for_driver(driver_id)
        assert mine is not None and mine.id == plugged.id and mine.id_tag == "TAG-F01"


async def test_what_16_has_no_message_for_is_not_supported_and_never_sent(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        await _online(csms, station.charge_point_id)
        result = await csms.commands.send(
            station.charge_point_id, c.TriggerMessage(message="TransactionEvent")
        )
        assert result.status is CommandStatus.NOT_SUPPORTED and cp.received == []
        two = tuple(VariableSetting(VariableRef("ChargePoint", k), "1") for k in ("A", "B"))
        result = await csms.commands.send(station.charge_point_id, c.SetVariables(two))
        assert result.status is CommandStatus.FAILED and cp.received == []
        cp.answers["UnlockConnector"] = "NotSupported"
        result = await csms.commands.send(station.charge_point_id, c.UnlockConnector(1))
        assert (result.status, result.detail) == (CommandStatus.NOT_SUPPORTED, "NotSupported")
