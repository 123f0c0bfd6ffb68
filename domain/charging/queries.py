"""``SessionQueries``: what people ask about sessions and a station's telemetry. Reads go through
the store, so they see every write a station was answered for."""

from __future__ import annotations

from datetime import datetime, timedelta

from beanie import PydanticObjectId

from domain.charging.errors import SessionNotFound
from domain.charging.metering import TelemetryRow
from domain.charging.models import ChargingSession
from domain.charging.store import ChargingStore
from domain.common.clock import as_utc
from domain.common.errors import InvalidInput
from domain.common.pagination import Page, decode_cursor, encode_cursor, page_size
from domain.network.service import parse_id

MAX_TELEMETRY_RANGE = timedelta(days=31)
MAX_TELEMETRY_SAMPLES = 200_000


class SessionQueries:
    def __init__(self, store: ChargingStore) -> None:
        self.store = store

    async def get_session(self, session_id: PydanticObjectId) -> ChargingSession:
        session = await self.store.session(session_id)
        if session is None:
            raise SessionNotFound("no such session", field="sessionId")
        return session

    async def session_for_org(
        self, org_id: PydanticObjectId, session_id: PydanticObjectId
    ) -> ChargingSession:
        session = await self.get_session(session_id)
        if session.org_id != org_id:
            raise SessionNotFound("no such session", field="sessionId")
        return session

    async def session_for_driver(
        self, driver_id: PydanticObjectId, session_id: PydanticObjectId
    ) -> ChargingSession:
        """The driver's own session; another driver's is NOT_FOUND (its existence is not told)."""
        session = await self.get_session(session_id)
        if session.driver_id != driver_id:
            raise SessionNotFound("no such session", field="sessionId")
        return session

    async def sessions_for_driver(
        self, driver_id: PydanticObjectId, *, first: int | None = None, after: str | None = None
    ) -> Page[ChargingSession]:
        limit = page_size(first)
        items = await self.store.sessions_for_driver(driver_id, _after_id(after), limit + 1)
        return _page(items, limit, None)

    async def active_session_for_driver(
        self, driver_id: PydanticObjectId
    ) -> ChargingSession | None:
        return await self.store.active_for_driver(driver_id)

    async def sessions_for_org(
        self,
        org_id: PydanticObjectId,
        *,
        station_id: PydanticObjectId | None = None,
        active: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Page[ChargingSession]:
        limit = page_size(first)
        items, total = await self.store.sessions_for_org(
            org_id, station_id=station_id, active=active, after=_after_id(after), limit=limit + 1
        )
        return _page(items, limit, total)

    async def telemetry(
        self, station_id: PydanticObjectId, start: datetime, end: datetime
    ) -> list[TelemetryRow]:
        """Per-timestamp rows (temperature, voltage, current, power, energy, SoC) per connector."""
        start, end = as_utc(start), as_utc(end)
        if end <= start:
            raise InvalidInput("the range must end after it starts", field="range")
        if end - start > MAX_TELEMETRY_RANGE:
            raise InvalidInput("the range is at most 31 days", field="range")
        return await self.store.telemetry(station_id, start, end, MAX_TELEMETRY_SAMPLES)


def _after_id(after: str | None) -> PydanticObjectId | None:
    if not after:
        return None
    parts = decode_cursor(after)
    if len(parts) != 1:
        raise InvalidInput("malformed cursor", field="after")
    return parse_id(parts[0], field="after")


def _page(items: list[ChargingSession], limit: int, total: int | None) -> Page[ChargingSession]:
    page = items[:limit]
    return Page(
        items=[(encode_cursor(str(s.id)), s) for s in page],
        has_next_page=len(items) > limit,
        total_count=total,
    )
