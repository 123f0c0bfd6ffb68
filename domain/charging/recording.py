"""Applying what a station reports to a session: samples, energy, power, status, end.

Pure functions over a ``ChargingSession`` (no I/O): the service loads, calls these, saves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.charging import metering, state
from domain.charging.events import SessionUpdated
from domain.charging.models import ChargingSession
from domain.charging.state import SessionStatus
from domain.common.clock import as_utc

FLAG_ENERGY_BACKWARDS = "energy_register_backwards"
FLAG_METER_STOP_BELOW_START = "meter_stop_below_start"
FLAG_SUPERSEDED = "superseded_by_new_transaction"
FLAG_SEQ_GAP = "seq_no_gap"


def add_flags(session: ChargingSession, flags: set[str] | Sequence[str]) -> None:
    for flag in sorted(flags):
        if flag not in session.flags:
            session.flags.append(flag)


def _register(session: ChargingSession, value_wh: int) -> None:
    """A new reading of the energy register."""
    if session.meter_start_wh is None:
        session.meter_start_wh = value_wh
    if session.last_meter_wh is not None and value_wh < session.last_meter_wh:
        add_flags(session, [FLAG_ENERGY_BACKWARDS])
        return  # keep the highest reading: energy delivered never shrinks
    session.last_meter_wh = value_wh
    session.energy_wh = max(0, value_wh - session.meter_start_wh)


def apply_samples(session: ChargingSession, samples: Sequence[metering.SampledValue]) -> None:
    """Energy and power from newly stored samples (duplicates are filtered out before)."""
    for s in metering.energy_register(samples):
        _register(session, round(s.value))
    latest = metering.latest_row(session.connector_id, samples)
    if latest is not None and latest.power_w is not None:
        session.last_power_w = latest.power_w
        if session.max_power_w is None or latest.power_w > session.max_power_w:
            session.max_power_w = latest.power_w


def move(session: ChargingSession, target: SessionStatus | None, at: datetime) -> bool:
    """Apply a reported status with idle accounting; False when nothing changed."""
    new = state.transition(session.status, target)
    if new == session.status:
        return False
    idle_since = as_utc(session.idle_since) if session.idle_since else None
    session.idle_since, session.idle_seconds = state.idle_seconds_after(
        session.status, idle_since, session.idle_seconds, new, at
    )
    session.status = new
    if new in state.FINAL:
        session.connector_lock = None
    return True


def end(
    session: ChargingSession,
    *,
    at: datetime,
    reason: str | None,
    meter_stop_wh: int | None,
) -> None:
    if meter_stop_wh is not None:
        start = session.meter_start_wh
        if start is not None and meter_stop_wh < start:
            add_flags(session, [FLAG_METER_STOP_BELOW_START])
        else:
            _register(session, meter_stop_wh)
    started = as_utc(session.started_at) if session.started_at else None
    if started is not None and at < started:
        at = started  # an end before the start is a clock error; never a negative duration
    move(session, SessionStatus.ENDED, at)
    session.ended_at = at
    session.stop_reason = reason or "Local"
    session.last_power_w = 0.0


def supersede(session: ChargingSession, at: datetime) -> None:
    """A newer transaction took the connector: the stop of this one was lost."""
    add_flags(session, [FLAG_SUPERSEDED])
    if session.status is SessionStatus.PENDING:
        move(session, SessionStatus.FAILED, at)
        session.ended_at = at
    else:
        end(session, at=at, reason="Superseded", meter_stop_wh=None)


def seq_no(session: ChargingSession, value: int | None) -> None:
    if value is None:
        return
    last = session.last_seq_no
    if last is not None and value > last + 1:
        add_flags(session, [FLAG_SEQ_GAP])
    if last is None or value > last:
        session.last_seq_no = value


def session_event(session: ChargingSession, now: datetime) -> SessionUpdated:
    started = as_utc(session.started_at) if session.started_at else None
    ended = as_utc(session.ended_at) if session.ended_at else None
    until = ended or now
    duration = max(0, int((until - started).total_seconds())) if started else 0
    idle_since = as_utc(session.idle_since) if session.idle_since else None
    return SessionUpdated(
        org_id=str(session.org_id),
        site_id=str(session.site_id),
        station_id=str(session.station_id),
        at=now,
        session_id=str(session.id),
        driver_id=str(session.driver_id) if session.driver_id else None,
        status=session.status.value,
        energy_wh=session.energy_wh,
        power_w=session.last_power_w,
        duration_seconds=duration,
        idle_seconds=state.idle_seconds_now(idle_since, session.idle_seconds, until),
    )


@dataclass(frozen=True)
class MeterUpdate:
    """What ``apply_samples`` + ``add_flags`` would do to a session, as plain values, for one
    atomic database update (see ``repository.apply_meter_update``): the energy register readings
    (first, lowest, highest, and whether they go backwards among themselves), the latest power
    and the flags to add."""

    first_wh: int | None
    min_wh: int | None
    max_wh: int | None
    backwards_within: bool
    power_w: float | None
    flags: tuple[str, ...]


def meter_update(samples: Sequence[metering.SampledValue], flags: set[str]) -> MeterUpdate:
    values = [round(s.value) for s in metering.energy_register(samples)]
    backwards = any(v < max(values[:i]) for i, v in enumerate(values) if i > 0)
    latest = metering.latest_row(0, samples)
    return MeterUpdate(
        first_wh=values[0] if values else None,
        min_wh=min(values) if values else None,
        max_wh=max(values) if values else None,
        backwards_within=backwards,
        power_w=latest.power_w if latest is not None else None,
        flags=tuple(sorted(flags)),
    )


def apply_meter_update(session: ChargingSession, update: MeterUpdate, now: datetime) -> None:
    """What ``repository.apply_meter_update``'s pipeline does to the stored session, done to the
    session in memory (the batched write and the published event agree): while the session runs
    the highest register reading wins, the first one is the start if none was recorded, a reading
    below the highest flags the session; the flags of the message are added in any state."""
    running = session.status in state.RUNNING
    session.updated_at = now
    if running and update.max_wh is not None and update.min_wh is not None:
        last = session.last_meter_wh
        if update.backwards_within or (last is not None and update.min_wh < last):
            add_flags(session, [FLAG_ENERGY_BACKWARDS])
        if session.meter_start_wh is None:
            session.meter_start_wh = update.first_wh
        session.last_meter_wh = update.max_wh if last is None else max(last, update.max_wh)
        start = session.meter_start_wh
        session.energy_wh = max(0, session.last_meter_wh - start) if start is not None else 0
    if running and update.power_w is not None:
        session.last_power_w = update.power_w
        top = session.max_power_w
        session.max_power_w = update.power_w if top is None else max(top, update.power_w)
    add_flags(session, update.flags)


@dataclass(frozen=True)
class TransactionEvent:
    """What a 2.0.1 TransactionEvent says about its session, as plain values."""

    event_type: str  # Started | Updated | Ended
    at: datetime  # the time to use (the station's, unless it was not trusted)
    reported_at: datetime | None  # the station's own time when it was not trusted
    reason: str | None  # stoppedReason, else triggerReason
    charging_state: str | None
    seq_no: int | None
    offline: bool


def apply_transaction_event(
    session: ChargingSession,
    event: TransactionEvent,
    flags: set[str],
    new: Sequence[metering.SampledValue],
    *,
    latest: bool,
) -> None:
    """What one TransactionEvent does to its session: flags, sequence number, the new samples,
    and the end or the charging state (``latest``: no newer event was applied before)."""
    add_flags(session, flags)
    seq_no(session, event.seq_no)
    session.offline = session.offline or event.offline
    if session.status not in state.RUNNING:
        return
    apply_samples(session, new)
    if event.event_type == "Ended":
        if event.reported_at is not None:
            session.reported_ended_at = event.reported_at
        end(session, at=event.at, reason=event.reason, meter_stop_wh=None)
    elif latest:
        move(session, state.from_charging_state(event.charging_state), event.at)
