"""What stations report about transactions: the station-facing half of ``ChargingService``.

These methods never raise a ``DomainError`` for a business sanity check: a charge point drops a
transaction message answered with a CALLERROR. They store what came in (flagged when it looks
wrong) and await the writes before returning, so the answer goes out only once the data is durable.
Only infrastructure failures propagate.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId

from domain.charging import metering, recording, timestamps
from domain.charging import repository as repo
from domain.charging.metering import MeterReading
from domain.charging.models import (
    ChargingSession,
    IdTokenStatus,
    OrphanTransactionMessage,
    StationReport,
)
from domain.charging.reports import report_events, temperature_readings
from domain.charging.sample_writer import SampleWriter
from domain.charging.state import RUNNING, SessionStatus, from_charging_state, from_connector_status
from domain.charging.telemetry_event import telemetry_event
from domain.common.clock import utcnow
from domain.common.events import EventBus
from domain.network.models import Station
from domain.network.service import NetworkService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartResult:
    session: ChargingSession
    id_tag_status: IdTokenStatus


@dataclass(frozen=True)
class StopResult:
    session: ChargingSession | None  # None: an orphan (unknown transaction), recorded
    id_tag_status: IdTokenStatus | None


@dataclass(frozen=True)
class TransactionEventResult:
    session: ChargingSession
    id_tag_status: IdTokenStatus | None


def lock_key(station_id: object, connector_id: int) -> str:
    return f"{station_id}:{connector_id}"


def station_oid(station: Station) -> PydanticObjectId:
    assert station.id is not None
    return station.id


class StationReports:
    """Mixed into ``ChargingService``."""

    events: EventBus
    network: NetworkService
    _sample_writer: SampleWriter | None = None

    @property
    def sample_writer(self) -> SampleWriter:
        """This service's batch writer of MeterValues samples (made on first use)."""
        if self._sample_writer is None:
            self._sample_writer = SampleWriter()
        return self._sample_writer

    async def close(self) -> None:
        """Store the samples still buffered (on shutdown)."""
        if self._sample_writer is not None:
            await self._sample_writer.close()

    async def authorize(self, id_tag: str) -> IdTokenStatus:
        token = await repo.get_id_token(id_tag)
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
        status = await self.authorize(id_tag)
        existing = await repo.session_by_start_key(key)
        if existing is not None:
            log.info("replayed StartTransaction for transaction %s", existing.transaction_id)
            return StartResult(existing, status)
        at, flag = timestamps.check(timestamp, now)
        flags = {flag} if flag else set()
        if status is not IdTokenStatus.ACCEPTED:
            flags.add("id_tag_not_accepted")
        tx = str(await repo.next_sequence(station_oid(station), "transaction"))
        values: dict[str, Any] = {
            "transaction_id": tx,
            "start_key": key,
            "started_at": at,
            "reported_started_at": timestamp if flag else None,
            "meter_start_wh": meter_start_wh,
            "last_meter_wh": meter_start_wh,
            "ocpp_version": "1.6",
        }
        session = await self._open(
            station, connector_id, id_tag, None, values, flags, now, replay_key="start_key"
        )
        return StartResult(session, status)

    async def meter_values(
        self,
        station: Station,
        *,
        connector_id: int,
        transaction_id: str | None,
        readings: list[MeterReading],
    ) -> None:
        """MeterValues: answered before its samples are stored (not a transaction message in
        1.6); the samples go to the batch writer, the session gets one atomic update."""
        now = utcnow()
        sid = station_oid(station)
        session: ChargingSession | None = None
        tx = transaction_id
        if tx is None:
            session = await repo.running_on_connector(sid, connector_id)
            tx = session.transaction_id if session is not None else None
        norm = metering.normalise(readings, now)
        new = self._buffer_samples(station, connector_id, tx, norm.samples)
        self._publish_telemetry(station, connector_id, new, now)
        if not new and not norm.flags:
            if (
                transaction_id is not None
                and await repo.session_by_transaction(sid, transaction_id) is None
            ):
                await self._orphan(station, transaction_id, "MeterValues", {}, now)
            return
        if transaction_id is None and session is None:
            return
        query: dict[str, Any] = (
            {"_id": session.id}
            if session is not None
            else {"station_id": sid, "transaction_id": transaction_id}
        )
        update = recording.meter_update(new, norm.flags)
        updated = await repo.apply_meter_update(query, update, now)
        if updated is not None:
            self.events.publish(recording.session_event(updated, now))
        elif transaction_id is not None:
            await self._orphan(station, transaction_id, "MeterValues", {}, now)

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
            return StopResult(session, status)  # a retry: the stop is recorded already
        at, flag = timestamps.check(timestamp, now)
        recording.add_flags(session, norm.flags | ({flag} if flag else set()))
        if flag:
            session.reported_ended_at = timestamp
        recording.apply_samples(session, new)
        recording.end(session, at=at, reason=reason, meter_stop_wh=meter_stop_wh)
        await self._save(session, now)
        return StopResult(session, status)

    async def transaction_event(
        self,
        station: Station,
        *,
        event_type: str,
        transaction_id: str,
        seq_no: int | None,
        timestamp: datetime | None,
        trigger_reason: str | None = None,
        offline: bool = False,
        evse_id: int | None = None,
        id_tag: str | None = None,
        charging_state: str | None = None,
        stopped_reason: str | None = None,
        remote_start_id: int | None = None,
        meter_values: list[MeterReading] | None = None,
    ) -> TransactionEventResult:
        """OCPP 2.0.1 TransactionEvent (Started/Updated/Ended), the same model as 1.6. The EVSE id
        is the connector id of our station model. Out-of-order and replayed events are safe."""
        now = utcnow()
        if event_type == "Ended":
            await self.sample_writer.flush()  # the final bill sees every answered sample
        status = await self.authorize(id_tag) if id_tag else None
        at, flag = timestamps.check(timestamp, now)
        flags = {flag} if flag else set()
        norm = metering.normalise(meter_values or [], now)
        session = await repo.session_by_transaction(station_oid(station), transaction_id)
        if session is None:
            if event_type != "Started":
                flags.add("started_implicitly")
            values: dict[str, Any] = {
                "transaction_id": transaction_id,
                "evse_id": evse_id,
                "started_at": at,
                "reported_started_at": timestamp if flag else None,
                "ocpp_version": "2.0.1",
                "remote_start_id": remote_start_id,
            }
            session = await self._open(
                station,
                evse_id or 0,
                id_tag,
                remote_start_id,
                values,
                flags,
                now,
                replay_key="transaction_id",
            )
        new = await self._store_samples(station, session.connector_id, transaction_id, norm.samples)
        recording.add_flags(session, flags | norm.flags)
        # an older event (lower seqNo) arriving late must not overwrite a newer charging state
        latest = seq_no is None or session.last_seq_no is None or seq_no >= session.last_seq_no
        recording.seq_no(session, seq_no)
        session.offline = session.offline or offline
        if id_tag and session.id_tag is None:
            session.id_tag = id_tag
            token = await repo.get_id_token(id_tag)
            session.driver_id = token.driver_id if token else None
        if session.status in RUNNING:
            recording.apply_samples(session, new)
            if event_type == "Ended":
                if flag:
                    session.reported_ended_at = timestamp
                recording.end(
                    session, at=at, reason=stopped_reason or trigger_reason, meter_stop_wh=None
                )
            elif latest:
                recording.move(session, from_charging_state(charging_state), at)
        self._publish_telemetry(station, session.connector_id, new, now)
        await self._save(session, now)
        return TransactionEventResult(session, status)

    async def record_report(
        self,
        station: Station,
        kind: str,
        *,
        status: str | None = None,
        request_id: int | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        """Diagnostics/log/firmware status, security events, device-model reports: kept as sent."""
        report = StationReport(
            org_id=station.org_id,
            station_id=station_oid(station),
            charge_point_id=station.charge_point_id,
            kind=kind,
            status=status,
            request_id=request_id,
            data=data or {},
        )
        await repo.insert_report(report)
        for event in report_events(report, site_id=str(station.site_id)):
            self.events.publish(event)
        if kind == "NotifyEvent":
            now = utcnow()
            found = temperature_readings((data or {}).get("event_data"))
            for connector_id, readings in found.items():
                norm = metering.normalise(readings, now)
                new = await self._store_samples(station, connector_id, None, norm.samples)
                self._publish_telemetry(station, connector_id, new, now)

    async def data_transfer(
        self, station: Station, *, vendor_id: str, message_id: str | None, data: str | None
    ) -> str:
        """No vendor extension is handled yet: recorded, answered UnknownVendorId."""
        await self.record_report(
            station,
            "DataTransfer",
            data={"vendor_id": vendor_id, "message_id": message_id, "data": data},
        )
        return "UnknownVendorId"

    # -- internals ------------------------------------------------------------------------------

    async def _open(
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
    ) -> ChargingSession:
        """A started transaction: adopt the remote start waiting for it, or create the session.
        A stale session still holding the connector (its stop was lost) is ended first."""
        values = {**values, "status": SessionStatus.STARTED, "updated_at": now}
        pending = await repo.find_pending(
            station_oid(station), connector_id, id_tag, remote_start_id
        )
        if pending is not None and pending.id is not None:
            adopt = {k: (v.value if isinstance(v, SessionStatus) else v) for k, v in values.items()}
            adopt["flags"] = sorted(set(pending.flags) | flags)
            if await repo.adopt_pending(pending.id, adopt):
                adopted = await repo.get_session(pending.id)
                if adopted is not None:
                    self.events.publish(recording.session_event(adopted, now))
                    return adopted
        token = await repo.get_id_token(id_tag) if id_tag else None
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
        for _attempt in range(3):
            clash = await repo.insert_session(session)
            if clash is None:
                self.events.publish(recording.session_event(session, now))
                return session
            if clash == replay_key:
                existing = await self._by_replay_key(station, replay_key, values)
                if existing is not None:
                    return existing
            elif clash == "connector_lock" and session.connector_lock is not None:
                holder = await repo.session_holding(session.connector_lock)
                if holder is not None:
                    log.warning("session %s superseded on its connector", holder.id)
                    recording.supersede(holder, now)
                    await self._save(holder, now)
        session.connector_lock = None  # never refuse a transaction for a bookkeeping clash
        recording.add_flags(session, ["connector_conflict"])
        if await repo.insert_session(session) is not None:
            existing = await self._by_replay_key(station, replay_key, values)
            if existing is not None:
                return existing
            raise RuntimeError("could not store the transaction")
        self.events.publish(recording.session_event(session, now))
        return session

    async def _by_replay_key(
        self, station: Station, replay_key: str, values: dict[str, Any]
    ) -> ChargingSession | None:
        if replay_key == "start_key":
            return await repo.session_by_start_key(values["start_key"])
        return await repo.session_by_transaction(station_oid(station), values["transaction_id"])

    async def _store_samples(
        self,
        station: Station,
        connector_id: int,
        transaction_id: str | None,
        samples: list[metering.Sample],
    ) -> list[metering.Sample]:
        """Store the samples not stored yet; return those (the new ones)."""
        if not samples:
            return []
        sid = station_oid(station)
        keyed = _keyed(sid, connector_id, transaction_id, samples)
        recent = self.sample_writer.seen([k for k, _ in keyed])
        unique = [(k, s) for k, s in dict(keyed).items() if k not in recent]
        if not unique:
            return []
        start = min(s.at for _, s in unique)
        end = max(s.at for _, s in unique)
        seen = await repo.existing_sample_keys(sid, [k for k, _ in unique], start, end)
        fresh = [(k, s) for k, s in unique if k not in seen]
        await repo.insert_samples(station.org_id, sid, connector_id, transaction_id, fresh)
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

    async def _save(self, session: ChargingSession, now: datetime) -> None:
        session.updated_at = now
        await repo.save_session(session)
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
