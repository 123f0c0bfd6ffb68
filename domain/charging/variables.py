"""What a station answered to GetVariables/SetVariables (1.6: GetConfiguration/ChangeConfiguration),
as one result per variable asked. Pure: no I/O.

The OCPP adapters hand back rows ``{component, component_instance, evse_id, connector_id, variable,
variable_instance, status, value}`` with the station's own status word; here they are matched to
the variables asked, in the order asked, and the words read into one vocabulary.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from domain.network.device_model import VariableRef


class VariableStatus(StrEnum):
    ACCEPTED = "Accepted"
    REJECTED = "Rejected"
    UNKNOWN_COMPONENT = "UnknownComponent"
    UNKNOWN_VARIABLE = "UnknownVariable"
    NOT_SUPPORTED = "NotSupported"  # 2.0.1 NotSupportedAttributeType
    REBOOT_REQUIRED = "RebootRequired"  # set, and takes effect after a reboot


WORDS = {
    "Accepted": VariableStatus.ACCEPTED,
    "Rejected": VariableStatus.REJECTED,
    "UnknownComponent": VariableStatus.UNKNOWN_COMPONENT,
    "UnknownVariable": VariableStatus.UNKNOWN_VARIABLE,
    "NotSupportedAttributeType": VariableStatus.NOT_SUPPORTED,
    "RebootRequired": VariableStatus.REBOOT_REQUIRED,
    # OCPP 1.6 ChangeConfiguration: "NotSupported" means the key is not known to the station
    "NotSupported": VariableStatus.UNKNOWN_VARIABLE,
}


@dataclass(frozen=True)
class VariableResult:
    ref: VariableRef
    status: VariableStatus
    value: str | None = None  # GetVariables: the value read

    @property
    def reboot_required(self) -> bool:
        return self.status is VariableStatus.REBOOT_REQUIRED


def row_ref(row: Mapping[str, Any]) -> VariableRef:
    return VariableRef(
        component=str(row.get("component") or ""),
        variable=str(row.get("variable") or ""),
        component_instance=row.get("component_instance") or None,
        evse_id=row.get("evse_id"),
        connector_id=row.get("connector_id"),
        variable_instance=row.get("variable_instance") or None,
    )


def ref_row(ref: VariableRef, **extra: Any) -> dict[str, Any]:
    return {
        "component": ref.component,
        "component_instance": ref.component_instance,
        "evse_id": ref.evse_id,
        "connector_id": ref.connector_id,
        "variable": ref.variable,
        "variable_instance": ref.variable_instance,
        **extra,
    }


def match_results(
    asked: Sequence[VariableRef], rows: Iterable[Mapping[str, Any]] | None
) -> list[VariableResult]:
    """One result per variable asked, in the order asked, matched on the whole reference, else on
    component and variable name when only one answer has them. A variable the station left out
    of its answer is Rejected; an unknown status word is Rejected too."""
    answered: dict[str, Mapping[str, Any]] = {}
    by_name: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for row in rows or ():
        ref = row_ref(row)
        answered.setdefault(ref.key(), row)
        by_name.setdefault((ref.component, ref.variable), []).append(row)
    results = []
    for ref in asked:
        found = answered.get(ref.key())
        if found is None:  # a station that says more (or less) of the EVSE than was asked
            named = by_name.get((ref.component, ref.variable), [])
            found = named[0] if len(named) == 1 else None
        if found is None:
            results.append(VariableResult(ref, VariableStatus.REJECTED))
            continue
        status = WORDS.get(str(found.get("status")), VariableStatus.REJECTED)
        value = found.get("value")
        results.append(VariableResult(ref, status, str(value) if value is not None else None))
    return results
