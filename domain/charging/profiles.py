"""A charging profile an operator sends to a station, checked and put in the domain's
OCPP-neutral shape (what ``SetChargingProfile.profile`` carries). Pure: no I/O.

The rules are the ones both OCPP versions share (1.6 §3.13 / 2.0.1 K01): a ChargingStationMaxProfile
is for the whole station (connector 0); a TxProfile belongs to a transaction on a connector; periods
start at 0 s and rise; a Recurring profile says daily or weekly; Absolute and Recurring schedules
have a start (the profile's validFrom, or now, when none is given).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from domain.common.clock import as_utc
from domain.common.errors import InvalidInput

MAX_PERIODS = 48
MAX_STACK_LEVEL = 100


class ProfilePurpose(StrEnum):
    CHARGING_STATION_MAX_PROFILE = "ChargingStationMaxProfile"  # 1.6 ChargePointMaxProfile
    TX_DEFAULT_PROFILE = "TxDefaultProfile"
    TX_PROFILE = "TxProfile"


class ProfileKind(StrEnum):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class RateUnit(StrEnum):
    W = "W"
    A = "A"


class Recurrency(StrEnum):
    DAILY = "Daily"
    WEEKLY = "Weekly"


@dataclass(frozen=True)
class SchedulePeriod:
    start_seconds: int
    limit: float  # in the profile's rate unit: W or A (per phase)
    number_phases: int | None = None


@dataclass(frozen=True)
class ChargingProfileSpec:
    connector_id: int  # 0: the whole station
    purpose: ProfilePurpose
    kind: ProfileKind
    rate_unit: RateUnit
    periods: tuple[SchedulePeriod, ...]
    stack_level: int = 0
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = None
    recurrency: Recurrency | None = None
    duration_seconds: int | None = None
    start_schedule: datetime | None = None


def _iso(at: datetime) -> str:
    return as_utc(at).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _check(spec: ChargingProfileSpec) -> None:
    if spec.connector_id < 0:
        raise InvalidInput("connectorId is 0 (the station) or a connector", field="connectorId")
    if spec.purpose is ProfilePurpose.CHARGING_STATION_MAX_PROFILE and spec.connector_id != 0:
        raise InvalidInput("a station maximum profile is for connectorId 0", field="connectorId")
    if spec.purpose is ProfilePurpose.TX_PROFILE:
        if spec.connector_id == 0:
            raise InvalidInput("a transaction profile is for one connector", field="connectorId")
        if not spec.transaction_id:
            raise InvalidInput(
                "a transaction profile needs its transactionId", field="transactionId"
            )
    elif spec.transaction_id:
        raise InvalidInput("only a TX_PROFILE names a transaction", field="transactionId")
    if not 0 <= spec.stack_level <= MAX_STACK_LEVEL:
        raise InvalidInput(f"stackLevel is 0-{MAX_STACK_LEVEL}", field="stackLevel")
    if (spec.kind is ProfileKind.RECURRING) != (spec.recurrency is not None):
        raise InvalidInput(
            "a RECURRING profile, and only one, has a recurrency", field="recurrency"
        )
    if spec.kind is ProfileKind.RELATIVE and spec.start_schedule is not None:
        raise InvalidInput("a RELATIVE schedule starts with the transaction", field="startSchedule")
    if spec.valid_from and spec.valid_to and as_utc(spec.valid_to) <= as_utc(spec.valid_from):
        raise InvalidInput("validTo must be after validFrom", field="validTo")
    if spec.duration_seconds is not None and spec.duration_seconds < 1:
        raise InvalidInput("durationSeconds is 1 or more", field="durationSeconds")
    if not 1 <= len(spec.periods) <= MAX_PERIODS:
        raise InvalidInput(f"a schedule has 1-{MAX_PERIODS} periods", field="periods")
    if spec.periods[0].start_seconds != 0:
        raise InvalidInput("the first period starts at 0 seconds", field="periods")
    starts = [p.start_seconds for p in spec.periods]
    if any(b <= a for a, b in itertools.pairwise(starts)):
        raise InvalidInput("periods start in rising order", field="periods")
    for period in spec.periods:
        if not 0 <= period.limit <= 10_000_000:
            raise InvalidInput("a period's limit is 0 or more", field="periods")
        if period.number_phases is not None and period.number_phases not in (1, 2, 3):
            raise InvalidInput("numberPhases is 1, 2 or 3", field="periods")


def build_profile(spec: ChargingProfileSpec, profile_id: int, now: datetime) -> dict[str, Any]:
    """The checked profile in the domain's neutral shape. Raises InvalidInput."""
    _check(spec)
    schedule: dict[str, Any] = {
        "charging_rate_unit": spec.rate_unit.value,
        "charging_schedule_period": [
            {
                "start_period": p.start_seconds,
                "limit": round(p.limit, 1),
                **({"number_phases": p.number_phases} if p.number_phases else {}),
            }
            for p in spec.periods
        ],
    }
    if spec.kind is not ProfileKind.RELATIVE:
        schedule["start_schedule"] = _iso(spec.start_schedule or spec.valid_from or now)
    if spec.duration_seconds is not None:
        schedule["duration"] = spec.duration_seconds
    profile: dict[str, Any] = {
        "id": profile_id,
        "stackLevel": spec.stack_level,
        "purpose": spec.purpose.value,
        "kind": spec.kind.value,
        "schedule": schedule,
    }
    if spec.transaction_id:
        profile["transactionId"] = spec.transaction_id
    if spec.recurrency is not None:
        profile["recurrencyKind"] = spec.recurrency.value
    if spec.valid_from is not None:
        profile["validFrom"] = _iso(spec.valid_from)
    if spec.valid_to is not None:
        profile["validTo"] = _iso(spec.valid_to)
    return profile
