"""Diagnostics use cases: samples in, alerts raised and resolved, health kept current.

``on_event`` takes the domain events stations cause (telemetry, connector status, connectivity,
security events), folds them into a bounded in-memory window per connector, judges the rules in
force (site > organisation > default), persists what changed and publishes ``AlertChanged`` before
it returns. ``run(bus)`` feeds it from the bus; ``tick(now)`` (every 15 s from the composition root)
judges conditions that hold without new samples and the OFFLINE rule against heartbeat age.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from beanie import PydanticObjectId

from domain.charging.events import StationTelemetryUpdated
from domain.common.clock import as_utc, utcnow
from domain.common.events import (
    ConnectorStatusChanged,
    DomainEvent,
    EventBus,
    StationConnectivityChanged,
)
from domain.diagnostics import repository as repo
from domain.diagnostics.alert_ops import AlertOperations
from domain.diagnostics.conditions import (
    Condition,
    Run,
    Verdict,
    advance,
    classify,
    offline_verdict,
    security_verdict,
    verdict,
)
from domain.diagnostics.events import SecurityEventReported, TransferStatusReported
from domain.diagnostics.health_ops import HealthOperations
from domain.diagnostics.health_writer import health_writer
from domain.diagnostics.models import Alert
from domain.diagnostics.rules import SAMPLE_KINDS, AlertKind, ConfiguredRule, Rule
from domain.diagnostics.samples import Sample, sample_from_event, stored_time
from domain.diagnostics.transfer_service import TransferTracking
from domain.diagnostics.webhook import AlertNotifier
from domain.diagnostics.window import ConnectorMemory, StationMemory

log = logging.getLogger(__name__)

WATCHED = (
    StationTelemetryUpdated,
    ConnectorStatusChanged,
    StationConnectivityChanged,
    SecurityEventReported,
    TransferStatusReported,
)
YIELD_EVERY = 250  # stations judged between two yields to the event loop in the periodic check
STALE_AFTER_SECONDS = 900  # a connector silent this long is not judged on its last values


class DiagnosticsService(AlertOperations, HealthOperations, TransferTracking):
    def __init__(
        self,
        events: EventBus,
        notifier: AlertNotifier | None = None,
        *,
        heartbeat_interval: float | None = None,
    ) -> None:
        self.events = events
        self.notifier = notifier
        self.heartbeat_interval = heartbeat_interval
        self._stations: dict[PydanticObjectId, StationMemory] = {}
        self._rules_cache: dict[PydanticObjectId, tuple[float, list[ConfiguredRule]]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self.health_writer = health_writer()

    # -- the event stream ---------------------------------------------------------------------

    async def run(self, bus: EventBus) -> None:
        """Consume the bus until cancelled. A failing event is logged and skipped."""
        async with bus.subscribe(lambda e: isinstance(e, WATCHED)) as stream:
            async for event in stream:
                try:
                    await self.on_event(event)
                except Exception:
                    log.exception("diagnostics failed on %s", type(event).__name__)

    async def on_event(self, event: DomainEvent) -> None:
        if not isinstance(event, WATCHED) or not event.station_id:
            return
        if isinstance(event, TransferStatusReported):
            await self.status_notification(
                PydanticObjectId(event.station_id),
                event.kind,
                event.status,
                event.request_id,
                event.at,
            )
            return
        mem = await self._memory(event)
        now = stored_time(event.at)
        async with mem.lock:
            mem.seen(now)
            if isinstance(event, StationTelemetryUpdated):
                conn = mem.connector(event.connector_id)
                sample = sample_from_event(event, status=conn.status, error_code=conn.error_code)
                await self._fold(mem, event.connector_id, conn, sample, now)
            elif isinstance(event, ConnectorStatusChanged):
                conn = mem.connector(event.connector_id)
                conn.status, conn.error_code = event.status, event.error_code
                sample = Sample(
                    at=now,
                    station_id=event.station_id,
                    connector_id=event.connector_id,
                    status=event.status,
                    error_code=event.error_code,
                )
                await self._fold(mem, event.connector_id, conn, sample, now)
            elif isinstance(event, StationConnectivityChanged):
                mem.online = event.online
                if event.online:
                    mem.connected_at = now
                await self._judge_offline(mem, now)
            else:
                rule = (await self._rules(mem.org_id, mem.site_id))[AlertKind.SECURITY_EVENT]
                if rule.enabled:
                    found = security_verdict(
                        rule,
                        event_type=event.type,
                        critical=event.critical,
                        tech_info=event.tech_info,
                        at=now,
                    )
                    await self._apply(mem, None, rule, found, now)
            await self._save_health(mem, now)

    async def _fold(
        self, mem: StationMemory, cid: int, conn: ConnectorMemory, sample: Sample, now: datetime
    ) -> None:
        if not conn.accepts(sample):
            return
        conn.window.append(sample)
        rules = await self._rules(mem.org_id, mem.site_id)
        for kind in SAMPLE_KINDS:
            rule = rules[kind]
            if not rule.enabled:
                continue
            run = advance(conn.runs.get(kind, Run()), classify(rule, conn.window), sample.at)
            conn.runs[kind] = run
            await self._apply(mem, cid, rule, verdict(rule, run, now), now)
        if (None, AlertKind.OFFLINE) in mem.open:
            await self._judge_offline(mem, now)

    async def _judge_offline(self, mem: StationMemory, now: datetime) -> None:
        rule = (await self._rules(mem.org_id, mem.site_id))[AlertKind.OFFLINE]
        if rule.enabled:
            found = offline_verdict(
                rule,
                online=mem.online,
                last_seen_at=mem.last_seen_at,
                connected_at=mem.connected_at,
                now=now,
            )
            await self._apply(mem, None, rule, found, now)

    async def _apply(
        self, mem: StationMemory, cid: int | None, rule: Rule, found: Verdict, now: datetime
    ) -> None:
        key = (cid, rule.kind)
        if found.condition is Condition.ACTIVE and key not in mem.open:
            alert = await self._raise(
                mem.org_id, mem.site_id, mem.station_id, cid, rule, found, now
            )
            if alert is not None:
                mem.open[key] = alert
        elif found.condition is Condition.CLEAR and key in mem.open and rule.auto_resolve:
            alert = mem.open.pop(key)
            await self._resolve(alert, now, None)

    async def _raise(
        self,
        org_id: PydanticObjectId,
        site_id: PydanticObjectId | None,
        station_id: PydanticObjectId,
        cid: int | None,
        rule: Rule,
        found: Verdict,
        now: datetime,
    ) -> Alert | None:
        alert = Alert(
            org_id=org_id,
            site_id=site_id,
            station_id=station_id,
            connector_id=cid,
            kind=rule.kind,
            severity=rule.severity,
            message=found.message,
            raised_at=now,
        )
        if await repo.insert_alert(alert):
            self._changed(alert, now)
            return alert
        # Another writer raised it first: the open one is the alert.
        return await repo.open_alert(station_id, cid, rule.kind)

    # -- memory ---------------------------------------------------------------------------------

    async def _memory(self, event: DomainEvent) -> StationMemory:
        assert event.station_id is not None
        sid = PydanticObjectId(event.station_id)
        mem = self._stations.get(sid)
        if mem is not None:
            return mem
        rows = await repo.connectivity([sid])
        if rows:
            row = rows[0]
            mem = StationMemory(
                sid, row.org_id, row.site_id, row.online, row.last_seen_at, row.connected_at
            )
            for cid, status, code in row.connectors:
                conn = mem.connector(cid)
                conn.status, conn.error_code = status, code
        else:
            site = PydanticObjectId(event.site_id) if event.site_id else None
            mem = StationMemory(sid, PydanticObjectId(event.org_id), site)
        mem.set_open(await repo.open_alerts([sid]))
        return self._stations.setdefault(sid, mem)

    # -- periodic --------------------------------------------------------------------------------

    async def tick(self, now: datetime | None = None) -> None:
        """Judge held conditions at ``now`` (no new sample needed) and the OFFLINE rule."""
        now = stored_time(now or utcnow())
        if self._stations:
            fresh = await repo.open_alerts(list(self._stations))
            by_station: dict[PydanticObjectId, list[Alert]] = {}
            for a in fresh:
                by_station.setdefault(a.station_id, []).append(a)
            for i, (sid, mem) in enumerate(list(self._stations.items())):
                if i % YIELD_EVERY == YIELD_EVERY - 1:
                    await asyncio.sleep(0)  # let stations' messages in between
                async with mem.lock:
                    mem.set_open(by_station.get(sid, []))
                    await self._judge_held(mem, now)
        await self.check_offline(now)

    async def _judge_held(self, mem: StationMemory, now: datetime) -> None:
        rules = await self._rules(mem.org_id, mem.site_id)
        for cid, conn in mem.connectors.items():
            if not conn.window or (now - conn.window[-1].at).total_seconds() > STALE_AFTER_SECONDS:
                continue
            for kind, run in conn.runs.items():
                rule = rules[kind]
                if rule.enabled:
                    await self._apply(mem, cid, rule, verdict(rule, run, now), now)

    async def check_offline(self, now: datetime | None = None) -> None:
        """Raise OFFLINE for stations disconnected or silent too long; resolve the ones back."""
        now = stored_time(now or utcnow())
        open_offline = {a.station_id: a for a in await repo.open_alerts_of_kind(AlertKind.OFFLINE)}
        async for page in repo.connectivity_pages(YIELD_EVERY):
            await asyncio.sleep(0)  # a page at a time: stations' messages go in between
            await self._check_offline_page(page, open_offline, now)

    async def _check_offline_page(
        self,
        page: list[repo.Connectivity],
        open_offline: dict[PydanticObjectId, Alert],
        now: datetime,
    ) -> None:
        for row in page:
            rule = (await self._rules(row.org_id, row.site_id))[AlertKind.OFFLINE]
            if not rule.enabled:
                continue
            found = offline_verdict(
                rule,
                online=row.online,
                last_seen_at=as_utc(row.last_seen_at) if row.last_seen_at else None,
                connected_at=as_utc(row.connected_at) if row.connected_at else None,
                now=now,
            )
            existing = open_offline.get(row.station_id)
            mem = self._stations.get(row.station_id)
            key = (None, AlertKind.OFFLINE)
            if found.condition is Condition.ACTIVE and existing is None:
                raised = await self._raise(
                    row.org_id, row.site_id, row.station_id, None, rule, found, now
                )
                if mem is not None and raised is not None:
                    mem.open[key] = raised
            elif found.condition is Condition.CLEAR and existing is not None:
                await self._resolve(existing, now, None)
                if mem is not None:
                    mem.open.pop(key, None)
