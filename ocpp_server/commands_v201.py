"""Domain station commands in OCPP 2.0.1: build the call, read the answer into a CommandResult.

Configuration keys are ``Component.Variable`` (e.g. ``OCPPCommCtrlr.HeartbeatInterval``); a
GetConfiguration without keys asks for a full base report, which arrives as NotifyReport messages.
"""

from __future__ import annotations

import secrets
from typing import Any

from ocpp.v201 import call

from domain.charging import commands as c
from domain.charging.commands import CommandResult, CommandStatus
from domain.charging.variables import ref_row
from domain.network.device_model import VariableRef
from ocpp_server.commands_v16 import Interpret, by_status, schedule_times
from ocpp_server.wire import iso

# 1.6 MessageTrigger names the domain uses -> 2.0.1 MessageTriggerEnumType
TRIGGERS = {"DiagnosticsStatusNotification": "LogStatusNotification"}


def component_variable(key: str) -> dict[str, Any]:
    component, _, variable = key.partition(".")
    if not variable:
        raise ValueError(f"a 2.0.1 configuration key is Component.Variable, not {key!r}")
    return {"component": {"name": component}, "variable": {"name": variable}}


def profile_201(profile: dict[str, Any]) -> dict[str, Any]:
    purpose = profile.get("purpose", "TxDefaultProfile")
    if purpose == "ChargePointMaxProfile":
        purpose = "ChargingStationMaxProfile"
    schedule = schedule_times(profile["schedule"])
    schedule.setdefault("id", profile["id"])
    out: dict[str, Any] = {
        "id": profile["id"],
        "stack_level": profile.get("stackLevel", 0),
        "charging_profile_purpose": purpose,
        "charging_profile_kind": profile.get("kind", "Absolute"),
        "charging_schedule": [schedule],
    }
    if "transactionId" in profile:
        out["transaction_id"] = str(profile["transactionId"])
    for key, name in (
        ("recurrencyKind", "recurrency_kind"),
        ("validFrom", "valid_from"),
        ("validTo", "valid_to"),
    ):
        if key in profile:
            out[name] = profile[key]
    return out


def trigger(command: c.TriggerMessage) -> call.TriggerMessage:
    """A StatusNotification is about one connector of one EVSE, so its trigger names both
    (F06.FR.13: evse with id and connectorId); other messages take an EVSE, or the station."""
    message = TRIGGERS.get(command.message, command.message)
    evse: dict[str, Any] | None = None
    if message == "StatusNotification":
        if not command.connector_id:
            raise ValueError(
                "an OCPP 2.0.1 StatusNotification trigger names one connector (F06.FR.13): "
                "give the connector"
            )
        evse = {"id": command.connector_id, "connector_id": command.evse_connector_id}
    elif command.connector_id:
        evse = {"id": command.connector_id}
    return call.TriggerMessage(requested_message=message, evse=evse)


def ref_201(ref: VariableRef) -> dict[str, Any]:
    """A domain variable reference as 2.0.1 ComponentType + VariableType."""
    component: dict[str, Any] = {"name": ref.component}
    if ref.component_instance:
        component["instance"] = ref.component_instance
    if ref.evse_id is not None:
        evse: dict[str, Any] = {"id": ref.evse_id}
        if ref.connector_id is not None:
            evse["connector_id"] = ref.connector_id
        component["evse"] = evse
    variable: dict[str, Any] = {"name": ref.variable}
    if ref.variable_instance:
        variable["instance"] = ref.variable_instance
    return {"component": component, "variable": variable}


def _answered_ref(item: dict[str, Any]) -> VariableRef:
    component = item.get("component") or {}
    variable = item.get("variable") or {}
    evse = component.get("evse") or {}
    return VariableRef(
        component=component.get("name", ""),
        variable=variable.get("name", ""),
        component_instance=component.get("instance"),
        evse_id=evse.get("id"),
        connector_id=evse.get("connector_id"),
        variable_instance=variable.get("instance"),
    )


def _variable_results(items: list[dict[str, Any]]) -> CommandResult:
    rows = [
        ref_row(
            _answered_ref(item),
            status=item.get("attribute_status"),
            value=item.get("attribute_value"),
        )
        for item in items
    ]
    return CommandResult(CommandStatus.ACCEPTED, data={"results": rows})


def _variables(r: Any) -> CommandResult:
    rows = [
        {
            "key": f"{v['component']['name']}.{v['variable']['name']}",
            "value": v.get("attribute_value"),
            "status": v.get("attribute_status"),
        }
        for v in r.get_variable_result
    ]
    ok = any(row["status"] == "Accepted" for row in rows)
    return CommandResult(
        CommandStatus.ACCEPTED if ok else CommandStatus.REJECTED,
        detail=None if ok else "no variable could be read",
        data={"configuration": rows},
    )


