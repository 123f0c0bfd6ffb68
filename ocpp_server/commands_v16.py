"""Domain station commands in OCPP 1.6J: build the call, read the answer into a CommandResult."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ocpp.v16 import call

from domain.charging import commands as c
from domain.charging.commands import CommandResult, CommandStatus
from ocpp_server.wire import PROFILE_TIMES, iso, iso_or_none, wire_time

Interpret = Callable[[Any], CommandResult]
ACCEPTED_WORDS = frozenset(
    {"Accepted", "AcceptedCanceled", "Unlocked", "Scheduled", "RebootRequired"}
)


def by_status(response: Any, **data: Any) -> CommandResult:
    status = str(getattr(response, "status", ""))
    ok = status in ACCEPTED_WORDS
    return CommandResult(
        CommandStatus.ACCEPTED if ok else CommandStatus.REJECTED,
        detail=None if status == "Accepted" else status,
        data=data,
    )


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
    return out


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
            return (
                call.TriggerMessage(
                    requested_message=command.message, connector_id=command.connector_id
                ),
                by_status,
            )
        case c.GetConfiguration():
            payload = call.GetConfiguration(key=list(command.keys) or None)

            def configuration(r: Any) -> CommandResult:
                return CommandResult(
                    CommandStatus.ACCEPTED,
                    data={
                        "configuration": [
                            {
                                "key": k.get("key"),
                                "value": k.get("value"),
                                "readonly": k.get("readonly"),
                            }
                            for k in r.configuration_key or []
                        ],
                        "unknown_keys": list(r.unknown_key or []),
                    },
                )

            return payload, configuration
        case c.ChangeConfiguration():
            return call.ChangeConfiguration(key=command.key, value=command.value), by_status
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
                call.ClearChargingProfile(id=command.profile_id, connector_id=command.connector_id),
                by_status,
            )
        case c.CertificateSigned():  # 1.6 Security whitepaper
            return call.CertificateSigned(certificate_chain=command.certificate_chain), by_status
    raise ValueError(f"no OCPP 1.6 mapping for {type(command).__name__}")
