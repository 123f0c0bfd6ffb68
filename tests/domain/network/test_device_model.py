"""What a station reports of its settings, read into rows: 2.0.1 NotifyReport reportData and 1.6
configuration keys. A malformed entry is skipped, never the part it came in."""

from __future__ import annotations

import pytest

from domain.common.errors import InvalidInput
from domain.network.device_model import (
    V16_COMPONENT,
    Mutability,
    VariableRef,
    check_ref,
    from_configuration,
    from_report_data,
)


def test_report_data_rows_keep_component_evse_variable_and_attributes() -> None:
    rows = from_report_data(
        [
            {
                "component": {
                    "name": "EVSE",
                    "instance": "main",
                    "evse": {"id": 2, "connector_id": 1},
                },
                "variable": {"name": "Power", "instance": "Max"},
                "variable_attribute": [
                    {"type": "MaxSet", "value": "22000", "mutability": "ReadWrite"},
                    {"type": "Actual", "value": "7400", "mutability": "ReadOnly"},
                ],
                "variable_characteristics": {"unit": "W", "data_type": "decimal"},
            },
            {  # no attribute type means Actual (2.0.1 VariableAttributeType.type default)
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
                "variable_attribute": [{"value": "300"}],
            },
        ]
    )
    power, heartbeat = rows
    assert power.ref == VariableRef("EVSE", "Power", "main", 2, 1, "Max")
    assert (power.value, power.mutability) == ("7400", Mutability.READ_ONLY)
    assert power.attributes == {"MaxSet": "22000", "Actual": "7400"}
    assert (power.unit, power.data_type) == ("W", "decimal")
    assert (heartbeat.value, heartbeat.mutability) == ("300", None)


def test_malformed_entries_are_skipped_and_the_rest_kept() -> None:
    rows = from_report_data(
        [
            "not an object",  # type: ignore[list-item]
            {"component": {}, "variable": {"name": "Orphan"}},
            {"component": {"name": "X" * 51}, "variable": {"name": "TooLong"}},
            {"component": {"name": "Ok"}, "variable": {"name": "Kept"}, "variable_attribute": []},
        ]
    )
    assert [(r.ref.component, r.ref.variable, r.value) for r in rows] == [("Ok", "Kept", None)]
    assert from_report_data(None) == []


def test_v16_keys_become_variables_of_the_charge_point() -> None:
    rows = from_configuration(
        [
            {"key": "HeartbeatInterval", "value": "300", "readonly": False},
            {"key": "NumberOfConnectors", "value": "2", "readonly": True},
            {"key": "", "value": "dropped"},
        ]
    )
    assert [(r.ref.component, r.ref.variable, r.value, r.mutability) for r in rows] == [
        (V16_COMPONENT, "HeartbeatInterval", "300", Mutability.READ_WRITE),
        (V16_COMPONENT, "NumberOfConnectors", "2", Mutability.READ_ONLY),
    ]


def test_keys_sort_by_component_then_evse_then_variable() -> None:
    refs = [
        VariableRef("EVSE", "Power", evse_id=10),
        VariableRef("EVSE", "Power", evse_id=2),
        VariableRef("AuthCtrlr", "Enabled"),
        VariableRef("EVSE", "AvailabilityState", evse_id=2),
    ]
    assert [(r.component, r.evse_id, r.variable) for r in sorted(refs, key=VariableRef.key)] == [
        ("AuthCtrlr", None, "Enabled"),
        ("EVSE", 2, "AvailabilityState"),
        ("EVSE", 2, "Power"),
        ("EVSE", 10, "Power"),
    ]


@pytest.mark.parametrize(
    ("ref", "field"),
    [
        (VariableRef(" ", "HeartbeatInterval"), "component"),
        (VariableRef("OCPPCommCtrlr", ""), "variable"),
        (VariableRef("EVSE", "Power", evse_id=-1), "evseId"),
        (VariableRef("Connector", "Type", connector_id=1), "connectorId"),
    ],
)
def test_a_reference_an_operator_typed_is_checked(ref: VariableRef, field: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        check_ref(ref)
    assert raised.value.field == field
