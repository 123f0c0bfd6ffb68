"""A station's answer to Get/SetVariables, one result per variable asked, in the order asked."""

from __future__ import annotations

from domain.charging.variables import VariableStatus, match_results, ref_row
from domain.network.device_model import VariableRef

HEARTBEAT = VariableRef("OCPPCommCtrlr", "HeartbeatInterval")
POWER = VariableRef("EVSE", "Power", evse_id=1)
MISSING = VariableRef("Nowhere", "Nothing")


def test_results_follow_the_order_asked_whatever_order_the_station_answers() -> None:
    rows = [
        ref_row(POWER, status="NotSupportedAttributeType"),
        ref_row(HEARTBEAT, status="Accepted", value=300),
    ]
    results = match_results([HEARTBEAT, POWER, MISSING], rows)
    assert [(r.ref, r.status, r.value) for r in results] == [
        (HEARTBEAT, VariableStatus.ACCEPTED, "300"),
        (POWER, VariableStatus.NOT_SUPPORTED, None),
        (MISSING, VariableStatus.REJECTED, None),  # left out of the answer
    ]


def test_status_words_of_both_versions() -> None:
    words = {
        "RebootRequired": VariableStatus.REBOOT_REQUIRED,
        "UnknownComponent": VariableStatus.UNKNOWN_COMPONENT,
        "NotSupported": VariableStatus.UNKNOWN_VARIABLE,  # 1.6: the key is not known
        "Gibberish": VariableStatus.REJECTED,
    }
    for word, status in words.items():
        [result] = match_results([HEARTBEAT], [ref_row(HEARTBEAT, status=word)])
        assert result.status is status, word
    assert match_results([HEARTBEAT], [ref_row(HEARTBEAT, status="RebootRequired")])[
        0
    ].reboot_required


def test_an_answer_naming_more_of_the_evse_still_matches_by_name() -> None:
    echoed = VariableRef("EVSE", "Power", evse_id=1, connector_id=1)
    [result] = match_results([POWER], [ref_row(echoed, status="Accepted", value="7")])
    assert (result.ref, result.status, result.value) == (POWER, VariableStatus.ACCEPTED, "7")
    twice = [ref_row(echoed, status="Accepted"), ref_row(HEARTBEAT, status="Accepted")]
    other = VariableRef("EVSE", "Power", evse_id=2, connector_id=1)
    ambiguous = [*twice, ref_row(other, status="Accepted")]
    assert match_results([POWER], ambiguous)[0].status is VariableStatus.REJECTED
