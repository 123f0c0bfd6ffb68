"""The lean dispatch answers every frame exactly as the ``ocpp`` library's generic path does.

A handler built on the library's own ``ChargePoint`` and one on ``RobustRouting`` (routes per
class, no per-instance route map) get the same frames; their answers must be byte for byte equal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import ocpp.charge_point
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from ocpp.exceptions import GenericError
from ocpp.routing import after, create_route_map, on
from ocpp.v16 import ChargePoint as LibraryCP16
from ocpp.v16 import call_result as r16
from ocpp.v201 import ChargePoint as LibraryCP201
from ocpp.v201 import call_result as r201

from ocpp_server.rpc import dispatch, fastpath
from ocpp_server.rpc.router import RobustRouting
from ocpp_server.v16 import ChargePoint16
from ocpp_server.v201 import ChargePoint201

pytestmark = pytest.mark.unit


class Sent:
    """A stand-in websocket: what was sent, nothing to receive."""

    def __init__(self) -> None:
        self.frames: list[str] = []

    async def send(self, frame: str) -> None:
        self.frames.append(frame)


class _Handlers:
    after_calls: list[tuple[str, dict[str, Any]]]

    @on("Heartbeat")
    async def on_heartbeat(self, **_: Any) -> Any:
        return r16.Heartbeat(current_time="2025-01-01T00:00:00Z")

    @on("MeterValues")
    def on_meter_values(self, connector_id: int, meter_value: list[Any], **kw: Any) -> Any:
        if connector_id == 66:
            raise GenericError(description="connector 66 is cursed")
        if connector_id == 67:
            raise ValueError("a bug")
        return r16.MeterValues()

    @on("Authorize")
    async def on_authorize(self, id_tag: str, call_unique_id: str) -> Any:
        status = "Accepted" if id_tag == "OK" else None
        info = {"status": status or "Invalid", "parent_id_tag": None, "expiry_date": None}
        if id_tag == "BAD-ANSWER":
            info["status"] = "NotAStatus"  # the response fails its own schema
        return r16.Authorize(id_tag_info=info)

    @after("Authorize")
    def after_authorize(self, id_tag: str, call_unique_id: str) -> None:
        self.after_calls.append(("Authorize", {"id_tag": id_tag, "id": call_unique_id}))


class Library(_Handlers, LibraryCP16):
    def __init__(self, connection: Sent) -> None:
        super().__init__("CP-1", connection)
        self.after_calls = []


class Lean(_Handlers, RobustRouting, LibraryCP16):
    seen_every = float("inf")  # no station to touch

    def __init__(self, connection: Sent) -> None:
        super().__init__("CP-1", connection, None, None)  # type: ignore[arg-type]
        self.after_calls = []


METER = {"timestamp": "2025-01-01T00:00:00Z", "sampledValue": [{"value": "1"}]}
FRAMES = [
    [2, "a", "Heartbeat", {}],
    [2, "b", "Heartbeat", {"surprise": 1}],  # additionalProperties
    [2, "c", "MeterValues", {"connectorId": 1, "meterValue": [METER]}],
    [2, "d", "MeterValues", {"connectorId": "one", "meterValue": [METER]}],  # type
    [2, "e", "MeterValues", {"meterValue": [METER]}],  # required
    [2, "f", "MeterValues", {"connectorId": 1, "meterValue": [{"sampledValue": []}]}],
    [2, "g", "MeterValues", {"connectorId": 66, "meterValue": [METER]}],  # OCPPError
    [2, "h", "MeterValues", {"connectorId": 67, "meterValue": [METER]}],  # a bug
    [2, "i", "Authorize", {"idTag": "OK"}],
    [2, "j", "Authorize", {"idTag": "NOBODY"}],  # None fields dropped from the answer
    [2, "k", "Authorize", {"idTag": "BAD-ANSWER"}],  # invalid response
    [2, "l", "Authorize", {"idTag": "x" * 21}],  # maxLength
]


@pytest.mark.parametrize("frame", FRAMES, ids=[f[1] for f in FRAMES])
async def test_each_frame_is_answered_exactly_as_the_library_answers_it(frame: list[Any]) -> None:
    library, lean = Sent(), Sent()
    lib_cp, lean_cp = Library(library), Lean(lean)
    raw = json.dumps(frame)
    await lib_cp.route_message(raw)
    await lean_cp.route_message(raw)
    assert lean.frames == library.frames and len(lean.frames) == 1
    assert lean_cp.after_calls == lib_cp.after_calls


def test_routes_are_built_once_per_class_and_cover_what_the_library_finds() -> None:
    for cls, library in ((ChargePoint16, LibraryCP16), (ChargePoint201, LibraryCP201)):
        found = create_route_map(cls)
        handled = {str(getattr(a, "value", a)) for a, h in found.items() if "_on_action" in h}
        assert {a for a, r in cls.routes.items() if r.on is not None} == handled
        assert handled  # each version answers something
        assert cls.routes is not RobustRouting.routes
        assert "BootNotification" in handled and "Heartbeat" in handled
        assert issubclass(cls, library)


def test_a_handler_keeps_no_per_connection_route_map_queue_or_lock() -> None:
    cp = Lean(Sent())
    assert set(vars(cp)) == {"id", "_connection", "station", "ctx", "_last_seen", "after_calls"}
    assert not hasattr(cp, "route_map")
    # what the library's call() needs is there on first use
    assert cp._response_queue is cp._response_queue and cp._call_lock is cp._call_lock


@dataclass
class Inner:
    status_info: Any = None
    reason_code: Any = None


@dataclass
class Outer:
    id_tag_info: Any = None
    soc_limit_reached: Any = None
    items: Any = None
    nested: Any = None


leaves = st.none() | st.integers() | st.text(max_size=4)
snake_keys = st.sampled_from(["status", "parent_id_tag", "expiry_date", "soc", "evse_id", "x_url"])


def _values(inner: Any) -> Any:
    return (
        st.lists(inner, max_size=3)
        | st.dictionaries(snake_keys, inner, max_size=3)
        | st.builds(Inner, inner, inner)
    )


values = st.recursive(leaves, _values, max_leaves=10)


@given(st.builds(Outer, values, values, values, values))
def test_to_wire_matches_the_librarys_three_walks(answer: Outer) -> None:
    library = ocpp.charge_point.snake_to_camel_case(
        ocpp.charge_point.remove_nones(ocpp.charge_point.serialize_as_dict(answer))
    )
    try:
        json.dumps(library)
    except TypeError:  # a dataclass in a list in a list: the library itself could not send it
        assume(False)
    assert dispatch.to_wire(answer) == library


@pytest.mark.parametrize(
    "answer",
    [
        r16.BootNotification(current_time="t", interval=60, status="Accepted"),
        r16.StartTransaction(transaction_id=5, id_tag_info={"status": "Accepted"}),
        r16.StopTransaction(),
        r201.TransactionEvent(id_token_info={"status": "Accepted"}),
        r201.BootNotification(current_time="t", interval=60, status="Accepted"),
    ],
)
def test_to_wire_of_the_answers_laddnet_gives(answer: Any) -> None:
    library = fastpath.library_snake_to_camel_case(
        ocpp.charge_point.remove_nones(ocpp.charge_point.serialize_as_dict(answer))
    )
    assert dispatch.to_wire(answer) == library
    frame = [3, "m", library]
    assert dispatch.encode(frame) == ocpp.messages.CallResult("m", library).to_json()
