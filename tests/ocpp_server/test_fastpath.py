"""The fast path decides exactly what the ``ocpp`` library decides, only cheaper."""

from __future__ import annotations

import copy

import jsonschema
import ocpp.charge_point
import ocpp.messages
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ocpp_server.rpc import fastpath

pytestmark = pytest.mark.unit

METER_VALUES = {
    "connectorId": 1,
    "transactionId": 5,
    "meterValue": [
        {
            "timestamp": "2025-01-01T00:00:00.000Z",
            "sampledValue": [
                {"value": "100", "measurand": "Energy.Active.Import.Register", "unit": "Wh"}
            ],
        }
    ],
}


def test_server_installs_the_fast_path() -> None:
    import ocpp_server.server  # noqa: F401 - importing the server installs it

    assert ocpp.messages.ASYNC_VALIDATION is False
    assert ocpp.messages.get_validator is fastpath.get_validator
    assert ocpp.charge_point.camel_to_snake_case is fastpath.camel_to_snake_case


def test_a_valid_payload_takes_the_compiled_path() -> None:
    validator = fastpath.get_validator(2, "MeterValues", "1.6")
    assert isinstance(validator, fastpath.CompiledValidator)
    validator.validate(METER_VALUES)  # no error
    assert fastpath.get_validator(2, "MeterValues", "1.6") is validator  # compiled once


@pytest.mark.parametrize(
    ("mutate", "rule"),
    [
        (lambda p: p.pop("connectorId"), "required"),
        (lambda p: p.update(connectorId="one"), "type"),
        (lambda p: p.update(extra=1), "additionalProperties"),
        (lambda p: p["meterValue"][0]["sampledValue"][0].update(unit="parsec"), "enum"),
    ],
)
def test_an_invalid_payload_fails_with_the_librarys_own_error(mutate, rule) -> None:
    payload = copy.deepcopy(METER_VALUES)
    mutate(payload)
    reference = fastpath._original_get_validator(2, "MeterValues", "1.6")
    with pytest.raises(jsonschema.ValidationError) as expected:
        reference.validate(payload)
    with pytest.raises(jsonschema.ValidationError) as got:
        fastpath.get_validator(2, "MeterValues", "1.6").validate(payload)
    assert got.value.validator == expected.value.validator == rule
    assert got.value.message == expected.value.message


def test_decimal_schemas_keep_the_librarys_validator() -> None:
    import decimal

    v = fastpath.get_validator(2, "SetChargingProfile", "1.6", parse_float=decimal.Decimal)
    assert not isinstance(v, fastpath.CompiledValidator)


keys = st.text(alphabet="abcdefghijkmnoxyzABCDEFGSUVX_0123456789", min_size=1, max_size=24)
trees = st.recursive(
    st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)


@given(trees)
def test_key_conversion_matches_the_library(tree) -> None:
    assert fastpath.camel_to_snake_case(tree) == fastpath.library_camel_to_snake_case(tree)
    assert fastpath.snake_to_camel_case(tree) == fastpath.library_snake_to_camel_case(tree)


def test_real_ocpp_keys_convert_as_before() -> None:
    for key in ("chargePointVendor", "ocppCSMSURL", "evseId", "stateOfCharge", "V2XChargingCtrlr"):
        assert fastpath._snake(key) == fastpath.library_camel_to_snake_case({key: 0}).popitem()[0]
    for key in ("soc_limit_reached", "ocpp_csms_url", "responder_url", "id_tag_info"):
        assert fastpath._camel(key) == fastpath.library_snake_to_camel_case({key: 0}).popitem()[0]
