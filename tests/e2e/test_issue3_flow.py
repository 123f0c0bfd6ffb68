"""Issue 3, done: the contract's operations over real HTTP and WebSocket against a running laddnet
(production wiring) with ``ocpp`` library charge points connected over loopback.

An operator registers a station; the station connects and boots; the operator's stationEvents
subscription gets its status changes and telemetry within a second; a driver signs up, finds the
station nearby, starts charging (the station answers the remote start and reports the transaction),
follows sessionProgress, stops, and sees the ended session with its energy in mySessions."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from typing import Any

from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from domain.common.clock import utcnow
from tests.e2e.conftest import Laddnet
from tests.e2e.ops import LAT, LON, OPS, create_site, kind, progress_until, register_station, ts
from tests.factories.charging import connect_charge_point

ME = "query { me { id idTokens { idTag } activeSession { id status } } }"


def sv(value: str, measurand: str, unit: str, **extra: str) -> dict[str, str]:
    return {"value": value, "measurand": measurand, "unit": unit, **extra}


async def test_a_driver_charges_on_a_16_station_the_operator_watches(laddnet: Laddnet) -> None:
    app = laddnet
    _, admin = await app.operator()
    site_id = await create_site(app, admin)
    cp_id = f"E2E16-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(app, admin, site_id, cp_id)
    t_begin = utcnow()

    before = app.events.subscriber_count
    async with app.subscribe(
        OPS["StationEvents"], {"siteId": site_id}, admin, "stationEvents"
    ) as ops:
        await app.subscribed(before)
        async with connect_charge_point(app.ocpp_port, cp_id, "1.6") as cp:
            await ops.until(kind("StationConnectivityChanged", stationId=station_id, online=True))
            boot = await cp.call(
                call16.BootNotification(
                    charge_point_vendor="Laddco",
                    charge_point_model="L50",
                    firmware_version="2.1.0",
                )
            )
            assert boot.status == "Accepted"
            await cp.call(
                call16.StatusNotification(
                    connector_id=1, error_code="NoError", status="Available", timestamp=ts(utcnow())
                )
            )
            await ops.until(
                kind(
                    "ConnectorStatusChanged",
                    stationId=station_id,
                    connectorId=1,
                    status="AVAILABLE",
                )
            )
            listed = await app.data(OPS["Stations"], {"filter": {"siteId": site_id}}, admin)
            node = listed["stations"]["edges"][0]["node"]
            assert (node["id"], node["online"], node["ocppVersion"]) == (station_id, True, "1.6")
            assert (node["vendor"], node["model"], node["firmwareVersion"]) == (
                "Laddco",
                "L50",
                "2.1.0",
            )

            # a driver signs up and finds the station nearby, free
            driver = await app.driver()
            nearby = await app.data(
                OPS["NearbyStations"],
                {"near": {"latitude": LAT + 0.002, "longitude": LON}, "radiusKm": 1.0, "first": 50},
                driver,
            )
            edge = next(
                e for e in nearby["stationsNearby"]["edges"] if e["node"]["id"] == station_id
            )
            assert edge["node"]["online"] and 0.1 < edge["distanceKm"] < 0.5
            assert {c["connectorId"]: c["status"] for c in edge["node"]["connectors"]}[1] == (
                "AVAILABLE"
            )

            # starts charging: a remote start to the station with the driver's app id tag
            started = await app.data(
                OPS["StartCharging"], {"input": {"stationId": station_id, "connectorId": 1}}, driver
            )
            session = started["startCharging"]["session"]
            assert (session["status"], session["connectorId"]) == ("PENDING", 1)
            assert session["station"] == {"id": station_id, "name": f"Station {cp_id}"}
            sid = session["id"]
            action, remote = cp.received[-1]
            assert (action, remote["connector_id"]) == ("RemoteStartTransaction", 1)
            id_tag = remote["id_tag"]
            assert re.fullmatch(r"APP[0-9A-F]{17}", id_tag)  # OCPP 1.6 idTag: at most 20 chars

            async with app.subscribe(
                OPS["SessionProgress"], {"sessionId": sid}, driver, "sessionProgress"
            ) as progress:
                first = await progress.next()
                assert (first["id"], first["status"], first["energyKwh"]) == (sid, "PENDING", 0)
                assert first["cost"] is None  # no tariff prices it yet

                # the station starts the transaction it was asked for
                t0 = utcnow()
                start = await cp.call(
                    call16.StartTransaction(
                        connector_id=1, id_tag=id_tag, meter_start=120_000, timestamp=ts(t0)
                    )
                )
                assert start.id_tag_info["status"] == "Accepted"
                tx = start.transaction_id
                await progress_until(progress, "STARTED")
                await cp.call(
                    call16.StatusNotification(
                        connector_id=1,
                        error_code="NoError",
                        status="Charging",
                        timestamp=ts(utcnow()),
                    )
                )
                await ops.until(
                    kind(
                        "ConnectorStatusChanged",
                        stationId=station_id,
                        connectorId=1,
                        status="CHARGING",
                    )
                )
                await progress_until(progress, "CHARGING")

                t1 = utcnow()
                await cp.call(
                    call16.MeterValues(
                        connector_id=1,
                        transaction_id=tx,
                        meter_value=[
                            {
                                "timestamp": ts(t1),
                                "sampled_value": [
                                    sv("122.5", "Energy.Active.Import.Register", "kWh"),
                                    sv("48.2", "Power.Active.Import", "kW"),
                                    sv("120.5", "Current.Import", "A"),
                                    sv("400", "Voltage", "V"),
                                    sv("38.5", "Temperature", "Celsius", location="Body"),
                                ],
                            }
                        ],
                    )
                )
                telemetry = await ops.until(
                    kind("StationTelemetryUpdated", stationId=station_id, connectorId=1)
                )
                assert (telemetry["powerKw"], telemetry["temperatureC"]) == (48.2, 38.5)
                assert (telemetry["voltageV"], telemetry["currentA"]) == (400.0, 120.5)
                live = await progress.until(lambda p: p["energyKwh"] > 0)
                assert (live["status"], live["energyKwh"], live["powerKw"]) == (
                    "CHARGING",
                    2.5,
                    48.2,
                )
                assert live["durationSeconds"] >= 0 and live["idleSeconds"] == 0

                me = await app.data(ME, None, driver)
                assert me["me"]["idTokens"] == []  # the app's own tag is not a card
                assert me["me"]["activeSession"] == {"id": sid, "status": "CHARGING"}

                # stops: the station is asked, and the session ends when it reports the stop
                stopped = await app.data(OPS["StopCharging"], {"sessionId": sid}, driver)
                assert stopped["stopCharging"]["session"] == {"id": sid, "status": "CHARGING"}
                action, remote = cp.received[-1]
                assert (action, remote["transaction_id"]) == ("RemoteStopTransaction", tx)
                await cp.call(
                    call16.StopTransaction(
                        meter_stop=123_750,
                        timestamp=ts(utcnow()),
                        transaction_id=tx,
                        reason="Remote",
                        id_tag=id_tag,
                    )
                )
                ended = await progress_until(progress, "ENDED")
                assert (ended["energyKwh"], ended["powerKw"]) == (3.75, 0.0)
                assert (await progress.message())["type"] == "complete"  # nothing more to follow

            await cp.call(
                call16.StatusNotification(
                    connector_id=1, error_code="NoError", status="Available", timestamp=ts(utcnow())
                )
            )
            await ops.until(
                kind(
                    "ConnectorStatusChanged",
                    stationId=station_id,
                    connectorId=1,
                    status="AVAILABLE",
                )
            )
        await ops.until(kind("StationConnectivityChanged", stationId=station_id, online=False))

    mine = await app.data(OPS["MySessions"], {"first": 10}, driver)
    assert mine["mySessions"]["pageInfo"]["hasNextPage"] is False
    [edge] = mine["mySessions"]["edges"]
    node = edge["node"]
    assert (node["id"], node["status"], node["energyKwh"]) == (sid, "ENDED", 3.75)
    assert node["startedAt"] and node["endedAt"] and node["endedAt"] >= node["startedAt"]
    assert node["station"] == {"id": station_id, "name": f"Station {cp_id}"}
    # No tariff on this station: nothing to price, nothing to charge, no receipt.
    zero = {"amount": "0.00", "currency": "EUR"}
    assert (node["cost"], node["receipt"]) == (None, None)
    assert node["payment"] == {
        "status": "NOT_REQUIRED",
        "amountAuthorized": zero,
        "amountCaptured": zero,
        "amountRefunded": zero,
    }
    assert (await app.data(ME, None, driver))["me"]["activeSession"] is None

    window = {"from": ts(t_begin - timedelta(minutes=1)), "to": ts(utcnow() + timedelta(minutes=1))}
    detail = await app.data(
        OPS["StationTelemetry"], {"stationId": station_id, "range": window}, admin
    )
    samples = detail["station"]["telemetry"]
    assert any(
        (s["connectorId"], s["powerKw"], s["temperatureC"], s["energyKwh"])
        == (1, 48.2, 38.5, 122.5)
        for s in samples
    ), samples
    statuses = [i["status"] for i in detail["station"]["statusHistory"] if i["connectorId"] == 1]
    assert statuses == ["AVAILABLE", "CHARGING", "AVAILABLE"]


def meter201(wh: float, w: float, context: str = "Sample.Periodic") -> dict[str, Any]:
    return {
        "timestamp": ts(utcnow()),
        "sampled_value": [
            {
                "value": wh / 1000,
                "measurand": "Energy.Active.Import.Register",
                "context": context,
                "unit_of_measure": {"unit": "kWh"},
            },
            {"value": w, "measurand": "Power.Active.Import", "context": context},
        ],
    }


async def test_an_operator_starts_and_stops_a_201_station_for_a_drivers_card(
    laddnet: Laddnet,
) -> None:
    app = laddnet
    org_id, admin = await app.operator()
    viewer = await app.operator_in(org_id, "viewer")
    site_id = await create_site(app, admin)
    cp_id = f"E2E201-{uuid.uuid4().hex[:6].upper()}"
    station_id = await register_station(app, admin, site_id, cp_id)
    driver = await app.driver()
    card = f"RFID{uuid.uuid4().hex[:10].upper()}"
    linked = await app.data(OPS["LinkIdToken"], {"idTag": card}, driver)
    assert linked["linkIdToken"]["idToken"] == {"idTag": card}
    assert (await app.data(ME, None, driver))["me"]["idTokens"] == [{"idTag": card}]

    async with connect_charge_point(app.ocpp_port, cp_id, "2.0.1") as cp:
        boot = await cp.call(
            call201.BootNotification(
                charging_station={"model": "Wallbox X", "vendor_name": "Laddco"}, reason="PowerUp"
            )
        )
        assert boot.status == "Accepted"
        await cp.call(
            call201.StatusNotification(
                timestamp=ts(utcnow()), connector_status="Available", evse_id=1, connector_id=1
            )
        )
        refused = await app.gql(
            OPS["RemoteStart"],
            {"input": {"stationId": station_id, "connectorId": 1, "idTag": card}},
            viewer,
        )
        assert (
            refused["data"]["remoteStart"]["errors"][0]["code"] == "FORBIDDEN"
        )  # viewers only read
        started = await app.data(
            OPS["RemoteStart"],
            {"input": {"stationId": station_id, "connectorId": 1, "idTag": card}},
            admin,
        )
        sid = started["remoteStart"]["session"]["id"]
        assert started["remoteStart"]["session"]["status"] == "PENDING"
        action, remote = cp.received[-1]
        assert action == "RequestStartTransaction" and remote["id_token"]["id_token"] == card
        remote_start_id = remote["remote_start_id"]

        # the card is the driver's: the session is theirs to follow
        async with app.subscribe(
            OPS["SessionProgress"], {"sessionId": sid}, driver, "sessionProgress"
        ) as progress:
            assert (await progress.next())["status"] == "PENDING"
            tx = f"TX-{uuid.uuid4().hex[:8]}"
            await cp.call(
                call201.TransactionEvent(
                    event_type="Started",
                    timestamp=ts(utcnow()),
                    trigger_reason="RemoteStart",
                    seq_no=0,
                    transaction_info={"transaction_id": tx, "remote_start_id": remote_start_id},
                    evse={"id": 1, "connector_id": 1},
                    id_token={"id_token": card, "type": "ISO14443"},
                    meter_value=[meter201(50_000, 0, "Transaction.Begin")],
                )
            )
            await progress_until(progress, "STARTED")
            await cp.call(
                call201.TransactionEvent(
                    event_type="Updated",
                    timestamp=ts(utcnow()),
                    trigger_reason="MeterValuePeriodic",
                    seq_no=1,
                    transaction_info={"transaction_id": tx, "charging_state": "Charging"},
                    meter_value=[meter201(51_200, 11_000)],
                )
            )
            live = await progress_until(progress, "CHARGING")
            assert (live["energyKwh"], live["powerKw"]) == (1.2, 11.0)

            # the driver may not use the operator's stop; a viewer may not stop; an admin may
            denied = await app.gql(OPS["RemoteStop"], {"sessionId": sid}, driver)
            assert denied["data"]["remoteStop"]["errors"][0]["code"] == "FORBIDDEN"
            denied = await app.gql(OPS["RemoteStop"], {"sessionId": sid}, viewer)
            assert denied["data"]["remoteStop"]["errors"][0]["code"] == "FORBIDDEN"
            stopped = await app.data(OPS["RemoteStop"], {"sessionId": sid}, admin)
            assert stopped["remoteStop"]["session"] == {"id": sid, "status": "CHARGING"}
            action, remote = cp.received[-1]
            assert (action, remote["transaction_id"]) == ("RequestStopTransaction", tx)
            await cp.call(
                call201.TransactionEvent(
                    event_type="Ended",
                    timestamp=ts(utcnow()),
                    trigger_reason="RemoteStop",
                    seq_no=2,
                    transaction_info={"transaction_id": tx, "stopped_reason": "Remote"},
                    meter_value=[meter201(51_800, 0, "Transaction.End")],
                )
            )
            ended = await progress_until(progress, "ENDED")
            assert ended["energyKwh"] == 1.8

    [edge] = (await app.data(OPS["MySessions"], {}, driver))["mySessions"]["edges"]
    assert (edge["node"]["id"], edge["node"]["status"], edge["node"]["energyKwh"]) == (
        sid,
        "ENDED",
        1.8,
    )
