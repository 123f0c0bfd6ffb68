"""Alerts over real HTTP and WebSocket: alertFeed, alerts, acknowledgeAlert, setAlertRule, station
health and openAlerts, requestDiagnostics recorded by diagnostics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from websockets.asyncio.client import ClientConnection

from domain.charging.commands import CommandResult, CommandStatus, RequestDiagnostics
from domain.common.clock import utcnow
from domain.diagnostics.events import TransferStatusReported
from domain.diagnostics.models import FileTransfer
from domain.diagnostics.service import DiagnosticsService
from domain.network.models import Station
from tests.api.conftest import Api, start_api
from tests.api.test_operator import DIAGNOSTICS, STATIONS, create_site, register
from tests.api.test_subscriptions import subscribed

ALERT_FEED = """subscription AlertFeed($siteId: ID) {
  alertFeed(siteId: $siteId) {
    id kind severity state message stationId connectorId raisedAt resolvedAt
  }
}"""
ALERTS = """query Alerts($state: AlertState, $first: Int, $after: String) {
  alerts(state: $state, first: $first, after: $after) {
    edges { node { id kind severity state message stationId connectorId raisedAt acknowledgedAt resolvedAt } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ACK = """mutation AcknowledgeAlert($id: ID!) {
  acknowledgeAlert(id: $id) { alert { id state acknowledgedAt } errors { code field message } }
}"""
SET_RULE = """mutation SetAlertRule($input: AlertRuleInput!) {
  setAlertRule(input: $input) {
    rule { id kind threshold durationSeconds severity enabled }
    errors { code field message }
  }
}"""


@pytest.fixture(scope="module")
async def api(database: object) -> AsyncIterator[Api]:
    async with start_api() as running:
        running.deps.diagnostics = DiagnosticsService(running.events)
        running.deps.diagnostics_upload_url = "ftp://uploads.example.com/diag/"
        yield running


def diagnostics(api: Api) -> DiagnosticsService:
    assert api.deps.diagnostics is not None
    return api.deps.diagnostics


async def next_alert(ws: ClientConnection) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    alert: dict[str, Any] = message["payload"]["data"]["alertFeed"]
    return alert


async def temperature(api: Api, station: Station, connector: int, celsius: float, at: Any) -> None:
    from domain.charging.events import StationTelemetryUpdated

    await diagnostics(api).on_event(
        StationTelemetryUpdated(
            org_id=str(station.org_id),
            site_id=str(station.site_id),
            station_id=str(station.id),
            at=at,
            connector_id=connector,
            temperature_c=celsius,
        )
    )


async def online(api: Api, station: Station) -> Station:
    await api.deps.network.station_connected(station, node_id="n1")
    fresh = await Station.get(station.id)
    assert fresh is not None
    return fresh


async def test_rule_raises_an_alert_the_feed_lists_and_an_operator_acknowledges(api: Api) -> None:
    org, admin = await api.operator()
    viewer = await api.operator_in(org, "viewer")
    site_id = await create_site(api, admin, name="Alert site")
    station = await online(api, await Station.get(await register(api, admin, site_id, "AL-1")))  # type: ignore[arg-type]
    rule = await api.gql(
        SET_RULE,
        {"input": {"kind": "OVERHEATING", "threshold": 60, "durationSeconds": 30}},
        admin,
    )
    assert rule["data"]["setAlertRule"]["rule"] == {
        "id": rule["data"]["setAlertRule"]["rule"]["id"],
        "kind": "OVERHEATING",
        "threshold": 60.0,
        "durationSeconds": 30,
        "severity": "CRITICAL",
        "enabled": True,
    }
    before = api.events.subscriber_count
    async with api.subscribe(ALERT_FEED, {"siteId": site_id}, viewer) as ws:
        await subscribed(api, before)
        t0 = utcnow()
        await temperature(api, station, 1, 65.0, t0)
        await temperature(api, station, 1, 66.0, t0 + timedelta(seconds=20))  # not 30 s yet
        await temperature(api, station, 1, 67.0, t0 + timedelta(seconds=31))
        raised = await next_alert(ws)
        assert (raised["kind"], raised["state"], raised["connectorId"]) == (
            "OVERHEATING",
            "RAISED",
            1,
        )
        assert raised["stationId"] == str(station.id) and raised["resolvedAt"] is None
        listed = await api.gql(ALERTS, {"state": "RAISED"}, viewer)
        nodes = [e["node"] for e in listed["data"]["alerts"]["edges"]]
        assert [n["id"] for n in nodes] == [raised["id"]]
        page = await api.gql(STATIONS, {"filter": {"siteId": site_id}}, viewer)
        node = page["data"]["stations"]["edges"][0]["node"]
        assert node["openAlerts"] == [
            {"id": raised["id"], "kind": "OVERHEATING", "severity": "CRITICAL"}
        ]
        assert node["health"]["status"] == "DEGRADED" and node["health"]["temperatureC"] == 67.0

        refused = await api.gql(ACK, {"id": raised["id"]}, viewer)  # viewers read only
        assert refused["data"]["acknowledgeAlert"]["errors"][0]["code"] == "FORBIDDEN"
        acked = await api.gql(ACK, {"id": raised["id"]}, admin)
        payload = acked["data"]["acknowledgeAlert"]
        assert payload["errors"] == [] and payload["alert"]["state"] == "ACKNOWLEDGED"
        assert (await next_alert(ws))["state"] == "ACKNOWLEDGED"
        assert (await api.gql(ALERTS, {"state": "RAISED"}, viewer))["data"]["alerts"]["edges"] == []

        # cooled below threshold - margin (55 °C) for the rule's 30 s: resolves itself
        t1 = t0 + timedelta(seconds=40)
        await temperature(api, station, 1, 50.0, t1)
        await temperature(api, station, 1, 50.0, t1 + timedelta(seconds=31))
        resolved = await next_alert(ws)
        assert (resolved["id"], resolved["state"]) == (raised["id"], "RESOLVED")
        assert resolved["resolvedAt"] is not None


async def test_other_organisations_see_nothing_and_cannot_acknowledge(api: Api) -> None:
    _, admin = await api.operator()
    site_id = await create_site(api, admin, name="Private")
    station = await online(api, await Station.get(await register(api, admin, site_id, "AL-2")))  # type: ignore[arg-type]
    await api.gql(SET_RULE, {"input": {"kind": "OVERHEATING", "durationSeconds": 0}}, admin)
    await temperature(api, station, 2, 90.0, utcnow())
    mine = await api.gql(ALERTS, {}, admin)
    alert_id = mine["data"]["alerts"]["edges"][0]["node"]["id"]
    _, stranger = await api.operator()
    assert (await api.gql(ALERTS, {}, stranger))["data"]["alerts"]["edges"] == []
    ack = await api.gql(ACK, {"id": alert_id}, stranger)
    assert ack["data"]["acknowledgeAlert"]["errors"][0]["code"] == "NOT_FOUND"
    bad = await api.gql(ACK, {"id": "not-an-id"}, admin)
    assert bad["data"]["acknowledgeAlert"]["errors"][0] == {
        "code": "INVALID_INPUT",
        "field": "id",
        "message": "'not-an-id' is not a valid alert id",
    }
    async with api.subscribe(ALERT_FEED, {"siteId": site_id}, stranger) as ws:
        message = json.loads(await asyncio.wait_for(ws.recv(), 1.0))
        assert message["payload"]["errors"][0]["extensions"] == {
            "code": "NOT_FOUND",
            "field": "siteId",
        }


async def test_set_alert_rule_rejects_bad_input_and_stores_nothing(api: Api) -> None:
    org, admin = await api.operator()
    out_of_range = await api.gql(
        SET_RULE, {"input": {"kind": "OVERHEATING", "threshold": 500}}, admin
    )
    error = out_of_range["data"]["setAlertRule"]["errors"][0]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", "threshold")
    negative = await api.gql(SET_RULE, {"input": {"kind": "OFFLINE", "durationSeconds": -1}}, admin)
    assert negative["data"]["setAlertRule"]["errors"][0]["field"] == "durationSeconds"
    _, other_admin = await api.operator()
    other_site = await create_site(api, other_admin, name="Theirs")
    foreign = await api.gql(SET_RULE, {"input": {"kind": "OFFLINE", "siteId": other_site}}, admin)
    assert foreign["data"]["setAlertRule"]["errors"][0]["field"] == "siteId"
    assert await diagnostics(api).list_rules(org.id) == []  # type: ignore[arg-type]
    unknown = await api.gql(SET_RULE, {"input": {"kind": "MELTDOWN"}}, admin)
    assert unknown["errors"][0]["message"].endswith("does not exist in 'AlertKind' enum.")


async def test_alerts_paginate_newest_first(api: Api) -> None:
    _, admin = await api.operator()
    site_id = await create_site(api, admin, name="Paged")
    await api.gql(SET_RULE, {"input": {"kind": "OVERHEATING", "durationSeconds": 0}}, admin)
    t0 = utcnow()
    for i in range(3):
        station = await online(
            api,
            await Station.get(await register(api, admin, site_id, f"AL-P{i}")),  # type: ignore[arg-type]
        )
        await temperature(api, station, 1, 95.0, t0 + timedelta(seconds=i))
    first = await api.gql(ALERTS, {"first": 2}, admin)
    page = first["data"]["alerts"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest = await api.gql(ALERTS, {"first": 2, "after": page["pageInfo"]["endCursor"]}, admin)
    ids = [e["node"]["id"] for e in page["edges"] + rest["data"]["alerts"]["edges"]]
    times = [e["node"]["raisedAt"] for e in page["edges"] + rest["data"]["alerts"]["edges"]]
    assert len(set(ids)) == 3 and times == sorted(times, reverse=True)
    assert rest["data"]["alerts"]["pageInfo"]["hasNextPage"] is False
    bad = await api.gql(ALERTS, {"after": "garbage"}, admin)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_request_diagnostics_is_recorded_and_followed_to_completion(api: Api) -> None:
    _, admin = await api.operator()
    site_id = await create_site(api, admin, name="Diag")
    station_id = await register(api, admin, site_id, "AL-D1")
    api.gateway.answer = CommandResult(CommandStatus.ACCEPTED, data={"file_name": "d.zip"})
    body = await api.gql(DIAGNOSTICS, {"stationId": station_id}, admin)
    request = body["data"]["requestDiagnostics"]["request"]
    assert (request["status"], request["fileName"]) == ("REQUESTED", "d.zip")
    transfer = await FileTransfer.get(request["id"])
    assert transfer is not None and transfer.file_name == "d.zip"
    sent = api.gateway.sent[-1][1]
    assert isinstance(sent, RequestDiagnostics) and sent.request_id == transfer.request_id
    station = await Station.get(station_id)
    assert station is not None
    for status in ("Uploading", "Uploaded"):  # what the OCPP handlers publish
        await diagnostics(api).on_event(
            TransferStatusReported(
                org_id=str(station.org_id),
                station_id=station_id,
                at=utcnow(),
                kind="DIAGNOSTICS",
                status=status,
                request_id=transfer.request_id,
            )
        )
    done = await FileTransfer.get(request["id"])
    assert done is not None and done.status.value == "Uploaded" and done.finished
    api.gateway.answer = CommandResult(CommandStatus.REJECTED)
    refused = await api.gql(DIAGNOSTICS, {"stationId": station_id}, admin)
    assert refused["data"]["requestDiagnostics"]["errors"][0]["code"] == "COMMAND_REJECTED"
    latest = (
        await FileTransfer.find({"station_id": station.id}).sort("-requested_at").first_or_none()
    )
    assert latest is not None and latest.status.value == "UploadFailed"
    api.gateway.answer = CommandResult(CommandStatus.ACCEPTED)


RESOLVE = """mutation ResolveAlert($id: ID!) {
  resolveAlert(id: $id) { alert { id state resolvedAt } errors { code field message } }
}"""
RULES = """query AlertRules($siteId: ID) {
  alertRules(siteId: $siteId) { kind threshold durationSeconds severity enabled setFor }
}"""


async def test_an_operator_resolves_an_alert_by_hand_and_a_viewer_cannot(api: Api) -> None:
    org, admin = await api.operator()
    viewer = await api.operator_in(org, "viewer")
    site_id = await create_site(api, admin, name="Resolved by hand")
    station = await online(api, await Station.get(await register(api, admin, site_id, "AL-R")))  # type: ignore[arg-type]
    await api.gql(SET_RULE, {"input": {"kind": "OVERHEATING", "durationSeconds": 0}}, admin)
    await temperature(api, station, 1, 95.0, utcnow())
    alert_id = (await api.gql(ALERTS, {"state": "RAISED"}, admin))["data"]["alerts"]["edges"][0][
        "node"
    ]["id"]
    refused = await api.gql(RESOLVE, {"id": alert_id}, viewer)
    assert refused["data"]["resolveAlert"]["errors"][0]["code"] == "FORBIDDEN"
    done = (await api.gql(RESOLVE, {"id": alert_id}, admin))["data"]["resolveAlert"]
    assert done["errors"] == [] and done["alert"]["state"] == "RESOLVED"
    assert done["alert"]["resolvedAt"] is not None
    assert (await api.gql(ALERTS, {"state": "RAISED"}, admin))["data"]["alerts"]["edges"] == []
    _, stranger = await api.operator()
    foreign = await api.gql(RESOLVE, {"id": alert_id}, stranger)
    assert foreign["data"]["resolveAlert"]["errors"][0]["code"] == "NOT_FOUND"


async def test_alert_rules_tell_the_rule_in_force_and_where_it_was_set(api: Api) -> None:
    org, admin = await api.operator()
    viewer = await api.operator_in(org, "viewer")
    site_id = await create_site(api, admin, name="Rules")
    defaults = {r["kind"]: r for r in (await api.gql(RULES, {}, viewer))["data"]["alertRules"]}
    assert len(defaults) == 9 and {r["setFor"] for r in defaults.values()} == {"DEFAULT"}
    await api.gql(SET_RULE, {"input": {"kind": "OVERHEATING", "threshold": 65}}, admin)
    await api.gql(
        SET_RULE, {"input": {"kind": "OFFLINE", "durationSeconds": 600, "siteId": site_id}}, admin
    )
    org_wide = {r["kind"]: r for r in (await api.gql(RULES, {}, viewer))["data"]["alertRules"]}
    assert (org_wide["OVERHEATING"]["threshold"], org_wide["OVERHEATING"]["setFor"]) == (
        65.0,
        "ORGANISATION",
    )
    assert org_wide["OFFLINE"] == defaults["OFFLINE"]
    at_site = {
        r["kind"]: r
        for r in (await api.gql(RULES, {"siteId": site_id}, viewer))["data"]["alertRules"]
    }
    assert (at_site["OFFLINE"]["durationSeconds"], at_site["OFFLINE"]["setFor"]) == (600, "SITE")
    assert at_site["OVERHEATING"]["setFor"] == "ORGANISATION"
    _, stranger = await api.operator()
    foreign = await api.gql(RULES, {"siteId": site_id}, stranger)
    assert foreign["data"] is None and foreign["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
