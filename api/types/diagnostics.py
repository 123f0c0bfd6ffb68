"""Diagnostics types the station list already shows. The diagnostics issue fills their resolvers
(domain.diagnostics) and may add fields; until then no health reading or alert exists to show."""

from __future__ import annotations

from datetime import datetime

import strawberry


@strawberry.type
class StationHealth:
    status: str
    temperature_c: float | None
    voltage_v: float | None
    current_a: float | None
    power_kw: float | None
    efficiency_percent: float | None
    sampled_at: datetime | None


@strawberry.type
class Alert:
    id: strawberry.ID
    kind: str
    severity: str
