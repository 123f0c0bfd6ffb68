"""Charging profiles an operator sends: the shared OCPP rules, and the neutral shape sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from domain.charging.profiles import (
    ChargingProfileSpec,
    ProfileKind,
    ProfilePurpose,
    RateUnit,
    Recurrency,
    SchedulePeriod,
    build_profile,
)
from domain.common.errors import InvalidInput

NOW = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)


def spec(**overrides: object) -> ChargingProfileSpec:
    fields: dict[str, object] = {
        "connector_id": 1,
        "purpose": ProfilePurpose.TX_DEFAULT_PROFILE,
        "kind": ProfileKind.ABSOLUTE,
        "rate_unit": RateUnit.A,
        "periods": (SchedulePeriod(0, 16, 3), SchedulePeriod(1800, 8.04)),
    }
    fields.update(overrides)
    return ChargingProfileSpec(**fields)  # type: ignore[arg-type]


def test_an_absolute_profile_starts_now_unless_told() -> None:
    profile = build_profile(spec(stack_level=2), 41, NOW)
    assert profile == {
        "id": 41,
        "stackLevel": 2,
        "purpose": "TxDefaultProfile",
        "kind": "Absolute",
        "schedule": {
            "charging_rate_unit": "A",
            "charging_schedule_period": [
                {"start_period": 0, "limit": 16, "number_phases": 3},
                {"start_period": 1800, "limit": 8.0},
            ],
            "start_schedule": "2030-01-02T03:04:05.000Z",
        },
    }
    later = NOW + timedelta(days=1)
    dated = build_profile(spec(valid_from=later, valid_to=later + timedelta(days=1)), 1, NOW)
    assert dated["schedule"]["start_schedule"] == dated["validFrom"] == "2030-01-03T03:04:05.000Z"
    assert dated["validTo"] == "2030-01-04T03:04:05.000Z"


def test_recurring_and_transaction_profiles() -> None:
    daily = build_profile(spec(kind=ProfileKind.RECURRING, recurrency=Recurrency.DAILY), 2, NOW)
    assert daily["recurrencyKind"] == "Daily"
    tx = build_profile(
        spec(purpose=ProfilePurpose.TX_PROFILE, kind=ProfileKind.RELATIVE, transaction_id="T1"),
        3,
        NOW,
    )
    assert tx["transactionId"] == "T1" and "start_schedule" not in tx["schedule"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"purpose": ProfilePurpose.CHARGING_STATION_MAX_PROFILE}, "connectorId"),
        ({"purpose": ProfilePurpose.TX_PROFILE}, "transactionId"),
        (
            {"purpose": ProfilePurpose.TX_PROFILE, "connector_id": 0, "transaction_id": "T"},
            "connectorId",
        ),
        ({"transaction_id": "T"}, "transactionId"),
        ({"connector_id": -1}, "connectorId"),
        ({"stack_level": -1}, "stackLevel"),
        ({"kind": ProfileKind.RECURRING}, "recurrency"),
        ({"recurrency": Recurrency.WEEKLY}, "recurrency"),
        ({"kind": ProfileKind.RELATIVE, "start_schedule": NOW}, "startSchedule"),
        ({"valid_from": NOW, "valid_to": NOW}, "validTo"),
        ({"periods": ()}, "periods"),
        ({"periods": (SchedulePeriod(60, 16),)}, "periods"),
        ({"periods": (SchedulePeriod(0, 16), SchedulePeriod(0, 8))}, "periods"),
        ({"periods": (SchedulePeriod(0, -1),)}, "periods"),
        ({"periods": (SchedulePeriod(0, 16, 4),)}, "periods"),
        ({"duration_seconds": 0}, "durationSeconds"),
    ],
)
def test_a_profile_against_the_rules_is_refused(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        build_profile(spec(**overrides), 1, NOW)
    assert raised.value.field == field
