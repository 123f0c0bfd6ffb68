"""Commands from the CSMS to a station, independent of OCPP version, and the service that sends them.

The domain says *what* to ask; a ``StationGateway`` (the OCPP server, or a relay to the node that
holds the station's connection) says it in the station's OCPP version and reports the outcome.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from domain.charging.profiles import ChargingProfileSpec, ProfilePurpose, build_profile
from domain.charging.variables import VariableResult, VariableStatus, match_results
from domain.common.clock import utcnow
from domain.common.errors import (
    CommandRejected,
    CommandTimedOut,
    InvalidInput,
    NotSupported,
    StationOffline,
)
from domain.network.device_model import (
    ReportKind,
    VariableRef,
    VariableSetting,
    check_ref,
    check_value,
    from_configuration,
)
from domain.network.device_model_service import DeviceModel
from domain.network.models import ReportRequest, Station


class CommandStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    OFFLINE = "offline"
    TIMED_OUT = "timed_out"
    NOT_SUPPORTED = "not_supported"  # the station says so, or its OCPP version has no such message
    FAILED = "failed"  # the station answered with a CALLERROR, or the message could not be built


@dataclass(frozen=True)
class CommandResult:
    status: CommandStatus
    detail: str | None = None
    data: dict[str, Any] = field(default_factory=dict)  # e.g. configuration keys, file name

    @property
    def accepted(self) -> bool:
        return self.status is CommandStatus.ACCEPTED

    def raise_for_status(self, what: str) -> CommandResult:
        """Turn anything but ACCEPTED into the matching typed domain error."""
        if self.status is CommandStatus.ACCEPTED:
            return self
        if self.status is CommandStatus.OFFLINE:
            raise StationOffline(f"{what}: the station is offline")
        if self.status is CommandStatus.TIMED_OUT:
            raise CommandTimedOut(f"{what}: the station did not answer in time")
        if self.status is CommandStatus.NOT_SUPPORTED:
            raise NotSupported(f"{what}: {self.detail or 'not supported by the station'}")
        raise CommandRejected(f"{what}: {self.detail or self.status.value}")


@dataclass(frozen=True)
class RemoteStart:
    connector_id: int
    id_tag: str
    remote_start_id: int | None = None  # 2.0.1 remoteStartId
    charging_profile: dict[str, Any] | None = None
    id_token_type: str = "Central"  # 2.0.1 IdTokenEnumType: Central (app), ISO14443 (RFID card)


@dataclass(frozen=True)
class RemoteStop:
    transaction_id: str


@dataclass(frozen=True)
class Reset:
    hard: bool = False


@dataclass(frozen=True)
class ChangeAvailability:
    available: bool
    connector_id: int = 0  # 0: the whole station


@dataclass(frozen=True)
class UnlockConnector:
    connector_id: int  # 1.6 connectorId; 2.0.1 evseId
    evse_connector_id: int = 1  # 2.0.1 only: the connector on that EVSE (1.6 has one per id)


@dataclass(frozen=True)
class TriggerMessage:
    message: str  # OCPP 1.6 MessageTrigger names: BootNotification, Heartbeat, MeterValues, ...
    connector_id: int | None = None  # 1.6 connectorId; 2.0.1 evse.id
    evse_connector_id: int = 1  # 2.0.1 only: evse.connectorId, where the message needs one


@dataclass(frozen=True)
class GetConfiguration:
    keys: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChangeConfiguration:
    key: str
    value: str


@dataclass(frozen=True)
class GetVariables:
    """2.0.1 GetVariables; 1.6 GetConfiguration of the variables' names (the keys)."""

    variables: tuple[VariableRef, ...]


@dataclass(frozen=True)
class SetVariables:
    """2.0.1 SetVariables; 1.6 ChangeConfiguration, which sets one key: exactly one variable."""

    variables: tuple[VariableSetting, ...]


@dataclass(frozen=True)
class GetReport:
    """2.0.1 GetBaseReport, whose parts arrive as NotifyReport with ``request_id``; 1.6
    GetConfiguration of every key, answered at once (``data["configuration"]``)."""

    request_id: int
    report: str = "FullInventory"  # device_model.ReportKind value


