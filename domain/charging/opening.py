"""``SessionOpener``: a transaction starting. The 1.6 StartTransaction, and the opening of a
session that it shares with the 2.0.1 TransactionEvent (``transaction_events.py``).

The start is durable before the answer and costs two round trips when nothing is in the way:
the id tag's read (its status is part of the answer) and one insert. The unique indexes decide
everything else, only when the insert clashes: a replayed start (same start key, or the same
2.0.1 transaction id) returns the session stored first; a PENDING remote start holding the
connector with the same id tag is adopted; any other session still holding the connector (its
stop was lost) is superseded, and the insert is tried again.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from domain.charging import recording, timestamps
from domain.charging.id_tokens import IdTokens, tag_info
from domain.charging.models import ChargingSession, IdToken, IdTokenStatus
from domain.charging.results import StartResult, lock_key, station_oid
from domain.charging.sequences import TransactionIds
from domain.charging.session_log import log_session_started
from domain.charging.state import SessionStatus
from domain.charging.store import ChargingStore
from domain.common.clock import utcnow
from domain.common.events import EventBus
from domain.network.models import Station

log = logging.getLogger(__name__)

ATTEMPTS = 4


class SessionOpener:
    def __init__(
        self,
        store: ChargingStore,
        events: EventBus,
        id_tokens: IdTokens,
        transaction_ids: TransactionIds | None = None,
    ) -> None:
        self.store = store
        self.events = events
        self.id_tokens = id_tokens
        self.transaction_ids = transaction_ids or TransactionIds()

    async def start_transaction(
        self,
        station: Station,
        *,
        connector_id: int,
        id_tag: str,
        meter_start_wh: int,
        timestamp: datetime | None,
        reservation_id: int | None = None,
    ) -> StartResult:
        """OCPP 1.6 StartTransaction. A replay (same station, connector, idTag, timestamp and
        meterStart) returns the session already stored, with the same transaction id."""
        now = utcnow()
        reported = timestamp.isoformat() if timestamp else "?"
        key = f"{station.id}|{connector_id}|{id_tag}|{reported}|{meter_start_wh}"
        token = await self.id_tokens.find(id_tag)
        info = tag_info(token, now)
        status = info.status
        at, flag = timestamps.check(timestamp, now)
        flags = {flag} if flag else set()
        if status is not IdTokenStatus.ACCEPTED:
            flags.add("id_tag_not_accepted")
        values: dict[str, Any] = {
            "transaction_id": await self._next_transaction_id(),
            "start_key": key,
            "started_at": at,
            "reported_started_at": timestamp if flag else None,
            "meter_start_wh": meter_start_wh,
            "last_meter_wh": meter_start_wh,
            "ocpp_version": "1.6",
        }
        session, _created = await self.open(
            station,
            connector_id,
            id_tag,
            None,
            values,
            flags,
            now,
            replay_key="start_key",
            token=token,
            renumber=self._next_transaction_id,
        )
        if session.start_key == key and session.transaction_id != values["transaction_id"]:
            log.info("replayed StartTransaction for transaction %s", session.transaction_id)
        return StartResult(session, status, info)

    async def _next_transaction_id(self) -> str:
        return str(await self.transaction_ids.next())

    async def open(
        self,
        station: Station,
        connector_id: int,
        id_tag: str | None,
        remote_start_id: int | None,
        values: dict[str, Any],
        flags: set[str],
        now: datetime,
        *,
        replay_key: str,
        token: IdToken | None,
        renumber: Callable[[], Awaitable[str]] | None = None,
        prepare: Callable[[ChargingSession], None] | None = None,
    ) -> tuple[ChargingSession, bool]:
        """A started transaction: the session stored for it (replay), the remote start waiting for
        it (adopted), or a new session. ``prepare`` is applied to a new session before it is
        inserted. Returns (session, whether this call inserted it)."""
        values = {**values, "status": SessionStatus.STARTED, "updated_at": now}
        if remote_start_id is not None:  # 2.0.1: the remote start names itself, on any EVSE
            pending = await self.store.find_pending(
                station_oid(station), None, None, remote_start_id
            )
            if pending is not None:
                adopted = await self._adopt(station, pending, values, flags, now, replay_key)
                if adopted is not None:
                    return adopted, False
        session = ChargingSession(
            org_id=station.org_id,
            site_id=station.site_id,
            station_id=station_oid(station),
            charge_point_id=station.charge_point_id,
            connector_id=connector_id,
            id_tag=id_tag,
            driver_id=token.driver_id if token else None,
            connector_lock=lock_key(station.id, connector_id) if connector_id > 0 else None,
            flags=sorted(flags),
            created_at=now,
            **values,
        )
        if prepare is not None:
            prepare(session)
        for _attempt in range(ATTEMPTS):
            clash = await self.store.insert_started(session)
            if clash is None:
                return self._opened(session, now), True
            if clash == "transaction_id" and renumber is not None:
                values["transaction_id"] = session.transaction_id = await renumber()
                continue
            if clash == "connector_lock" and session.connector_lock is not None:
                found = await self._resolve_holder(
                    station, connector_id, id_tag, values, flags, now, replay_key
                )
            else:
                found = await self._by_replay_key(station, replay_key, values)
            if found is not None:
                return found, False
        session.connector_lock = None  # never refuse a transaction for a bookkeeping clash
        recording.add_flags(session, ["connector_conflict"])
        if await self.store.insert_started(session) is not None:
            existing = await self._by_replay_key(station, replay_key, values)
            if existing is not None:
                return existing, False
            raise RuntimeError("could not store the transaction")
        return self._opened(session, now), True

    def _opened(self, session: ChargingSession, now: datetime) -> ChargingSession:
        self.store.running.put(session)
        if session.transaction_id is not None:  # a transaction new here: none of its samples
            self.store.samples.opened(
                (session.station_id, session.connector_id, session.transaction_id)
            )
        self.events.publish(recording.session_event(session, now))
        log_session_started(session)
        return session

    async def _resolve_holder(
        self,
        station: Station,
        connector_id: int,
        id_tag: str | None,
        values: dict[str, Any],
        flags: set[str],
        now: datetime,
        replay_key: str,
    ) -> ChargingSession | None:
        """The connector is held: by this very transaction (a replay: returned), by a remote
        start for this id tag (adopted and returned), or by a session whose stop was lost
        (superseded: None, the caller inserts again)."""
        holder = await self.store.session_holding(station_oid(station), connector_id)
        if holder is None:
            return None
        if getattr(holder, replay_key) == values[replay_key]:
            return holder
        existing = await self._by_replay_key(station, replay_key, values)
        if existing is not None:
            return existing  # a replay of a start whose session no longer holds the connector
        if holder.status is SessionStatus.PENDING and holder.id_tag == id_tag:
            return await self._adopt(station, holder, values, flags, now, replay_key)
        log.warning("session %s superseded on its connector", holder.id)
        recording.supersede(holder, now)
        await self.store.save(holder, now)
        self.events.publish(recording.session_event(holder, now))
        return None

    async def _adopt(
        self,
        station: Station,
        pending: ChargingSession,
        values: dict[str, Any],
        flags: set[str],
        now: datetime,
        replay_key: str,
    ) -> ChargingSession | None:
        """The PENDING remote start, started; None when another start adopted it first."""
        assert pending.id is not None
        adopt = {k: (v.value if isinstance(v, SessionStatus) else v) for k, v in values.items()}
        adopt["flags"] = sorted(set(pending.flags) | flags)
        result = await self.store.adopt_pending(pending.id, adopt)
        if isinstance(result, str):  # a replay: its key belongs to the session stored first
            return await self._by_replay_key(station, replay_key, values)
        return self._opened(result, now) if result is not None else None

    async def _by_replay_key(
        self, station: Station, replay_key: str, values: dict[str, Any]
    ) -> ChargingSession | None:
        if replay_key == "start_key":
            return await self.store.session_by_start_key(station_oid(station), values["start_key"])
        return await self.store.session_by_transaction(
            station_oid(station), values["transaction_id"]
        )
