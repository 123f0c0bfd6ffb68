"""Results of commands sent to stations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.errors import UserError


@strawberry.type
class StationCommandPayload:
    accepted: bool = False
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class DiagnosticsRequest:
    id: strawberry.ID
    status: str  # REQUESTED: the station accepted and will upload
    file_name: str | None
    location: str
    requested_at: datetime


@strawberry.type
class RequestDiagnosticsPayload:
    request: DiagnosticsRequest | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
