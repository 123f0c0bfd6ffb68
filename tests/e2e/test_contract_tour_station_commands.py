"""The contract's station commands (clients/stations.graphql) sent verbatim (``OPS[...]``) to laddnet
in its production wiring, reaching real ``ocpp`` charge points over loopback: unlock, trigger,
device-model reports and variables, charging profiles, tracked firmware updates, and who may act
(an admin invites an operator and a viewer; the viewer reads but is refused every command)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from domain.common.clock import utcnow
from tests.e2e.conftest import Laddnet
from tests.e2e.ops import OPS, create_site, register_station, ts
from tests.factories.charging import connect_charge_point
from tests.factories.identity import PASSWORD, unique_email

TRANSFERS = """query($id: ID!) { station(id: $id) { transfers(kind: FIRMWARE) {
  requestId status finished location history { status reported } } } }"""
REPORT = """query($id: ID!, $rid: Int!) { station(id: $id) { reportRequest(requestId: $rid) {
  requestId report status complete parts { seqNo moreToCome variables } } } }"""
ACCEPT = """mutation($i: AcceptInvitationInput!) { acceptInvitation(input: $i) {
  tokens { accessToken } errors { code field message } } }"""


async def _setup(app: Laddnet, prefix: str) -> tuple[str, str, str]:
    _, admin = await app.operator()
    site_id = await create_site(app, admin)
    cp_id = f"{prefix}-{uuid.uuid4().hex[:6].upper()}"
    return admin, cp_id, await register_station(app, admin, site_id, cp_id)


def _payload(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    [value] = body["data"].values()
    result: dict[str, Any] = value
    return result


async def _until(check: Any, within: float = 3.0) -> Any:
    """Poll ``check`` (an async callable) until it returns something truthy."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        found = await check()
        if found:
            return found
        assert loop.time() < deadline, "not reached in time"
        await asyncio.sleep(0.05)


async def _variables(app: Laddnet, token: str, station_id: str, **args: Any) -> dict[str, Any]:
    data = await app.data(OPS["StationVariables"], {"stationId": station_id, **args}, token)
    assert data["station"]["id"] == station_id
    found: dict[str, Any] = data["station"]["variables"]
    return found


