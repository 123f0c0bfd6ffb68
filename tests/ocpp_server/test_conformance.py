"""Where laddnet follows the OCPP specifications' wording (issue 11, "Not spec-conformant"), checked
with the ``ocpp`` library as the charge point over loopback."""

from __future__ import annotations

import asyncio
import contextlib
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from ocpp import exceptions as ocpp_errors
from ocpp.messages import Call, CallError
from ocpp.v16 import call
from ocpp.v201 import call as call201

from domain.charging import commands as c
from domain.charging.commands import CommandStatus
from domain.charging.models import IdToken
from domain.diagnostics import report_repository as report_repo
from domain.diagnostics import repository as diagnostics_repo
from domain.diagnostics.models import AlertKind
from domain.diagnostics.service import DiagnosticsService
from domain.network import repository as network_repo
from domain.network.models import Station
from ocpp_server.server import OcppDependencies, OcppServer
from tests.factories.charging import connect_charge_point, link_tag
from tests.factories.network import create_station
from tests.ocpp_server.conftest import Csms

NOW = "2026-12-02T10:00:00Z"

# OCPP-J 1.6 §4.2.3, Table 7: the code for each kind of schema failure (never 2.0.1's FormatViolation)
V16_SCHEMA_FAILURES = [
    pytest.param(
        ("Heartbeat", {"surprise": 1}),  # the library's dataclasses cannot express it
        ocpp_errors.FormationViolationError,
        id="unknown-property-FormationViolation",
    ),
    pytest.param(
        call.StatusNotification(connector_id=1, error_code="NoError", status="Sleeping"),
        ocpp_errors.PropertyConstraintViolationError,
        id="value-outside-enum-PropertyConstraintViolation",
    ),
    pytest.param(
        call.MeterValues(connector_id=1, meter_value=[]),
        ocpp_errors.OccurenceConstraintViolationError,
        id="empty-required-list-OccurenceConstraintViolation",
    ),
    pytest.param(
        call.MeterValues(connector_id=1, meter_value=[{"timestamp": NOW, "sampled_value": []}]),
        ocpp_errors.OccurenceConstraintViolationError,
        id="empty-nested-list-OccurenceConstraintViolation",
    ),
    pytest.param(
        call.StatusNotification(connector_id="one", error_code="NoError", status="Available"),  # type: ignore[arg-type]
        ocpp_errors.TypeConstraintViolationError,
        id="wrong-type-TypeConstraintViolation",
    ),
    pytest.param(
        call.Authorize(id_tag="X" * 21),
        ocpp_errors.TypeConstraintViolationError,
        id="CiString20-too-long-TypeConstraintViolation",
    ),
]


async def call_raw(cp: Any, action: str, payload: dict[str, Any]) -> None:
    """A CALL as the library frames it, with a payload its dataclasses cannot hold; raises the
    CALLERROR's exception as ``cp.call`` does."""
    msg = Call(unique_id="raw-1", action=action, payload=payload)
    await cp._send(msg.to_json())
    answer = await cp._get_specific_response(msg.unique_id, 5)
    if isinstance(answer, CallError):
        raise answer.to_exception()


@pytest.mark.parametrize(("payload", "expected"), V16_SCHEMA_FAILURES)
async def test_a_schema_invalid_16_call_gets_the_code_ocpp_j_16_names(
    csms: Csms, payload: Any, expected: type[Exception]
) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        with pytest.raises(expected) as refused:
            if isinstance(payload, tuple):
                await call_raw(cp, *payload)
            else:
                await cp.call(payload, suppress=False, skip_schema_validation=True)
        assert refused.value.code != "FormatViolation"
        # the connection is unharmed: the next message is answered
        answer = await cp.call(call.Heartbeat())
        assert answer.current_time


# OCPP 2.0.1 Part 2, dateTime: at most three decimals of a second
DATETIME_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$")
PRECISE = datetime(2030, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)


