"""OCPP-J 1.6 §4.2.3 (Table 7, "Valid Error Codes") for a CALL whose payload fails its JSON schema.

The ``ocpp`` library (2.1.0, ``ocpp.messages._validate_payload``) answers every version with one
mapping that uses OCPP 2.0.1's words: ``FormatViolation`` (a code OCPP-J 1.6 does not have) for an
unknown property and for any other failure it does not single out. A 1.6 station gets the codes
its own specification names, decided by the first schema failure, as the library's validator
reports it:

==========================  =================================  ===================================
schema keyword              Table 7 code                       Table 7 wording
==========================  =================================  ===================================
additionalProperties        FormationViolation                 not conform the PDU structure
type, maxLength             TypeConstraintViolation            violates data type constraints
                                                               (CiString20Type is a data type)
minItems, maxItems          OccurenceConstraintViolation       violates occurence constraints
                                                               (1.6's own spelling)
required                    ProtocolError                      Payload for Action is incomplete
enum, minimum, multipleOf,  PropertyConstraintViolation        at least one field contains an
anything else                                                  invalid value
==========================  =================================  ===================================
"""

from __future__ import annotations

from typing import Any

import ocpp.messages
from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    OccurenceConstraintViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    ProtocolError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call, MessageType, _validate_payload

TABLE_7: dict[str, type[OCPPError]] = {
    "additionalProperties": FormationViolationError,
    "type": TypeConstraintViolationError,
    "maxLength": TypeConstraintViolationError,
    "minItems": OccurenceConstraintViolationError,
    "maxItems": OccurenceConstraintViolationError,
    "required": ProtocolError,
}

# what the library raises for a schema failure (a missing schema raises NotImplemented: kept)
_SCHEMA_FAILURES = (FormatViolationError, TypeConstraintViolationError, ProtocolError)


def first_schema_error(action: str, payload: Any) -> Any | None:
    """The failure the library's validator reports (``Draft4Validator.validate`` raises the first)."""
    validator = ocpp.messages.get_validator(MessageType.Call, action, "1.6")
    reference = getattr(validator, "reference", validator)  # fastpath's wrapper, or the library's
    return next(iter(reference.iter_errors(payload)), None)


def validate_call(msg: Call) -> None:
    """The library's validation of a 1.6 CALL, its error re-worded with Table 7's codes."""
    try:
        _validate_payload(msg, "1.6")
    except _SCHEMA_FAILURES as error:
        failure = first_schema_error(msg.action, msg.payload)
        if failure is None:
            raise
        code = TABLE_7.get(str(failure.validator), PropertyConstraintViolationError)
        raise code(details={"cause": failure.message}) from error
