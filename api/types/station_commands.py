"""Station commands with the station's answer as ``status``, variables of the device model,
report requests, charging profiles and firmware updates at the edge."""

from __future__ import annotations

from datetime import datetime

import strawberry

from api.errors import UserError
from api.types.common import PageInfo, utc
from domain.charging.commands import CommandStatus, Trigger
from domain.charging.profiles import ProfileKind, ProfilePurpose, RateUnit, Recurrency
from domain.charging.variables import VariableResult, VariableStatus
from domain.diagnostics.models import FileTransfer as DomainFileTransfer
from domain.diagnostics.transfers import TransferKind
from domain.network.device_model import Mutability, ReportKind, VariableRef
from domain.network.models import ReportRequest
from domain.network.models import StationVariable as DomainStationVariable

strawberry.enum(
    CommandStatus,
    name="CommandStatus",
    description="The station's answer: ACCEPTED, REJECTED or NOT_SUPPORTED; OFFLINE and "
    "TIMED_OUT when it gave none; FAILED when it answered with an error.",
)
strawberry.enum(Trigger, name="TriggerMessageKind")
strawberry.enum(VariableStatus, name="VariableStatus")
strawberry.enum(Mutability, name="VariableMutability")
strawberry.enum(ReportKind, name="StationReportKind")
strawberry.enum(ProfilePurpose, name="ChargingProfilePurpose")
strawberry.enum(ProfileKind, name="ChargingProfileKind")
strawberry.enum(RateUnit, name="ChargingRateUnit")
strawberry.enum(Recurrency, name="RecurrencyKind")
strawberry.enum(TransferKind, name="FileTransferKind")


@strawberry.type
class CommandPayload:
    """``status`` is set once the command was sent; ``errors`` say why it got no answer (offline,
    timed out, not supported) or was not sent (not found, invalid input, forbidden)."""

    status: CommandStatus | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class TriggerMessageInput:
    station_id: strawberry.ID
    message: Trigger
    connector_id: int | None = None


@strawberry.input
class VariableRefInput:
    component: str
    variable: str
    instance: str | None = strawberry.field(default=None, description="The component's instance")
    evse_id: int | None = None
    connector_id: int | None = None
    variable_instance: str | None = None

    def to_domain(self) -> VariableRef:
        return VariableRef(
            component=self.component,
            variable=self.variable,
            component_instance=self.instance,
            evse_id=self.evse_id,
            connector_id=self.connector_id,
            variable_instance=self.variable_instance,
        )


@strawberry.input
class VariableValueInput(VariableRefInput):
    value: str = ""


def _ref_fields(ref: VariableRef) -> dict[str, object]:
    return {
        "component": ref.component,
        "instance": ref.component_instance,
        "evse_id": ref.evse_id,
        "connector_id": ref.connector_id,
        "variable": ref.variable,
        "variable_instance": ref.variable_instance,
    }


@strawberry.type
class GetVariableResult:
    component: str
    instance: str | None
    evse_id: int | None
    connector_id: int | None
    variable: str
    variable_instance: str | None
    value: str | None
    status: VariableStatus

    @classmethod
    def from_domain(cls, r: VariableResult) -> GetVariableResult:
        return cls(**_ref_fields(r.ref), value=r.value, status=r.status)  # type: ignore[arg-type]


@strawberry.type
class SetVariableResult:
    component: str
    instance: str | None
    evse_id: int | None
    connector_id: int | None
    variable: str
    variable_instance: str | None
    status: VariableStatus = strawberry.field(
        description="ACCEPTED also when the new value takes effect after a reboot"
    )
    reboot_required: bool

    @classmethod
    def from_domain(cls, r: VariableResult) -> SetVariableResult:
        status = VariableStatus.ACCEPTED if r.reboot_required else r.status
        return cls(
            **_ref_fields(r.ref),  # type: ignore[arg-type]
            status=status,
            reboot_required=r.reboot_required,
        )


@strawberry.type
class GetVariablesPayload:
    results: list[GetVariableResult] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class SetVariablesPayload:
    results: list[SetVariableResult] = strawberry.field(default_factory=list)
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type(description="A setting of the station as it last reported it.")
class StationVariable:
    component: str
    instance: str | None
    evse_id: int | None
    connector_id: int | None
    variable: str
    variable_instance: str | None
    value: str | None
    mutability: Mutability | None
    unit: str | None
    data_type: str | None
    reported_at: datetime
    request_id: int | None

    @classmethod
    def from_domain(cls, v: DomainStationVariable) -> StationVariable:
        try:
            mutability = Mutability(v.mutability) if v.mutability else None
        except ValueError:
            mutability = None
        return cls(
            component=v.component,
            instance=v.component_instance,
            evse_id=v.evse_id,
            connector_id=v.connector_id,
            variable=v.variable,
            variable_instance=v.variable_instance,
            value=v.value,
            mutability=mutability,
            unit=v.unit,
            data_type=v.data_type,
            reported_at=utc(v.reported_at),  # type: ignore[arg-type]
            request_id=v.request_id,
        )


