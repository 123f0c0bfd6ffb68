"""Station commands whose station gave no answer to show: the status says what happened, an error
says why, and a report asked of an unreachable station is still kept with that outcome. Bad
input (a malformed cursor, too many variables) is refused to that client alone."""

from __future__ import annotations

from domain.charging.commands import CommandResult, CommandStatus, UnlockConnector
from tests.api.conftest import Api
from tests.api.test_operator import create_site, register
from tests.e2e.ops import OPS


async def _op(api: Api, name: str, variables: dict[str, object], token: str) -> dict[str, object]:
    response = await api.http.post(
        "/graphql",
        json={"query": OPS[name], "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    [value] = body["data"].values()
    result: dict[str, object] = value
    return result


async def test_no_answer_is_a_status_with_an_error_saying_why(api: Api) -> None:
    _, token = await api.operator("operator")
    station_id = await register(api, token, await create_site(api, token), "STATUS-1")
    unlock = {"stationId": station_id, "connectorId": 1}
    outcomes = [
        (CommandResult(CommandStatus.TIMED_OUT, "late"), "TIMED_OUT", ["COMMAND_TIMED_OUT"]),
        (CommandResult(CommandStatus.OFFLINE, "gone"), "OFFLINE", ["STATION_OFFLINE"]),
        (CommandResult(CommandStatus.FAILED, "GenericError"), "FAILED", ["COMMAND_REJECTED"]),
        (CommandResult(CommandStatus.NOT_SUPPORTED, "no"), "NOT_SUPPORTED", ["NOT_SUPPORTED"]),
        (CommandResult(CommandStatus.REJECTED, "UnlockFailed"), "REJECTED", []),
    ]
    try:
        for answer, status, codes in outcomes:
            api.gateway.answer = answer
            payload = await _op(api, "UnlockConnector", unlock, token)
            assert payload["status"] == status
            assert [e["code"] for e in payload["errors"]] == codes  # type: ignore[attr-defined]
            assert api.gateway.sent[-1] == ("STATUS-1", UnlockConnector(1))

        api.gateway.answer = CommandResult(CommandStatus.TIMED_OUT, "late")
        report = await _op(
            api,
            "RequestStationReport",
            {"stationId": station_id, "report": "FULL_INVENTORY"},
            token,
        )
        assert report["status"] == "TIMED_OUT" and isinstance(report["requestId"], int)
        got = await api.gql(
            "query($id: ID!, $rid: Int!) { station(id: $id) { reportRequest(requestId: $rid) "
            "{ status complete parts { seqNo } } } }",
            {"id": station_id, "rid": report["requestId"]},
            token,
        )
        assert got["data"]["station"]["reportRequest"] == {
            "status": "TIMED_OUT",
            "complete": False,
            "parts": [],
        }
    finally:
        api.gateway.answer = CommandResult(CommandStatus.ACCEPTED)


async def test_bad_input_is_refused_to_that_client_alone(api: Api) -> None:
    _, token = await api.operator("operator")
    station_id = await register(api, token, await create_site(api, token), "BAD-1")
    sent = len(api.gateway.sent)
    many = [{"component": "C", "variable": f"V{i}"} for i in range(51)]
    too_many = await _op(api, "GetVariables", {"stationId": station_id, "variables": many}, token)
    assert [(e["code"], e["field"]) for e in too_many["errors"]] == [("INVALID_INPUT", "variables")]  # type: ignore[attr-defined]
    twice = [{"component": "C", "variable": "V", "value": "1"}] * 2
    doubled = await _op(api, "SetVariables", {"stationId": station_id, "variables": twice}, token)
    assert doubled["errors"][0]["field"] == "variables"  # type: ignore[index]
    assert len(api.gateway.sent) == sent

    response = await api.http.post(
        "/graphql",
        json={
            "query": OPS["StationVariables"],
            "variables": {"stationId": station_id, "after": "%%%"},
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "INVALID_INPUT"
    # the same client's next, well-formed request is answered
    fine = await _op(api, "StationVariables", {"stationId": station_id, "first": 5}, token)
    assert fine["variables"] == {  # type: ignore[index]
        "totalCount": 0,
        "edges": [],
        "pageInfo": {"hasNextPage": False, "endCursor": None},
    }
