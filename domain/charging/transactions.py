"""What stations report about transactions: the station-facing half of ``ChargingService``.

These methods never raise a ``DomainError`` for a business sanity check: a charge point drops a
transaction message answered with a CALLERROR. They store what came in (flagged when it looks
wrong) and, for transaction messages (Start/StopTransaction, TransactionEvent), await the writes
before returning, so the answer goes out only once the data is durable. MeterValues is answered
before its writes: its samples and the session's running update are batched (``sample_writer``,
``session_writer``, same loss window). Only infrastructure failures propagate.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import cached_property
from typing import Any

from beanie import PydanticObjectId

from domain.charging import metering, recording, timestamps
from domain.charging import notice_repository as notice_repo
from domain.charging import repository as repo
from domain.charging import sample_repository as sample_repo
from domain.charging.metering import MeterReading
from domain.charging.models import (
    ChargingSession,
    IdToken,
    IdTokenStatus,
    OrphanTransactionMessage,
)
from domain.charging.notices import Notices
from domain.charging.results import (
    StartResult,
    StopResult,
    TransactionEventResult,
    lock_key,
    station_oid,
)
from domain.charging.rounds import Rounds
from domain.charging.sample_writer import SampleWriter
from domain.charging.sequences import TransactionIds
from domain.charging.session_writer import RunningSessions, SessionWriter
from domain.charging.state import SessionStatus, from_connector_status
from domain.charging.telemetry_event import telemetry_event
from domain.charging.transaction_events import TransactionEvents
from domain.common.clock import utcnow
from domain.common.events import EventBus
from domain.network.models import Station
from domain.network.service import NetworkService

__all__ = [
    "StartResult",
    "StationReports",
    "StopResult",
    "TransactionEventResult",
    "lock_key",
    "station_oid",
]

log = logging.getLogger(__name__)


class StationReports(TransactionEvents, Notices):
    """Mixed into ``ChargingService``."""

    events: EventBus
    network: NetworkService
    # Made on first use (the mixins have no constructor of their own).

    @cached_property
    def sample_writer(self) -> SampleWriter:
        """This service's batch writer of MeterValues samples."""
        return SampleWriter()

    @cached_property
    def session_writer(self) -> SessionWriter:
        """This service's batch writer of the sessions' MeterValues updates."""
        return SessionWriter()

    @cached_property
    def running(self) -> RunningSessions:
        """This process's copy of the running sessions MeterValues update."""
        return RunningSessions()

    @cached_property
    def transaction_ids(self) -> TransactionIds:
        return TransactionIds()

    @cached_property
    def session_inserts(self) -> Rounds[ChargingSession, str | None]:
        """Inserts of started sessions, group-committed across concurrent starts."""
        return Rounds(repo.insert_sessions)

    @cached_property
    def id_tokens(self) -> Rounds[str, IdToken | None]:
        """Id token reads, one query for the concurrent ones."""
        return Rounds(repo.id_tokens_by_tag)

    async def close(self) -> None:
        """Store the samples and session updates still buffered (on shutdown); raises the first
        failure after trying both."""
        failure: BaseException | None = None
        made = self.__dict__  # only the writers in use: closing must not make new ones
        for writer in (made.get("session_writer"), made.get("sample_writer")):
            if writer is None:
                continue
            try:
                await writer.close()
            except Exception as exc:
                failure = failure or exc
        if failure is not None:
            raise failure

    async def authorize(self, id_tag: str) -> IdTokenStatus:
        token = await self.id_tokens.call(id_tag)
        return token.status if token is not None else IdTokenStatus.INVALID

    async def connector_status(
        self,
        station: Station,
        *,
        connector_id: int,
        status: str,
        error_code: str | None,
        at: datetime | None,
        info: str | None = None,
        vendor_error_code: str | None = None,
    ) -> None:
        """StatusNotification: the status history (network) and the running session's state."""
        now = utcnow()
        when, _flag = timestamps.check(at, now)
        await self.network.connector_status(
            station,
            connector_id=connector_id,
            status=status,
            error_code=error_code,
            at=when,
            info=info,
            vendor_error_code=vendor_error_code,
        )
        target = from_connector_status(status)
        if connector_id <= 0 or target is None:
            return
        session = await repo.running_on_connector(station_oid(station), connector_id)
        if session is not None and recording.move(session, target, when):
            await self._save(session, now)

    async def meter_values(
        self,
        station: Station,
        *,
        connector_id: int,
        transaction_id: str | None,
        readings: list[MeterReading],
    ) -> None:
        """MeterValues: answered before anything is written (not a transaction message in 1.6).
        The samples go to the sample writer; the session's update (energy, power, flags) is
        applied to this process's copy of the session, published, and queued for the session
        writer. Only a session not known here yet is read (once)."""
        now = utcnow()
        session = await self._metered_session(station, connector_id, transaction_id)
        tx = transaction_id
        if tx is None and session is not None:
            tx = session.transaction_id
        norm = metering.normalise(readings, now)
        new = self._buffer_samples(station, connector_id, tx, norm.samples)
        self._publish_telemetry(station, connector_id, new, now)
        if session is None:
            if transaction_id is not None:
                await self._orphan(station, transaction_id, "MeterValues", {}, now)
            return
        if not new and not norm.flags:
            return
        assert session.id is not None
        update = recording.meter_update(new, norm.flags)
        recording.apply_meter_update(session, update, now)
        query: dict[str, Any] = (
            {"station_id": session.station_id, "transaction_id": transaction_id}
            if transaction_id is not None
            else {"_id": session.id}
        )
        self.session_writer.add(session.id, session.station_id, update, now, query=query)
        self.events.publish(recording.session_event(session, now))

    async def _metered_session(
        self, station: Station, connector_id: int, transaction_id: str | None
    ) -> ChargingSession | None:
        """The session a MeterValues is about: this process's copy, else read (and kept)."""
        sid = station_oid(station)
        if transaction_id is not None:
            session = self.running.by_transaction(sid, transaction_id)
            if session is None:
                session = await repo.session_by_transaction(sid, transaction_id)
        else:
            session = self.running.on_connector(sid, connector_id)
            if session is None:
                session = await repo.running_on_connector(sid, connector_id)
        if session is not None:
            self.running.put(session)
        return session

    async def stop_transaction(
        self,
        station: Station,
        *,
        transaction_id: str,
        meter_stop_wh: int,
        timestamp: datetime | None,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[MeterReading] | None = None,
    ) -> StopResult:
        """OCPP 1.6 StopTransaction; a retry records nothing twice, an unknown transaction is
        recorded as an orphan and still confirmed."""
        now = utcnow()
        await self.sample_writer.flush()  # the final bill sees every answered MeterValues
        status = await self.authorize(id_tag) if id_tag else None
        norm = metering.normalise(transaction_data or [], now)
        # the read flushes this station's queued session updates first
        session = await repo.session_by_transaction(station_oid(station), transaction_id)
        if session is None:
            log.warning(
                "StopTransaction for unknown transaction %s from %s",
                transaction_id,
                station.charge_point_id,
            )
            await self._store_samples(station, 0, transaction_id, norm.samples)
            data = {
                "meter_stop_wh": meter_stop_wh,
                "timestamp": timestamp.isoformat() if timestamp else None,
                "reason": reason,
                "id_tag": id_tag,
            }
            await self._orphan(station, transaction_id, "StopTransaction", data, now)
            return StopResult(None, status)
        new = await self._store_samples(station, session.connector_id, transaction_id, norm.samples)
        if session.status is SessionStatus.ENDED:
            self.running.drop(session)
            return StopResult(session, status)  # a retry: the stop is recorded already
        at, flag = timestamps.check(timestamp, now)
        recording.add_flags(session, norm.flags | ({flag} if flag else set()))
        if flag:
            session.reported_ended_at = timestamp
        recording.apply_samples(session, new)
        recording.end(session, at=at, reason=reason, meter_stop_wh=meter_stop_wh)
        await self._save(session, now)
        return StopResult(session, status)

    # -- internals ------------------------------------------------------------------------------

    def _unsent(
        self,
        station_id: PydanticObjectId,
        connector_id: int,
        transaction_id: str | None,
        samples: list[metering.Sample],
    ) -> list[tuple[str, metering.Sample]]:
        """The samples (keyed) neither repeated in the message nor buffered or stored lately."""
        if not samples:
            return []
        keyed = _keyed(station_id, connector_id, transaction_id, samples)
        recent = self.sample_writer.seen([k for k, _ in keyed])
        return [(k, s) for k, s in dict(keyed).items() if k not in recent]

    async def _store_samples(
        self,
        station: Station,
        connector_id: int,
        transaction_id: str | None,
        samples: list[metering.Sample],
    ) -> list[metering.Sample]:
        """Store the samples not stored yet; return those (the new ones)."""
        sid = station_oid(station)
        unique = self._unsent(sid, connector_id, transaction_id, samples)
        if not unique:
            return []
        start = min(s.at for _, s in unique)
        end = max(s.at for _, s in unique)
        seen = await sample_repo.existing_sample_keys(sid, [k for k, _ in unique], start, end)
        fresh = [(k, s) for k, s in unique if k not in seen]
        await sample_repo.insert_samples(station.org_id, sid, connector_id, transaction_id, fresh)
        self.sample_writer.remember_keys([k for k, _ in fresh])
        return [s for _, s in fresh]

    def _buffer_samples(
        self,
        station: Station,
        connector_id: int,
        transaction_id: str | None,
        samples: list[metering.Sample],
    ) -> list[metering.Sample]:
        """Hand the samples to the batch writer; return the new ones (not sent lately)."""
        if not samples:
            return []
        sid = station_oid(station)
        keyed = _keyed(sid, connector_id, transaction_id, samples)
        return self.sample_writer.add(station.org_id, sid, connector_id, transaction_id, keyed)

    async def _orphan(
        self,
        station: Station,
        transaction_id: str,
        action: str,
        data: dict[str, Any],
        now: datetime,
    ) -> None:
        await notice_repo.record_orphan(
            OrphanTransactionMessage(
                org_id=station.org_id,
                station_id=station_oid(station),
                charge_point_id=station.charge_point_id,
                transaction_id=transaction_id,
                action=action,
                data=data,
                first_received_at=now,
                last_received_at=now,
            )
        )

    async def _save(self, session: ChargingSession, now: datetime) -> None:
        """Replace the stored session with ``session`` (after this process's queued updates of
        it, which ``session`` already holds or was read after), keep the copy, publish."""
        if session.id is not None and self.session_writer.has_pending(session.id):
            await self.session_writer.flush()
        session.updated_at = now
        await repo.save_session(session)
        self.running.put(session)
        self.events.publish(recording.session_event(session, now))

    def _publish_telemetry(
        self, station: Station, connector_id: int, samples: list[metering.Sample], now: datetime
    ) -> None:
        event = telemetry_event(
            org_id=str(station.org_id),
            site_id=str(station.site_id),
            station_id=str(station.id),
            connector_id=connector_id,
            samples=samples,
        )
        if event is not None:
            self.events.publish(event)


def _keyed(
    station_id: PydanticObjectId,
    connector_id: int,
    transaction_id: str | None,
    samples: list[metering.Sample],
) -> list[tuple[str, metering.Sample]]:
    """Each sample with its deterministic key: what makes a retried message store nothing twice."""
    return [
        (metering.sample_key(str(station_id), connector_id, transaction_id, s), s) for s in samples
    ]
