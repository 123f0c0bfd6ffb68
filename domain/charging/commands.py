"""Commands from the CSMS to a station, independent of OCPP version, and the service that sends them.

The domain says *what* to ask; a ``StationGateway`` (the OCPP server, or a relay to the node that
holds the station's connection) says it in the station's OCPP version and reports the outcome.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

from domain.common.errors import CommandRejected, CommandTimedOut, StationOffline


class CommandStatus(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    OFFLINE = "offline"
    TIMED_OUT = "timed_out"
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
    """The one way the rest of laddnet talks to stations."""

    def __init__(self, gateway: StationGateway) -> None:
        self.gateway = gateway

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        return await self.gateway.send(charge_point_id, command)
