"""Results of commands sent to stations."""

from __future__ import annotations

import re
from datetime import datetime

import strawberry

from api.errors import UserError
from api.types.common import utc
from domain.diagnostics.models import FileTransfer


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

    @classmethod
    def from_domain(cls, t: FileTransfer) -> DiagnosticsRequest:
        return cls(
            id=strawberry.ID(str(t.id)),
            status=re.sub(r"(?<!^)(?=[A-Z])", "_", t.status.value).upper(),
            file_name=t.file_name,
            location=t.location,
            requested_at=utc(t.requested_at),  # type: ignore[arg-type]
        )


@strawberry.type
class RequestDiagnosticsPayload:
    request: DiagnosticsRequest | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
