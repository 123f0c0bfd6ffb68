"""Charging. Drivers: linkIdToken, startCharging, stopCharging, mySessions, sessionProgress.
Operators: remoteStart, remoteStop, sessions. Both: session.

A driver reaches only their own sessions (another driver's is NOT_FOUND); an operator only their
organisation's, and a viewer only reads."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime

import strawberry
from beanie import PydanticObjectId

from api.context import ApiContext, Info
from api.errors import coded_errors, domain_errors_as
from api.types.charging import (
    ChargingSession,
    ChargingSessionConnection,
    ChargingSessionEdge,
    ChargingSessionPayload,
    IdToken,
    LinkIdTokenPayload,
    RemoteStartInput,
    SessionProgress,
    StartChargingInput,
    StartChargingPayload,
)
from api.types.common import Money, PageInfo
from domain.charging import recording
from domain.charging.events import SessionUpdated
from domain.charging.models import ChargingSession as DomainSession
from domain.charging.state import FINAL, SessionStatus
from domain.common.clock import as_utc, utcnow
from domain.common.events import DomainEvent
from domain.common.pagination import Page
from domain.network.service import parse_id


def _session_id(value: str) -> PydanticObjectId:
    return parse_id(value, field="sessionId", what="session")


async def visible_session(ctx: ApiContext, session_id: PydanticObjectId) -> DomainSession:
    """The session if the caller may see it: an operator's organisation's, or a driver's own."""
    principal = ctx.require_principal()
    if principal.is_operator:
        return await ctx.deps.charging.session_for_org(principal.reading_org(), session_id)
    return await ctx.deps.charging.session_for_driver(principal.driver_id(), session_id)


def _connection(page: Page[DomainSession]) -> ChargingSessionConnection:
    return ChargingSessionConnection(
        edges=[
            ChargingSessionEdge(cursor=c, node=ChargingSession.from_domain(s))
            for c, s in page.items
        ],
        page_info=PageInfo(has_next_page=page.has_next_page, end_cursor=page.end_cursor),
        total_count=page.total_count,
    )


# -- drivers ------------------------------------------------------------------------------------


@domain_errors_as(LinkIdTokenPayload)
async def link_id_token(info: Info, id_tag: str) -> LinkIdTokenPayload:
    ctx = info.context
    token = await ctx.deps.charging.link_id_token(ctx.driver_id(), id_tag)
    return LinkIdTokenPayload(id_token=IdToken.from_domain(token))


@domain_errors_as(StartChargingPayload)
async def start_charging(info: Info, input: StartChargingInput) -> StartChargingPayload:
    """A remote start to the station with the driver's app id tag; the session is PENDING until
    the station reports the transaction. (``paymentMethodId`` is for billing, which charges.)"""
    ctx = info.context
    station_id = parse_id(input.station_id, field="stationId", what="station")
    billing = ctx.deps.billing
    if billing is None:
        session = await ctx.deps.charging.start_for_driver(
            ctx.driver_id(), station_id, input.connector_id
        )
    else:  # the payment is held first; only then is the station told to start
        session = await billing.start_paid_session(
            ctx.driver_id(),
            station_id,
            input.connector_id,
            str(input.payment_method_id) if input.payment_method_id else None,
        )
    return StartChargingPayload(session=ChargingSession.from_domain(session))


@domain_errors_as(ChargingSessionPayload)
async def stop_charging(info: Info, session_id: strawberry.ID) -> ChargingSessionPayload:
    """A remote stop; the session ends when the station reports the transaction's end."""
    ctx = info.context
    service = ctx.deps.charging
    session = await service.session_for_driver(ctx.driver_id(), _session_id(session_id))
    session = await service.remote_stop(session)
    return ChargingSessionPayload(session=ChargingSession.from_domain(session))


async def my_sessions(
    info: Info, first: int | None = None, after: str | None = None
) -> ChargingSessionConnection:
    """The driver's sessions, newest first."""
    ctx = info.context
    with coded_errors():
        page = await ctx.deps.charging.sessions_for_driver(
            ctx.driver_id(), first=first, after=after
        )
    return _connection(page)


