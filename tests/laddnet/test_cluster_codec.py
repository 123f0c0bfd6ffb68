"""Events and commands survive the trip through MongoDB documents unchanged; bad documents are
refused with a DecodeError that names the type and the field."""

from __future__ import annotations

import typing
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from domain.charging import commands as c
from domain.charging import events as ch
from domain.common import events as e
from domain.diagnostics import events as d
from domain.network.device_model import VariableRef, VariableSetting
from laddnet.cluster.codec import (
    COMMAND_TYPES,
    DecodeError,
    decode_command,
    decode_event,
    decode_result,
    encode_command,
    encode_event,
    encode_result,
    event_types,
)

pytestmark = pytest.mark.unit

AT = datetime(2025, 3, 1, 12, 30, 15, 123456, tzinfo=UTC)
CET = timezone(timedelta(hours=1))
BASE = {"org_id": "o1", "at": AT, "station_id": "s1", "site_id": "site1"}

EVENTS: list[e.DomainEvent] = [
    e.ConnectorStatusChanged(**BASE, connector_id=1, status="Charging", error_code="NoError"),
    e.StationConnectivityChanged(**BASE, online=False),
    ch.StationTelemetryUpdated(**BASE, connector_id=2, power_w=11_000.5, energy_wh=123_456),
    ch.SessionUpdated(
        **BASE,
        session_id="x",
        driver_id=None,
        status="CHARGING",
        energy_wh=1500,
        power_w=None,
        duration_seconds=60,
        idle_seconds=0,
        cost_amount=1234,
        currency="SEK",
    ),
    e.AlertChanged(
        **BASE,
        alert_id="a",
        connector_id=None,
        kind="OVERHEATING",
        severity="CRITICAL",
        state="OPEN",
        message="hot",
        raised_at=AT.astimezone(CET),
        resolved_at=AT + timedelta(minutes=5),
    ),
    ch.StationTelemetrySampled(
        **BASE,
        connector_id=1,
        voltage_phases_v=(230.1, 229.8, 231.0),
        current_phases_a=(16.0, 16.0, 15.5),
        inlet_energy_wh=10,
    ),
    d.SecurityEventReported(**BASE, type="FirmwareUpdated", critical=None),
    d.TransferStatusReported(**BASE, kind="FIRMWARE", status="Installed", request_id=7),
]

COMMANDS: list[Any] = [
    c.RemoteStart(
        connector_id=1,
        id_tag="TAG",
        remote_start_id=9,
        charging_profile={"id": 1, "chargingSchedule": {"chargingRateUnit": "W"}},
    ),
    c.RemoteStop(transaction_id="42"),
    c.Reset(hard=True),
    c.ChangeAvailability(available=False, connector_id=2),
    c.UnlockConnector(connector_id=1),
    c.TriggerMessage(message="MeterValues", connector_id=None),
    c.GetConfiguration(keys=("HeartbeatInterval", "MeterValueSampleInterval")),
    c.ChangeConfiguration(key="HeartbeatInterval", value="60"),
    c.RequestDiagnostics(location="ftp://x/", request_id=3, start_time=AT, stop_time=None),
    c.UpdateFirmware(location="https://fw/", retrieve_at=AT.astimezone(CET), retries=2),
    c.SetChargingProfile(connector_id=1, profile={"id": 5, "stackLevel": 0, "limits": [1, 2]}),
    c.ClearChargingProfile(profile_id=5),
    c.SetNetworkProfile(
        configuration_slot=2, csms_url="wss://csms.example/ocpp", security_profile=3
    ),
    c.CertificateSigned(certificate_chain="-----BEGIN CERTIFICATE-----", certificate_type=None),
    c.ClearChargingProfile(connector_id=1, purpose="TxDefaultProfile", stack_level=2),
    c.GetVariables(
        variables=(
            VariableRef("OCPPCommCtrlr", "HeartbeatInterval"),
            VariableRef("EVSE", "Power", component_instance="a", evse_id=1, connector_id=2),
        )
    ),
    c.SetVariables(variables=(VariableSetting(VariableRef("ChargePoint", "X"), "1"),)),
    c.GetReport(request_id=77, report="SummaryInventory"),
]


def test_every_event_and_command_type_is_covered() -> None:
    assert {type(x).__name__ for x in EVENTS} == set(event_types())
    assert {type(x).__name__ for x in COMMANDS} == set(COMMAND_TYPES)
    assert set(COMMAND_TYPES) == {t.__name__ for t in typing.get_args(c.StationCommand)}


@pytest.mark.parametrize("event", EVENTS, ids=lambda x: type(x).__name__)
def test_events_round_trip_exactly(event: e.DomainEvent) -> None:
    back = decode_event(encode_event(event))
    assert back == event and type(back) is type(event)
    assert back.at.tzinfo is not None and back.at.utcoffset() == timedelta(0)


@pytest.mark.parametrize("command", COMMANDS, ids=lambda x: type(x).__name__)
def test_commands_round_trip_exactly(command: Any) -> None:
    back = decode_command(encode_command(command))
    assert back == command and type(back) is type(command)


def test_datetimes_stay_aware_and_tuples_stay_tuples() -> None:
    fw = decode_command(encode_command(COMMANDS[9]))
    assert isinstance(fw, c.UpdateFirmware) and fw.retrieve_at.tzinfo is not None
    assert fw.retrieve_at == AT
    cfg = decode_command(encode_command(c.GetConfiguration(keys=("A",))))
    assert isinstance(cfg, c.GetConfiguration) and cfg.keys == ("A",)


def test_results_round_trip() -> None:
    result = c.CommandResult(c.CommandStatus.ACCEPTED, None, {"configuration": [{"key": "A"}]})
    assert decode_result(encode_result(result)) == result
    with pytest.raises(DecodeError):
        decode_result({"status": "maybe"})


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ({"type": "Reboot", "fields": {}}, "unknown type 'Reboot'"),
        ({"type": "RemoteStop"}, "RemoteStop: fields are missing"),
        ({"type": "RemoteStop", "fields": {}}, "transaction_id"),
        ({"type": "UnlockConnector", "fields": {"connector_id": "one"}}, "connector_id"),
        (
            {"type": "UpdateFirmware", "fields": {"location": "x", "retrieve_at": "2025-01-01"}},
            "no UTC offset",
        ),
        ({"type": "GetConfiguration", "fields": {"keys": "A"}}, "keys"),
    ],
)
def test_bad_command_documents_are_refused_by_name(document: dict[str, Any], says: str) -> None:
    with pytest.raises(DecodeError, match=says):
        decode_command(document)


def test_unknown_extra_fields_are_ignored() -> None:
    doc = encode_command(c.Reset(hard=True))
    doc["fields"]["reason"] = "from a newer node"
    assert decode_command(doc) == c.Reset(hard=True)


def test_an_event_is_not_a_command() -> None:
    with pytest.raises(DecodeError, match="unknown type"):
        decode_command(encode_event(EVENTS[0]))
