"""A station's device model as it reports it, read into plain rows. Pure: no I/O.

OCPP 2.0.1 names a setting by component (name, instance, EVSE, connector) and variable (name,
instance); a NotifyReport part lists them with their attributes (Actual, Target, MinSet, MaxSet).
OCPP 1.6 has flat configuration keys: each becomes a variable of one component, ``ChargePoint``
(the 1.6 name of the whole device), with ReadOnly/ReadWrite from the key's ``readonly`` flag.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from domain.common.errors import InvalidInput

V16_COMPONENT = "ChargePoint"
NAME_MAX = 50  # 2.0.1 component and variable names are identifierString(50)
VALUE_MAX = 2500  # 2.0.1 attributeValue (SetVariables) is string(1000); reports up to 2500


class ReportKind(StrEnum):
    """2.0.1 ReportBaseEnumType; a 1.6 station answers each with all its configuration keys."""

    FULL_INVENTORY = "FullInventory"
    CONFIGURATION_INVENTORY = "ConfigurationInventory"
    SUMMARY_INVENTORY = "SummaryInventory"


class Mutability(StrEnum):
    READ_ONLY = "ReadOnly"
    WRITE_ONLY = "WriteOnly"
    READ_WRITE = "ReadWrite"


@dataclass(frozen=True)
class VariableRef:
    """Which setting: a 1.6 configuration key is ``variable`` (the component is not sent)."""

    component: str
    variable: str
    component_instance: str | None = None
    evse_id: int | None = None
    connector_id: int | None = None
    variable_instance: str | None = None

    def key(self) -> str:
        """One string per setting of a station, sorting by component, then EVSE, then variable."""
        return "\x1f".join(
            (
                self.component,
                self.component_instance or "",
                "" if self.evse_id is None else f"{self.evse_id:05d}",
                "" if self.connector_id is None else f"{self.connector_id:05d}",
                self.variable,
                self.variable_instance or "",
            )
        )


@dataclass(frozen=True)
class VariableSetting:
    """A value to set on a setting."""

    ref: VariableRef
    value: str


@dataclass(frozen=True)
class ReportedVariable:
    """One setting as the station reported it; ``value`` is its Actual value."""

    ref: VariableRef
    value: str | None = None
    mutability: Mutability | None = None
    attributes: dict[str, str | None] = field(default_factory=dict)  # type -> value
    unit: str | None = None
    data_type: str | None = None


def _name(value: Any, what: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > NAME_MAX:
        raise InvalidInput(f"{what} is a name of 1-{NAME_MAX} characters", field=what)
    return value.strip()


def _optional_name(value: Any, what: str) -> str | None:
    return None if value is None or value == "" else _name(value, what)


def _optional_id(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"{what} is a number of 0 or more", field=what)
    return value


def check_ref(ref: VariableRef) -> VariableRef:
    """A reference an operator typed, checked: names 1-50 characters, ids not negative, and a
    connector only within an EVSE (2.0.1 EVSEType). Raises InvalidInput."""
    checked = VariableRef(
        component=_name(ref.component, "component"),
        variable=_name(ref.variable, "variable"),
        component_instance=_optional_name(ref.component_instance, "instance"),
        evse_id=_optional_id(ref.evse_id, "evseId"),
        connector_id=_optional_id(ref.connector_id, "connectorId"),
        variable_instance=_optional_name(ref.variable_instance, "variableInstance"),
    )
    if checked.connector_id is not None and checked.evse_id is None:
        raise InvalidInput("a connectorId needs the evseId it belongs to", field="connectorId")
    return checked


def check_value(value: str) -> str:
    if len(value) > 1000:
        raise InvalidInput("a value is at most 1000 characters", field="value")
    return value


def _mutability(value: Any) -> Mutability | None:
    try:
        return Mutability(value) if value else None
    except ValueError:
        return None


def _text(value: Any, limit: int = VALUE_MAX) -> str | None:
    return None if value is None else str(value)[:limit]


def from_report_data(report_data: Iterable[Mapping[str, Any]] | None) -> list[ReportedVariable]:
    """A NotifyReport part's ``reportData`` (the ocpp library's snake_case keys) as rows. An entry
    that names no component or variable is skipped: the rest of the part is still worth keeping."""
    rows: list[ReportedVariable] = []
    for item in report_data or ():
        if not isinstance(item, Mapping):
            continue
        component = item.get("component") or {}
        variable = item.get("variable") or {}
        evse = component.get("evse") or {}
        try:
            ref = VariableRef(
                component=_name(component.get("name"), "component"),
                variable=_name(variable.get("name"), "variable"),
                component_instance=_text(component.get("instance"), NAME_MAX) or None,
                evse_id=evse.get("id") if isinstance(evse.get("id"), int) else None,
                connector_id=evse.get("connector_id")
                if isinstance(evse.get("connector_id"), int)
                else None,
                variable_instance=_text(variable.get("instance"), NAME_MAX) or None,
            )
        except InvalidInput:
            continue
        attributes: dict[str, str | None] = {}
        mutability: Mutability | None = None
        for attribute in item.get("variable_attribute") or ():
            kind = str(attribute.get("type") or "Actual")
            attributes[kind] = _text(attribute.get("value"))
            if kind == "Actual" or mutability is None:
                mutability = _mutability(attribute.get("mutability")) or mutability
        characteristics = item.get("variable_characteristics") or {}
        rows.append(
            ReportedVariable(
                ref=ref,
                value=attributes.get("Actual"),
                mutability=mutability,
                attributes=attributes,
                unit=_text(characteristics.get("unit"), 16),
                data_type=_text(characteristics.get("data_type"), 32),
            )
        )
    return rows


def from_configuration(keys: Iterable[Mapping[str, Any]]) -> list[ReportedVariable]:
    """1.6 GetConfiguration.conf ``configurationKey`` entries ({key, readonly, value}) as rows."""
    rows: list[ReportedVariable] = []
    for entry in keys:
        key = entry.get("key")
        if not isinstance(key, str) or not key:
            continue
        value = _text(entry.get("value"))
        rows.append(
            ReportedVariable(
                ref=VariableRef(component=V16_COMPONENT, variable=key[:NAME_MAX]),
                value=value,
                mutability=Mutability.READ_ONLY if entry.get("readonly") else Mutability.READ_WRITE,
                attributes={"Actual": value},
            )
        )
    return rows
