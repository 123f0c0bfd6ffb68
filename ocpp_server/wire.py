"""How laddnet writes a dateTime on the wire, for both OCPP versions.

OCPP 2.0.1 Part 2 (§2.1.2, dateTime) allows at most three decimals of a second, and OCPP-J 1.6 asks
for UTC; ``datetime.isoformat()`` writes six. Every dateTime laddnet sends (Boot/Heartbeat
``currentTime``, UpdateFirmware's retrieve time, GetLog/GetDiagnostics bounds, idTagInfo's
``expiryDate``, a charging profile's ``startSchedule``/``validFrom``/``validTo``) goes through
``iso``: UTC, at most milliseconds, ``Z``.
"""

from __future__ import annotations

from datetime import datetime

from domain.common.clock import as_utc, utcnow

PROFILE_TIMES = ("startSchedule", "validFrom", "validTo")


def iso(value: datetime) -> str:
    """UTC with at most three decimals (none on a whole second), e.g. 2026-12-02T09:23:54.153Z."""
    at = as_utc(value)
    whole = at.strftime("%Y-%m-%dT%H:%M:%S")
    ms = at.microsecond // 1000
    return f"{whole}.{ms:03d}Z" if ms else f"{whole}Z"


def iso_or_none(value: datetime | None) -> str | None:
    return None if value is None else iso(value)


def now_iso() -> str:
    return iso(utcnow())


def wire_time(value: datetime | str) -> str:
    """A dateTime given as a datetime or as ISO 8601 text (a charging profile from the API)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return iso(value)
