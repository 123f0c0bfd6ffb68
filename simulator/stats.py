"""Counters a fleet's stations share (plain ints: one event loop, no locking needed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class FleetStats:
    messages_sent: int = 0  # CALLs sent to the CSMS
    messages_received: int = 0  # CALLs the CSMS sent us
    errors: int = 0  # failed connects, CALLERRORs, timeouts, failed commands
    reconnects: int = 0
    refused: int = 0  # connects the CSMS refused: HTTP 401 (credentials) or 429 (throttled)
    boots: int = 0  # BootNotifications accepted
    sessions_started: int = 0
    sessions_ended: int = 0
