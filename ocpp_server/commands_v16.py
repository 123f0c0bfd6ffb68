"""Domain station commands in OCPP 1.6J: build the call, read the answer into a CommandResult.

A builder raises NotImplementedError for what 1.6 has no message for (the gateway answers
NOT_SUPPORTED). Variables are configuration keys: a variable's name is the key, its component is
not sent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpp.v16 import call

from domain.charging import commands as c
from domain.charging.commands import CommandResult, CommandStatus
from domain.charging.variables import ref_row
from ocpp_server.wire import PROFILE_TIMES, iso, iso_or_none, wire_time

Interpret = Callable[[Any], CommandResult]
ACCEPTED_WORDS = frozenset(
    {"Accepted", "AcceptedCanceled", "Unlocked", "Scheduled", "RebootRequired"}
)


NOT_SUPPORTED_WORDS = frozenset({"NotSupported", "NotImplemented"})


def by_status(response: Any, **data: Any) -> CommandResult:
    status = str(getattr(response, "status", ""))
    if status in ACCEPTED_WORDS:
        outcome = CommandStatus.ACCEPTED
    elif status in NOT_SUPPORTED_WORDS:
        outcome = CommandStatus.NOT_SUPPORTED
    else:
        outcome = CommandStatus.REJECTED
    return CommandResult(outcome, detail=None if status == "Accepted" else status, data=data)


def schedule_times(schedule: dict[str, Any]) -> dict[str, Any]:
    """A schedule or profile with its dateTimes written as laddnet writes every dateTime."""
    return {
        k: wire_time(v) if k in PROFILE_TIMES and v is not None else v for k, v in schedule.items()
    }


def profile_16(profile: dict[str, Any]) -> dict[str, Any]:
    """The domain's neutral profile (id, stackLevel, purpose, kind, schedule) as csChargingProfiles."""
    purpose = profile.get("purpose", "TxDefaultProfile")
    if purpose == "ChargingStationMaxProfile":
        purpose = "ChargePointMaxProfile"
    out: dict[str, Any] = {
        "charging_profile_id": profile["id"],
        "stack_level": profile.get("stackLevel", 0),
        "charging_profile_purpose": purpose,
        "charging_profile_kind": profile.get("kind", "Absolute"),
        "charging_schedule": schedule_times(profile["schedule"]),
    }
    if "transactionId" in profile:
        out["transaction_id"] = int(profile["transactionId"])
    for key, name in (
        ("recurrencyKind", "recurrency_kind"),
        ("validFrom", "valid_from"),
        ("validTo", "valid_to"),
    ):
        if key in profile:
            out[name] = profile[key]
    return out


def purpose_16(purpose: str | None) -> str | None:
    return "ChargePointMaxProfile" if purpose == "ChargingStationMaxProfile" else purpose


def _configuration(r: Any) -> CommandResult:
    return CommandResult(
        CommandStatus.ACCEPTED,
        data={
            "configuration": [
                {"key": k.get("key"), "value": k.get("value"), "readonly": k.get("readonly")}
                for k in r.configuration_key or []
            ],
            "unknown_keys": list(r.unknown_key or []),
        },
    )


def _get_variables(command: c.GetVariables) -> tuple[Any, Interpret]:
    keys = list(dict.fromkeys(ref.variable for ref in command.variables))

    def interpret(r: Any) -> CommandResult:
        values = {k.get("key"): k.get("value") for k in r.configuration_key or []}
        unknown = set(r.unknown_key or [])
        rows = []
        for ref in command.variables:
            if ref.variable in values:
                rows.append(ref_row(ref, status="Accepted", value=values[ref.variable]))
            elif ref.variable in unknown:
                rows.append(ref_row(ref, status="UnknownVariable"))
        return CommandResult(CommandStatus.ACCEPTED, data={"results": rows})

    return call.GetConfiguration(key=keys), interpret


def _set_variable(command: c.SetVariables) -> tuple[Any, Interpret]:
    if len(command.variables) != 1:
        raise ValueError("OCPP 1.6 ChangeConfiguration sets one key at a time")
    setting = command.variables[0]

    def interpret(r: Any) -> CommandResult:
        return CommandResult(
            CommandStatus.ACCEPTED, data={"results": [ref_row(setting.ref, status=r.status)]}
        )

    return call.ChangeConfiguration(key=setting.ref.variable, value=setting.value), interpret


def _trigger(command: c.TriggerMessage) -> Any:
    if command.message == "SignChargingStationCertificate":  # Security whitepaper
        return call.ExtendedTriggerMessage(
            requested_message="SignChargePointCertificate", connector_id=command.connector_id
        )
    if command.message == "TransactionEvent":
        raise NotImplementedError("OCPP 1.6 has no TransactionEvent")
    return call.TriggerMessage(requested_message=command.message, connector_id=command.connector_id)


def build(command: c.StationCommand) -> tuple[Any, Interpret]:
    match command:
        case c.RemoteStart():
            payload = call.RemoteStartTransaction(
                id_tag=command.id_tag,
                connector_id=command.connector_id,
                charging_profile=profile_16(command.charging_profile)
                if command.charging_profile
                else None,
            )
            return payload, by_status
        case c.RemoteStop():
            return call.RemoteStopTransaction(transaction_id=int(command.transaction_id)), by_status
        case c.Reset():
            return call.Reset(type="Hard" if command.hard else "Soft"), by_status
        case c.ChangeAvailability():
            kind = "Operative" if command.available else "Inoperative"
            return call.ChangeAvailability(connector_id=command.connector_id, type=kind), by_status
        case c.UnlockConnector():
            return call.UnlockConnector(connector_id=command.connector_id), by_status
        case c.TriggerMessage():
            return _trigger(command), by_status
        case c.GetConfiguration():
            return call.GetConfiguration(key=list(command.keys) or None), _configuration
        case c.ChangeConfiguration():
            return call.ChangeConfiguration(key=command.key, value=command.value), by_status
        case c.GetVariables():
            return _get_variables(command)
        case c.SetVariables():
            return _set_variable(command)
        case c.GetReport():  # 1.6 has no report kinds: every configuration key, answered at once
            return call.GetConfiguration(), _configuration
        case c.RequestDiagnostics():
            payload = call.GetDiagnostics(
                location=command.location,
                start_time=iso_or_none(command.start_time),
                stop_time=iso_or_none(command.stop_time),
            )
            return payload, lambda r: CommandResult(
                CommandStatus.ACCEPTED, data={"file_name": r.file_name}
            )
        case c.UpdateFirmware():
            payload = call.UpdateFirmware(
                location=command.location,
                retrieve_date=iso(command.retrieve_at),
                retries=command.retries,
            )
            return payload, lambda r: CommandResult(CommandStatus.ACCEPTED)
        case c.SetChargingProfile():
            return (
                call.SetChargingProfile(
                    connector_id=command.connector_id,
                    cs_charging_profiles=profile_16(command.profile),
                ),
                by_status,
            )
        case c.ClearChargingProfile():
            return (
                call.ClearChargingProfile(
                    id=command.profile_id,
                    connector_id=command.connector_id,
                    charging_profile_purpose=purpose_16(command.purpose),
                    stack_level=command.stack_level,
                ),
                by_status,
            )
        case c.CertificateSigned():  # 1.6 Security whitepaper
            return call.CertificateSigned(certificate_chain=command.certificate_chain), by_status
    raise ValueError(f"no OCPP 1.6 mapping for {type(command).__name__}")