async def test_every_201_datetime_laddnet_sends_has_at_most_three_decimals(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    cp_id = station.charge_point_id
    async with connect_charge_point(csms.port, cp_id, "2.0.1") as cp:
        boot = await cp.call(
            call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )
        beat = await cp.call(call201.Heartbeat())
        assert DATETIME_MS.match(boot.current_time), boot.current_time
        assert DATETIME_MS.match(beat.current_time), beat.current_time

        sent = [
            c.UpdateFirmware(
                location="https://fw.example/2.bin", retrieve_at=PRECISE, request_id=3
            ),
            c.RequestDiagnostics(
                location="https://logs.example/up",
                request_id=4,
                start_time=PRECISE,
                stop_time=PRECISE + timedelta(hours=1),
            ),
            c.SetChargingProfile(
                connector_id=1,
                profile={
                    "id": 7,
                    "purpose": "TxDefaultProfile",
                    "kind": "Absolute",
                    "schedule": {
                        "startSchedule": PRECISE.isoformat(),
                        "chargingRateUnit": "W",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400.0}],
                    },
                },
            ),
        ]
        for command in sent:
            result = await csms.commands.send(cp_id, command)
            assert result.accepted, result
        got = dict(cp.received)
    assert got["UpdateFirmware"]["firmware"]["retrieve_date_time"] == "2030-01-02T03:04:05.123Z"
    assert got["GetLog"]["log"]["oldest_timestamp"] == "2030-01-02T03:04:05.123Z"
    assert got["GetLog"]["log"]["latest_timestamp"] == "2030-01-02T04:04:05.123Z"
    schedule = got["SetChargingProfile"]["charging_profile"]["charging_schedule"][0]
    assert schedule["start_schedule"] == "2030-01-02T03:04:05.123Z"


async def test_201_status_trigger_names_evse_and_connector_and_unlock_sends_the_one_asked(
    csms: Csms,
) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    cp_id = station.charge_point_id
    async with connect_charge_point(csms.port, cp_id, "2.0.1") as cp:
        status = c.TriggerMessage(message="StatusNotification", connector_id=2, evse_connector_id=1)
        assert (await csms.commands.send(cp_id, status)).accepted
        assert cp.received[-1] == (
            "TriggerMessage",
            {"requested_message": "StatusNotification", "evse": {"id": 2, "connector_id": 1}},
        )
        meter = c.TriggerMessage(message="MeterValues", connector_id=3)
        assert (await csms.commands.send(cp_id, meter)).accepted
        assert cp.received[-1][1]["evse"] == {"id": 3}

        # a whole-station StatusNotification trigger cannot be said in 2.0.1: refused, not sent
        sent = len(cp.received)
        whole = await csms.commands.send(cp_id, c.TriggerMessage(message="StatusNotification"))
        assert whole.status is CommandStatus.FAILED and "F06.FR.13" in (whole.detail or "")
        assert len(cp.received) == sent

        unlock = c.UnlockConnector(connector_id=2, evse_connector_id=2)
        assert (await csms.commands.send(cp_id, unlock)).accepted
        assert cp.received[-1] == ("UnlockConnector", {"evse_id": 2, "connector_id": 2})


async def test_a_16_critical_security_event_raises_the_security_alert(csms: Csms) -> None:
    """The Security whitepaper gives 1.6 the SecurityEventNotification of 2.0.1."""
    diagnostics = DiagnosticsService(csms.events)
    consumer = asyncio.create_task(diagnostics.run(csms.events))
    try:
        await asyncio.sleep(0)  # subscribed before the station speaks
        station = await create_station(csms.network, csms.site.org_id, csms.site.id)
        async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
            routine = call.SecurityEventNotification(
                type="StartupOfTheDevice", timestamp=ts(), tech_info=None
            )
            assert await cp.call(routine) is not None
            tamper = call.SecurityEventNotification(
                type="TamperDetectionActivated", timestamp=ts(), tech_info="lid opened"
            )
            assert await cp.call(tamper) is not None
        assert station.id is not None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 5
        while not (alerts := await diagnostics_repo.open_alerts([station.id])):
            assert loop.time() < deadline, "no security alert within 5 s"
            await asyncio.sleep(0.05)
        assert [(a.kind, a.connector_id) for a in alerts] == [(AlertKind.SECURITY_EVENT, None)]
        assert "TamperDetectionActivated" in alerts[0].message
        stored = await report_repo.reports_for_station(station.id, "SecurityEvent")
        assert sorted(r.status for r in stored) == [
            "StartupOfTheDevice",
            "TamperDetectionActivated",
        ]
    finally:
        consumer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await consumer


def ts() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


