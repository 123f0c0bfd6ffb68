"""Values a CALL may not carry even when its schema allows them.

The OCPP JSON schemas say ``"type": "integer"`` without a range, but both OCPP-J specifications
define integer as 32 bit (31 bit resolution, 1 sign bit): an integer field past it cannot be what a
charge point meant (TypeConstraintViolation). A decimal field may hold a large whole number, but
none past the 64 bits MongoDB stores (PropertyConstraintViolation). JSON has no NaN or Infinity,
though Python's parser accepts them (the version's format error: 1.6 FormationViolation, 2.0.1
FormatViolation). Such a CALL is answered with that error before any handler runs: the station that
sent it gets the error, nobody else is touched.
"""

from __future__ import annotations

import math
from enum import Enum
from typing import Any

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Violation(Enum):
    TYPE = "integer outside the 32-bit range OCPP-J defines"
    PROPERTY = "a number past the 64-bit range that can be stored"
    FORMAT = "a number JSON cannot carry (NaN or Infinity)"


def offending_value(
    payload: Any, schema: dict[str, Any] | None = None
) -> tuple[str, Violation] | None:
    """The first value of ``payload`` OCPP-J cannot carry, given the action's JSON schema (its
    integer fields): (where, what is wrong), or None."""
    return _walk(payload, schema or {}, schema or {}, "")


def _walk(
    payload: Any, schema: dict[str, Any], root: dict[str, Any], path: str
) -> tuple[str, Violation] | None:
    schema = _resolve(schema, root)
    if isinstance(payload, bool) or payload is None or isinstance(payload, str):
        return None
    if isinstance(payload, int):
        if _is_integer(schema) and not INT_MIN <= payload <= INT_MAX:
            return path or "payload", Violation.TYPE
        if not INT64_MIN <= payload <= INT64_MAX:
            return path or "payload", Violation.PROPERTY
        return None
    if isinstance(payload, float):
        return None if math.isfinite(payload) else (path or "payload", Violation.FORMAT)
    if isinstance(payload, dict):
        properties = schema.get("properties") or {}
        for key, value in payload.items():
            where = f"{path}.{key}" if path else str(key)
            found = _walk(value, properties.get(key) or {}, root, where)
            if found is not None:
                return found
    elif isinstance(payload, list):
        items = schema.get("items") or {}
        for i, value in enumerate(payload):
            found = _walk(value, items if isinstance(items, dict) else {}, root, f"{path}[{i}]")
            if found is not None:
                return found
    return None


def _resolve(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow local ``$ref``s (``#/definitions/Name``, as the 2.0.1 schemas use)."""
    for _ in range(16):
        ref = schema.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return schema
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part, {}) if isinstance(target, dict) else {}
        schema = target if isinstance(target, dict) else {}
    return schema


def _is_integer(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    return kind == "integer" or (isinstance(kind, list) and "integer" in kind)