async def test_an_admin_invites_an_operator_and_a_viewer_who_never_acts(laddnet: Laddnet) -> None:
    app = laddnet
    admin, cp_id, station_id = await _setup(app, "E2EROLE")
    viewer_email = unique_email("e2e-viewer")
    invited = await app.data(
        OPS["InviteOperator"],
        {"input": {"email": viewer_email, "name": "Vera", "role": "VIEWER", "password": PASSWORD}},
        admin,
    )
    operator = invited["inviteOperator"]["operator"]
    assert (operator["email"], operator["role"]) == (viewer_email, "VIEWER")
    assert operator["id"] and invited["inviteOperator"]["invitationToken"] is None
    viewer = await app.sign_in(viewer_email)

    # without a password: a token the invitee spends to choose one, once
    operator_email = unique_email("e2e-invited-operator")
    by_token = await app.data(
        OPS["InviteOperator"], {"input": {"email": operator_email, "role": "OPERATOR"}}, admin
    )
    token = by_token["inviteOperator"]["invitationToken"]
    assert token and by_token["inviteOperator"]["operator"]["role"] == "OPERATOR"
    not_yet = await app.gql(
        "mutation($i: SignInInput!) { signIn(input: $i) { errors { code } } }",
        {"i": {"email": operator_email, "password": "chosen-password-123"}},
    )
    assert not_yet["data"]["signIn"]["errors"][0]["code"] == "UNAUTHENTICATED"
    accepted = await app.data(
        ACCEPT, {"i": {"token": token, "password": "chosen-password-123"}}, None
    )
    assert accepted["acceptInvitation"]["tokens"]["accessToken"]
    again = await app.gql(ACCEPT, {"i": {"token": token, "password": "another-password-1"}})
    assert again["data"]["acceptInvitation"]["errors"][0]["code"] == "UNAUTHENTICATED"
    acting = await app.sign_in(operator_email, "chosen-password-123")

    # only admins invite; an email is one account
    refused = await app.gql(
        OPS["InviteOperator"],
        {"input": {"email": unique_email("e2e-x"), "role": "ADMIN", "password": PASSWORD}},
        acting,
    )
    assert refused["data"]["inviteOperator"]["errors"][0]["code"] == "FORBIDDEN"
    twice = await app.gql(
        OPS["InviteOperator"],
        {"input": {"email": viewer_email, "role": "OPERATOR", "password": PASSWORD}},
        admin,
    )
    assert twice["data"]["inviteOperator"]["errors"][0]["code"] == "ALREADY_EXISTS"

    async with connect_charge_point(app.ocpp_port, cp_id, "1.6") as cp:
        await cp.call(call16.BootNotification(charge_point_vendor="Laddco", charge_point_model="L"))
        sent = len(cp.received)
        refusals = [
            ("UnlockConnector", {"stationId": station_id, "connectorId": 1}),
            ("TriggerMessage", {"input": {"stationId": station_id, "message": "HEARTBEAT"}}),
            (
                "GetVariables",
                {
                    "stationId": station_id,
                    "variables": [{"component": "ChargePoint", "variable": "HeartbeatInterval"}],
                },
            ),
            (
                "SetVariables",
                {
                    "stationId": station_id,
                    "variables": [
                        {"component": "ChargePoint", "variable": "HeartbeatInterval", "value": "9"}
                    ],
                },
            ),
            ("RequestStationReport", {"stationId": station_id, "report": "FULL_INVENTORY"}),
            ("ClearChargingProfile", {"stationId": station_id, "profileId": 1}),
        ]
        for name, variables in refusals:
            body = _payload(await app.gql(OPS[name], variables, viewer))
            assert [e["code"] for e in body["errors"]] == ["FORBIDDEN"], name
        assert len(cp.received) == sent  # nothing reached the station
        # the viewer still reads; the invited operator acts
        assert (await _variables(app, viewer, station_id))["totalCount"] == 0
        unlocked = await app.data(
            OPS["UnlockConnector"], {"stationId": station_id, "connectorId": 1}, acting
        )
        assert unlocked["unlockConnector"]["status"] == "ACCEPTED"
        assert cp.received[-1] == ("UnlockConnector", {"connector_id": 1})


