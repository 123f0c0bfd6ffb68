"""The rest of the contract sent verbatim (``OPS[...]``) to laddnet in its production wiring: sign-up,
sign-in and token refresh; the operator's alert rule, live alert feed, alert list and
acknowledgement for a station that faults; and the station commands (reset, availability,
diagnostics, firmware) reaching an OCPP 1.6 charge point."""

from __future__ import annotations

import uuid

from ocpp.v16 import call as call16

from domain.common.clock import utcnow
from tests.e2e.conftest import Laddnet
from tests.e2e.ops import OPS, create_site, register_station, ts
from tests.factories.charging import connect_charge_point
from tests.factories.identity import PASSWORD, unique_email


async def test_sign_up_sign_in_and_refresh(laddnet: Laddnet) -> None:
    app = laddnet
    email = unique_email("e2e-tour")
    signed_up = await app.data(
        OPS["SignUp"], {"input": {"email": email, "password": PASSWORD, "name": "Tove"}}
    )
    assert signed_up["signUp"]["driver"]["email"] == email
    assert signed_up["signUp"]["driver"]["name"] == "Tove"
    signed_in = await app.data(OPS["SignIn"], {"input": {"email": email, "password": PASSWORD}})
    tokens = signed_in["signIn"]["tokens"]
    assert tokens["accessToken"] and tokens["refreshToken"] and tokens["expiresAt"] > ts(utcnow())
    me = (await app.data(OPS["Me"], None, tokens["accessToken"]))["me"]
    assert (me["id"], me["email"]) == (signed_up["signUp"]["driver"]["id"], email)

    refreshed = await app.data(OPS["RefreshTokens"], {"refreshToken": tokens["refreshToken"]})
    fresh = refreshed["refreshTokens"]["tokens"]
    assert (await app.data(OPS["Me"], None, fresh["accessToken"]))["me"]["email"] == email

    wrong = await app.gql(OPS["SignIn"], {"input": {"email": email, "password": "not-it-at-all"}})
    assert wrong["data"]["signIn"]["tokens"] is None
    assert wrong["data"]["signIn"]["errors"][0]["code"] == "UNAUTHENTICATED"
    bogus = await app.gql(OPS["RefreshTokens"], {"refreshToken": "not-a-token"})
    assert bogus["data"]["refreshTokens"]["tokens"] is None
    assert bogus["data"]["refreshTokens"]["errors"][0]["code"] == "UNAUTHENTICATED"


async def test_an_operator_is_alerted_to_a_fault_and_commands_the_station(
    laddnet: Laddnet,
) -> None:
    app = laddnet
    _, admin = await app.operator()
    site_id = await create_site(app, admin)
    cp_id = f"E2EOPS-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(app, admin, site_id, cp_id)
    rule = await app.data(
        OPS["SetAlertRule"],
        {"input": {"kind": "FAULTED", "durationSeconds": 0, "severity": "CRITICAL"}},
        admin,
    )
    assert rule["setAlertRule"]["rule"] | {"id": ""} == {
        "id": "",
        "kind": "FAULTED",
        "threshold": rule["setAlertRule"]["rule"]["threshold"],
        "durationSeconds": 0,
        "severity": "CRITICAL",
        "enabled": True,
    }

    before = app.events.subscriber_count
    async with (
        app.subscribe(OPS["AlertFeed"], {"siteId": site_id}, admin, "alertFeed") as feed,
        connect_charge_point(app.ocpp_port, cp_id, "1.6") as cp,
    ):
        await app.subscribed(before)
        boot = await cp.call(
            call16.BootNotification(charge_point_vendor="Laddco", charge_point_model="L50")
        )
        assert boot.status == "Accepted"
        await cp.call(
            call16.StatusNotification(
                connector_id=1,
                error_code="GroundFailure",
                status="Faulted",
                timestamp=ts(utcnow()),
            )
        )
        raised = await feed.until(lambda a: a["kind"] == "FAULTED", within=2.0)
        assert (raised["state"], raised["severity"]) == ("RAISED", "CRITICAL")
        assert (raised["stationId"], raised["connectorId"]) == (station_id, 1)

        listed = await app.data(OPS["Alerts"], {"state": "RAISED", "first": 10}, admin)
        assert [e["node"]["id"] for e in listed["alerts"]["edges"]] == [raised["id"]]
        acked = await app.data(OPS["AcknowledgeAlert"], {"id": raised["id"]}, admin)
        alert = acked["acknowledgeAlert"]["alert"]
        assert (alert["id"], alert["state"]) == (raised["id"], "ACKNOWLEDGED")
        assert alert["acknowledgedAt"]
        missing = await app.gql(OPS["AcknowledgeAlert"], {"id": station_id}, admin)
        assert missing["data"]["acknowledgeAlert"]["errors"][0]["code"] == "NOT_FOUND"

        await cp.call(
            call16.StatusNotification(
                connector_id=1, error_code="NoError", status="Available", timestamp=ts(utcnow())
            )
        )
        resolved = await feed.until(lambda a: a["state"] == "RESOLVED", within=2.0)
        assert resolved["id"] == raised["id"] and resolved["resolvedAt"]

        # station commands reach the charge point as OCPP 1.6 calls
        reset = await app.data(OPS["ResetStation"], {"stationId": station_id, "hard": True}, admin)
        assert reset["resetStation"]["accepted"] is True
        assert cp.received[-1] == ("Reset", {"type": "Hard"})
        unavailable = await app.data(
            OPS["ChangeAvailability"],
            {"stationId": station_id, "connectorId": 1, "available": False},
            admin,
        )
        assert unavailable["changeAvailability"]["accepted"] is True
        assert cp.received[-1] == ("ChangeAvailability", {"connector_id": 1, "type": "Inoperative"})
        firmware = await app.data(
            OPS["UpdateFirmware"],
            {"stationId": station_id, "location": "https://fw.example.com/2.1.bin"},
            admin,
        )
        assert firmware["updateFirmware"]["accepted"] is True
        action, sent = cp.received[-1]
        assert (action, sent["location"]) == ("UpdateFirmware", "https://fw.example.com/2.1.bin")
        diagnostics = await app.data(OPS["RequestDiagnostics"], {"stationId": station_id}, admin)
        request = diagnostics["requestDiagnostics"]["request"]
        assert request["id"] and request["requestedAt"]
        action, sent = cp.received[-1]
        assert action == "GetDiagnostics" and sent["location"].startswith("ftp://")