@dataclass(frozen=True)
class RequestDiagnostics:
    location: str
    request_id: int = 0
    start_time: datetime | None = None
    stop_time: datetime | None = None


@dataclass(frozen=True)
class UpdateFirmware:
    location: str
    retrieve_at: datetime
    request_id: int = 0
    retries: int | None = None


@dataclass(frozen=True)
class SetChargingProfile:
    connector_id: int
    profile: dict[str, Any]  # OCPP-neutral: id, stackLevel, purpose, kind, schedule


@dataclass(frozen=True)
class ClearChargingProfile:
    profile_id: int | None = None
    connector_id: int | None = None
    purpose: str | None = None  # ChargingStationMaxProfile | TxDefaultProfile | TxProfile
    stack_level: int | None = None


@dataclass(frozen=True)
class SetNetworkProfile:
    """2.0.1 only: a connection profile in a configuration slot (security profile 1-3)."""

    configuration_slot: int
    csms_url: str
    security_profile: int
    message_timeout: int = 30


@dataclass(frozen=True)
class CertificateSigned:
    certificate_chain: str  # PEM
    certificate_type: str | None = None  # 2.0.1 CertificateSigningUseEnumType


StationCommand = (
    RemoteStart
    | RemoteStop
    | Reset
    | ChangeAvailability
    | UnlockConnector
    | TriggerMessage
    | GetConfiguration
    | ChangeConfiguration
    | GetVariables
    | SetVariables
    | GetReport
    | RequestDiagnostics
    | UpdateFirmware
    | SetChargingProfile
    | ClearChargingProfile
    | SetNetworkProfile
    | CertificateSigned
)


class StationGateway(Protocol):
    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult: ...