async def test_station_commands_reach_an_ocpp16_station(laddnet: Laddnet) -> None:
    app = laddnet
    admin, cp_id, station_id = await _setup(app, "E2ECMD16")
    async with connect_charge_point(app.ocpp_port, cp_id, "1.6") as cp:
        await cp.call(call16.BootNotification(charge_point_vendor="Laddco", charge_point_model="L"))

        unlocked = await app.data(
            OPS["UnlockConnector"], {"stationId": station_id, "connectorId": 2}, admin
        )
        assert unlocked["unlockConnector"] == {"status": "ACCEPTED", "errors": []}
        assert cp.received[-1] == ("UnlockConnector", {"connector_id": 2})
        cp.answers["UnlockConnector"] = "UnlockFailed"
        failed = await app.data(
            OPS["UnlockConnector"], {"stationId": station_id, "connectorId": 1}, admin
        )
        assert failed["unlockConnector"] == {"status": "REJECTED", "errors": []}
        sent = len(cp.received)
        nowhere = _payload(
            await app.gql(
                OPS["UnlockConnector"], {"stationId": station_id, "connectorId": 7}, admin
            )
        )
        assert (nowhere["status"], nowhere["errors"][0]["field"]) == (None, "connectorId")
        assert len(cp.received) == sent

        trigger = {"stationId": station_id, "message": "STATUS_NOTIFICATION", "connectorId": 1}
        triggered = await app.data(OPS["TriggerMessage"], {"input": trigger}, admin)
        assert triggered["triggerMessage"]["status"] == "ACCEPTED"
        assert cp.received[-1] == (
            "TriggerMessage",
            {"requested_message": "StatusNotification", "connector_id": 1},
        )
        logs = {"stationId": station_id, "message": "LOG_STATUS_NOTIFICATION"}
        await app.data(OPS["TriggerMessage"], {"input": logs}, admin)
        assert cp.received[-1] == (
            "TriggerMessage",
            {"requested_message": "DiagnosticsStatusNotification"},
        )
        no_such = {"stationId": station_id, "message": "TRANSACTION_EVENT"}
        unsupported = _payload(await app.gql(OPS["TriggerMessage"], {"input": no_such}, admin))
        assert unsupported["status"] == "NOT_SUPPORTED"
        assert unsupported["errors"][0]["code"] == "NOT_SUPPORTED"
        cp.answers["TriggerMessage"] = "NotImplemented"
        heartbeat = {"stationId": station_id, "message": "HEARTBEAT"}
        declined = _payload(await app.gql(OPS["TriggerMessage"], {"input": heartbeat}, admin))
        assert declined["status"] == "NOT_SUPPORTED"

        # the configuration as the device model: one report, kept at once
        report = await app.data(
            OPS["RequestStationReport"],
            {"stationId": station_id, "report": "FULL_INVENTORY"},
            admin,
        )
        answer = report["requestStationReport"]
        assert answer["status"] == "ACCEPTED" and answer["requestId"] > 0
        assert cp.received[-1] == ("GetConfiguration", {"key": None})
        everything = await _variables(app, admin, station_id)
        assert everything["totalCount"] == 2
        nodes = [e["node"] for e in everything["edges"]]
        assert [(n["component"], n["variable"], n["value"], n["mutability"]) for n in nodes] == [
            ("ChargePoint", "HeartbeatInterval", "300", "READ_WRITE"),
            ("ChargePoint", "MeterValueSampleInterval", "60", "READ_WRITE"),
        ]
        first = await _variables(app, admin, station_id, first=1)
        assert first["pageInfo"]["hasNextPage"] is True
        rest = await _variables(
            app, admin, station_id, first=1, after=first["pageInfo"]["endCursor"]
        )
        assert [e["node"]["variable"] for e in rest["edges"]] == ["MeterValueSampleInterval"]
        assert rest["pageInfo"]["hasNextPage"] is False

        read = await app.data(
            OPS["GetVariables"],
            {
                "stationId": station_id,
                "variables": [
                    {"component": "ChargePoint", "variable": "HeartbeatInterval"},
                    {"component": "ChargePoint", "variable": "NoSuchKey"},
                ],
            },
            admin,
        )
        assert read["getVariables"]["results"] == [
            {
                "component": "ChargePoint",
                "variable": "HeartbeatInterval",
                "value": "300",
                "status": "ACCEPTED",
            },
            {
                "component": "ChargePoint",
                "variable": "NoSuchKey",
                "value": None,
                "status": "UNKNOWN_VARIABLE",
            },
        ]
        assert cp.received[-1] == ("GetConfiguration", {"key": ["HeartbeatInterval", "NoSuchKey"]})

        # 1.6 changes one key per ChangeConfiguration
        written = await app.data(
            OPS["SetVariables"],
            {
                "stationId": station_id,
                "variables": [
                    {"component": "ChargePoint", "variable": "HeartbeatInterval", "value": "120"},
                    {
                        "component": "ChargePoint",
                        "variable": "MeterValueSampleInterval",
                        "value": "30",
                    },
                ],
            },
            admin,
        )
        assert [
            (r["variable"], r["status"], r["rebootRequired"])
            for r in written["setVariables"]["results"]
        ] == [
            ("HeartbeatInterval", "ACCEPTED", False),
            ("MeterValueSampleInterval", "ACCEPTED", False),
        ]
        assert cp.received[-2:] == [
            ("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "120"}),
            ("ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"}),
        ]
        stored = await _variables(app, admin, station_id)
        assert [e["node"]["value"] for e in stored["edges"]] == ["120", "30"]
        cp.answers["ChangeConfiguration"] = "RebootRequired"
        later = await app.data(
            OPS["SetVariables"],
            {
                "stationId": station_id,
                "variables": [
                    {"component": "ChargePoint", "variable": "HeartbeatInterval", "value": "60"}
                ],
            },
            admin,
        )
        assert later["setVariables"]["results"][0]["rebootRequired"] is True

        profile = {
            "connectorId": 1,
            "purpose": "TX_DEFAULT_PROFILE",
            "stackLevel": 1,
            "kind": "ABSOLUTE",
            "chargingRateUnit": "A",
            "periods": [
                {"startPeriodSeconds": 0, "limit": 16, "numberPhases": 3},
                {"startPeriodSeconds": 3600, "limit": 10},
            ],
        }
        set_ = await app.data(
            OPS["SetChargingProfile"], {"stationId": station_id, "input": profile}, admin
        )
        profile_id = set_["setChargingProfile"]["profile"]["id"]
        assert set_["setChargingProfile"]["status"] == "ACCEPTED" and profile_id > 0
        action, sent_profile = cp.received[-1]
        assert action == "SetChargingProfile" and sent_profile["connector_id"] == 1
        cs = sent_profile["cs_charging_profiles"]
        assert (cs["charging_profile_id"], cs["stack_level"]) == (profile_id, 1)
        assert (cs["charging_profile_purpose"], cs["charging_profile_kind"]) == (
            "TxDefaultProfile",
            "Absolute",
        )
        schedule = cs["charging_schedule"]
        assert schedule["charging_rate_unit"] == "A" and schedule["start_schedule"]
        assert schedule["charging_schedule_period"] == [
            {"start_period": 0, "limit": 16.0, "number_phases": 3},
            {"start_period": 3600, "limit": 10.0},
        ]
        sent = len(cp.received)
        bad = dict(profile, periods=[{"startPeriodSeconds": 60, "limit": 16}])
        invalid = _payload(
            await app.gql(OPS["SetChargingProfile"], {"stationId": station_id, "input": bad}, admin)
        )
        assert (invalid["errors"][0]["code"], invalid["errors"][0]["field"]) == (
            "INVALID_INPUT",
            "periods",
        )
        assert invalid["profile"] is None and len(cp.received) == sent
        cleared = await app.data(
            OPS["ClearChargingProfile"], {"stationId": station_id, "profileId": profile_id}, admin
        )
        assert cleared["clearChargingProfile"]["status"] == "ACCEPTED"
        assert cp.received[-1] == ("ClearChargingProfile", {"id": profile_id})
        cp.answers["ClearChargingProfile"] = "Unknown"
        by_purpose = await app.data(
            OPS["ClearChargingProfile"],
            {"stationId": station_id, "connectorId": 1, "purpose": "CHARGING_STATION_MAX_PROFILE"},
            admin,
        )
        assert by_purpose["clearChargingProfile"]["status"] == "REJECTED"
        assert cp.received[-1] == (
            "ClearChargingProfile",
            {"connector_id": 1, "charging_profile_purpose": "ChargePointMaxProfile"},
        )

        # a firmware update is followed to its end (1.6 notifications carry no request id)
        firmware = await app.data(
            OPS["UpdateFirmware"],
            {"stationId": station_id, "location": "https://fw.example.com/3.0.bin"},
            admin,
        )
        assert firmware["updateFirmware"]["accepted"] is True
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            await cp.call(call16.FirmwareStatusNotification(status=status))

        async def installed() -> Any:
            rows = (await app.data(TRANSFERS, {"id": station_id}, admin))["station"]["transfers"]
            return rows if rows and rows[0]["finished"] else None

        [update] = await _until(installed)
        assert (update["status"], update["location"]) == (
            "INSTALLED",
            "https://fw.example.com/3.0.bin",
        )
        assert update["requestId"] > 0
        assert [h["status"] for h in update["history"]] == [
            "REQUESTED",
            "DOWNLOADING",
            "DOWNLOADED",
            "INSTALLING",
            "INSTALLED",
        ]

    offline = _payload(
        await app.gql(OPS["UnlockConnector"], {"stationId": station_id, "connectorId": 1}, admin)
    )
    assert offline["status"] == "OFFLINE" and offline["errors"][0]["code"] == "STATION_OFFLINE"