@strawberry.type
class StationVariableEdge:
    cursor: str
    node: StationVariable


@strawberry.type
class StationVariableConnection:
    total_count: int
    edges: list[StationVariableEdge]
    page_info: PageInfo


@strawberry.type
class ReportPart:
    seq_no: int
    more_to_come: bool
    generated_at: datetime
    received_at: datetime
    variables: int


def command_status(value: str) -> CommandStatus | None:
    try:
        return CommandStatus(value)
    except ValueError:
        return None  # requested (no answer yet) or unasked (parts of a report nobody asked for)


@strawberry.type(description="A device-model report asked of a station, and the parts it sent.")
class StationReportRequest:
    request_id: int
    report: ReportKind | None
    status: CommandStatus | None
    requested_at: datetime
    parts: list[ReportPart]
    complete: bool
    completed_at: datetime | None

    @classmethod
    def from_domain(cls, r: ReportRequest) -> StationReportRequest:
        return cls(
            request_id=r.request_id,
            report=ReportKind(r.report) if r.report else None,
            status=command_status(r.status),
            requested_at=utc(r.requested_at),  # type: ignore[arg-type]
            parts=[
                ReportPart(
                    seq_no=p.seq_no,
                    more_to_come=p.tbc,
                    generated_at=utc(p.generated_at),  # type: ignore[arg-type]
                    received_at=utc(p.received_at),  # type: ignore[arg-type]
                    variables=p.variables,
                )
                for p in sorted(r.parts, key=lambda p: p.seq_no)
            ],
            complete=r.complete,
            completed_at=utc(r.completed_at),
        )


@strawberry.type
class RequestStationReportPayload:
    status: CommandStatus | None = None
    request_id: int | None = None
    request: StationReportRequest | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.input
class ChargingSchedulePeriodInput:
    start_period_seconds: int
    limit: float = strawberry.field(description="In the profile's chargingRateUnit: W or A")
    number_phases: int | None = None


@strawberry.input
class ChargingProfileInput:
    connector_id: int = strawberry.field(description="0: the whole station")
    purpose: ProfilePurpose
    charging_rate_unit: RateUnit
    periods: list[ChargingSchedulePeriodInput]
    stack_level: int = 0
    kind: ProfileKind = ProfileKind.ABSOLUTE
    recurrency: Recurrency | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    transaction_id: str | None = None
    duration_seconds: int | None = None
    start_schedule: datetime | None = None


@strawberry.type
class ChargingProfile:
    id: int
    connector_id: int
    purpose: ProfilePurpose
    stack_level: int


@strawberry.type
class SetChargingProfilePayload:
    status: CommandStatus | None = None
    profile: ChargingProfile | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FileTransferStep:
    status: str
    at: datetime
    reported: str | None


def _upper(value: str) -> str:
    return "".join("_" + c if c.isupper() and i else c for i, c in enumerate(value)).upper()


@strawberry.type(description="A firmware update or diagnostics upload, followed to its end.")
class FileTransfer:
    id: strawberry.ID
    kind: TransferKind
    request_id: int
    status: str = strawberry.field(
        description="REQUESTED, DOWNLOADING, DOWNLOADED, INSTALLING, INSTALLED, DOWNLOAD_FAILED, "
        "INSTALLATION_FAILED (firmware); UPLOADING, UPLOADED, UPLOAD_FAILED (diagnostics)"
    )
    finished: bool
    location: str
    file_name: str | None
    requested_at: datetime
    retrieve_at: datetime | None
    updated_at: datetime
    history: list[FileTransferStep]

    @classmethod
    def from_domain(cls, t: DomainFileTransfer) -> FileTransfer:
        return cls(
            id=strawberry.ID(str(t.id)),
            kind=t.kind,
            request_id=t.request_id,
            status=_upper(t.status.value),
            finished=t.finished,
            location=t.location,
            file_name=t.file_name,
            requested_at=utc(t.requested_at),  # type: ignore[arg-type]
            retrieve_at=utc(t.retrieve_at),
            updated_at=utc(t.updated_at),  # type: ignore[arg-type]
            history=[
                FileTransferStep(status=_upper(h.status.value), at=utc(h.at), reported=h.reported)  # type: ignore[arg-type]
                for h in t.history
            ],
        )


@strawberry.type
class UpdateFirmwarePayload:
    accepted: bool = False
    update: FileTransfer | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)
