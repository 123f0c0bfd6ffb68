"""The charging session's state machine: pure rules, no I/O.

A session is created PENDING by a remote start, or STARTED by the station's own start message. The
station then reports how charging goes (connector status in 1.6, ``chargingState`` in 2.0.1), and the
session ends with a stop. ENDED and FAILED are final: nothing a late or replayed message says moves a
session out of them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class SessionStatus(StrEnum):
    PENDING = "PENDING"  # remote start requested, the station has not started yet
    STARTED = "STARTED"  # transaction started, energy not flowing yet
    CHARGING = "CHARGING"
    SUSPENDED = "SUSPENDED"  # paused by the car or the station
    IDLE = "IDLE"  # finished charging, still plugged in (idle fees start here)
    ENDED = "ENDED"
    FAILED = "FAILED"  # never started (remote start rejected, timed out, station offline)


FINAL = frozenset({SessionStatus.ENDED, SessionStatus.FAILED})
ACTIVE = frozenset(set(SessionStatus) - FINAL)
RUNNING = frozenset(ACTIVE - {SessionStatus.PENDING})

_ALLOWED: dict[SessionStatus, frozenset[SessionStatus]] = {
    SessionStatus.PENDING: frozenset(
        {
            SessionStatus.STARTED,
            SessionStatus.CHARGING,
            SessionStatus.SUSPENDED,
            SessionStatus.IDLE,
            SessionStatus.ENDED,
            SessionStatus.FAILED,
        }
    ),
    SessionStatus.STARTED: frozenset(
        {SessionStatus.CHARGING, SessionStatus.SUSPENDED, SessionStatus.IDLE, SessionStatus.ENDED}
    ),
    SessionStatus.CHARGING: frozenset(
        {SessionStatus.SUSPENDED, SessionStatus.IDLE, SessionStatus.ENDED}
    ),
    SessionStatus.SUSPENDED: frozenset(
        {SessionStatus.CHARGING, SessionStatus.IDLE, SessionStatus.ENDED}
    ),
    SessionStatus.IDLE: frozenset(
        {SessionStatus.CHARGING, SessionStatus.SUSPENDED, SessionStatus.ENDED}
    ),
    SessionStatus.ENDED: frozenset(),
    SessionStatus.FAILED: frozenset(),
}

IDLE_STATES = frozenset({SessionStatus.IDLE, SessionStatus.SUSPENDED})


def can_transition(current: SessionStatus, target: SessionStatus) -> bool:
    return target in _ALLOWED[current]


def transition(current: SessionStatus, target: SessionStatus | None) -> SessionStatus:
    """The status after the station reports ``target``; an impossible move keeps ``current``.

    Stations report late, twice and out of order, so an impossible move is ignored, never an error.
    """
    if target is None or target == current or not can_transition(current, target):
        return current
    return target


# OCPP 1.6 ChargePointStatus / 2.0.1 ConnectorStatus of the session's connector
_FROM_CONNECTOR: dict[str, SessionStatus] = {
    "Charging": SessionStatus.CHARGING,
    "SuspendedEV": SessionStatus.SUSPENDED,
    "SuspendedEVSE": SessionStatus.SUSPENDED,
    "Finishing": SessionStatus.IDLE,
}

# OCPP 2.0.1 ChargingStateEnumType
_FROM_CHARGING_STATE: dict[str, SessionStatus] = {
    "Charging": SessionStatus.CHARGING,
    "EVConnected": SessionStatus.STARTED,
    "SuspendedEV": SessionStatus.SUSPENDED,
    "SuspendedEVSE": SessionStatus.SUSPENDED,
    "Idle": SessionStatus.IDLE,
}


def from_connector_status(status: str) -> SessionStatus | None:
    """What a connector status says about the running session on it (None: nothing)."""
    return _FROM_CONNECTOR.get(status)


def from_charging_state(state: str | None) -> SessionStatus | None:
    return _FROM_CHARGING_STATE.get(state) if state else None


def idle_seconds_after(
    status: SessionStatus,
    idle_since: datetime | None,
    idle_seconds: int,
    new_status: SessionStatus,
    at: datetime,
) -> tuple[datetime | None, int]:
    """Idle accounting across a status change: returns (idle_since, accumulated idle seconds).

    Time counts as idle while the car is plugged in without taking energy (SUSPENDED or IDLE).
    """
    if status in IDLE_STATES and idle_since is not None:
        idle_seconds += max(0, int((at - idle_since).total_seconds()))
        idle_since = None
    if new_status in IDLE_STATES:
        idle_since = at
    return idle_since, idle_seconds


def idle_seconds_now(idle_since: datetime | None, idle_seconds: int, now: datetime) -> int:
    if idle_since is None:
        return idle_seconds
    return idle_seconds + max(0, int((now - idle_since).total_seconds()))