async def test_station_commands_reach_an_ocpp201_station(laddnet: Laddnet) -> None:
    app = laddnet
    admin, cp_id, station_id = await _setup(app, "E2ECMD201")
    async with connect_charge_point(app.ocpp_port, cp_id, "2.0.1") as cp:
        await cp.call(
            call201.BootNotification(
                charging_station={"vendor_name": "Laddco", "model": "X2"}, reason="PowerUp"
            )
        )
        await app.data(OPS["UnlockConnector"], {"stationId": station_id, "connectorId": 2}, admin)
        assert cp.received[-1] == ("UnlockConnector", {"evse_id": 2, "connector_id": 1})

        # F06.FR.13: a StatusNotification is asked for an EVSE and its connector
        one = {"stationId": station_id, "message": "STATUS_NOTIFICATION", "connectorId": 2}
        await app.data(OPS["TriggerMessage"], {"input": one}, admin)
        assert cp.received[-1] == (
            "TriggerMessage",
            {"requested_message": "StatusNotification", "evse": {"id": 2, "connector_id": 1}},
        )
        sent = len(cp.received)
        every = {"stationId": station_id, "message": "STATUS_NOTIFICATION"}
        triggered = await app.data(OPS["TriggerMessage"], {"input": every}, admin)
        assert triggered["triggerMessage"]["status"] == "ACCEPTED"
        assert [p["evse"] for _, p in cp.received[sent:]] == [
            {"id": 1, "connector_id": 1},
            {"id": 2, "connector_id": 1},
        ]
        logs = {"stationId": station_id, "message": "LOG_STATUS_NOTIFICATION"}
        await app.data(OPS["TriggerMessage"], {"input": logs}, admin)
        assert cp.received[-1] == ("TriggerMessage", {"requested_message": "LogStatusNotification"})

        # two reports: each its own request id, each part kept on the request it answers
        ids = []
        for kind in ("CONFIGURATION_INVENTORY", "FULL_INVENTORY"):
            asked = await app.data(
                OPS["RequestStationReport"], {"stationId": station_id, "report": kind}, admin
            )
            assert asked["requestStationReport"]["status"] == "ACCEPTED"
            ids.append(asked["requestStationReport"]["requestId"])
            action, payload = cp.received[-1]
            assert action == "GetBaseReport" and payload["request_id"] == ids[-1]
        assert payload["report_base"] == "FullInventory" and len(set(ids)) == 2
        now = ts(utcnow())
        await cp.call(
            call201.NotifyReport(
                request_id=ids[0],
                generated_at=now,
                seq_no=0,
                tbc=True,
                report_data=[
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                        "variable_attribute": [{"value": "300", "mutability": "ReadWrite"}],
                        "variable_characteristics": {
                            "data_type": "integer",
                            "unit": "s",
                            "supports_monitoring": False,
                        },
                    },
                    {
                        "component": {"name": "EVSE", "evse": {"id": 1}},
                        "variable": {"name": "Power"},
                        "variable_attribute": [
                            {"type": "Actual", "value": "0", "mutability": "ReadOnly"},
                            {"type": "MaxSet", "value": "22000", "mutability": "ReadOnly"},
                        ],
                        "variable_characteristics": {
                            "data_type": "decimal",
                            "unit": "W",
                            "supports_monitoring": True,
                        },
                    },
                ],
            )
        )
        await cp.call(
            call201.NotifyReport(
                request_id=ids[0],
                generated_at=now,
                seq_no=1,
                tbc=False,
                report_data=[
                    {
                        "component": {"name": "Connector", "evse": {"id": 2, "connector_id": 1}},
                        "variable": {"name": "ConnectorType"},
                        "variable_attribute": [{"value": "cType2", "mutability": "ReadOnly"}],
                        "variable_characteristics": {
                            "data_type": "string",
                            "supports_monitoring": False,
                        },
                    }
                ],
            )
        )
        done = (await app.data(REPORT, {"id": station_id, "rid": ids[0]}, admin))["station"]
        assert done["reportRequest"] == {
            "requestId": ids[0],
            "report": "CONFIGURATION_INVENTORY",
            "status": "ACCEPTED",
            "complete": True,
            "parts": [
                {"seqNo": 0, "moreToCome": True, "variables": 2},
                {"seqNo": 1, "moreToCome": False, "variables": 1},
            ],
        }
        other = (await app.data(REPORT, {"id": station_id, "rid": ids[1]}, admin))["station"]
        assert other["reportRequest"]["parts"] == [] and other["reportRequest"]["complete"] is False

        model = await _variables(app, admin, station_id)
        assert model["totalCount"] == 3
        rows = [
            (
                n["component"],
                n["evseId"],
                n["connectorId"],
                n["variable"],
                n["value"],
                n["mutability"],
            )
            for n in (e["node"] for e in model["edges"])
        ]
        assert rows == [
            ("Connector", 2, 1, "ConnectorType", "cType2", "READ_ONLY"),
            ("EVSE", 1, None, "Power", "0", "READ_ONLY"),
            ("OCPPCommCtrlr", None, None, "HeartbeatInterval", "300", "READ_WRITE"),
        ]
        assert all(e["node"]["reportedAt"] for e in model["edges"])
        evse = await _variables(app, admin, station_id, component="EVSE")
        assert [e["node"]["variable"] for e in evse["edges"]] == ["Power"]

        read = await app.data(
            OPS["GetVariables"],
            {
                "stationId": station_id,
                "variables": [
                    {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval"},
                    {"component": "Nowhere", "variable": "Nothing"},
                ],
            },
            admin,
        )
        assert [(r["value"], r["status"]) for r in read["getVariables"]["results"]] == [
            ("300", "ACCEPTED"),
            (None, "UNKNOWN_VARIABLE"),
        ]
        assert cp.received[-1] == (
            "GetVariables",
            {
                "get_variable_data": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    },
                    {"component": {"name": "Nowhere"}, "variable": {"name": "Nothing"}},
                ]
            },
        )
        cp.answers["SetVariables"] = "RebootRequired"
        written = await app.data(
            OPS["SetVariables"],
            {
                "stationId": station_id,
                "variables": [
                    {"component": "OCPPCommCtrlr", "variable": "HeartbeatInterval", "value": "120"},
                    {"component": "EVSE", "evseId": 1, "variable": "Power", "value": "11000"},
                ],
            },
            admin,
        )
        assert [(r["status"], r["rebootRequired"]) for r in written["setVariables"]["results"]] == [
            ("ACCEPTED", True),
            ("ACCEPTED", True),
        ]
        action, payload = cp.received[-1]  # one SetVariables for both
        assert action == "SetVariables" and payload["set_variable_data"][1] == {
            "attribute_value": "11000",
            "component": {"name": "EVSE", "evse": {"id": 1}},
            "variable": {"name": "Power"},
        }

        profile = {
            "connectorId": 1,
            "purpose": "TX_PROFILE",
            "transactionId": "TX-201",
            "kind": "RELATIVE",
            "chargingRateUnit": "W",
            "periods": [{"startPeriodSeconds": 0, "limit": 7400}],
        }
        set_ = await app.data(
            OPS["SetChargingProfile"], {"stationId": station_id, "input": profile}, admin
        )
        profile_id = set_["setChargingProfile"]["profile"]["id"]
        action, payload = cp.received[-1]
        assert (action, payload["evse_id"]) == ("SetChargingProfile", 1)
        sent_profile = payload["charging_profile"]
        assert (sent_profile["id"], sent_profile["transaction_id"]) == (profile_id, "TX-201")
        assert sent_profile["charging_profile_purpose"] == "TxProfile"
        [schedule] = sent_profile["charging_schedule"]
        assert "start_schedule" not in schedule and schedule["charging_rate_unit"] == "W"
        await app.data(
            OPS["ClearChargingProfile"],
            {"stationId": station_id, "connectorId": 1, "purpose": "TX_DEFAULT_PROFILE"},
            admin,
        )
        assert cp.received[-1] == (
            "ClearChargingProfile",
            {
                "charging_profile_criteria": {
                    "evse_id": 1,
                    "charging_profile_purpose": "TxDefaultProfile",
                }
            },
        )

        # two firmware updates, each its own request id; notifications move only their own
        updates = []
        for version in ("4.0", "4.1"):
            await app.data(
                OPS["UpdateFirmware"],
                {"stationId": station_id, "location": f"https://fw.example.com/{version}.bin"},
                admin,
            )
            updates.append(cp.received[-1][1]["request_id"])
        assert len(set(updates)) == 2 and all(rid > 0 for rid in updates)
        for status in ("Downloading", "DownloadFailed"):
            await cp.call(call201.FirmwareStatusNotification(status=status, request_id=updates[0]))

        async def first_failed() -> Any:
            rows = (await app.data(TRANSFERS, {"id": station_id}, admin))["station"]["transfers"]
            by_id = {r["requestId"]: r for r in rows}
            return by_id if by_id[updates[0]]["finished"] else None

        by_id = await _until(first_failed)
        assert by_id[updates[0]]["status"] == "DOWNLOAD_FAILED"
        assert (by_id[updates[1]]["status"], by_id[updates[1]]["finished"]) == ("REQUESTED", False)
