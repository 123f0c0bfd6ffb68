"""Use cases of charging: id tokens, remote start/stop, session queries and telemetry.

What stations report (start/stop/meter values/transaction events) is in ``transactions.py``, mixed
into the same ``ChargingService``.
"""

from __future__ import annotations

import logging
import re
import secrets
from datetime import datetime, timedelta

from beanie import PydanticObjectId

from domain.charging import recording
from domain.charging import repository as repo
from domain.charging import sample_repository as sample_repo
from domain.charging.commands import RemoteStart, RemoteStop, StationCommandService
from domain.charging.errors import InvalidIdTag, SessionNotFound
from domain.charging.metering import TelemetryRow
from domain.charging.models import ChargingSession, IdToken
from domain.charging.state import RUNNING, SessionStatus
from domain.charging.transactions import (
    StartResult,
    StationReports,
    StopResult,
    TransactionEventResult,
    lock_key,
    station_oid,
)
from domain.common.clock import as_utc, utcnow
from domain.common.errors import (
    AlreadyExists,
    Conflict,
    ConnectorBusy,
    InvalidInput,
    StationOffline,
)
from domain.common.events import EventBus
from domain.common.pagination import Page, decode_cursor, encode_cursor, page_size
from domain.network.models import ConnectorStatus, Station
from domain.network.service import NetworkService, parse_id

__all__ = ["ChargingService", "StartResult", "StopResult", "TransactionEventResult"]

log = logging.getLogger(__name__)

ID_TAG_MAX = 20  # OCPP 1.6 IdToken is CiString20
MAX_TELEMETRY_RANGE = timedelta(days=31)
MAX_TELEMETRY_SAMPLES = 200_000
# the id tag a driver's app sessions carry: "APP" + 17 hex digits (20 characters, CiString20)
APP_TAG = re.compile(r"APP[0-9A-F]{17}")
# a connector reporting one of these is in use: a remote start there is refused up front
BUSY_STATUSES = frozenset(
    {
        ConnectorStatus.CHARGING,
        ConnectorStatus.SUSPENDED_EV,
        ConnectorStatus.SUSPENDED_EVSE,
        ConnectorStatus.FINISHING,
    }
)