async def test_a_station_answering_pings_but_silent_in_ocpp_stays_seen(csms: Csms) -> None:
    """OCPP-J lets WebSocket pings stand in for Heartbeats: a pong is a sign of life."""
    server = OcppServer(
        OcppDependencies(network=csms.network, charging=csms.charging, events=csms.events),
        host="127.0.0.1",
        port=0,
        node_id="ping-node",
        heartbeat_interval=60,
        ping_interval=0.2,
        ping_timeout=5.0,
    )
    await server.start()
    try:
        station = await create_station(csms.network, csms.site.org_id, csms.site.id)
        assert station.id is not None
        async with connect_charge_point(server.port, station.charge_point_id, "1.6"):
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 10
            while True:  # no OCPP message at all: only the client's automatic pongs
                stored = await network_repo.get_station(station.id)
                assert stored is not None
                if (
                    stored.online
                    and stored.connected_at is not None
                    and stored.last_seen_at is not None
                    and stored.last_seen_at > stored.connected_at
                ):
                    break
                assert loop.time() < deadline, "a pong was not recorded as a sign of life"
                await asyncio.sleep(0.1)
            assert server.keepalive.timed_out == 0
    finally:
        await server.stop()


async def _online(csms: Csms, cp_id: str) -> Station:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while True:
        station = await network_repo.get_station_by_cp_id(cp_id)
        if station is not None and station.online:
            return station
        assert loop.time() < deadline, f"{cp_id} not recorded online"
        await asyncio.sleep(0.02)


async def test_201_remote_start_names_the_token_type_rfid_or_app(csms: Csms) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    driver_id = await link_tag(csms.charging, "CARD-TYPED-1")
    cp_id = station.charge_point_id
    async with connect_charge_point(csms.port, cp_id, "2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )
        online = await _online(csms, cp_id)
        # an operator types in a driver's RFID card: an ISO 14443 token
        await csms.charging.remote_start(online, 1, "CARD-TYPED-1")
        action, payload = cp.received[-1]
        assert action == "RequestStartTransaction"
        assert payload["id_token"] == {"id_token": "CARD-TYPED-1", "type": "ISO14443"}
        # the driver starts from the app: laddnet's own app tag, a Central token
        assert online.id is not None
        await csms.charging.start_for_driver(driver_id, online.id, 2)
        action, payload = cp.received[-1]
        assert action == "RequestStartTransaction" and payload["evse_id"] == 2
        assert payload["id_token"]["type"] == "Central"
        assert payload["id_token"]["id_token"].startswith("APP")


async def test_16_id_tag_info_carries_the_tokens_expiry_and_parent(csms: Csms) -> None:
    await link_tag(csms.charging, "FLEET-CARD-1")
    await link_tag(csms.charging, "OLD-CARD-1")
    await link_tag(csms.charging, "PLAIN-CARD-1")
    fleet = await IdToken.find_one(IdToken.id_tag == "FLEET-CARD-1")
    old = await IdToken.find_one(IdToken.id_tag == "OLD-CARD-1")
    assert fleet is not None and old is not None
    fleet.expiry_date, fleet.parent_id_tag = PRECISE, "FLEET-1"
    old.expiry_date = datetime(2020, 1, 1, tzinfo=UTC)
    await fleet.save()
    await old.save()

    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        answer = await cp.call(call.Authorize(id_tag="FLEET-CARD-1"))
        assert answer.id_tag_info == {
            "status": "Accepted",
            "expiry_date": "2030-01-02T03:04:05.123Z",
            "parent_id_tag": "FLEET-1",
        }
        # past its expiry date a token is Expired, whatever it was
        expired = await cp.call(call.Authorize(id_tag="OLD-CARD-1"))
        assert expired.id_tag_info["status"] == "Expired"
        # a token without them: the status alone
        plain = await cp.call(call.Authorize(id_tag="PLAIN-CARD-1"))
        assert plain.id_tag_info == {"status": "Accepted"}
        started = await cp.call(
            call.StartTransaction(
                connector_id=1, id_tag="FLEET-CARD-1", meter_start=0, timestamp=ts()
            )
        )
        assert started.id_tag_info["parent_id_tag"] == "FLEET-1"
        assert started.id_tag_info["expiry_date"] == "2030-01-02T03:04:05.123Z"
        stopped = await cp.call(
            call.StopTransaction(
                meter_stop=100,
                timestamp=ts(),
                transaction_id=started.transaction_id,
                id_tag="FLEET-CARD-1",
            )
        )
        assert stopped.id_tag_info["parent_id_tag"] == "FLEET-1"
