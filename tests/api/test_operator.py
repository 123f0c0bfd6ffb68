"""The operator console's operations over real HTTP: sites, stations, filters, roles, isolation."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from domain.charging.commands import (
    ChangeAvailability,
    CommandResult,
    CommandStatus,
    Reset,
    UpdateFirmware,
)
from domain.common.clock import utcnow
from domain.network.models import Site, Station
from tests.api.conftest import Api
from tests.factories.network import STATION_KEY

CREATE_SITE = """mutation CreateSite($input: CreateSiteInput!) {
  createSite(input: $input) { site { id name timezone } errors { code field message } }
}"""
REGISTER = """mutation RegisterStation($input: RegisterStationInput!) {
  registerStation(input: $input) { station { id chargePointId name } errors { code field message } }
}"""
STATIONS = """query Stations($filter: StationFilter, $first: Int, $after: String) {
  stations(filter: $filter, first: $first, after: $after) {
    totalCount
    edges { node {
      id chargePointId name online lastSeenAt ocppVersion vendor model firmwareVersion
      site { id name }
      connectors { connectorId status errorCode }
      health { status temperatureC voltageV currentA powerKw efficiencyPercent sampledAt }
      openAlerts { id kind severity }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""
RESET = """mutation ResetStation($stationId: ID!, $hard: Boolean) {
  resetStation(stationId: $stationId, hard: $hard) { accepted errors { code field message } }
}"""
AVAILABILITY = """mutation ChangeAvailability($stationId: ID!, $connectorId: Int, $available: Boolean!) {
  changeAvailability(stationId: $stationId, connectorId: $connectorId, available: $available) {
    accepted errors { code field message }
  }
}"""
DIAGNOSTICS = """mutation RequestDiagnostics($stationId: ID!, $location: String) {
  requestDiagnostics(stationId: $stationId, location: $location) {
    request { id status fileName requestedAt } errors { code field message }
  }
}"""
FIRMWARE = """mutation UpdateFirmware($stationId: ID!, $location: String!, $retrieveAt: DateTime) {
  updateFirmware(stationId: $stationId, location: $location, retrieveAt: $retrieveAt) {
    accepted errors { code field message }
  }
}"""
HISTORY = """query($stationId: ID!, $range: DateRangeInput!) {
  station(id: $stationId) { id statusHistory(range: $range) { connectorId status errorCode from to } }
}"""
NEARBY = """query NearbyStations($near: GeoPointInput!, $radiusKm: Float!, $first: Int) {
  stationsNearby(near: $near, radiusKm: $radiusKm, first: $first) {
    edges { distanceKm node {
      id name online location { latitude longitude } site { id name address }
      connectors { connectorId status standard maxPowerKw } tariff { id name currency summary }
    } }
  }
}"""


def site_input(**overrides: Any) -> dict[str, Any]:
    return {
        "name": "Depot " + str(overrides.pop("n", "")),
        "address": "Hamngatan 1, Stockholm",
        "location": {"latitude": 59.33, "longitude": 18.07},
        "timezone": "Europe/Stockholm",
    } | overrides


def station_input(site_id: str, cp: str, **overrides: Any) -> dict[str, Any]:
    return {
        "chargePointId": cp,
        "name": overrides.pop("name", cp),
        "siteId": site_id,
        "password": STATION_KEY,
        "connectors": [
            {"connectorId": 1, "standard": "CCS2", "maxPowerKw": 150},
            {"connectorId": 2, "standard": "TYPE2", "maxPowerKw": 22},
        ],
    } | overrides


async def create_site(api: Api, token: str, **overrides: Any) -> str:
    body = await api.gql(CREATE_SITE, {"input": site_input(**overrides)}, token)
    payload = body["data"]["createSite"]
    assert payload["errors"] == [], payload
    site_id: str = payload["site"]["id"]
    return site_id


async def register(api: Api, token: str, site_id: str, cp: str, **overrides: Any) -> str:
    body = await api.gql(REGISTER, {"input": station_input(site_id, cp, **overrides)}, token)
    payload = body["data"]["registerStation"]
    assert payload["errors"] == [], payload
    station_id: str = payload["station"]["id"]
    return station_id


async def test_operator_creates_a_site_and_registers_a_station(api: Api) -> None:
    org, token = await api.operator("operator")
    body = await api.gql(CREATE_SITE, {"input": site_input(n="north")}, token)
    site = body["data"]["createSite"]["site"]
    assert site["name"] == "Depot north" and site["timezone"] == "Europe/Stockholm"
    body = await api.gql(REGISTER, {"input": station_input(site["id"], "OP-CP-1")}, token)
    station = body["data"]["registerStation"]["station"]
    assert station["chargePointId"] == "OP-CP-1"
    stored = await Station.find_one(Station.charge_point_id == "OP-CP-1")
    assert stored is not None and stored.org_id == org.id
    assert STATION_KEY not in stored.password_hash  # the OCPP key is kept only as a hash
    assert [c.max_power_w for c in stored.connectors] == [150_000, 22_000]

    listed = (await api.gql(STATIONS, {}, token))["data"]["stations"]
    node = listed["edges"][0]["node"]
    assert listed["totalCount"] == 1
    assert node["site"] == {"id": site["id"], "name": "Depot north"}
    assert node["connectors"][0] == {"connectorId": 1, "status": "UNKNOWN", "errorCode": None}
    assert (node["online"], node["health"], node["openAlerts"]) == (False, None, [])

    again = await api.gql(REGISTER, {"input": station_input(site["id"], "OP-CP-1")}, token)
    assert again["data"]["registerStation"]["errors"][0]["code"] == "ALREADY_EXISTS"


async def test_bad_input_gets_coded_errors_and_stores_nothing(api: Api) -> None:
    org, token = await api.operator()
    bad_tz = await api.gql(CREATE_SITE, {"input": site_input(timezone="Mars/Olympus")}, token)
    assert bad_tz["data"]["createSite"]["errors"][0] | {"message": ""} == {
        "code": "INVALID_INPUT",
        "field": "timezone",
        "message": "",
    }
    bad_lat = await api.gql(
        CREATE_SITE, {"input": site_input(location={"latitude": 91, "longitude": 0})}, token
    )
    assert bad_lat["data"]["createSite"]["errors"][0]["field"] == "location"
    assert await Site.find(Site.org_id == org.id).count() == 0

    site_id = await create_site(api, token)
    short_key = await api.gql(
        REGISTER, {"input": station_input(site_id, "BAD-KEY", password="short")}, token
    )
    assert short_key["data"]["registerStation"]["errors"][0]["field"] == "password"
    bad_site = await api.gql(REGISTER, {"input": station_input("nonsense", "BAD-SITE")}, token)
    assert bad_site["data"]["registerStation"]["errors"][0]["field"] == "siteId"
    assert await Station.find(Station.org_id == org.id).count() == 0


async def test_filters_and_pagination(api: Api) -> None:
    _, token = await api.operator()
    north = await create_site(api, token, n="N")
    south = await create_site(api, token, n="S")
    ids = {}
    for i in range(5):
        ids[i] = await register(api, token, north if i < 3 else south, f"PG-{i}", name=f"Pump {i}")
    charging = await Station.get(ids[1])
    await api.deps.network.connector_status(
        charging, connector_id=2, status="Charging", error_code=None, at=utcnow()
    )
    await api.deps.network.station_connected(await Station.get(ids[4]), node_id="n1")

    async def names(variables: dict[str, Any]) -> tuple[int, list[str]]:
        data = (await api.gql(STATIONS, variables, token))["data"]["stations"]
        return data["totalCount"], [e["node"]["name"] for e in data["edges"]]

    assert await names({"filter": {"siteId": south}}) == (2, ["Pump 3", "Pump 4"])
    assert await names({"filter": {"online": True}}) == (1, ["Pump 4"])
    assert await names({"filter": {"connectorStatus": "CHARGING"}}) == (1, ["Pump 1"])
    assert await names({"filter": {"search": "pg-2"}}) == (1, ["Pump 2"])

    seen: list[str] = []
    after = None
    while True:
        data = (await api.gql(STATIONS, {"first": 2, "after": after}, token))["data"]["stations"]
        assert data["totalCount"] == 5
        seen += [e["node"]["name"] for e in data["edges"]]
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == [f"Pump {i}" for i in range(5)]
    bad = await api.gql(STATIONS, {"after": "garbage!"}, token)
    assert bad["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "after"}


async def test_viewer_reads_but_cannot_act(api: Api) -> None:
    org, admin = await api.operator()
    site_id = await create_site(api, admin)
    station_id = await register(api, admin, site_id, "VIEW-1")
    viewer = await api.operator_in(org, "viewer")
    assert (await api.gql(STATIONS, {}, viewer))["data"]["stations"]["totalCount"] == 1
    before = len(api.gateway.sent)
    for query, variables in [
        (CREATE_SITE, {"input": site_input(n="viewer")}),
        (REGISTER, {"input": station_input(site_id, "VIEW-2")}),
        (RESET, {"stationId": station_id}),
        (AVAILABILITY, {"stationId": station_id, "available": False}),
        (DIAGNOSTICS, {"stationId": station_id, "location": "https://up.example.com/"}),
        (FIRMWARE, {"stationId": station_id, "location": "https://fw.example.com/1.2.bin"}),
    ]:
        payload = next(iter((await api.gql(query, variables, viewer))["data"].values()))
        assert payload["errors"][0]["code"] == "FORBIDDEN", query
    assert len(api.gateway.sent) == before
    assert await Station.find(Station.charge_point_id == "VIEW-2").count() == 0


async def test_drivers_and_anonymous_cannot_use_operator_operations(api: Api) -> None:
    driver = await api.driver()
    listed = await api.gql(STATIONS, {}, driver)
    assert listed["data"] is None and listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    created = await api.gql(CREATE_SITE, {"input": site_input()}, driver)
    assert created["data"]["createSite"]["errors"][0]["code"] == "FORBIDDEN"
    anonymous = await api.gql(CREATE_SITE, {"input": site_input()})
    assert anonymous["data"]["createSite"]["errors"][0]["code"] == "UNAUTHENTICATED"
    assert (await api.gql(STATIONS, {}))["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_organisations_are_isolated(api: Api) -> None:
    _, mine = await api.operator()
    _, theirs = await api.operator()
    their_site = await create_site(api, theirs)
    their_station = await register(api, theirs, their_site, "ISO-THEIRS")
    assert (await api.gql(STATIONS, {}, mine))["data"]["stations"]["totalCount"] == 0
    found = await api.gql(
        HISTORY,
        {
            "stationId": their_station,
            "range": {"from": "2025-01-01T00:00:00+00:00", "to": "2030-01-01T00:00:00+00:00"},
        },
        mine,
    )
    assert found["data"]["station"] is None
    assert found["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    hijack = await api.gql(REGISTER, {"input": station_input(their_site, "ISO-MINE")}, mine)
    assert hijack["data"]["registerStation"]["errors"][0]["code"] == "NOT_FOUND"
    reset = await api.gql(RESET, {"stationId": their_station}, mine)
    assert reset["data"]["resetStation"]["errors"][0]["code"] == "NOT_FOUND"
    by_site = await api.gql(STATIONS, {"filter": {"siteId": their_site}}, mine)
    assert by_site["data"]["stations"]["totalCount"] == 0


async def test_station_commands_go_through_the_command_service(api: Api) -> None:
    _, token = await api.operator("operator")
    site_id = await create_site(api, token)
    station_id = await register(api, token, site_id, "CMD-1")
    api.gateway.answer = CommandResult(CommandStatus.ACCEPTED, data={"file_name": "diag.zip"})
    try:
        reset = await api.gql(RESET, {"stationId": station_id, "hard": True}, token)
        assert reset["data"]["resetStation"] == {"accepted": True, "errors": []}
        assert api.gateway.sent[-1] == ("CMD-1", Reset(hard=True))

        avail = await api.gql(
            AVAILABILITY, {"stationId": station_id, "connectorId": 2, "available": False}, token
        )
        assert avail["data"]["changeAvailability"]["accepted"] is True
        assert api.gateway.sent[-1] == (
            "CMD-1",
            ChangeAvailability(available=False, connector_id=2),
        )
        sent = len(api.gateway.sent)
        no_such = await api.gql(
            AVAILABILITY, {"stationId": station_id, "connectorId": 7, "available": True}, token
        )
        assert no_such["data"]["changeAvailability"]["errors"][0]["field"] == "connectorId"

        bad_url = await api.gql(
            FIRMWARE, {"stationId": station_id, "location": "file:///etc/passwd"}, token
        )
        assert bad_url["data"]["updateFirmware"]["errors"][0] | {"message": ""} == {
            "code": "INVALID_INPUT",
            "field": "location",
            "message": "",
        }
        no_location = await api.gql(DIAGNOSTICS, {"stationId": station_id}, token)
        assert no_location["data"]["requestDiagnostics"]["errors"][0]["field"] == "location"
        assert len(api.gateway.sent) == sent  # refused input never reaches the station

        at = (utcnow() + timedelta(hours=1)).replace(microsecond=0)
        firmware = await api.gql(
            FIRMWARE,
            {
                "stationId": station_id,
                "location": "https://fw.example.com/2.0.bin",
                "retrieveAt": at.isoformat(),
            },
            token,
        )
        assert firmware["data"]["updateFirmware"]["accepted"] is True
        cp_id, update = api.gateway.sent[-1]
        assert isinstance(update, UpdateFirmware) and update.request_id > 0  # its own id
        assert (cp_id, update) == (
            "CMD-1",
            UpdateFirmware(
                location="https://fw.example.com/2.0.bin",
                retrieve_at=at,
                request_id=update.request_id,
            ),
        )

        diag = await api.gql(
            DIAGNOSTICS, {"stationId": station_id, "location": "ftp://up.example.com/"}, token
        )
        request = diag["data"]["requestDiagnostics"]["request"]
        assert (request["status"], request["fileName"]) == ("REQUESTED", "diag.zip")

        api.gateway.answer = CommandResult(CommandStatus.OFFLINE, "not connected")
        offline = await api.gql(RESET, {"stationId": station_id}, token)
        assert offline["data"]["resetStation"]["accepted"] is False
        assert offline["data"]["resetStation"]["errors"][0]["code"] == "STATION_OFFLINE"
        api.gateway.answer = CommandResult(CommandStatus.REJECTED, "Rejected")
        rejected = await api.gql(RESET, {"stationId": station_id}, token)
        assert rejected["data"]["resetStation"]["errors"][0]["code"] == "COMMAND_REJECTED"
    finally:
        api.gateway.answer = CommandResult(CommandStatus.ACCEPTED)


async def test_status_history(api: Api) -> None:
    _, token = await api.operator()
    site_id = await create_site(api, token)
    station_id = await register(api, token, site_id, "HIST-1")
    station = await Station.get(station_id)
    t0 = utcnow().replace(microsecond=0) - timedelta(hours=2)
    for minutes, status in [(0, "Available"), (30, "Charging"), (90, "Available")]:
        await api.deps.network.connector_status(
            station,
            connector_id=1,
            status=status,
            error_code=None,
            at=t0 + timedelta(minutes=minutes),
        )
    window = {"from": t0.isoformat(), "to": (t0 + timedelta(hours=3)).isoformat()}
    rows = (await api.gql(HISTORY, {"stationId": station_id, "range": window}, token))["data"][
        "station"
    ]["statusHistory"]
    assert [(r["status"], r["from"], r["to"]) for r in rows] == [
        ("AVAILABLE", t0.isoformat(), (t0 + timedelta(minutes=30)).isoformat()),
        (
            "CHARGING",
            (t0 + timedelta(minutes=30)).isoformat(),
            (t0 + timedelta(minutes=90)).isoformat(),
        ),
        ("AVAILABLE", (t0 + timedelta(minutes=90)).isoformat(), None),
    ]
    backwards = {"from": window["to"], "to": window["from"]}
    bad = await api.gql(HISTORY, {"stationId": station_id, "range": backwards}, token)
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_drivers_find_stations_nearby_nearest_first(api: Api) -> None:
    _, token = await api.operator()
    site_id = await create_site(api, token, location={"latitude": 57.70, "longitude": 11.97})
    far = await register(
        api, token, site_id, "NEAR-FAR", location={"latitude": 57.75, "longitude": 11.97}
    )
    near = await register(
        api, token, site_id, "NEAR-NEAR", location={"latitude": 57.701, "longitude": 11.97}
    )
    await api.deps.network.connector_status(
        await Station.get(near), connector_id=1, status="Charging", error_code=None, at=utcnow()
    )
    driver = await api.driver()
    body = await api.gql(
        NEARBY, {"near": {"latitude": 57.70, "longitude": 11.97}, "radiusKm": 10}, driver
    )
    edges = body["data"]["stationsNearby"]["edges"]
    assert [e["node"]["id"] for e in edges] == [near, far]
    assert edges[0]["distanceKm"] < 0.2 < 5 < edges[1]["distanceKm"] < 6
    assert edges[0]["node"]["connectors"][0] == {
        "connectorId": 1,
        "status": "CHARGING",
        "standard": "CCS2",
        "maxPowerKw": 150.0,
    }
    assert edges[0]["node"]["site"]["address"] == "Hamngatan 1, Stockholm"
    assert edges[0]["node"]["tariff"] is None
    too_far = await api.gql(
        NEARBY, {"near": {"latitude": 57.70, "longitude": 11.97}, "radiusKm": 1000}, driver
    )
    assert too_far["errors"][0]["extensions"] == {"code": "INVALID_INPUT", "field": "radiusKm"}
    anonymous = await api.gql(
        NEARBY, {"near": {"latitude": 57.70, "longitude": 11.97}, "radiusKm": 10}
    )
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