class StationCommandService:
    """The one way the rest of laddnet talks to stations: ``send`` any command, or one of the
    operator's use cases below, which check what they are asked and keep what the station says
    (its settings in the device model, report requests with unique ids)."""

    def __init__(self, gateway: StationGateway, device_model: DeviceModel | None = None) -> None:
        self.gateway = gateway
        self.device_model = device_model or DeviceModel()

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        return await self.gateway.send(charge_point_id, command)

    async def unlock_connector(self, station: Station, connector_id: int) -> CommandResult:
        _connector(station, connector_id, required=True)
        return await self.send(station.charge_point_id, UnlockConnector(connector_id))

    async def trigger_message(
        self, station: Station, message: Trigger, connector_id: int | None = None
    ) -> CommandResult:
        """Ask the station to send ``message`` now. A 2.0.1 StatusNotification is asked per
        connector (its EVSE and connector are required, F06.FR.13): without ``connector_id``
        every connector of the station is asked, and the result is the first that was not
        accepted, else accepted."""
        _connector(station, connector_id)
        if (
            message is Trigger.STATUS_NOTIFICATION
            and connector_id is None
            and station.ocpp_version != "1.6"
            and station.connectors
        ):
            result = CommandResult(CommandStatus.ACCEPTED)
            for connector in station.connectors:
                one = await self.send(
                    station.charge_point_id, TriggerMessage(message.value, connector.connector_id)
                )
                if not one.accepted:
                    return one
                result = one
            return result
        return await self.send(station.charge_point_id, TriggerMessage(message.value, connector_id))

    async def get_variables(
        self, station: Station, refs: Sequence[VariableRef]
    ) -> list[VariableResult]:
        """Read settings from the station, one result per reference in the order asked; values
        the station confirms also update its stored device model. Raises StationOffline,
        CommandTimedOut, CommandRejected when the station gave no answer to read."""
        checked = _refs(refs)
        result = await self.send(station.charge_point_id, GetVariables(tuple(checked)))
        result.raise_for_status("get variables")
        results = match_results(checked, result.data.get("results"))
        await self.device_model.record_values(
            station, [(r.ref, r.value) for r in results if r.status is VariableStatus.ACCEPTED]
        )
        return results

    async def set_variables(
        self, station: Station, settings: Sequence[VariableSetting]
    ) -> list[VariableResult]:
        """Change settings, one result per setting in the order asked. OCPP 1.6 changes one
        configuration key per ChangeConfiguration, so a 1.6 station gets one call per setting."""
        checked = [
            VariableSetting(r, check_value(s.value))
            for r, s in zip(_refs(settings), settings, strict=True)
        ]
        batches = [[s] for s in checked] if station.ocpp_version == "1.6" else [checked]
        results: list[VariableResult] = []
        for batch in batches:
            result = await self.send(station.charge_point_id, SetVariables(tuple(batch)))
            result.raise_for_status("set variables")
            results += match_results([s.ref for s in batch], result.data.get("results"))
        values = {s.ref: s.value for s in checked}
        await self.device_model.record_values(
            station,
            [(r.ref, values[r.ref]) for r in results if r.status is VariableStatus.ACCEPTED],
        )
        return results

    async def request_report(self, station: Station, report: ReportKind) -> ReportRequest:
        """Ask for the station's device model. The request is recorded first with an id of its
        own; 2.0.1 parts arrive later by NotifyReport and are kept on it; a 1.6 station answers
        GetConfiguration at once, and its keys are kept as the report's one part."""
        request = await self.device_model.new_report_request(station, report)
        result = await self.send(
            station.charge_point_id, GetReport(request_id=request.request_id, report=report.value)
        )
        if result.accepted and "configuration" in result.data:
            rows = from_configuration(result.data["configuration"])
            await self.device_model.record_report(station, rows, request)
        return await self.device_model.report_answered(request, result.status.value, result.detail)

    async def set_charging_profile(
        self, station: Station, spec: ChargingProfileSpec
    ) -> tuple[CommandResult, int]:
        """Send the profile as given (no allocation here); returns the result and its id."""
        _connector(station, spec.connector_id or None)
        profile_id = secrets.randbelow(2**31 - 1) + 1
        command = SetChargingProfile(spec.connector_id, build_profile(spec, profile_id, utcnow()))
        return await self.send(station.charge_point_id, command), profile_id

    async def clear_charging_profile(
        self,
        station: Station,
        *,
        profile_id: int | None = None,
        connector_id: int | None = None,
        purpose: ProfilePurpose | None = None,
    ) -> CommandResult:
        """Clear by id, or every profile matching connector and purpose (all when none given)."""
        if connector_id:
            _connector(station, connector_id)
        if profile_id is not None and profile_id < 1:
            raise InvalidInput("a profile id is 1 or more", field="profileId")
        command = ClearChargingProfile(
            profile_id=profile_id,
            connector_id=connector_id,
            purpose=purpose.value if purpose else None,
        )
        return await self.send(station.charge_point_id, command)


class Trigger(StrEnum):
    """Messages a station can be asked to send; values are the OCPP 1.6 MessageTrigger names
    where 1.6 has the message (the 2.0.1 adapter translates)."""

    BOOT_NOTIFICATION = "BootNotification"
    HEARTBEAT = "Heartbeat"
    STATUS_NOTIFICATION = "StatusNotification"
    METER_VALUES = "MeterValues"
    FIRMWARE_STATUS_NOTIFICATION = "FirmwareStatusNotification"
    LOG_STATUS_NOTIFICATION = "DiagnosticsStatusNotification"  # 2.0.1 LogStatusNotification
    TRANSACTION_EVENT = "TransactionEvent"  # 2.0.1 only
    SIGN_CHARGING_STATION_CERTIFICATE = "SignChargingStationCertificate"  # 1.6: Security whitepaper


MAX_VARIABLES = 50


def _refs(items: Sequence[VariableRef | VariableSetting]) -> list[VariableRef]:
    if not items:
        raise InvalidInput("name at least one variable", field="variables")
    if len(items) > MAX_VARIABLES:
        raise InvalidInput(f"at most {MAX_VARIABLES} variables at once", field="variables")
    refs = [check_ref(i.ref if isinstance(i, VariableSetting) else i) for i in items]
    if len({r.key() for r in refs}) != len(refs):
        raise InvalidInput("a variable is named twice", field="variables")
    return refs


def _connector(station: Station, connector_id: int | None, *, required: bool = False) -> None:
    if connector_id is None and not required:
        return
    if connector_id is None or station.connector(connector_id) is None:
        raise InvalidInput(f"the station has no connector {connector_id}", field="connectorId")
