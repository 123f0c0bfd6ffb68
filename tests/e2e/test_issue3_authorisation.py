"""Issue 3, done: who may do what with charging, against the running server with a 1.6 station
charging. Every refusal is a clear, coded error, and a refused request changes nothing."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from ocpp.v16 import call
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from domain.common.clock import utcnow
from tests.e2e.conftest import Laddnet, ws_error
from tests.e2e.ops import OPS, create_site, progress_until, register_station, ts
from tests.factories.charging import connect_charge_point


def payload_error(body: dict[str, Any], field: str) -> dict[str, Any]:
    """The one error in a mutation payload's ``errors`` list."""
    assert "errors" not in body, body
    [error] = body["data"][field]["errors"]
    assert body["data"][field].get("session") is None
    result: dict[str, Any] = error
    return result


def graphql_error(body: dict[str, Any]) -> dict[str, Any]:
    """A query's coded error (queries have no payload ``errors``), and no data where it failed."""
    assert not any((body.get("data") or {}).values()), body
    [error] = body["errors"]
    result: dict[str, Any] = error
    return result


async def refused_subscription(app: Laddnet, payload: dict[str, Any] | None) -> int:
    url = app.api_base.replace("http://", "ws://") + "/graphql"
    async with connect(url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await ws.send(json.dumps(init))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 2)
    assert closed.value.rcvd is not None
    return closed.value.rcvd.code


