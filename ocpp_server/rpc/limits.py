"""Values a CALL may not carry even when its schema allows them.

The OCPP JSON schemas say ``"type": "integer"`` without a range, but both OCPP-J specifications
define integer as 32 bit (31 bit resolution, 1 sign bit), and a value past it cannot be what a
charge point meant (nor can MongoDB store one past 64 bits). JSON has no NaN or Infinity, though
Python's parser accepts them. Such a CALL is answered with the error the specification names
(TypeConstraintViolation for an integer out of range; the version's format error for a number
JSON cannot carry) before any handler runs: the station that sent it gets the error, nobody else
is touched.
"""

from __future__ import annotations

import math
from typing import Any

INT_MIN = -(2**31)
INT_MAX = 2**31 - 1


def offending_value(payload: Any, path: str = "") -> tuple[str, str] | None:
    """The first value OCPP-J cannot carry: (where, why), or None."""
    if isinstance(payload, bool) or payload is None or isinstance(payload, str):
        return None
    if isinstance(payload, int):
        if not INT_MIN <= payload <= INT_MAX:
            return path or "payload", "integer outside the 32-bit range OCPP-J defines"
        return None
    if isinstance(payload, float):
        if not math.isfinite(payload):
            return path or "payload", "a number JSON cannot carry (NaN or Infinity)"
        return None
    if isinstance(payload, dict):
        for key, value in payload.items():
            found = offending_value(value, f"{path}.{key}" if path else str(key))
            if found is not None:
                return found
    elif isinstance(payload, list):
        for i, value in enumerate(payload):
            found = offending_value(value, f"{path}[{i}]")
            if found is not None:
                return found
    return None
