"""``TransactionRecorder``: what stations report about their connectors and transactions, in OCPP
1.6 terms (StartTransaction, MeterValues, StopTransaction, StatusNotification) and 2.0.1's
MeterValues and connector temperatures (NotifyEvent). The 2.0.1 TransactionEvent is recorded by
``TransactionEventRecorder`` (transaction_events.py) on the same session model.

These methods never raise a ``DomainError`` for a business sanity check: a charge point drops a
transaction message answered with a CALLERROR. They store what came in (flagged when it looks
wrong) and, for transaction messages (Start/StopTransaction, TransactionEvent), await the writes
before returning, so the answer goes out only once the data is durable; so does MeterValues (its
samples and the session's running update, group-committed across stations by the store). Only
infrastructure failures propagate.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from domain.charging import metering, recording, timestamps
from domain.charging import repository as repo
from domain.charging.id_tokens import IdTokens
from domain.charging.meter_writes import MeterWrite, SampleRow, SessionMeterUpdate
from domain.charging.metering import MeterReading
from domain.charging.models import ChargingSession, OrphanTransactionMessage
from domain.charging.opening import SessionOpener
from domain.charging.results import StartResult, StopResult, station_oid
from domain.charging.sample_recording import SampleRecorder
from domain.charging.session_log import log_session_ended
from domain.charging.state import SessionStatus, from_connector_status
from domain.charging.store import ChargingStore
from domain.common.clock import utcnow
from domain.common.events import EventBus
from domain.network.models import Station
from domain.network.service import NetworkService

log = logging.getLogger(__name__)


class TransactionRecorder:
    def __init__(
        self,
        store: ChargingStore,
        events: EventBus,
        network: NetworkService,
        id_tokens: IdTokens,
        opener: SessionOpener,
        samples: SampleRecorder,
    ) -> None:
        self.store = store
        self.events = events
        self.network = network
        self.id_tokens = id_tokens
        self.opener = opener
        self.samples = samples

    async def save(self, session: ChargingSession, now: datetime) -> None:
        """Store ``session`` as it is now and publish it."""
        await self.store.save(session, now)
        self.events.publish(recording.session_event(session, now))

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
        """OCPP 1.6 StartTransaction (see ``SessionOpener``)."""
        return await self.opener.start_transaction(
            station,
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start_wh=meter_start_wh,
            timestamp=timestamp,
            reservation_id=reservation_id,
        )

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
        session = await self.store.running_on_connector(station_oid(station), connector_id)
        if session is not None and recording.move(session, target, when):
            await self.save(session, now)

    async def meter_values(
        self,
        station: Station,
        *,
        connector_id: int,
        transaction_id: str | None,
        readings: list[MeterReading],
    ) -> None:
        """MeterValues: the new samples and the session's update (energy, power, flags) are
        stored, group-committed with other stations' MeterValues, before this returns (and the
        answer goes out); then the store's copy of the session takes the update and it is
        published. Only a session not known here yet is read (once)."""
        now = utcnow()
        session = await self._metered_session(station, connector_id, transaction_id)
        tx = transaction_id
        if tx is None and session is not None:
            tx = session.transaction_id
        norm = metering.normalise(readings, now)
        sid = station_oid(station)
        keyed = self.samples.unsent(sid, connector_id, tx, norm.samples)
        new = [s for _, s in keyed]
        rows = tuple(SampleRow(k, station.org_id, sid, connector_id, tx, s) for k, s in keyed)
        update = None
        if session is not None and (new or norm.flags):
            assert session.id is not None
            query: dict[str, Any] = (
                {"station_id": session.station_id, "transaction_id": transaction_id}
                if transaction_id is not None
                else {"_id": session.id}
            )
            changes = recording.meter_update(new, norm.flags)
            update = SessionMeterUpdate(session.id, changes, now, query)
        if rows or update is not None:
            await self.store.record_meter_values(MeterWrite(sid, rows, update))
        self.samples.publish(station, connector_id, new, now)
        if session is None:
            if transaction_id is not None:
                await self._orphan(station, transaction_id, "MeterValues", {}, now)
            return
        if update is not None:
            recording.apply_meter_update(session, update.update, now)
            self.events.publish(recording.session_event(session, now))

    async def _metered_session(
        self, station: Station, connector_id: int, transaction_id: str | None
    ) -> ChargingSession | None:
        """The session a MeterValues is about: the store's copy, else read (and kept)."""
        sid = station_oid(station)
        running = self.store.running
        if transaction_id is not None:
            session = running.by_transaction(sid, transaction_id)
            if session is None:
                session = await self.store.session_by_transaction(sid, transaction_id)
        else:
            session = running.on_connector(sid, connector_id)
            if session is None:
                session = await self.store.running_on_connector(sid, connector_id)
        if session is not None:
            running.put(session)
        return session

    async def connector_temperatures(
        self, station: Station, event_data: Iterable[dict[str, Any]] | None
    ) -> None:
        """2.0.1 NotifyEvent: the connector temperatures in it (2.0.1 has no Temperature
        measurand) kept as meter samples of the connector."""
        now = utcnow()
        for connector_id, readings in metering.temperature_readings(event_data).items():
            norm = metering.normalise(readings, now)
            new = await self.samples.keep(station, connector_id, None, norm.samples)
            self.samples.publish(station, connector_id, new, now)

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
        info = await self.id_tokens.info(id_tag) if id_tag else None
        status = info.status if info else None
        norm = metering.normalise(transaction_data or [], now)
        # the store waits for this station's meter writes in flight before it reads
        session = await self.store.session_by_transaction(station_oid(station), transaction_id)
        if session is None:
            log.warning(
                "StopTransaction for unknown transaction %s from %s",
                transaction_id,
                station.charge_point_id,
            )
            await self.samples.keep(station, 0, transaction_id, norm.samples)
            data = {
                "meter_stop_wh": meter_stop_wh,
                "timestamp": timestamp.isoformat() if timestamp else None,
                "reason": reason,
                "id_tag": id_tag,
            }
            await self._orphan(station, transaction_id, "StopTransaction", data, now)
            return StopResult(None, status, info)
        new = await self.samples.keep(station, session.connector_id, transaction_id, norm.samples)
        if session.status is SessionStatus.ENDED:
            self.store.running.drop(session)
            return StopResult(session, status, info)  # a retry: the stop is recorded already
        at, flag = timestamps.check(timestamp, now)
        recording.add_flags(session, norm.flags | ({flag} if flag else set()))
        if flag:
            session.reported_ended_at = timestamp
        recording.apply_samples(session, new)
        recording.end(session, at=at, reason=reason, meter_stop_wh=meter_stop_wh)
        await self.save(session, now)
        log_session_ended(session)
        return StopResult(session, status, info)

    async def _orphan(
        self,
        station: Station,
        transaction_id: str,
        action: str,
        data: dict[str, Any],
        now: datetime,
    ) -> None:
        await repo.record_orphan(
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
