"""The charging events a person running laddnet follows in the log, one structured line each,
logged where the use case completes (the session stored): ``session.started``, ``session.ended``."""

from __future__ import annotations

import logging

from domain.charging.models import ChargingSession
from domain.common.clock import as_utc
from domain.common.logctx import log_event

log = logging.getLogger("domain.charging")


def log_session_started(session: ChargingSession) -> None:
    log_event(
        log,
        "session.started",
        session_id=str(session.id),
        station=session.charge_point_id,
        connector=session.connector_id,
        transaction_id=session.transaction_id,
        ocpp=session.ocpp_version,
        driver_id=str(session.driver_id) if session.driver_id else None,
        remote=True if session.remote_start_id is not None else None,
    )


def log_session_ended(session: ChargingSession) -> None:
    started = as_utc(session.started_at) if session.started_at else None
    ended = as_utc(session.ended_at) if session.ended_at else None
    log_event(
        log,
        "session.ended",
        session_id=str(session.id),
        station=session.charge_point_id,
        connector=session.connector_id,
        transaction_id=session.transaction_id,
        reason=session.stop_reason,
        energy_wh=session.energy_wh,
        duration_s=int((ended - started).total_seconds()) if started and ended else None,
    )
