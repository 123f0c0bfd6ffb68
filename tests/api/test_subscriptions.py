"""stationEvents over real WebSocket (graphql-transport-ws), fed by the domain's events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from domain.charging.events import StationTelemetryUpdated
from domain.common.clock import utcnow
from domain.network.models import Station
from tests.api.conftest import Api
from tests.api.test_operator import create_site, register

STATION_EVENTS = """subscription StationEvents($siteId: ID) {
  stationEvents(siteId: $siteId) {
    __typename
    ... on ConnectorStatusChanged { stationId connectorId status errorCode at }
    ... on StationConnectivityChanged { stationId online at }
    ... on StationTelemetryUpdated { stationId connectorId temperatureC voltageV currentA powerKw at }
  }
}"""


async def subscribed(api: Api, before: int) -> None:
    """The server registers the subscriber when it starts the operation: wait for that."""
    for _ in range(200):
        if api.events.subscriber_count > before:
            return
        await asyncio.sleep(0.005)
    raise AssertionError("the subscription never reached the event bus")


async def next_event(ws: ClientConnection) -> dict[str, Any]:
    """The next event, which must arrive within a second."""
    message = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    event: dict[str, Any] = message["payload"]["data"]["stationEvents"]
    return event


async def test_operator_receives_status_connectivity_and_telemetry_within_a_second(
    api: Api,
) -> None:
    org, admin = await api.operator()
    viewer = await api.operator_in(org, "viewer")  # watching is reading: viewers may
    site_id = await create_site(api, admin)
    station = await Station.get(await register(api, admin, site_id, "SUB-LIVE"))
    before = api.events.subscriber_count
    async with api.subscribe(STATION_EVENTS, {}, viewer) as ws:
        await subscribed(api, before)
        at = utcnow().replace(microsecond=0)
        await api.deps.network.connector_status(
            station, connector_id=1, status="Faulted", error_code="GroundFailure", at=at
        )
        assert await next_event(ws) == {
            "__typename": "ConnectorStatusChanged",
            "stationId": str(station.id),
            "connectorId": 1,
            "status": "FAULTED",
            "errorCode": "GroundFailure",
            "at": at.isoformat(),
        }
        await api.deps.network.station_connected(station, node_id="node-1")
        event = await next_event(ws)
        assert (event["__typename"], event["online"]) == ("StationConnectivityChanged", True)
        api.events.publish(  # the charging context publishes these from MeterValues
            StationTelemetryUpdated(
                org_id=str(org.id),
                site_id=site_id,
                station_id=str(station.id),
                at=at,
                connector_id=1,
                temperature_c=41.5,
                voltage_v=231.0,
                current_a=32.0,
                power_w=22_080.0,
            )
        )
        event = await next_event(ws)
        assert event["__typename"] == "StationTelemetryUpdated"
        assert (event["temperatureC"], event["powerKw"]) == (41.5, 22.08)


async def test_events_are_scoped_to_the_org_and_the_site(api: Api) -> None:
    _, token = await api.operator()
    watched = await create_site(api, token, n="watched")
    other_site = await create_site(api, token, n="other")
    mine = await Station.get(await register(api, token, watched, "SCOPE-MINE"))
    same_org = await Station.get(await register(api, token, other_site, "SCOPE-OTHER-SITE"))
    _, stranger = await api.operator()
    theirs = await Station.get(
        await register(api, stranger, await create_site(api, stranger), "SCOPE-THEIRS")
    )
    before = api.events.subscriber_count
    async with api.subscribe(STATION_EVENTS, {"siteId": watched}, token) as ws:
        await subscribed(api, before)
        for station in (theirs, same_org, mine):
            await api.deps.network.connector_status(
                station, connector_id=2, status="Charging", error_code=None, at=utcnow()
            )
        event = await next_event(ws)
        assert event["stationId"] == str(mine.id)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(ws.recv(), 0.2)


async def _refused(api: Api, payload: dict[str, Any] | None) -> ConnectionClosed:
    async with connect(api.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        init: dict[str, Any] = {"type": "connection_init"}
        if payload is not None:
            init["payload"] = payload
        await ws.send(json.dumps(init))
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 2)
        return closed.value


async def test_a_subscription_without_a_valid_token_is_refused(api: Api) -> None:
    for payload in (
        None,
        {},
        {"Authorization": "Bearer forged.token.here"},
        {"Authorization": "Basic x"},
    ):
        closed = await _refused(api, payload)
        assert closed.rcvd is not None and closed.rcvd.code == 4403, payload
    # and nothing can be subscribed before connection_init is acknowledged
    async with connect(api.ws_url, subprotocols=["graphql-transport-ws"]) as ws:  # type: ignore[list-item]
        await ws.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": STATION_EVENTS}})
        )
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(ws.recv(), 2)
        assert closed.value.rcvd is not None and closed.value.rcvd.code == 4401


async def _first_error(api: Api, variables: dict[str, Any], token: str) -> dict[str, Any]:
    async with api.subscribe(STATION_EVENTS, variables, token) as ws:
        message = json.loads(await asyncio.wait_for(ws.recv(), 2))
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    error: dict[str, Any] = errors[0]
    return error


async def test_drivers_and_foreign_sites_get_coded_errors(api: Api) -> None:
    driver = await api.driver()
    assert (await _first_error(api, {}, driver))["extensions"]["code"] == "FORBIDDEN"
    _, stranger = await api.operator()
    foreign_site = await create_site(api, stranger)
    _, token = await api.operator()
    error = await _first_error(api, {"siteId": foreign_site}, token)
    assert error["extensions"] == {"code": "NOT_FOUND", "field": "siteId"}
