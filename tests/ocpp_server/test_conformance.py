"""Where laddnet follows the OCPP specifications' wording (issue 11, "Not spec-conformant"), checked
with the ``ocpp`` library as the charge point over loopback."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp import exceptions as ocpp_errors
from ocpp.messages import Call, CallError
from ocpp.v16 import call

from tests.factories.charging import connect_charge_point
from tests.factories.network import create_station
from tests.ocpp_server.conftest import Csms

NOW = "2026-12-02T10:00:00Z"

# OCPP-J 1.6 §4.2.3, Table 7: the code for each kind of schema failure (never 2.0.1's FormatViolation)
V16_SCHEMA_FAILURES = [
    pytest.param(
        ("Heartbeat", {"surprise": 1}),  # the library's dataclasses cannot express it
        ocpp_errors.FormationViolationError,
        id="unknown-property-FormationViolation",
    ),
    pytest.param(
        call.StatusNotification(connector_id=1, error_code="NoError", status="Sleeping"),
        ocpp_errors.PropertyConstraintViolationError,
        id="value-outside-enum-PropertyConstraintViolation",
    ),
    pytest.param(
        call.MeterValues(connector_id=1, meter_value=[]),
        ocpp_errors.OccurenceConstraintViolationError,
        id="empty-required-list-OccurenceConstraintViolation",
    ),
    pytest.param(
        call.MeterValues(connector_id=1, meter_value=[{"timestamp": NOW, "sampled_value": []}]),
        ocpp_errors.OccurenceConstraintViolationError,
        id="empty-nested-list-OccurenceConstraintViolation",
    ),
    pytest.param(
        call.StatusNotification(connector_id="one", error_code="NoError", status="Available"),  # type: ignore[arg-type]
        ocpp_errors.TypeConstraintViolationError,
        id="wrong-type-TypeConstraintViolation",
    ),
    pytest.param(
        call.Authorize(id_tag="X" * 21),
        ocpp_errors.TypeConstraintViolationError,
        id="CiString20-too-long-TypeConstraintViolation",
    ),
]


async def call_raw(cp: Any, action: str, payload: dict[str, Any]) -> None:
    """A CALL as the library frames it, with a payload its dataclasses cannot hold; raises the
    CALLERROR's exception as ``cp.call`` does."""
    msg = Call(unique_id="raw-1", action=action, payload=payload)
    await cp._send(msg.to_json())
    answer = await cp._get_specific_response(msg.unique_id, 5)
    if isinstance(answer, CallError):
        raise answer.to_exception()


@pytest.mark.parametrize(("payload", "expected"), V16_SCHEMA_FAILURES)
async def test_a_schema_invalid_16_call_gets_the_code_ocpp_j_16_names(
    csms: Csms, payload: Any, expected: type[Exception]
) -> None:
    station = await create_station(csms.network, csms.site.org_id, csms.site.id)
    async with connect_charge_point(csms.port, station.charge_point_id, "1.6") as cp:
        with pytest.raises(expected) as refused:
            if isinstance(payload, tuple):
                await call_raw(cp, *payload)
            else:
                await cp.call(payload, suppress=False, skip_schema_validation=True)
        assert refused.value.code != "FormatViolation"
        # the connection is unharmed: the next message is answered
        answer = await cp.call(call.Heartbeat())
        assert answer.current_time
