"""``TransactionEventRecorder``: the OCPP 2.0.1 TransactionEvent (Started/Updated/Ended), the same
session model as 1.6's Start/MeterValues/StopTransaction (``recorder.py``). Durable before its
answer, like the 1.6 transaction messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.charging import metering, recording, timestamps
from domain.charging.id_tokens import IdTokens
from domain.charging.metering import MeterReading
from domain.charging.models import ChargingSession, IdTokenStatus
from domain.charging.opening import SessionOpener
from domain.charging.recorder import TransactionRecorder
from domain.charging.results import TransactionEventResult, station_oid
from domain.charging.sample_recording import SampleRecorder
from domain.charging.session_log import log_session_ended
from domain.charging.state import SessionStatus
from domain.charging.store import ChargingStore
from domain.common.clock import utcnow
from domain.network.models import Station


class TransactionEventRecorder:
    def __init__(
        self,
        store: ChargingStore,
        id_tokens: IdTokens,
        opener: SessionOpener,
        samples: SampleRecorder,
        recorder: TransactionRecorder,
    ) -> None:
        self.store = store
        self.id_tokens = id_tokens
        self.opener = opener
        self.samples = samples
        self.recorder = recorder  # saves and publishes a session

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
        is the connector id of our station model. Out-of-order and replayed events are safe.
        A Started event for a new transaction is one insert of the session (with what the event
        says applied) and one of its samples."""
        now = utcnow()
        token = await self.id_tokens.find(id_tag) if id_tag else None
        status = (token.status if token else IdTokenStatus.INVALID) if id_tag else None
        at, flag = timestamps.check(timestamp, now)
        flags = {flag} if flag else set()
        norm = metering.normalise(meter_values or [], now)
        event = recording.TransactionEvent(
            event_type=event_type,
            at=at,
            reported_at=timestamp if flag else None,
            reason=stopped_reason or trigger_reason,
            charging_state=charging_state,
            seq_no=seq_no,
            offline=offline,
        )
        sid = station_oid(station)
        session = None
        if event_type != "Started":
            session = await self.store.session_by_transaction(sid, transaction_id)
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
            connector_id = evse_id or 0
            keyed = self.samples.unsent(sid, connector_id, transaction_id, norm.samples)
            fresh = [s for _, s in keyed]

            def prepare(new: ChargingSession) -> None:
                recording.apply_transaction_event(new, event, norm.flags, fresh, latest=True)

            session, created = await self.opener.open(
                station,
                connector_id,
                id_tag,
                remote_start_id,
                values,
                flags,
                now,
                replay_key="transaction_id",
                token=token,
                prepare=prepare,
            )
            if created:  # a new transaction: none of its samples can be stored yet
                await self.store.store_samples(
                    station.org_id, sid, connector_id, transaction_id, keyed, check_stored=False
                )
                self.samples.publish(station, connector_id, fresh, now)
                return TransactionEventResult(session, status)
        new = await self.samples.keep(station, session.connector_id, transaction_id, norm.samples)
        # an older event (lower seqNo) arriving late must not overwrite a newer charging state
        latest = seq_no is None or session.last_seq_no is None or seq_no >= session.last_seq_no
        if id_tag and session.id_tag is None:
            session.id_tag = id_tag
            session.driver_id = token.driver_id if token else None
        was_ended = session.status is SessionStatus.ENDED
        recording.apply_transaction_event(session, event, flags | norm.flags, new, latest=latest)
        self.samples.publish(station, session.connector_id, new, now)
        await self.recorder.save(session, now)
        if session.status is SessionStatus.ENDED and not was_ended:
            log_session_ended(session)
        return TransactionEventResult(session, status)
