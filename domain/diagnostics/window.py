"""What the diagnostics service keeps in memory per station: a bounded window of samples per
connector, each rule's current run, the connector's last status, connectivity and open alerts."""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime

from beanie import PydanticObjectId

from domain.diagnostics.conditions import Run
from domain.diagnostics.models import Alert
from domain.diagnostics.rules import AlertKind
from domain.diagnostics.samples import Sample

WINDOW_SIZE = 32  # samples per connector: context for the rules (previous register, efficiency)

AlertKey = tuple[int | None, AlertKind]  # (connector id or None for the station, kind)


@dataclass
class ConnectorMemory:
    window: deque[Sample] = field(default_factory=lambda: deque(maxlen=WINDOW_SIZE))
    status: str | None = None
    error_code: str | None = None
    runs: dict[AlertKind, Run] = field(default_factory=dict)

    def accepts(self, sample: Sample) -> bool:
        """A sample older than the newest one (a late, buffered report) is not folded in."""
        return not self.window or sample.at >= self.window[-1].at


@dataclass
class StationMemory:
    station_id: PydanticObjectId
    org_id: PydanticObjectId
    site_id: PydanticObjectId | None
    online: bool = True
    last_seen_at: datetime | None = None
    connected_at: datetime | None = None
    connectors: dict[int, ConnectorMemory] = field(default_factory=dict)
    open: dict[AlertKey, Alert] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def connector(self, connector_id: int) -> ConnectorMemory:
        conn = self.connectors.get(connector_id)
        if conn is None:
            conn = self.connectors[connector_id] = ConnectorMemory()
        return conn

    def seen(self, at: datetime) -> None:
        if self.last_seen_at is None or at > self.last_seen_at:
            self.last_seen_at = at

    def set_open(self, alerts: list[Alert]) -> None:
        self.open = {(a.connector_id, a.kind): a for a in alerts if a.is_open}
