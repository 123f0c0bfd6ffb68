"""Charging over real HTTP/WebSocket with the real ChargingService; the station's side is the
outermost edge: a scripted gateway answers commands and the test reports transactions as the OCPP
server would (ChargingService.start_transaction/stop_transaction)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest

from domain.charging.commands import (
    CommandResult,
    CommandStatus,
    RemoteStart,
    StationCommandService,
)
from domain.charging.service import ChargingService
from domain.common.clock import utcnow
from domain.common.events import InProcessEventBus
from domain.network.models import Station
from domain.network.service import NetworkService
from tests.api.conftest import Api, FakeGateway, start_api
from tests.factories.network import create_site, create_station

START = """mutation($input: StartChargingInput!) {
  startCharging(input: $input) { session { id status } errors { code field message } }
}"""
STOP = """mutation($id: ID!) {
  stopCharging(sessionId: $id) { session { id status } errors { code field message } }
}"""
MY_SESSIONS = """query($first: Int, $after: String) {
  mySessions(first: $first, after: $after) {
    edges { cursor node { id status energyKwh } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}"""
SESSIONS = """query($active: Boolean) {
  sessions(active: $active) { totalCount edges { node { id status station { id } } } }
}"""
PROGRESS = """subscription($id: ID!) {
  sessionProgress(sessionId: $id) { id status energyKwh powerKw durationSeconds cost { amount } }
}"""


@dataclass
class Charging:
    api: Api
    service: ChargingService
    gateway: FakeGateway  # the station, as far as commands go


@pytest.fixture(scope="module", name="c")
async def charging_api(database: object) -> AsyncIterator[Charging]:
    events = InProcessEventBus()
    network = NetworkService(events)
    gateway = FakeGateway()
    service = ChargingService(events, network, StationCommandService(gateway))
    async with start_api(events=events, network=network, charging=service) as api:
        yield Charging(api, service, gateway)


async def online_station(c: Charging) -> tuple[str, Station]:
    """An operator's token and a station of theirs that is connected."""
    org, token = await c.api.operator()
    site = await create_site(c.api.deps.network, org.id)  # type: ignore[arg-type]
    station = await create_station(c.api.deps.network, org.id, site.id)  # type: ignore[arg-type]
    await c.api.deps.network.station_connected(station, node_id="node-1")
    return token, station


async def start(c: Charging, driver: str, station: Station, connector: int = 1) -> dict[str, Any]:
    body = await c.api.gql(
        START, {"input": {"stationId": str(station.id), "connectorId": connector}}, driver
    )
    result: dict[str, Any] = body["data"]["startCharging"]
    return result


async def charge(c: Charging, driver: str, station: Station, wh: int) -> str:
    """A whole session: the app starts it, the station reports its start and its stop."""
    started = await start(c, driver, station)
    assert started["errors"] == [], started
    command = c.gateway.sent[-1][1]
    assert isinstance(command, RemoteStart)
    tx = await c.service.start_transaction(
        station, connector_id=1, id_tag=command.id_tag, meter_start_wh=0, timestamp=utcnow()
    )
    await c.service.stop_transaction(
        station,
        transaction_id=tx.session.transaction_id or "",
        meter_stop_wh=wh,
        timestamp=utcnow(),
    )
    session_id: str = started["session"]["id"]
    return session_id


async def test_my_sessions_is_a_cursor_paginated_connection_newest_first(c: Charging) -> None:
    _, station = await online_station(c)
    driver = await c.api.driver()
    ids = [await charge(c, driver, station, wh) for wh in (1_000, 2_000, 3_000)]
    first = (await c.api.gql(MY_SESSIONS, {"first": 2}, driver))["data"]["mySessions"]
    assert [e["node"]["id"] for e in first["edges"]] == [ids[2], ids[1]]
    assert [e["node"]["energyKwh"] for e in first["edges"]] == [3.0, 2.0]
    assert first["pageInfo"] == {"hasNextPage": True, "endCursor": first["edges"][1]["cursor"]}
    assert first["totalCount"] is None  # not counted for a driver's own list
    rest = await c.api.gql(
        MY_SESSIONS, {"first": 2, "after": first["pageInfo"]["endCursor"]}, driver
    )
    page = rest["data"]["mySessions"]
    assert [e["node"]["id"] for e in page["edges"]] == [ids[0]]
    assert page["pageInfo"]["hasNextPage"] is False
    for variables in ({"first": 0}, {"first": 201}, {"after": "not a cursor"}):
        body = await c.api.gql(MY_SESSIONS, variables, driver)
        assert body["data"] is None
        assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT", variables


async def test_a_refused_remote_start_fails_the_session_and_frees_the_connector(
    c: Charging,
) -> None:
    _, station = await online_station(c)
    driver = await c.api.driver()
    for status, code in [
        (CommandStatus.REJECTED, "COMMAND_REJECTED"),
        (CommandStatus.TIMED_OUT, "COMMAND_TIMED_OUT"),
        (CommandStatus.OFFLINE, "STATION_OFFLINE"),
    ]:
        c.gateway.answer = CommandResult(status, "no")
        try:
            result = await start(c, driver, station)
        finally:
            c.gateway.answer = CommandResult(CommandStatus.ACCEPTED)
        assert result["session"] is None and result["errors"][0]["code"] == code
    mine = (await c.api.gql(MY_SESSIONS, {}, driver))["data"]["mySessions"]["edges"]
    assert [e["node"]["status"] for e in mine] == ["FAILED"] * 3  # kept, and said so
    again = await start(c, driver, station)
    assert again["errors"] == [] and again["session"]["status"] == "PENDING"
    # a second start on the held connector is refused, and nothing is sent to the station
    sent = len(c.gateway.sent)
    busy = await start(c, await c.api.driver(), station)
    assert busy["errors"][0]["code"] == "CONNECTOR_BUSY" and len(c.gateway.sent) == sent
    # stopping what has not started is a conflict, not a command
    stop = await c.api.gql(STOP, {"id": again["session"]["id"]}, driver)
    assert stop["data"]["stopCharging"]["errors"][0]["code"] == "CONFLICT"
    assert len(c.gateway.sent) == sent


async def test_operators_list_their_organisations_sessions_only(c: Charging) -> None:
    token, station = await online_station(c)
    other_token, other_station = await online_station(c)
    driver = await c.api.driver()
    ended = await charge(c, driver, station, 500)
    running = (await start(c, driver, station))["session"]["id"]
    await charge(c, driver, other_station, 700)
    listed = (await c.api.gql(SESSIONS, {}, token))["data"]["sessions"]
    assert listed["totalCount"] == 2
    assert [e["node"]["id"] for e in listed["edges"]] == [running, ended]
    assert {e["node"]["station"]["id"] for e in listed["edges"]} == {str(station.id)}
    active = (await c.api.gql(SESSIONS, {"active": True}, token))["data"]["sessions"]
    assert [e["node"]["id"] for e in active["edges"]] == [running]
    assert (await c.api.gql(SESSIONS, {}, other_token))["data"]["sessions"]["totalCount"] == 1
    body = await c.api.gql(SESSIONS, {}, driver)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_following_an_ended_session_shows_it_once_and_completes(c: Charging) -> None:
    _, station = await online_station(c)
    driver = await c.api.driver()
    session_id = await charge(c, driver, station, 2_345)
    async with c.api.subscribe(PROGRESS, {"id": session_id}, driver) as ws:
        first = json.loads(await ws.recv())
        assert first["type"] == "next", first
        progress = first["payload"]["data"]["sessionProgress"]
        assert (progress["id"], progress["status"], progress["energyKwh"]) == (
            session_id,
            "ENDED",
            2.345,
        )
        assert progress["cost"] is None and progress["durationSeconds"] >= 0
        assert json.loads(await ws.recv())["type"] == "complete"
    async with c.api.subscribe(PROGRESS, {"id": "garbage"}, driver) as ws:
        error = json.loads(await ws.recv())
        errors = error["payload"] if error["type"] == "error" else error["payload"]["errors"]
        assert errors[0]["extensions"] == {"code": "INVALID_INPUT", "field": "sessionId"}
