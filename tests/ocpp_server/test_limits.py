"""Which values OCPP-J cannot carry, judged against the action's own schema: integer fields are 32
bit, decimals may be large but not past what MongoDB stores, and no NaN or Infinity anywhere."""

from __future__ import annotations

from ocpp.messages import MessageType

from ocpp_server.rpc.fastpath import get_validator
from ocpp_server.rpc.limits import Violation, offending_value


def schema(action: str, version: str) -> dict[str, object]:
    return get_validator(MessageType.Call, action, version).schema  # type: ignore[no-any-return]


def meter_201(value: object) -> dict[str, object]:
    return {
        "evseId": 1,
        "meterValue": [{"timestamp": "2025-01-01T00:00:00Z", "sampledValue": [{"value": value}]}],
    }


def test_integer_fields_are_32_bit() -> None:
    start = schema("StartTransaction", "1.6")
    ok = {"connectorId": 2**31 - 1, "idTag": "A", "meterStart": 0, "timestamp": "x"}
    assert offending_value(ok, start) is None
    assert offending_value({**ok, "connectorId": 2**31}, start) == ("connectorId", Violation.TYPE)
    assert offending_value({**ok, "meterStart": -(2**31) - 1}, start) == (
        "meterStart",
        Violation.TYPE,
    )


def test_a_large_201_decimal_is_fine_until_it_cannot_be_stored() -> None:
    values = schema("MeterValues", "2.0.1")
    assert offending_value(meter_201(5_000_000_000), values) is None  # 5 GWh: a decimal
    assert offending_value(meter_201(2**63), values) == (
        "meterValue[0].sampledValue[0].value",
        Violation.PROPERTY,
    )
    assert offending_value({**meter_201(1), "evseId": 2**40}, values) == ("evseId", Violation.TYPE)


def test_nan_and_infinity_are_never_carried() -> None:
    values = schema("MeterValues", "2.0.1")
    assert offending_value(meter_201(float("nan")), values) is not None
    assert offending_value(meter_201(float("inf")), values) == (
        "meterValue[0].sampledValue[0].value",
        Violation.FORMAT,
    )