# -- operators ----------------------------------------------------------------------------------


@domain_errors_as(ChargingSessionPayload)
async def remote_start(info: Info, input: RemoteStartInput) -> ChargingSessionPayload:
    ctx = info.context
    org = ctx.acting_org()
    station = await ctx.deps.network.station_for_org(
        org, parse_id(input.station_id, field="stationId", what="station")
    )
    session = await ctx.deps.charging.remote_start(station, input.connector_id, input.id_tag)
    return ChargingSessionPayload(session=ChargingSession.from_domain(session))


@domain_errors_as(ChargingSessionPayload)
async def remote_stop(info: Info, session_id: strawberry.ID) -> ChargingSessionPayload:
    ctx = info.context
    service = ctx.deps.charging
    session = await service.session_for_org(ctx.acting_org(), _session_id(session_id))
    session = await service.remote_stop(session)
    return ChargingSessionPayload(session=ChargingSession.from_domain(session))


async def sessions(
    info: Info,
    station_id: strawberry.ID | None = None,
    active: bool | None = None,
    first: int | None = None,
    after: str | None = None,
) -> ChargingSessionConnection:
    """The organisation's sessions, newest first; one station's, or only (in)active ones."""
    ctx = info.context
    with coded_errors():
        page = await ctx.deps.charging.sessions_for_org(
            ctx.reading_org(),
            station_id=parse_id(station_id, field="stationId", what="station")
            if station_id
            else None,
            active=active,
            first=first,
            after=after,
        )
    return _connection(page)


# -- both ---------------------------------------------------------------------------------------


async def session(info: Info, id: strawberry.ID) -> ChargingSession:
    with coded_errors():
        found = await visible_session(info.context, parse_id(id, field="id", what="session"))
    return ChargingSession.from_domain(found)


async def _priced(
    ctx: ApiContext, event: SessionUpdated, session: DomainSession | None
) -> SessionProgress:
    """The progress with its cost from billing: the same pricing as the final bill."""
    progress = SessionProgress.from_event(event)
    billing = ctx.deps.billing
    if billing is not None and progress.cost is None:
        with coded_errors():
            if session is not None:
                cost = await billing.session_cost(session)
            elif SessionStatus(event.status) in FINAL:
                ended = await ctx.deps.charging.get_session(_session_id(event.session_id))
                cost = await billing.session_cost(ended)
            else:  # a running update: the pricing context is remembered between updates
                sid = _session_id(event.session_id)
                cost = await billing.live_cost(sid, lambda: ctx.deps.charging.get_session(sid))
        progress.cost = Money.from_domain(cost) if cost else None
    return progress


def _ms(at: datetime) -> datetime:
    """MongoDB keeps milliseconds: compare event times with stored ones at that precision."""
    at = as_utc(at)
    return at.replace(microsecond=at.microsecond // 1000 * 1000)


async def session_progress(
    info: Info, session_id: strawberry.ID
) -> AsyncGenerator[SessionProgress, None]:
    """The session as it is now, then every change until it ends (then the subscription
    completes). For the driver who owns it, or an operator of its organisation."""
    ctx = info.context
    with coded_errors():
        sid = _session_id(session_id)

    def accept(event: DomainEvent) -> bool:
        return isinstance(event, SessionUpdated) and event.session_id == str(sid)

    # subscribe first, then read: a change between the two is in the stream, not lost
    async with ctx.deps.events.subscribe(accept) as stream:
        with coded_errors():
            current = await visible_session(ctx, sid)  # or refused: NOT_FOUND, FORBIDDEN
        yield await _priced(ctx, recording.session_event(current, utcnow()), current)
        if current.status in FINAL:
            return
        seen = _ms(current.updated_at)
        async for event in stream:
            if _ms(event.at) <= seen:
                continue  # the snapshot above already shows it
            assert isinstance(event, SessionUpdated)
            yield await _priced(ctx, event, None)
            if SessionStatus(event.status) in FINAL:
                return
