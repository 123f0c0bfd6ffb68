"""unlockConnector, triggerMessage, getVariables, setVariables, requestStationReport,
setChargingProfile, clearChargingProfile: through the domain's StationCommandService, to a station
of the caller's organisation, by an operator who may act (admins and operators, never viewers).

The station's answer is ``status``. ACCEPTED and REJECTED are answers and come without errors;
OFFLINE, TIMED_OUT, NOT_SUPPORTED and FAILED also carry an error saying why nothing was done."""

from __future__ import annotations

import strawberry

from api.context import ApiContext, Info
from api.errors import UserError, user_errors
from api.types.station_commands import (
    ChargingProfile,
    ChargingProfileInput,
    CommandPayload,
    GetVariableResult,
    GetVariablesPayload,
    RequestStationReportPayload,
    SetChargingProfilePayload,
    SetVariableResult,
    SetVariablesPayload,
    StationReportRequest,
    TriggerMessageInput,
    VariableRefInput,
    VariableValueInput,
    command_status,
)
from domain.charging.commands import CommandResult, CommandStatus
from domain.charging.profiles import ChargingProfileSpec, ProfilePurpose, SchedulePeriod
from domain.common.clock import as_utc
from domain.common.errors import DomainError
from domain.network.device_model import ReportKind, VariableSetting
from domain.network.models import Station as DomainStation
from domain.network.service import parse_id

ANSWERS = frozenset({CommandStatus.ACCEPTED, CommandStatus.REJECTED})


async def _station(ctx: ApiContext, station_id: str) -> DomainStation:
    org = ctx.acting_org()
    return await ctx.deps.network.station_for_org(
        org, parse_id(station_id, field="stationId", what="station")
    )


def _errors(result: CommandResult, what: str) -> list[UserError]:
    """Why a command got no answer to show; nothing for ACCEPTED and REJECTED."""
    if result.status in ANSWERS:
        return []
    try:
        result.raise_for_status(what)
    except DomainError as error:
        return user_errors(error)
    return []


def _payload(result: CommandResult, what: str) -> CommandPayload:
    return CommandPayload(status=result.status, errors=_errors(result, what))


async def unlock_connector(
    info: Info, station_id: strawberry.ID, connector_id: int
) -> CommandPayload:
    ctx = info.context
    try:
        station = await _station(ctx, station_id)
        result = await ctx.deps.commands.unlock_connector(station, connector_id)
    except DomainError as error:
        return CommandPayload(errors=user_errors(error))
    return _payload(result, "unlock connector")


async def trigger_message(info: Info, input: TriggerMessageInput) -> CommandPayload:
    ctx = info.context
    try:
        station = await _station(ctx, input.station_id)
        result = await ctx.deps.commands.trigger_message(station, input.message, input.connector_id)
    except DomainError as error:
        return CommandPayload(errors=user_errors(error))
    return _payload(result, "trigger message")


async def get_variables(
    info: Info, station_id: strawberry.ID, variables: list[VariableRefInput]
) -> GetVariablesPayload:
    ctx = info.context
    try:
        station = await _station(ctx, station_id)
        results = await ctx.deps.commands.get_variables(station, [v.to_domain() for v in variables])
    except DomainError as error:
        return GetVariablesPayload(errors=user_errors(error))
    return GetVariablesPayload(results=[GetVariableResult.from_domain(r) for r in results])


async def set_variables(
    info: Info, station_id: strawberry.ID, variables: list[VariableValueInput]
) -> SetVariablesPayload:
    ctx = info.context
    try:
        station = await _station(ctx, station_id)
        results = await ctx.deps.commands.set_variables(
            station, [VariableSetting(v.to_domain(), v.value) for v in variables]
        )
    except DomainError as error:
        return SetVariablesPayload(errors=user_errors(error))
    return SetVariablesPayload(results=[SetVariableResult.from_domain(r) for r in results])


async def request_station_report(
    info: Info, station_id: strawberry.ID, report: ReportKind
) -> RequestStationReportPayload:
    """2.0.1 GetBaseReport with a request id of its own (its NotifyReport parts are kept on the
    request: ``station.reportRequest(requestId)``); 1.6 GetConfiguration, kept at once."""
    ctx = info.context
    try:
        station = await _station(ctx, station_id)
        request = await ctx.deps.commands.request_report(station, report)
    except DomainError as error:
        return RequestStationReportPayload(errors=user_errors(error))
    status = command_status(request.status)
    errors = (
        _errors(CommandResult(status, request.detail), "station report")
        if status is not None
        else []
    )
    return RequestStationReportPayload(
        status=status,
        request_id=request.request_id,
        request=StationReportRequest.from_domain(request),
        errors=errors,
    )


async def set_charging_profile(
    info: Info, station_id: strawberry.ID, input: ChargingProfileInput
) -> SetChargingProfilePayload:
    ctx = info.context
    spec = ChargingProfileSpec(
        connector_id=input.connector_id,
        purpose=input.purpose,
        kind=input.kind,
        rate_unit=input.charging_rate_unit,
        periods=tuple(
            SchedulePeriod(p.start_period_seconds, p.limit, p.number_phases) for p in input.periods
        ),
        stack_level=input.stack_level,
        valid_from=as_utc(input.valid_from) if input.valid_from else None,
        valid_to=as_utc(input.valid_to) if input.valid_to else None,
        transaction_id=input.transaction_id,
        recurrency=input.recurrency,
        duration_seconds=input.duration_seconds,
        start_schedule=as_utc(input.start_schedule) if input.start_schedule else None,
    )
    try:
        station = await _station(ctx, station_id)
        result, profile_id = await ctx.deps.commands.set_charging_profile(station, spec)
    except DomainError as error:
        return SetChargingProfilePayload(errors=user_errors(error))
    profile = ChargingProfile(
        id=profile_id,
        connector_id=spec.connector_id,
        purpose=spec.purpose,
        stack_level=spec.stack_level,
    )
    return SetChargingProfilePayload(
        status=result.status,
        profile=profile if result.accepted else None,
        errors=_errors(result, "set charging profile"),
    )


async def clear_charging_profile(
    info: Info,
    station_id: strawberry.ID,
    profile_id: int | None = None,
    connector_id: int | None = None,
    purpose: ProfilePurpose | None = None,
) -> CommandPayload:
    ctx = info.context
    try:
        station = await _station(ctx, station_id)
        result = await ctx.deps.commands.clear_charging_profile(
            station, profile_id=profile_id, connector_id=connector_id, purpose=purpose
        )
    except DomainError as error:
        return CommandPayload(errors=user_errors(error))
    return _payload(result, "clear charging profile")
