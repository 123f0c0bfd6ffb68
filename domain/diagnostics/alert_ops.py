"""What operators do with alerts and rules, and how alert changes leave the service (the bus and
the organisation's webhook). A part of ``DiagnosticsService``."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from beanie import PydanticObjectId

from domain.common.clock import as_utc, utcnow
from domain.common.errors import InvalidInput
from domain.common.events import AlertChanged, EventBus
from domain.common.logctx import log_event
from domain.common.pagination import Page, decode_cursor, encode_cursor, page_size
from domain.diagnostics import repository as repo
from domain.diagnostics.errors import AlertNotFound, AlertResolved
from domain.diagnostics.health_writer import HealthWriter
from domain.diagnostics.models import Alert, AlertRule, AlertState, AlertWebhook
from domain.diagnostics.rules import AlertKind, ConfiguredRule, Rule, effective_rules, validate_rule
from domain.diagnostics.samples import stored_time
from domain.diagnostics.webhook import AlertNotifier, WebhookTarget, validate_target
from domain.diagnostics.window import StationMemory

log = logging.getLogger(__name__)

RULES_TTL_SECONDS = 30.0


class AlertOperations:
    events: EventBus
    notifier: AlertNotifier | None
    _stations: dict[PydanticObjectId, StationMemory]
    _rules_cache: dict[PydanticObjectId, tuple[float, list[ConfiguredRule]]]
    _tasks: set[asyncio.Task[None]]
    health_writer: HealthWriter
    heartbeat_interval: float | None  # the one stations are given at boot: OFFLINE's floor

    async def _resolve(self, alert: Alert, now: datetime, by: str | None) -> Alert | None:
        resolved = await repo.resolve(alert.id, now, by)  # type: ignore[arg-type]
        if resolved is not None:
            self._changed(resolved, now)
        return resolved

    def _changed(self, alert: Alert, at: datetime) -> None:
        event = AlertChanged(
            org_id=str(alert.org_id),
            site_id=str(alert.site_id) if alert.site_id else None,
            station_id=str(alert.station_id),
            at=at,
            alert_id=str(alert.id),
            connector_id=alert.connector_id,
            kind=alert.kind.value,
            severity=alert.severity.value,
            state=alert.state.value,
            message=alert.message,
            raised_at=as_utc(alert.raised_at),
            acknowledged_at=as_utc(alert.acknowledged_at) if alert.acknowledged_at else None,
            resolved_at=as_utc(alert.resolved_at) if alert.resolved_at else None,
        )
        self.events.publish(event)
        log_event(
            log,
            f"alert.{event.state.lower()}",  # alert.raised, alert.acknowledged, alert.resolved
            logging.WARNING
            if event.state == AlertState.RAISED and event.severity.upper() == "CRITICAL"
            else logging.INFO,
            alert_id=event.alert_id,
            kind=event.kind,
            severity=event.severity,
            station_id=event.station_id,
            connector=event.connector_id,
            message=event.message,
        )
        if self.notifier is not None:
            task = asyncio.create_task(self._deliver(event))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _deliver(self, event: AlertChanged) -> None:
        assert self.notifier is not None
        try:
            hook = await repo.webhook_for(PydanticObjectId(event.org_id))
            if hook is not None and hook.enabled:
                await self.notifier.deliver(WebhookTarget(hook.url, hook.secret), event)
        except Exception:
            log.exception("alert webhook failed for alert %s", event.alert_id)

    async def aclose(self) -> None:
        """Cancel webhook deliveries still retrying; store the health snapshots still waiting."""
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.health_writer.close()

    # -- rules ----------------------------------------------------------------------------------

    async def _rules(
        self, org_id: PydanticObjectId, site_id: PydanticObjectId | None
    ) -> dict[AlertKind, Rule]:
        cached = self._rules_cache.get(org_id)
        if cached is None or cached[0] < time.monotonic():
            stored = await repo.rules_for(org_id)
            configured = [
                ConfiguredRule(
                    str(r.site_id) if r.site_id else None,
                    Rule(r.kind, r.threshold, r.duration_seconds, r.severity, r.enabled),
                )
                for r in stored
            ]
            cached = (time.monotonic() + RULES_TTL_SECONDS, configured)
            self._rules_cache[org_id] = cached
        return effective_rules(
            cached[1],
            str(site_id) if site_id else None,
            heartbeat_interval=self.heartbeat_interval,
        )

    async def effective_rules(
        self, org_id: PydanticObjectId, site_id: PydanticObjectId | None = None
    ) -> dict[AlertKind, Rule]:
        """The rule in force per kind for a site (or organisation-wide)."""
        return await self._rules(org_id, site_id)

    async def set_rule(
        self,
        org_id: PydanticObjectId,
        *,
        kind: str,
        threshold: float | None = None,
        duration_seconds: int | None = None,
        severity: str | None = None,
        enabled: bool = True,
        site_id: PydanticObjectId | None = None,
        operator_id: str | None = None,
    ) -> AlertRule:
        """Set the organisation's (or one site's) rule for a kind. Raises InvalidInput, stores nothing
        then."""
        rule = validate_rule(
            kind,
            threshold=threshold,
            duration_seconds=duration_seconds,
            severity=severity,
            enabled=enabled,
        )
        if site_id is not None and await repo.site_org(site_id) != org_id:
            raise InvalidInput("no such site", field="siteId")
        saved = await repo.upsert_rule(
            AlertRule(
                org_id=org_id,
                site_id=site_id,
                kind=rule.kind,
                threshold=rule.threshold,
                duration_seconds=rule.duration_seconds,
                severity=rule.severity,
                enabled=rule.enabled,
                updated_at=utcnow(),
                updated_by=operator_id,
            )
        )
        self._rules_cache.pop(org_id, None)
        return saved

    async def list_rules(self, org_id: PydanticObjectId) -> list[AlertRule]:
        return await repo.rules_for(org_id)

    async def rules_in_force(
        self, org_id: PydanticObjectId, site_id: PydanticObjectId | None = None
    ) -> list[tuple[Rule, str]]:
        """Per kind, the rule in force for a site (or organisation-wide) and where it was set:
        "SITE", "ORGANISATION" or "DEFAULT"."""
        if site_id is not None and await repo.site_org(site_id) != org_id:
            raise InvalidInput("no such site", field="siteId")
        stored = await repo.rules_for(org_id)
        set_for = {(r.kind, r.site_id): r for r in stored}
        rules = effective_rules(
            [
                ConfiguredRule(
                    str(r.site_id) if r.site_id else None,
                    Rule(r.kind, r.threshold, r.duration_seconds, r.severity, r.enabled),
                )
                for r in stored
            ],
            str(site_id) if site_id else None,
        )
        found: list[tuple[Rule, str]] = []
        for kind, rule in rules.items():
            if site_id is not None and (kind, site_id) in set_for:
                found.append((rule, "SITE"))
            elif (kind, None) in set_for:
                found.append((rule, "ORGANISATION"))
            else:
                found.append((rule, "DEFAULT"))
        return found

    # -- operators on alerts ------------------------------------------------------------------

    async def _alert_for_org(self, org_id: PydanticObjectId, alert_id: PydanticObjectId) -> Alert:
        alert = await repo.get_alert(alert_id)
        if alert is None or alert.org_id != org_id:
            raise AlertNotFound("no such alert", field="id")
        return alert

    async def acknowledge(
        self, org_id: PydanticObjectId, alert_id: PydanticObjectId, operator_id: str
    ) -> Alert:
        """RAISED → ACKNOWLEDGED (again: unchanged). A resolved alert raises AlertResolved."""
        alert = await self._alert_for_org(org_id, alert_id)
        if alert.state is AlertState.RAISED:
            now = stored_time(utcnow())
            updated = await repo.acknowledge(alert_id, now, operator_id)
            if updated is not None:
                self._changed(updated, now)
                return updated
            alert = await self._alert_for_org(org_id, alert_id)
        if alert.state is AlertState.RESOLVED:
            raise AlertResolved("the alert is resolved already", field="id")
        return alert

    async def resolve(
        self, org_id: PydanticObjectId, alert_id: PydanticObjectId, operator_id: str
    ) -> Alert:
        """Resolve by hand (again: unchanged). The condition must then hold for its full duration
        again before it raises a new alert."""
        alert = await self._alert_for_org(org_id, alert_id)
        if not alert.is_open:
            return alert
        resolved = await self._resolve(alert, stored_time(utcnow()), operator_id)
        mem = self._stations.get(alert.station_id)
        if mem is not None:
            mem.open.pop((alert.connector_id, alert.kind), None)
            if alert.connector_id is not None and alert.connector_id in mem.connectors:
                mem.connectors[alert.connector_id].runs.pop(alert.kind, None)
        return resolved or await self._alert_for_org(org_id, alert_id)

    async def list_alerts(
        self,
        org_id: PydanticObjectId,
        *,
        state: str | None = None,
        site_id: PydanticObjectId | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[Alert]:
        limit = page_size(first)
        try:
            wanted = AlertState(state.upper()) if state else None
        except ValueError:
            raise InvalidInput(f"unknown alert state {state!r}", field="state") from None
        key: tuple[datetime, PydanticObjectId] | None = None
        if after:
            parts = decode_cursor(after)
            try:
                key = (datetime.fromisoformat(parts[0]), PydanticObjectId(parts[1]))
            except (IndexError, ValueError, TypeError):
                raise InvalidInput("malformed cursor", field="after") from None
        rows = await repo.list_alerts(
            org_id, state=wanted, site_id=site_id, after=key, limit=limit + 1
        )
        return Page(
            items=[
                (encode_cursor(as_utc(a.raised_at).isoformat(), str(a.id)), a) for a in rows[:limit]
            ],
            has_next_page=len(rows) > limit,
        )

    # -- webhook --------------------------------------------------------------------------------

    async def set_webhook(
        self, org_id: PydanticObjectId, *, url: str, secret: str, enabled: bool = True
    ) -> AlertWebhook:
        target = validate_target(url, secret)
        hook = AlertWebhook(org_id=org_id, url=target.url, secret=target.secret, enabled=enabled)
        await repo.upsert_webhook(hook)
        return hook
