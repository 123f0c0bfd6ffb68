"""A CALL's way through the handler, decided once per handler class instead of per message.

The ``ocpp`` library builds a route map of bound methods for every ``ChargePoint`` instance (about
1.7 KiB per connection) and, for every CALL, runs ``inspect.signature`` on the handler, deep-copies
the answer with ``dataclasses.asdict``, walks it twice more (drop ``None``s, camelCase the keys) and
builds a fresh JSON encoder. ``routes()`` decides the per-action facts once per class; ``to_wire``
does the answer's three walks in one; ``encode`` reuses one encoder. Validation is the library's own
(``_validate_payload``: same schemas, same error mapping, compiled by ``fastpath``).
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import inspect
from collections.abc import Callable
from typing import Any, NamedTuple

from ocpp.messages import _DecimalEncoder

from ocpp_server.rpc import fastpath


class Route(NamedTuple):
    """One action's handlers (plain functions, called with the instance) and how to call them."""

    on: Callable[..., Any] | None
    on_wants_unique_id: bool
    validate: bool
    after: Callable[..., Any] | None
    after_wants_unique_id: bool


def _unwrapped(fn: Callable[..., Any]) -> Callable[..., Any]:
    """The function under ``@on``/``@after``'s pass-through wrapper (one call fewer)."""
    return getattr(fn, "__wrapped__", fn)


def _wants_unique_id(fn: Callable[..., Any]) -> bool:
    return "call_unique_id" in inspect.signature(fn).parameters


def routes(cls: type) -> dict[str, Route]:
    """What ``ocpp.routing.create_route_map`` finds on an instance, found once on its class."""
    on: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name in dir(cls):
        attr = getattr(cls, name, None)
        if not callable(attr):
            continue
        if hasattr(attr, "_on_action"):
            on[str(getattr(attr._on_action, "value", attr._on_action))] = attr
        if hasattr(attr, "_after_action"):
            after[str(getattr(attr._after_action, "value", attr._after_action))] = attr
    table: dict[str, Route] = {}
    for action in on.keys() | after.keys():
        handler, hook = on.get(action), after.get(action)
        table[action] = Route(
            on=_unwrapped(handler) if handler else None,
            on_wants_unique_id=handler is not None and _wants_unique_id(handler),
            validate=not (handler and getattr(handler, "_skip_schema_validation", False)),
            after=_unwrapped(hook) if hook else None,
            after_wants_unique_id=hook is not None and _wants_unique_id(hook),
        )
    return table


@functools.cache
def _wire_fields(cls: type) -> tuple[tuple[str, str], ...]:
    return tuple((f.name, fastpath.camel(f.name)) for f in dataclasses.fields(cls))


def to_wire(value: Any) -> Any:
    """``snake_to_camel_case(remove_nones(serialize_as_dict(value)))`` in one walk (a tuple,
    which those three leave alone, only has its dataclasses turned into dicts, as ``asdict``
    does)."""
    if isinstance(value, dict):
        return {fastpath.camel(k): to_wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [to_wire(v) for v in value if v is not None]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            wire: to_wire(v)
            for name, wire in _wire_fields(type(value))
            if (v := getattr(value, name)) is not None
        }
    if isinstance(value, tuple):
        return copy.deepcopy(dataclasses.asdict(_Box(value)))["value"]  # asdict's own rules
    return value


@dataclasses.dataclass
class _Box:
    value: Any


_encoder = _DecimalEncoder(separators=(",", ":"))


def encode(frame: list[Any]) -> str:
    """What ``Call/CallResult/CallError.to_json`` writes, without a new encoder per frame."""
    text: str = _encoder.encode(frame)
    return text
