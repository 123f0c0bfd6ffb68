"""Domain events and station commands as BSON-safe documents, and back: ``{"type": class name,
"fields": {...}}``.

Both are frozen dataclasses, so the class name and the field values say everything. Values are
written as MongoDB stores them, except where BSON would change them: a ``datetime`` field becomes an
ISO 8601 string with its offset (BSON dates keep milliseconds only, and come back naive unless the
client says otherwise), a ``tuple`` field a list. Decoding reads the field's declared type to turn
them back, so ``decode(encode(x)) == x``. Free-form ``dict`` fields (charging profiles, command
results) are stored as they are; nested dataclasses (variable references) as their fields.

A document that does not fit (unknown type, missing field, wrong shape) raises ``DecodeError``
naming the type and the reason; unknown extra fields are ignored, so an older node still reads what
a newer one wrote as far as it understands it.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar

import domain.charging.events  # (registers charging's event classes)
import domain.diagnostics.events  # noqa: F401  (registers diagnostics' event classes)
from domain.charging.commands import CommandResult, CommandStatus, StationCommand
from domain.common.clock import as_utc
from domain.common.events import DomainEvent

T = TypeVar("T")


class DecodeError(ValueError):
    """A relayed document this node cannot turn back into a domain object."""


def _subclasses(cls: type[DomainEvent]) -> list[type[DomainEvent]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_subclasses(sub))
    return found


@functools.cache
def event_types() -> dict[str, type[DomainEvent]]:
    """Every domain event class by name (the ones imported by now: domain.common, charging, diagnostics)."""
    return {cls.__name__: cls for cls in _subclasses(DomainEvent) if cls is not DomainEvent}


COMMAND_TYPES: dict[str, type[Any]] = {cls.__name__: cls for cls in typing.get_args(StationCommand)}


# -- values ----------------------------------------------------------------------------------------


def _encode_value(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _encode_value(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_encode_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _encode_value(v) for k, v in value.items()}
    return value


def _decode_value(value: Any, hint: Any) -> Any:
    """``value`` as stored, turned back into ``hint`` where encoding changed it."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        for member in members:  # the first member the value fits
            try:
                return _decode_value(value, member)
            except (TypeError, ValueError):
                continue
        raise ValueError(f"{value!r} fits none of {hint}")
    if hint is datetime:
        if isinstance(value, datetime):
            return as_utc(value)
        if not isinstance(value, str):
            raise TypeError(f"expected a date-time, got {type(value).__name__}")
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} has no UTC offset")
        return parsed
    if origin is tuple:
        if not isinstance(value, list | tuple):
            raise TypeError(f"expected a list, got {type(value).__name__}")
        args = typing.get_args(hint)
        item = args[0] if args else Any
        return tuple(_decode_value(v, item) for v in value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):  # a nested value object
        if not isinstance(value, Mapping):
            raise TypeError(f"expected a {hint.__name__}, got {type(value).__name__}")
        hints = _hints(hint)
        return hint(
            **{
                f.name: _decode_value(value[f.name], hints[f.name])
                for f in dataclasses.fields(hint)
                if f.name in value
            }
        )
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint in (int, float, str, bool) and not isinstance(value, hint):
        raise TypeError(f"expected {hint.__name__}, got {type(value).__name__}")
    return value


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


# -- dataclasses -----------------------------------------------------------------------------------


def encode_dataclass(obj: Any) -> dict[str, Any]:
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"{type(obj).__name__} is not a dataclass instance")
    fields = {f.name: _encode_value(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    return {"type": type(obj).__name__, "fields": fields}


def decode_dataclass(document: Mapping[str, Any], registry: Mapping[str, type[T]]) -> T:
    name = document.get("type")
    fields = document.get("fields")
    if not isinstance(name, str) or name not in registry:
        raise DecodeError(f"unknown type {name!r}")
    if not isinstance(fields, Mapping):
        raise DecodeError(f"{name}: fields are missing")
    cls = registry[name]
    hints = _hints(cls)
    args: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.name not in fields:
            continue  # the constructor says whether it was required
        try:
            args[f.name] = _decode_value(fields[f.name], hints[f.name])
        except (TypeError, ValueError) as exc:
            raise DecodeError(f"{name}.{f.name}: {exc}") from None
    try:
        return cls(**args)
    except TypeError as exc:
        raise DecodeError(f"{name}: {exc}") from None


def encode_event(event: DomainEvent) -> dict[str, Any]:
    return encode_dataclass(event)


def decode_event(document: Mapping[str, Any]) -> DomainEvent:
    if document.get("type") not in event_types():
        event_types.cache_clear()  # an event class imported since the first look
    return decode_dataclass(document, event_types())


def encode_command(command: StationCommand) -> dict[str, Any]:
    if type(command).__name__ not in COMMAND_TYPES:
        raise TypeError(f"{type(command).__name__} is not a station command")
    return encode_dataclass(command)


def decode_command(document: Mapping[str, Any]) -> StationCommand:
    command: StationCommand = decode_dataclass(document, COMMAND_TYPES)
    return command


def encode_result(result: CommandResult) -> dict[str, Any]:
    return {
        "status": result.status.value,
        "detail": result.detail,
        "data": _encode_value(result.data),
    }


def decode_result(document: Mapping[str, Any]) -> CommandResult:
    try:
        status = CommandStatus(document["status"])
    except (KeyError, ValueError):
        raise DecodeError(f"not a command result: {dict(document)!r}") from None
    detail = document.get("detail")
    data = document.get("data") or {}
    if not isinstance(data, dict) or not (detail is None or isinstance(detail, str)):
        raise DecodeError("a command result's detail or data has the wrong shape")
    return CommandResult(status, detail, data)
