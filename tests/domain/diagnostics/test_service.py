"""The alert lifecycle against the real store: raised once, never duplicated while open, acknowledged,
resolved by itself after the temperature falls, raised anew afterwards; published the moment it
happens."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from beanie import PydanticObjectId

from domain.common.clock import utcnow
from domain.common.errors import InvalidInput, NotFound
from domain.common.events import AlertChanged, DomainEvent, InProcessEventBus
from domain.diagnostics.errors import AlertResolved
from domain.diagnostics.models import Alert, AlertRule, AlertState
from domain.diagnostics.service import DiagnosticsService
from domain.network.models import Station
from domain.network.service import NetworkService
from tests.factories.diagnostics import status_changed, telemetry
from tests.factories.network import create_org, create_site, create_station

pytestmark = pytest.mark.usefixtures("database")


async def setup_station(bus: InProcessEventBus) -> tuple[NetworkService, Station]:
    network = NetworkService(bus)
    org = await create_org()
    site = await create_site(network, org.id)
    station = await create_station(network, org.id, site.id)
    await network.station_connected(station, node_id="node-1")
    return network, station


class Watcher:
    """Reads a subscription without waiting on the clock: whatever was published before ``poll``
    is there after a few turns of the event loop; a pending read survives between polls."""

    def __init__(self, stream: AsyncIterator[DomainEvent]) -> None:
        self.stream = stream
        self.pending: asyncio.Future[DomainEvent] | None = None

    async def poll(self) -> DomainEvent | None:
        if self.pending is None:
            self.pending = asyncio.ensure_future(anext(self.stream))
        for _ in range(5):
            await asyncio.sleep(0)
        if not self.pending.done():
            return None
        event, self.pending = self.pending.result(), None
        return event

    def close(self) -> None:
        if self.pending is not None:
            self.pending.cancel()


@contextlib.asynccontextmanager
async def watch_alerts(bus: InProcessEventBus) -> AsyncIterator[Watcher]:
    async with bus.subscribe(lambda e: isinstance(e, AlertChanged)) as stream:
        watcher = Watcher(stream)
        try:
            yield watcher
        finally:
            watcher.close()


async def next_alert(watcher: Watcher) -> AlertChanged:
    event = await watcher.poll()
    assert isinstance(event, AlertChanged), "no AlertChanged was published"
    return event


async def nothing_more(watcher: Watcher) -> None:
    assert await watcher.poll() is None


async def open_alerts(station: Station) -> list[Alert]:
    return await Alert.find({"station_id": station.id, "is_open": True}).to_list()


async def test_overheating_lifecycle() -> None:
    bus = InProcessEventBus()
    _, station = await setup_station(bus)
    diag = DiagnosticsService(bus)
    t0 = utcnow().replace(microsecond=0)
    s = lambda n: t0 + timedelta(seconds=n)  # noqa: E731
    async with watch_alerts(bus) as stream:
        # default rule: above 70 °C for 120 s
        await diag.on_event(telemetry(station, s(0), temperature_c=82.0))
        await diag.on_event(telemetry(station, s(60), temperature_c=83.0))
        await nothing_more(stream)
        assert await open_alerts(station) == []

        await diag.on_event(telemetry(station, s(120), temperature_c=84.0))
        raised = await next_alert(stream)  # published by the call that processed the sample
        assert raised.kind == "OVERHEATING" and raised.state == "RAISED"
        assert raised.station_id == str(station.id) and raised.connector_id == 1
        assert raised.severity == "CRITICAL" and "84.0 °C" in raised.message
        assert raised.raised_at == s(120)

        # still hot: never a second alert while one is open
        for n in (180, 240):
            await diag.on_event(telemetry(station, s(n), temperature_c=85.0))
        await nothing_more(stream)
        assert [a.id for a in await open_alerts(station)] == [PydanticObjectId(raised.alert_id)]

        acked = await diag.acknowledge(station.org_id, PydanticObjectId(raised.alert_id), "op-1")
        assert acked.state is AlertState.ACKNOWLEDGED and acked.acknowledged_by == "op-1"
        assert (await next_alert(stream)).state == "ACKNOWLEDGED"

        # cooling: 68 °C is inside the 5 °C margin and clears nothing; below 65 °C for 120 s does
        await diag.on_event(telemetry(station, s(300), temperature_c=68.0))
        await diag.on_event(telemetry(station, s(360), temperature_c=60.0))
        await diag.on_event(telemetry(station, s(420), temperature_c=58.0))
        await nothing_more(stream)
        await diag.on_event(telemetry(station, s(480), temperature_c=55.0))
        resolved = await next_alert(stream)
        assert resolved.alert_id == raised.alert_id and resolved.state == "RESOLVED"
        assert resolved.resolved_at == s(480)
        stored = await Alert.get(PydanticObjectId(raised.alert_id))
        assert stored is not None and stored.resolved_by is None and not stored.is_open

        # hot again: a new alert, not the old one reopened
        for n in (600, 660, 720):
            await diag.on_event(telemetry(station, s(n), temperature_c=90.0))
        again = await next_alert(stream)
        assert again.state == "RAISED" and again.alert_id != raised.alert_id
    assert await Alert.find({"station_id": station.id}).count() == 2


async def test_a_second_writer_never_duplicates_an_open_alert() -> None:
    bus = InProcessEventBus()
    _, station = await setup_station(bus)
    first, second = DiagnosticsService(bus), DiagnosticsService(bus)
    t0 = utcnow().replace(microsecond=0)
    await second.on_event(telemetry(station, t0, temperature_c=20.0))  # knows no open alert
    await first.on_event(status_changed(station, t0, "Faulted", error_code="GroundFailure"))
    assert len(await open_alerts(station)) == 1
    async with watch_alerts(bus) as stream:
        # the second one sees the fault too, tries to raise and meets the unique index
        await second.on_event(status_changed(station, t0, "Faulted", error_code="GroundFailure"))
        await nothing_more(stream)
    alerts = await open_alerts(station)
    assert len(alerts) == 1 and alerts[0].kind == "FAULTED"
    duplicate = Alert(
        org_id=station.org_id,
        station_id=station.id,  # type: ignore[arg-type]
        connector_id=1,
        kind=alerts[0].kind,
        severity=alerts[0].severity,
        message="again",
        raised_at=t0,
    )
    from domain.diagnostics import repository

    assert await repository.insert_alert(duplicate) is False


async def test_manual_resolve_and_acknowledge_rules() -> None:
    bus = InProcessEventBus()
    _, station = await setup_station(bus)
    diag = DiagnosticsService(bus)
    t0 = utcnow().replace(microsecond=0)
    await diag.on_event(status_changed(station, t0, "Faulted"))
    (alert,) = await open_alerts(station)
    other_org = await create_org()
    with pytest.raises(NotFound):
        await diag.acknowledge(other_org.id, alert.id, "op-x")  # type: ignore[arg-type]
    done = await diag.resolve(station.org_id, alert.id, "op-1")  # type: ignore[arg-type]
    assert done.state is AlertState.RESOLVED and done.resolved_by == "op-1"
    with pytest.raises(AlertResolved) as caught:
        await diag.acknowledge(station.org_id, alert.id, "op-1")  # type: ignore[arg-type]
    assert caught.value.code == "CONFLICT"
    # the fault persists: after a manual resolve it needs a fresh report to raise again
    await diag.on_event(status_changed(station, t0 + timedelta(seconds=5), "Faulted"))
    assert len(await open_alerts(station)) == 1


async def test_site_rule_overrides_the_organisation_rule() -> None:
    bus = InProcessEventBus()
    network, station = await setup_station(bus)
    other_site = await create_site(network, station.org_id)
    cool_station = await create_station(network, station.org_id, other_site.id)
    diag = DiagnosticsService(bus)
    await diag.set_rule(station.org_id, kind="OVERHEATING", threshold=60, duration_seconds=0)
    await diag.set_rule(
        station.org_id,
        kind="OVERHEATING",
        threshold=50,
        duration_seconds=0,
        severity="WARNING",
        site_id=station.site_id,
    )
    t0 = utcnow().replace(microsecond=0)
    await diag.on_event(telemetry(station, t0, temperature_c=55.0))
    await diag.on_event(telemetry(cool_station, t0, temperature_c=55.0))
    (alert,) = await open_alerts(station)
    assert alert.severity == "WARNING"
    assert await open_alerts(cool_station) == []
    await diag.on_event(telemetry(cool_station, t0 + timedelta(seconds=1), temperature_c=61.0))
    assert len(await open_alerts(cool_station)) == 1  # the organisation's 60 °C


async def test_bad_rule_input_is_rejected_and_nothing_stored() -> None:
    bus = InProcessEventBus()
    _, station = await setup_station(bus)
    diag = DiagnosticsService(bus)
    before = await AlertRule.find({"org_id": station.org_id}).count()
    bad: list[dict[str, object]] = [
        {"kind": "MELTDOWN"},
        {"kind": "OVERHEATING", "threshold": 9999},
        {"kind": "OVERHEATING", "duration_seconds": -5},
        {"kind": "OVERHEATING", "severity": "PANIC"},
        {"kind": "OVERHEATING", "site_id": PydanticObjectId()},  # not the organisation's site
    ]
    for args in bad:
        with pytest.raises(InvalidInput):
            await diag.set_rule(station.org_id, **args)  # type: ignore[arg-type]
    assert await AlertRule.find({"org_id": station.org_id}).count() == before
    rules = await diag.effective_rules(station.org_id)
    assert rules["OVERHEATING"].threshold == 70.0  # type: ignore[index]


async def test_list_alerts_filters_and_paginates() -> None:
    bus = InProcessEventBus()
    _, station = await setup_station(bus)
    diag = DiagnosticsService(bus)
    t0 = utcnow().replace(microsecond=0)
    for cid in (1, 2):
        await diag.on_event(status_changed(station, t0 + timedelta(seconds=cid), "Faulted", cid))
    await diag.set_rule(station.org_id, kind="OVERHEATING", duration_seconds=0)
    await diag.on_event(telemetry(station, t0 + timedelta(seconds=3), temperature_c=99.0))
    page1 = await diag.list_alerts(station.org_id, first=2)
    assert [a.kind for _, a in page1.items] == ["OVERHEATING", "FAULTED"]
    assert page1.has_next_page
    page2 = await diag.list_alerts(station.org_id, first=2, after=page1.end_cursor)
    assert [(a.kind, a.connector_id) for _, a in page2.items] == [("FAULTED", 1)]
    assert not page2.has_next_page
    await diag.acknowledge(station.org_id, page1.items[0][1].id, "op")  # type: ignore[arg-type]
    acked = await diag.list_alerts(station.org_id, state="ACKNOWLEDGED")
    assert [a.kind for _, a in acked.items] == ["OVERHEATING"]
    assert len((await diag.list_alerts(station.org_id, site_id=station.site_id)).items) == 3
    assert (await diag.list_alerts(station.org_id, site_id=PydanticObjectId())).items == []
    with pytest.raises(InvalidInput):
        await diag.list_alerts(station.org_id, state="SLEEPING")
    with pytest.raises(InvalidInput):
        await diag.list_alerts(station.org_id, after="not-a-cursor")