def _set_variable(r: Any) -> CommandResult:
    status = r.set_variable_result[0].get("attribute_status", "")
    ok = status in ("Accepted", "RebootRequired")
    return CommandResult(
        CommandStatus.ACCEPTED if ok else CommandStatus.REJECTED,
        detail=None if status == "Accepted" else status,
    )


def build(command: c.StationCommand) -> tuple[Any, Interpret]:
    match command:
        case c.RemoteStart():
            payload = call.RequestStartTransaction(
                id_token={"id_token": command.id_tag, "type": command.id_token_type},
                remote_start_id=command.remote_start_id or 0,
                evse_id=command.connector_id,
                charging_profile=profile_201(command.charging_profile)
                if command.charging_profile
                else None,
            )
            return payload, lambda r: by_status(r, transaction_id=r.transaction_id)
        case c.RemoteStop():
            return call.RequestStopTransaction(transaction_id=command.transaction_id), by_status
        case c.Reset():
            return call.Reset(type="Immediate" if command.hard else "OnIdle"), by_status
        case c.ChangeAvailability():
            return (
                call.ChangeAvailability(
                    operational_status="Operative" if command.available else "Inoperative",
                    evse={"id": command.connector_id} if command.connector_id else None,
                ),
                by_status,
            )
        case c.UnlockConnector():
            payload = call.UnlockConnector(
                evse_id=command.connector_id, connector_id=command.evse_connector_id
            )
            return payload, by_status
        case c.TriggerMessage():
            return trigger(command), by_status
        case c.GetConfiguration():
            if not command.keys:  # a report nobody tracks: still an id of its own
                return (
                    call.GetBaseReport(
                        request_id=secrets.randbelow(2**31 - 1) + 1, report_base="FullInventory"
                    ),
                    lambda r: by_status(r, report="NotifyReport"),
                )
            data = [component_variable(k) for k in command.keys]
            return call.GetVariables(get_variable_data=data), _variables
        case c.ChangeConfiguration():
            data = [{"attribute_value": command.value, **component_variable(command.key)}]
            return call.SetVariables(set_variable_data=data), _set_variable
        case c.GetVariables():
            data = [ref_201(ref) for ref in command.variables]
            return (
                call.GetVariables(get_variable_data=data),
                lambda r: _variable_results(r.get_variable_result),
            )
        case c.SetVariables():
            data = [{"attribute_value": s.value, **ref_201(s.ref)} for s in command.variables]
            return (
                call.SetVariables(set_variable_data=data),
                lambda r: _variable_results(r.set_variable_result),
            )
        case c.GetReport():
            return (
                call.GetBaseReport(request_id=command.request_id, report_base=command.report),
                by_status,
            )
        case c.RequestDiagnostics():
            log: dict[str, Any] = {"remote_location": command.location}
            if command.start_time is not None:
                log["oldest_timestamp"] = iso(command.start_time)
            if command.stop_time is not None:
                log["latest_timestamp"] = iso(command.stop_time)
            return (
                call.GetLog(log=log, log_type="DiagnosticsLog", request_id=command.request_id),
                lambda r: by_status(r, file_name=r.filename),
            )
        case c.UpdateFirmware():
            firmware = {
                "location": command.location,
                "retrieve_date_time": iso(command.retrieve_at),
            }
            payload = call.UpdateFirmware(
                request_id=command.request_id, firmware=firmware, retries=command.retries
            )
            return payload, by_status
        case c.SetChargingProfile():
            return (
                call.SetChargingProfile(
                    evse_id=command.connector_id, charging_profile=profile_201(command.profile)
                ),
                by_status,
            )
        case c.ClearChargingProfile():
            criteria: dict[str, Any] = {}
            if command.connector_id is not None:
                criteria["evse_id"] = command.connector_id
            if command.purpose is not None:
                criteria["charging_profile_purpose"] = command.purpose
            if command.stack_level is not None:
                criteria["stack_level"] = command.stack_level
            return (
                call.ClearChargingProfile(
                    charging_profile_id=command.profile_id,
                    charging_profile_criteria=criteria or None,
                ),
                by_status,
            )
        case c.SetNetworkProfile():
            connection = {
                "ocpp_version": "OCPP20",
                "ocpp_transport": "JSON",
                "ocpp_csms_url": command.csms_url,
                "message_timeout": command.message_timeout,
                "security_profile": command.security_profile,
                "ocpp_interface": "Wired0",
            }
            return (
                call.SetNetworkProfile(
                    configuration_slot=command.configuration_slot, connection_data=connection
                ),
                by_status,
            )
        case c.CertificateSigned():
            return (
                call.CertificateSigned(
                    certificate_chain=command.certificate_chain,
                    certificate_type=command.certificate_type,
                ),
                by_status,
            )
    raise ValueError(f"no OCPP 2.0.1 mapping for {type(command).__name__}")
