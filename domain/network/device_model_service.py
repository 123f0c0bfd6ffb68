"""Use cases of a station's device model: what it reported (kept per setting, paged for the
console) and the report requests it was asked, each with a request id of its own so that every
NotifyReport part is matched to the request it answers."""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId

from domain.common.clock import as_utc, utcnow
from domain.common.errors import InvalidInput
from domain.common.pagination import Page, decode_cursor, encode_cursor, page_size
from domain.network import device_model_repository as repo
from domain.network.device_model import (
    ReportedVariable,
    ReportKind,
    VariableRef,
    from_report_data,
)
from domain.network.models import ReportPart, ReportRequest, Station, StationVariable

log = logging.getLogger(__name__)

REQUEST_ID_MAX = 2**31 - 1  # OCPP integers are 32-bit signed


def _station_id(station: Station) -> PydanticObjectId:
    assert station.id is not None
    return station.id


class DeviceModel:
    """Stateless: every instance reads and writes the same collections."""

    async def new_report_request(self, station: Station, report: ReportKind) -> ReportRequest:
        """Recorded before it is sent, so that parts arriving before the answer find it. The
        request id is random and unique among the station's requests."""
        now = utcnow()
        for _attempt in range(5):
            request = ReportRequest(
                org_id=station.org_id,
                station_id=_station_id(station),
                request_id=secrets.randbelow(REQUEST_ID_MAX) + 1,
                report=report.value,
                requested_at=now,
            )
            inserted = await repo.insert_request(request)
            if inserted is not None:
                return inserted
        raise RuntimeError("could not draw an unused report request id")

    async def report_answered(
        self, request: ReportRequest, status: str, detail: str | None = None
    ) -> ReportRequest:
        """The station's answer to the request (accepted, rejected, offline, ...)."""
        updated = await repo.answer_request(
            request.station_id, request.request_id, status, detail, utcnow()
        )
        return updated or request

    async def notify_report(
        self,
        station: Station,
        *,
        request_id: int,
        seq_no: int,
        tbc: bool,
        generated_at: datetime | None,
        report_data: Sequence[dict[str, Any]] | None,
    ) -> list[ReportedVariable]:
        """A 2.0.1 NotifyReport part: its settings replace what was known of them, and the part is
        recorded on its request (one is made when nobody here asked for this report)."""
        now = utcnow()
        rows = from_report_data(report_data)
        station_id = _station_id(station)
        await repo.upsert_variables(station.org_id, station_id, rows, now, request_id)
        part = ReportPart(
            seq_no=seq_no,
            tbc=tbc,
            generated_at=as_utc(generated_at) if generated_at else now,
            received_at=now,
            variables=len(rows),
        )
        found = await repo.add_part(station.org_id, station_id, request_id, part, now)
        if found is not None and found.report is None and len(found.parts) == 1:
            log.info("station %s reports request %s nobody asked for", station_id, request_id)
        return rows

    async def record_report(
        self, station: Station, rows: Sequence[ReportedVariable], request: ReportRequest | None
    ) -> None:
        """A report answered in one message (1.6 GetConfiguration): its one part and its rows."""
        now = utcnow()
        station_id = _station_id(station)
        request_id = request.request_id if request is not None else None
        await repo.upsert_variables(station.org_id, station_id, rows, now, request_id)
        if request is not None:
            part = ReportPart(
                seq_no=0, tbc=False, generated_at=now, received_at=now, variables=len(rows)
            )
            await repo.add_part(station.org_id, station_id, request.request_id, part, now)

    async def record_values(
        self, station: Station, values: Sequence[tuple[VariableRef, str | None]]
    ) -> None:
        """Values the station confirmed for settings it reported before."""
        await repo.set_values(
            _station_id(station), [(ref.key(), value) for ref, value in values], utcnow()
        )

    async def report_request(self, station: Station, request_id: int) -> ReportRequest | None:
        return await repo.get_request(_station_id(station), request_id)

    async def variables(
        self,
        station: Station,
        *,
        component: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[StationVariable]:
        """The station's settings as last reported, ordered by component, EVSE and variable."""
        limit = page_size(first)
        key: str | None = None
        if after:
            parts = decode_cursor(after)
            if len(parts) != 1:
                raise InvalidInput("malformed cursor", field="after")
            key = parts[0]
        items, total = await repo.page_variables(
            _station_id(station), component or None, key, limit + 1
        )
        page = items[:limit]
        return Page(
            items=[(encode_cursor(v.key), v) for v in page],
            has_next_page=len(items) > limit,
            total_count=total,
        )