async def test_only_the_owner_and_the_org_may_touch_a_session(laddnet: Laddnet) -> None:
    app = laddnet
    org_id, admin = await app.operator()
    viewer = await app.operator_in(org_id, "viewer")
    _, stranger = await app.operator()  # another organisation's admin
    site_id = await create_site(app, admin)
    cp_id = f"E2EAUTH-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(app, admin, site_id, cp_id)
    owner, other = await app.driver("Owner"), await app.driver("Other")
    start = {"input": {"stationId": station_id, "connectorId": 1}}

    async with connect_charge_point(app.ocpp_port, cp_id, "1.6") as cp:
        await cp.call(call.BootNotification(charge_point_vendor="Laddco", charge_point_model="L"))
        await cp.call(
            call.StatusNotification(
                connector_id=1, error_code="NoError", status="Available", timestamp=ts(utcnow())
            )
        )
        # bad input: a connector the station does not have; a malformed station id
        error = payload_error(
            await app.gql(
                OPS["StartCharging"],
                {"input": {"stationId": station_id, "connectorId": 9}},
                owner,
            ),
            "startCharging",
        )
        assert (error["code"], error["field"]) == ("INVALID_INPUT", "connectorId")
        error = payload_error(
            await app.gql(
                OPS["StartCharging"], {"input": {"stationId": "nope", "connectorId": 1}}, owner
            ),
            "startCharging",
        )
        assert (error["code"], error["field"]) == ("INVALID_INPUT", "stationId")
        assert [a for a, _ in cp.received] == []  # nothing was sent to the station
        # anonymous, and an operator (starting from the app is for drivers)
        for token in (None, admin):
            error = payload_error(
                await app.gql(OPS["StartCharging"], start, token), "startCharging"
            )
            assert error["code"] == ("UNAUTHENTICATED" if token is None else "FORBIDDEN")

        started = await app.data(OPS["StartCharging"], start, owner)
        sid = started["startCharging"]["session"]["id"]
        id_tag = cp.received[-1][1]["id_tag"]
        tx = (
            await cp.call(
                call.StartTransaction(
                    connector_id=1, id_tag=id_tag, meter_start=0, timestamp=ts(utcnow())
                )
            )
        ).transaction_id
        await cp.call(
            call.StatusNotification(
                connector_id=1, error_code="NoError", status="Charging", timestamp=ts(utcnow())
            )
        )

        # another driver: the session does not exist for them, and the connector is taken
        error = payload_error(
            await app.gql(OPS["StopCharging"], {"sessionId": sid}, other), "stopCharging"
        )
        assert (error["code"], error["field"]) == ("NOT_FOUND", "sessionId")
        async with app.subscribe(
            OPS["SessionProgress"], {"sessionId": sid}, other, "sessionProgress"
        ) as sub:
            assert ws_error(await sub.message())["extensions"]["code"] == "NOT_FOUND"
        assert (await app.data(OPS["MySessions"], {}, other))["mySessions"]["edges"] == []
        error = payload_error(await app.gql(OPS["StartCharging"], start, other), "startCharging")
        assert error["code"] == "CONNECTOR_BUSY"
        # an id tag is one driver's: the owner's card cannot be claimed, the app tag is reserved
        linked = await app.data(OPS["LinkIdToken"], {"idTag": "CARD-OWNER-1"}, owner)
        assert linked["linkIdToken"]["idToken"] == {"idTag": "CARD-OWNER-1"}
        for tag, code in [
            ("CARD-OWNER-1", "ALREADY_EXISTS"),
            (id_tag, "INVALID_INPUT"),
            ("X" * 21, "INVALID_INPUT"),
            ("   ", "INVALID_INPUT"),
        ]:
            body = await app.gql(OPS["LinkIdToken"], {"idTag": tag}, other)
            [error] = body["data"]["linkIdToken"]["errors"]
            assert (error["code"], error["field"]) == (code, "idTag"), tag
        assert (await app.data("query { me { idTokens { idTag } } }", None, other))["me"][
            "idTokens"
        ] == []

        # operators: another organisation's cannot see it; a viewer reads but cannot act
        error = payload_error(
            await app.gql(OPS["RemoteStop"], {"sessionId": sid}, stranger), "remoteStop"
        )
        assert error["code"] == "NOT_FOUND"
        error = payload_error(
            await app.gql(
                OPS["RemoteStart"],
                {"input": {"stationId": station_id, "connectorId": 2, "idTag": "CARD-X"}},
                stranger,
            ),
            "remoteStart",
        )
        assert error["code"] == "NOT_FOUND"
        error = payload_error(
            await app.gql(OPS["RemoteStop"], {"sessionId": sid}, viewer), "remoteStop"
        )
        assert error["code"] == "FORBIDDEN"
        seen = await app.data(
            "query($id: ID!) { session(id: $id) { id status } }", {"id": sid}, viewer
        )
        assert seen["session"] == {"id": sid, "status": "CHARGING"}
        hidden = await app.gql("query($id: ID!) { session(id: $id) { id } }", {"id": sid}, stranger)
        assert graphql_error(hidden)["extensions"]["code"] == "NOT_FOUND"
        window = {"from": ts(utcnow().replace(year=2020)), "to": ts(utcnow())}
        body = await app.gql(
            OPS["StationTelemetry"], {"stationId": station_id, "range": window}, stranger
        )
        assert graphql_error(body)["extensions"]["code"] == "NOT_FOUND"
        body = await app.gql(
            OPS["StationTelemetry"], {"stationId": station_id, "range": window}, admin
        )
        assert graphql_error(body)["extensions"] == {"code": "INVALID_INPUT", "field": "range"}

        # anonymous reads, and subscriptions without a valid token
        body = await app.gql(OPS["MySessions"], {}, None)
        assert graphql_error(body)["extensions"]["code"] == "UNAUTHENTICATED"
        for init in (None, {}, {"Authorization": "Bearer forged.token.value"}):
            assert await refused_subscription(app, init) == 4403
        # none of that touched the session: the owner stops it
        assert cp.received[-1][0] == "RemoteStartTransaction"
        async with app.subscribe(
            OPS["SessionProgress"], {"sessionId": sid}, owner, "sessionProgress"
        ) as progress:
            assert (await progress.next())["status"] == "CHARGING"
            await app.data(OPS["StopCharging"], {"sessionId": sid}, owner)
            assert cp.received[-1] == ("RemoteStopTransaction", {"transaction_id": tx})
            await cp.call(
                call.StopTransaction(meter_stop=500, timestamp=ts(utcnow()), transaction_id=tx)
            )
            assert (await progress_until(progress, "ENDED"))["energyKwh"] == 0.5
        error = payload_error(
            await app.gql(OPS["StopCharging"], {"sessionId": sid}, owner), "stopCharging"
        )
        assert error["code"] == "CONFLICT"  # it is not running any more

    # the station went away: starting there is refused up front
    for _ in range(100):
        listed = await app.data(OPS["Stations"], {"filter": {"siteId": site_id}}, admin)
        if not listed["stations"]["edges"][0]["node"]["online"]:
            break
        await asyncio.sleep(0.01)
    error = payload_error(await app.gql(OPS["StartCharging"], start, owner), "startCharging")
    assert error["code"] == "STATION_OFFLINE"
    mine = await app.data(OPS["MySessions"], {}, owner)
    assert [e["node"]["status"] for e in mine["mySessions"]["edges"]] == ["ENDED"]
