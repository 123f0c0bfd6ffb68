"""resetStation, changeAvailability, requestDiagnostics, updateFirmware (tracked): through the domain's
StationCommandService, to a station of the caller's organisation, by an operator who may act."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

import strawberry

from api.context import ApiContext, Info
from api.errors import domain_errors_as, user_errors
from api.types.commands import DiagnosticsRequest, RequestDiagnosticsPayload, StationCommandPayload
from api.types.station_commands import FileTransfer, UpdateFirmwarePayload
from api.uploads import upload_location
from domain.charging import commands as cmd
from domain.common.clock import as_utc, utcnow
from domain.common.errors import DomainError, InvalidInput
from domain.network.models import Station as DomainStation
from domain.network.service import parse_id

UPLOAD_SCHEMES = frozenset({"http", "https", "ftp", "ftps", "sftp"})


def _check_location(location: str) -> str:
    url = urlsplit(location.strip())
    if url.scheme.lower() not in UPLOAD_SCHEMES or not url.netloc:
        raise InvalidInput(
            "location must be an absolute http(s), ftp(s) or sftp URL", field="location"
        )
    return location.strip()


async def _send(
    ctx: ApiContext,
    station_id: str,
    what: str,
    build: Callable[[DomainStation], cmd.StationCommand],
) -> cmd.CommandResult:
    org = ctx.acting_org()
    station = await ctx.deps.network.station_for_org(
        org, parse_id(station_id, field="stationId", what="station")
    )
    command = build(station)
    result = await ctx.deps.commands.send(station.charge_point_id, command)
    return result.raise_for_status(what)


@domain_errors_as(StationCommandPayload)
async def reset_station(
    info: Info, station_id: strawberry.ID, hard: bool | None = None
) -> StationCommandPayload:
    await _send(info.context, station_id, "reset", lambda _: cmd.Reset(hard=bool(hard)))
    return StationCommandPayload(accepted=True)


@domain_errors_as(StationCommandPayload)
async def change_availability(
    info: Info, station_id: strawberry.ID, available: bool, connector_id: int | None = None
) -> StationCommandPayload:
    def build(station: DomainStation) -> cmd.StationCommand:
        if connector_id and station.connector(connector_id) is None:
            raise InvalidInput(f"the station has no connector {connector_id}", field="connectorId")
        return cmd.ChangeAvailability(available=available, connector_id=connector_id or 0)

    await _send(info.context, station_id, "change availability", build)
    return StationCommandPayload(accepted=True)


@domain_errors_as(UpdateFirmwarePayload)
async def update_firmware(
    info: Info,
    station_id: strawberry.ID,
    location: str,
    retrieve_at: datetime | None = None,
) -> UpdateFirmwarePayload:
    """The update is recorded first with a request id of its own and sent with it (2.0.1
    requestId); the station's FirmwareStatusNotifications move it along to its end (1.6 ones,
    which carry no id, move the station's latest unfinished update): ``station.transfers``."""
    ctx = info.context
    diagnostics = ctx.deps.diagnostics
    when = as_utc(retrieve_at) if retrieve_at else utcnow()
    try:
        target = _check_location(location)
        if diagnostics is None:  # nothing in this process records it: send it all the same
            request_id = secrets.randbelow(2**31 - 1) + 1
            await _send(
                ctx,
                station_id,
                "firmware update",
                lambda _: cmd.UpdateFirmware(target, retrieve_at=when, request_id=request_id),
            )
            return UpdateFirmwarePayload(accepted=True)
        transfer = await diagnostics.create_firmware_update(
            ctx.acting_org(),
            parse_id(station_id, field="stationId", what="station"),
            location=target,
            retrieve_at=when,
        )
        assert transfer.id is not None
        try:
            await _send(
                ctx,
                station_id,
                "firmware update",
                lambda _: cmd.UpdateFirmware(
                    transfer.location, retrieve_at=when, request_id=transfer.request_id
                ),
            )
        except DomainError as error:
            await diagnostics.transfer_refused(transfer.id, error.code)
            raise
    except DomainError as error:
        return UpdateFirmwarePayload(errors=user_errors(error))
    return UpdateFirmwarePayload(accepted=True, update=FileTransfer.from_domain(transfer))


@domain_errors_as(RequestDiagnosticsPayload)
async def request_diagnostics(
    info: Info, station_id: strawberry.ID, location: str | None = None
) -> RequestDiagnosticsPayload:
    """Ask the station to upload its diagnostics to ``location`` (or the configured default). The
    request is recorded first (diagnostics tracks it to completion from the station's status
    notifications) and sent with its requestId."""
    ctx = info.context
    target = location or upload_location(ctx.deps, str(ctx.request.base_url), str(station_id))
    diagnostics = ctx.deps.diagnostics
    if not target:
        raise InvalidInput(
            "no upload location: pass location, or configure a default upload URL",
            field="location",
        )
    if diagnostics is None:
        return await _request_untracked(ctx, station_id, _check_location(target))
    transfer = await diagnostics.create_diagnostics_request(
        ctx.acting_org(),
        parse_id(station_id, field="stationId", what="station"),
        location=_check_location(target),
    )
    assert transfer.id is not None
    try:
        result = await _send(
            ctx,
            station_id,
            "diagnostics request",
            lambda _: cmd.RequestDiagnostics(
                location=transfer.location, request_id=transfer.request_id
            ),
        )
    except DomainError as error:
        await diagnostics.transfer_refused(transfer.id, error.code)
        raise
    file_name = result.data.get("file_name") or result.data.get("fileName")
    if file_name:
        transfer = await diagnostics.record_file_name(transfer.id, str(file_name))
    return RequestDiagnosticsPayload(request=DiagnosticsRequest.from_domain(transfer))


async def _request_untracked(
    ctx: ApiContext, station_id: str, target: str
) -> RequestDiagnosticsPayload:
    """Without diagnostics in this process nothing records the request: send it all the same."""
    request_id = secrets.randbelow(2**31 - 1) + 1
    result = await _send(
        ctx,
        station_id,
        "diagnostics request",
        lambda _: cmd.RequestDiagnostics(location=target, request_id=request_id),
    )
    file_name = result.data.get("file_name") or result.data.get("fileName")
    return RequestDiagnosticsPayload(
        request=DiagnosticsRequest(
            id=strawberry.ID(str(request_id)),
            status="REQUESTED",
            file_name=str(file_name) if file_name else None,
            location=target,
            requested_at=utcnow(),
        )
    )
