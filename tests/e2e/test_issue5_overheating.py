"""Done when: a station charging over OCPP overheats, the alert reaches an alertFeed subscriber within
a second, and it resolves itself once the temperature falls. The OCPP server, the API and the
diagnostics consumer run in the test loop on one event bus, as the composition root wires them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime
from typing import Any

from ocpp.v201 import call

from domain.charging.commands import StationCommandService
from domain.charging.service import ChargingService
from domain.common.events import InProcessEventBus
from domain.diagnostics.service import DiagnosticsService
from domain.network.models import Station
from domain.network.service import NetworkService
from ocpp_server.server import OcppDependencies, OcppServer
from tests.api.conftest import start_api
from tests.api.test_alerts import ALERT_FEED, SET_RULE
from tests.api.test_operator import create_site, register
from tests.api.test_subscriptions import subscribed
from tests.factories.charging import connect_charge_point


def ts() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


def temperature(evse: int, celsius: float) -> call.NotifyEvent:
    """What the simulator sends: a Delta monitor on the Connector's Temperature variable."""
    return call.NotifyEvent(
        generated_at=ts(),
        seq_no=0,
        event_data=[
            {
                "event_id": int(time.monotonic() * 1000) % 1_000_000,
                "timestamp": ts(),
                "trigger": "Delta",
                "actual_value": f"{celsius:.1f}",
                "event_notification_type": "PreconfiguredMonitor",
                "component": {"name": "Connector", "evse": {"id": evse, "connector_id": 1}},
                "variable": {"name": "Temperature"},
            }
        ],
    )


async def feed_message(ws: Any, within: float) -> dict[str, Any]:
    message = json.loads(await asyncio.wait_for(ws.recv(), within))
    assert message["type"] == "next", message
    alert: dict[str, Any] = message["payload"]["data"]["alertFeed"]
    return alert


async def test_an_overheating_station_raises_an_alert_live_and_it_resolves_itself(
    database: object,
) -> None:
    events = InProcessEventBus()
    network = NetworkService(events)
    diagnostics = DiagnosticsService(events)
    async with start_api(events=events, network=network) as api:
        api.deps.diagnostics = diagnostics
        commands = StationCommandService(api.gateway)
        charging = ChargingService(events=events, network=network, commands=commands)
        server = OcppServer(
            OcppDependencies(network=network, charging=charging, events=events),
            host="127.0.0.1",
            port=0,
            node_id="e2e",
            response_timeout=2.0,
            heartbeat_interval=60,
            auth_failure_limit=5,
            auth_failure_window=60,
        )
        await server.start()
        consumer = asyncio.create_task(diagnostics.run(events))
        try:
            _, admin = await api.operator()
            site_id = await create_site(api, admin, name="E2E")
            station = await Station.get(await register(api, admin, site_id, "E2E-HOT"))
            assert station is not None
            rule = {"kind": "OVERHEATING", "threshold": 70, "durationSeconds": 0}
            assert (await api.gql(SET_RULE, {"input": rule}, admin))["data"]["setAlertRule"][
                "errors"
            ] == []
            before = events.subscriber_count
            async with (
                api.subscribe(ALERT_FEED, {"siteId": site_id}, admin) as ws,
                connect_charge_point(server.port, station.charge_point_id, "2.0.1") as cp,
            ):
                await subscribed(api, before)  # type: ignore[arg-type]
                await cp.call(
                    call.BootNotification(
                        charging_station={"model": "Hot", "vendor_name": "Laddco"},
                        reason="PowerUp",
                    )
                )
                await cp.call(
                    call.StatusNotification(
                        timestamp=ts(), connector_status="Occupied", evse_id=1, connector_id=1
                    )
                )
                await cp.call(
                    call.TransactionEvent(
                        event_type="Started",
                        timestamp=ts(),
                        trigger_reason="CablePluggedIn",
                        seq_no=0,
                        transaction_info={"transaction_id": "E2E-TX", "charging_state": "Charging"},
                        evse={"id": 1, "connector_id": 1},
                    )
                )
                await cp.call(temperature(1, 45.0))
                await cp.call(temperature(1, 85.0))
                sent = time.monotonic()
                raised = await feed_message(ws, 1.0)
                assert time.monotonic() - sent < 1.0
                assert (raised["kind"], raised["state"], raised["connectorId"]) == (
                    "OVERHEATING",
                    "RAISED",
                    1,
                )
                assert raised["stationId"] == str(station.id)
                await cp.call(temperature(1, 50.0))  # below 70 - 5 °C: clear
                resolved = await feed_message(ws, 1.0)
                assert (resolved["id"], resolved["state"]) == (raised["id"], "RESOLVED")
                assert resolved["resolvedAt"] is not None
        finally:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
            await server.stop()
