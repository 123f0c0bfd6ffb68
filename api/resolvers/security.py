"""setStationSecurityProfile, rotateStationPassword: OCPP security profiles and keys through the
domain's StationSecurity, for a station of the caller's organisation, by an operator who may act.
The station's answer is ``status``; the raise or the new key is confirmed by its next connection."""

from __future__ import annotations

import strawberry

from api.context import ApiContext, Info
from api.errors import user_errors
from api.resolvers.station_commands import _payload, _station
from api.types.station_commands import CommandPayload
from domain.common.errors import DomainError
from domain.security.service import StationSecurity


def _security(ctx: ApiContext) -> StationSecurity:
    security = ctx.deps.security
    if security is None:
        raise RuntimeError("StationSecurity is not wired")
    return security


async def set_station_security_profile(
    info: Info, station_id: strawberry.ID, profile: int
) -> CommandPayload:
    try:
        station = await _station(info.context, station_id)
        result = await _security(info.context).raise_profile(station, profile)
    except DomainError as error:
        return CommandPayload(errors=user_errors(error))
    return _payload(result, "security profile change")


async def rotate_station_password(info: Info, station_id: strawberry.ID) -> CommandPayload:
    try:
        station = await _station(info.context, station_id)
        result = await _security(info.context).rotate_key(station)
    except DomainError as error:
        return CommandPayload(errors=user_errors(error))
    return _payload(result, "key rotation")