class ChargingService(StationReports):
    def __init__(
        self,
        events: EventBus,
        network: NetworkService,
        commands: StationCommandService,
        *,
        pending_ttl: timedelta = timedelta(minutes=3),
    ) -> None:
        self.events = events
        self.network = network
        self.commands = commands
        self.pending_ttl = pending_ttl

    # -- id tokens ------------------------------------------------------------------------------

    async def link_id_token(
        self, driver_id: PydanticObjectId, id_tag: str, *, org_id: PydanticObjectId | None = None
    ) -> IdToken:
        tag = id_tag.strip()
        if not tag or len(tag) > ID_TAG_MAX:
            raise InvalidIdTag(f"an id tag is 1-{ID_TAG_MAX} characters", field="idTag")
        if not tag.isprintable():
            raise InvalidIdTag("an id tag has printable characters only", field="idTag")
        if is_app_tag(tag):
            raise InvalidIdTag("this id tag is reserved for app sessions", field="idTag")
        token = await repo.claim_id_token(tag, driver_id, org_id)
        if token is None:
            raise AlreadyExists("this id tag is linked to another driver", field="idTag")
        return token

    async def id_tokens_for_driver(self, driver_id: PydanticObjectId) -> list[IdToken]:
        return await repo.id_tokens_for_driver(driver_id)

    async def linked_id_tokens(self, driver_id: PydanticObjectId) -> list[IdToken]:
        """The tokens (RFID cards) the driver linked, without the app's own id tag."""
        return [t for t in await repo.id_tokens_for_driver(driver_id) if not is_app_tag(t.id_tag)]

    async def app_id_tag(self, driver_id: PydanticObjectId) -> str:
        """The id tag the driver's app sessions carry, made on first use and reused after: the
        station reports only the tag, and through it the transaction is the driver's."""
        for token in await repo.id_tokens_for_driver(driver_id):
            if is_app_tag(token.id_tag):
                return token.id_tag
        for _attempt in range(3):
            tag = "APP" + secrets.token_hex(9).upper()[:17]
            if await repo.claim_id_token(tag, driver_id, None) is not None:
                return tag
        raise RuntimeError("could not make an app id tag")

    # -- what people ask ------------------------------------------------------------------------

    async def remote_start(
        self,
        station: Station,
        connector_id: int,
        id_tag: str,
        driver_id: PydanticObjectId | None = None,
    ) -> ChargingSession:
        """Ask the station to start; returns the PENDING session that its start will adopt."""
        connector = station.connector(connector_id)
        if connector is None:
            raise InvalidInput(f"the station has no connector {connector_id}", field="connectorId")
        if not station.online:
            raise StationOffline(f"station {station.charge_point_id} is offline")
        if connector.status in BUSY_STATUSES:
            raise ConnectorBusy(f"connector {connector_id} is {connector.status.value}")
        tag = id_tag.strip()
        if not tag or len(tag) > ID_TAG_MAX:
            raise InvalidIdTag(f"an id tag is 1-{ID_TAG_MAX} characters", field="idTag")
        if driver_id is None:
            token = await repo.get_id_token(tag)
            driver_id = token.driver_id if token else None
        now = utcnow()
        session = ChargingSession(
            org_id=station.org_id,
            site_id=station.site_id,
            station_id=station_oid(station),
            charge_point_id=station.charge_point_id,
            connector_id=connector_id,
            ocpp_version=station.ocpp_version or "1.6",
            id_tag=tag,
            driver_id=driver_id,
            status=SessionStatus.PENDING,
            remote_start_id=await repo.next_sequence(station_oid(station), "remote_start"),
            connector_lock=lock_key(station.id, connector_id),
            created_at=now,
            updated_at=now,
        )
        if await repo.insert_session(session) == "connector_lock":
            holder = await repo.session_holding(lock_key(station.id, connector_id))
            stale = holder is not None and (
                holder.status is SessionStatus.PENDING
                and as_utc(holder.created_at) < now - self.pending_ttl
            )
            if holder is not None and not stale:
                raise ConnectorBusy(f"connector {connector_id} has a session already")
            if holder is not None:
                recording.supersede(holder, now)
                await self._save(holder, now)
            if await repo.insert_session(session) is not None:
                raise ConnectorBusy(f"connector {connector_id} has a session already")
        assert session.id is not None
        self.events.publish(recording.session_event(session, now))
        result = await self.commands.send(
            station.charge_point_id,
            RemoteStart(
                connector_id=connector_id, id_tag=tag, remote_start_id=session.remote_start_id
            ),
        )
        if not result.accepted:
            await repo.fail_if_pending(session.id, f"remote_start_{result.status.value}", utcnow())
            failed = await repo.get_session(session.id)
            if failed is not None:
                self.events.publish(recording.session_event(failed, utcnow()))
            result.raise_for_status("remote start")
        return await repo.get_session(session.id) or session

    async def start_for_driver(
        self, driver_id: PydanticObjectId, station_id: PydanticObjectId, connector_id: int
    ) -> ChargingSession:
        """A driver starts charging from the app: a remote start with the driver's app id tag."""
        station = await self.network.station(station_id)
        tag = await self.app_id_tag(driver_id)
        return await self.remote_start(station, connector_id, tag, driver_id)

    async def remote_stop(self, session: ChargingSession) -> ChargingSession:
        if session.status not in RUNNING or session.transaction_id is None:
            raise Conflict("the session is not running", field="sessionId")
        result = await self.commands.send(
            session.charge_point_id, RemoteStop(transaction_id=session.transaction_id)
        )
        result.raise_for_status("remote stop")
        assert session.id is not None
        return await repo.get_session(session.id) or session

    async def get_session(self, session_id: PydanticObjectId) -> ChargingSession:
        session = await repo.get_session(session_id)
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
        items = await repo.sessions_for_driver(driver_id, _after_id(after), limit + 1)
        return _page(items, limit, None)

    async def active_session_for_driver(
        self, driver_id: PydanticObjectId
    ) -> ChargingSession | None:
        return await repo.active_for_driver(driver_id)

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
        items, total = await repo.sessions_for_org(
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
        return await sample_repo.telemetry(station_id, start, end, MAX_TELEMETRY_SAMPLES)


def is_app_tag(id_tag: str) -> bool:
    return APP_TAG.fullmatch(id_tag) is not None


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
