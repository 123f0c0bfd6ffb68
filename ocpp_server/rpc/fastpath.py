"""The ``ocpp`` library's per-message costs, made cheap without changing what it decides.

Profiling laddnet under load showed two library steps dominating each message:

- schema validation with ``jsonschema``'s ``Draft4Validator`` (about 300 µs for a MeterValues),
- camelCase <-> snake_case key conversion with two regular expressions per key (about 170 µs).

``install()`` swaps in (1) validators compiled with ``fastjsonschema`` that take the fast path only
when the payload is valid: on any failure the library's own ``Draft4Validator`` runs and raises
exactly the error (and so the CALLERROR code) it always did; and (2) the library's own key
conversion with a bounded memo per key (station-chosen keys cannot grow it without limit).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

import fastjsonschema
import ocpp.charge_point
import ocpp.messages

# the library's own functions, kept as the reference (captured before install() replaces them)
_original_get_validator = ocpp.messages.get_validator
library_camel_to_snake_case = ocpp.charge_point.camel_to_snake_case
library_snake_to_camel_case = ocpp.charge_point.snake_to_camel_case


class CompiledValidator:
    """``Draft4Validator``'s ``validate`` and ``schema``, with a compiled accept path."""

    def __init__(self, reference: Any) -> None:
        self.reference = reference
        self.schema = reference.schema
        self._fast: Callable[[Any], Any] | None
        try:
            self._fast = fastjsonschema.compile(reference.schema)
        except Exception:  # a schema fastjsonschema cannot compile: the library's path only
            self._fast = None

    def validate(self, payload: Any) -> None:
        if self._fast is not None:
            try:
                self._fast(payload)
                return
            except fastjsonschema.JsonSchemaException:
                pass  # let the reference validator decide and word the error
        self.reference.validate(payload)


@functools.cache
def _compiled(message_type_id: int, action: str, ocpp_version: str) -> CompiledValidator:
    return CompiledValidator(_original_get_validator(message_type_id, action, ocpp_version))


def get_validator(
    message_type_id: int, action: str, ocpp_version: str, parse_float: Callable[..., Any] = float
) -> Any:
    if parse_float is not float:  # the Decimal-parsed schemas keep the library's validator
        return _original_get_validator(message_type_id, action, ocpp_version, parse_float)
    try:
        return _compiled(message_type_id, action, ocpp_version)
    except TypeError:  # unhashable arguments: not from the library's own calls
        return _original_get_validator(message_type_id, action, ocpp_version)


@functools.lru_cache(maxsize=4096)
def _snake(key: str) -> str:
    key = key.replace("ocppCSMSURL", "ocpp_csms_url")
    key = key.replace("V2X", "_v2x").replace("V2G", "_v2g")
    s1 = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", key)
    return re.sub("([a-z0-9])([A-Z])(?=\\S)", r"\1_\2", s1).lower()


@functools.lru_cache(maxsize=4096)
def _camel(key: str) -> str:
    key = key.replace("soc", "SoC")
    key = key.replace("_v2x", "V2X")
    key = key.replace("ocpp_csms_url", "ocppCsmsUrl")
    key = key.replace("csms", "CSMS")
    key = key.replace("_url", "URL")
    key = key.replace("soc", "SoC").replace("_SoCket", "Socket")
    key = key.replace("_v2x", "V2X")
    key = key.replace("soc_limit_reached", "SOCLimitReached")
    key = key.replace("_v2x", "V2X").replace("_v2g", "V2G")
    components = key.split("_")
    return components[0] + "".join(x[:1].upper() + x[1:] for x in components[1:])


snake = _snake  # one camelCase key as the library converts it, memoised
camel = _camel  # one snake_case key as the library converts it, memoised


def camel_to_snake_case(data: Any) -> Any:
    if isinstance(data, dict):
        return {_snake(k): camel_to_snake_case(v) for k, v in data.items()}
    if isinstance(data, list):
        return [camel_to_snake_case(v) for v in data]
    return data


def snake_to_camel_case(data: Any) -> Any:
    if isinstance(data, dict):
        return {_camel(k): snake_to_camel_case(v) for k, v in data.items()}
    if isinstance(data, list):
        return [snake_to_camel_case(v) for v in data]
    return data


def install() -> None:
    """Patch the library (idempotent): no thread-pool hop, compiled validators, memoised keys."""
    ocpp.messages.ASYNC_VALIDATION = False
    ocpp.messages.get_validator = get_validator
    ocpp.charge_point.camel_to_snake_case = camel_to_snake_case
    ocpp.charge_point.snake_to_camel_case = snake_to_camel_case
