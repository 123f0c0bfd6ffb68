"""Health as operators read it, the OFFLINE check, the bus-fed loop and the webhook."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta

import pytest

from domain.common.clock import utcnow
from domain.common.errors import InvalidInput, NotFound
from domain.common.events import AlertChanged, InProcessEventBus
from domain.diagnostics.models import Alert, StationHealth
from domain.diagnostics.service import DiagnosticsService
from domain.diagnostics.webhook import SIGNATURE_HEADER, WebhookNotifier, verify
from domain.network.models import Station
from domain.network.service import NetworkService
from tests.factories.diagnostics import status_changed, telemetry
from tests.factories.network import create_org, create_site, create_station

pytestmark = pytest.mark.usefixtures("database")


async def online_station(bus: InProcessEventBus) -> tuple[NetworkService, Station]:
    network = NetworkService(bus)
    org = await create_org()
    site = await create_site(network, org.id)
    station = await create_station(network, org.id, site.id)
    await network.station_connected(station, node_id="node-1")
    return network, station


async def test_health_from_latest_readings_alerts_and_connectivity() -> None:
    bus = InProcessEventBus()
    network, station = await online_station(bus)
    diag = DiagnosticsService(bus)
    now = utcnow().replace(microsecond=0)
    await network.station_seen(station, now)
    await diag.on_event(
        telemetry(
            station,
            now,
            temperature_c=41.5,
            voltage_v=231.0,
            current_a=16.0,
            power_w=11_000.0,
            offered_power_w=22_000.0,
        )
    )
    sid = station.id
    assert sid is not None
    health = await diag.health_for_station(station.org_id, sid, now + timedelta(seconds=5))
    assert health.status == "OK"
    assert health.temperature_c == 41.5 and health.power_w == 11_000.0
    assert health.efficiency_percent == pytest.approx(50.0)
    assert health.sampled_at == now
    snapshot = await StationHealth.find_one({"station_id": sid})
    assert snapshot is not None and snapshot.connectors[0].voltage_v == 231.0

    await network.connector_status(
        station, connector_id=2, status="Faulted", error_code="GroundFailure", at=now
    )
    await diag.on_event(status_changed(station, now, "Faulted", 2, "GroundFailure"))
    assert (await diag.health_for_station(station.org_id, sid, now)).status == "FAULTED"
    # silent longer than the OFFLINE threshold (600 s): offline, whatever else is true
    later = now + timedelta(seconds=601)
    assert (await diag.health_for_station(station.org_id, sid, later)).status == "OFFLINE"
    alerts = await diag.open_alerts_for_stations(station.org_id, [sid])
    assert [a.kind for a in alerts[sid]] == ["FAULTED"]

    stranger = await create_org()
    with pytest.raises(NotFound):
        await diag.health_for_station(stranger.id, sid)  # type: ignore[arg-type]
    assert await diag.open_alerts_for_stations(stranger.id, [sid]) == {sid: []}  # type: ignore[arg-type]


async def test_offline_raised_after_the_duration_and_resolved_after_reconnecting() -> None:
    bus = InProcessEventBus()
    network, station = await online_station(bus)
    diag = DiagnosticsService(bus)
    await network.station_disconnected(station, node_id="node-1")
    gone = utcnow()
    await diag.check_offline(gone + timedelta(seconds=200))
    assert await Alert.find({"station_id": station.id, "kind": "OFFLINE"}).count() == 0
    await diag.check_offline(gone + timedelta(seconds=301))
    await diag.check_offline(gone + timedelta(seconds=400))  # no duplicate on the next round
    alerts = await Alert.find({"station_id": station.id, "kind": "OFFLINE"}).to_list()
    assert len(alerts) == 1 and alerts[0].is_open and alerts[0].connector_id is None

    await network.station_connected(station, node_id="node-2")
    back = utcnow()
    await diag.check_offline(back + timedelta(seconds=100))
    assert (await Alert.get(alerts[0].id)).is_open  # type: ignore[union-attr]
    # heard from within the threshold and connected for the hysteresis: resolved
    await network.station_seen(station, back + timedelta(seconds=300))
    await diag.check_offline(back + timedelta(seconds=301))
    assert not (await Alert.get(alerts[0].id)).is_open  # type: ignore[union-attr]


async def test_run_feeds_on_event_from_the_bus_and_tick_resolves_without_new_samples() -> None:
    bus = InProcessEventBus()
    _, station = await online_station(bus)
    diag = DiagnosticsService(bus)
    await diag.set_rule(station.org_id, kind="OVERHEATING", threshold=60, duration_seconds=30)
    consumer = asyncio.create_task(diag.run(bus))
    try:
        async with bus.subscribe(lambda e: isinstance(e, AlertChanged)) as stream:
            await asyncio.sleep(0)  # let the consumer subscribe
            t0 = utcnow().replace(microsecond=0)
            bus.publish(telemetry(station, t0, temperature_c=75.0))
            bus.publish(telemetry(station, t0 + timedelta(seconds=30), temperature_c=76.0))
            raised = await asyncio.wait_for(anext(stream), timeout=1.0)
            assert isinstance(raised, AlertChanged) and raised.state == "RAISED"
            bus.publish(telemetry(station, t0 + timedelta(seconds=40), temperature_c=40.0))
            # no further sample arrives; the periodic tick sees the cool reading held for 30 s
            await asyncio.sleep(0.2)
            await diag.tick(t0 + timedelta(seconds=70))
            resolved = await asyncio.wait_for(anext(stream), timeout=1.0)
            assert isinstance(resolved, AlertChanged) and resolved.state == "RESOLVED"
    finally:
        consumer.cancel()
        await asyncio.gather(consumer, return_exceptions=True)


class RecordingTransport:
    """The HTTP edge, faked: records posts and answers 500 once, then 200."""

    def __init__(self) -> None:
        self.posts: list[tuple[str, bytes, dict[str, str]]] = []
        self.done = asyncio.Event()

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.posts.append((url, body, dict(headers)))
        if len(self.posts) == 1:
            return 500
        self.done.set()
        return 200


async def test_alert_changes_go_to_the_organisations_webhook_signed_and_retried() -> None:
    bus = InProcessEventBus()
    _, station = await online_station(bus)
    transport = RecordingTransport()
    diag = DiagnosticsService(bus, WebhookNotifier(transport, delays=[0.01]))
    secret = "s3cret-s3cret-s3cret"
    with pytest.raises(InvalidInput):
        await diag.set_webhook(station.org_id, url="http://ops.example.com/hook", secret=secret)
    await diag.set_webhook(station.org_id, url="https://ops.example.com/hook", secret=secret)
    await diag.on_event(status_changed(station, utcnow(), "Faulted"))
    await asyncio.wait_for(transport.done.wait(), timeout=2.0)
    assert len(transport.posts) == 2
    url, body, headers = transport.posts[-1]
    assert url == "https://ops.example.com/hook" and b'"FAULTED"' in body
    assert verify(secret, body, headers[SIGNATURE_HEADER], now=int(utcnow().timestamp()))
    await diag.aclose()


async def test_the_offline_threshold_follows_the_heartbeat_interval_handed_out() -> None:
    """With a 900 s heartbeat interval, an online station quiet for 700 s is on schedule, not
    OFFLINE (the default 600 s would say it is); past two intervals it is."""
    bus = InProcessEventBus()
    network, station = await online_station(bus)
    diag = DiagnosticsService(bus, heartbeat_interval=900)
    heard = utcnow()
    await network.station_seen(station, heard)
    sid = station.id
    assert sid is not None
    await diag.check_offline(heard + timedelta(seconds=700 + 300))  # + the rule's duration
    assert await Alert.find({"station_id": sid, "kind": "OFFLINE"}).count() == 0
    assert (
        await diag.health_for_station(station.org_id, sid, heard + timedelta(seconds=700))
    ).status != "OFFLINE"
    await diag.check_offline(heard + timedelta(seconds=1801 + 300))
    assert await Alert.find({"station_id": sid, "kind": "OFFLINE"}).count() == 1
