"""Reports over plain HTTP, for people who would rather look than read: CSV exports and SVG charts,
with the same authorisation as GraphQL (``Authorization: Bearer <accessToken>`` of an operator).

GET /reports/usage.csv|usage.svg ?from=&to=&groupBy=DAY[&siteId=]
GET /reports/peak-hours.csv|peak-hours.svg ?from=&to=[&siteId=][&stationId=]
GET /reports/bottlenecks.csv ?from=&to=
``from``/``to`` are ISO 8601 dates or date-times: with an offset, that instant; a date is local
midnight in the report's time zone (the site's, else the one the organisation's sites share, else
UTC), and a date-time without an offset is that wall-clock time there.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from beanie import PydanticObjectId
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from api.context import bearer_token
from api.deps import ApiDependencies
from domain.common.errors import DomainError, InvalidInput, Unauthenticated
from domain.network.service import parse_id
from domain.reporting import export
from domain.reporting.arithmetic import parse_bound
from domain.reporting.service import ReportingService

log = logging.getLogger("api")

STATUS = {
    "UNAUTHENTICATED": 401,
    "INVALID_TOKEN": 401,
    "FORBIDDEN": 403,
    "NOT_FOUND": 404,
    "SITE_NOT_FOUND": 404,
    "STATION_NOT_FOUND": 404,
    "INVALID_INPUT": 400,
    "UNAVAILABLE": 503,
}
CSV = "text/csv; charset=utf-8"
SVG = "image/svg+xml"

Handler = Callable[[ReportingService, PydanticObjectId, Request], Awaitable[Response]]


async def _range(
    svc: ReportingService, org: PydanticObjectId, request: Request, site: PydanticObjectId | None
) -> tuple[datetime, datetime]:
    zone = await svc.timezone(org, site)
    bounds = []
    for name in ("from", "to"):
        raw = request.query_params.get(name)
        if raw is None:
            raise InvalidInput(f"{name} is required (an ISO 8601 date or date-time)", field=name)
        try:
            bounds.append(parse_bound(raw, zone, name))
        except ValueError as error:
            raise InvalidInput(str(error), field=name) from None
    return bounds[0], bounds[1]


def _id(request: Request, name: str, what: str) -> PydanticObjectId | None:
    raw = request.query_params.get(name)
    return parse_id(raw, field=name, what=what) if raw else None


class _Unavailable(DomainError):
    code = "UNAVAILABLE"


def _endpoint(deps: ApiDependencies, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            token = bearer_token(request.headers.get("authorization"))
            if token is None:
                raise Unauthenticated("send Authorization: Bearer <accessToken>")
            principal = await deps.identity.authenticate(token)
            org = principal.reading_org()
            if deps.reporting is None:
                raise _Unavailable("reporting is not running in this process")
            return await handler(deps.reporting, org, request)
        except DomainError as error:
            body = {"code": error.code, "field": error.field, "message": error.message}
            return JSONResponse(body, status_code=STATUS.get(error.code, 400))

    return endpoint


def _file(content: str, media: str, name: str) -> Response:
    headers = {"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "no-store"}
    return Response(content, media_type=media, headers=headers)


async def _usage(svc: ReportingService, org: PydanticObjectId, request: Request) -> Response:
    return await _usage_as(svc, org, request, svg=False)


async def _usage_svg(svc: ReportingService, org: PydanticObjectId, request: Request) -> Response:
    return await _usage_as(svc, org, request, svg=True)


async def _usage_as(
    svc: ReportingService, org: PydanticObjectId, request: Request, *, svg: bool
) -> Response:
    site = _id(request, "siteId", "site")
    start, end = await _range(svc, org, request, site)
    report = await svc.usage_report(
        org, start, end, request.query_params.get("groupBy", "DAY"), site
    )
    if svg:
        return _file(export.usage_trend_svg(report), SVG, "usage.svg")
    return _file(export.usage_csv(report), CSV, "usage.csv")


async def _peak(svc: ReportingService, org: PydanticObjectId, request: Request) -> Response:
    site = _id(request, "siteId", "site")
    start, end = await _range(svc, org, request, site)
    grid = await svc.peak_hours(
        org, start, end, site_id=site, station_id=_id(request, "stationId", "station")
    )
    if request.url.path.endswith(".svg"):
        return _file(export.peak_hours_svg(grid), SVG, "peak-hours.svg")
    return _file(export.peak_hours_csv(grid), CSV, "peak-hours.csv")


async def _bottlenecks(svc: ReportingService, org: PydanticObjectId, request: Request) -> Response:
    start, end = await _range(svc, org, request, None)
    found = await svc.bottlenecks(org, start, end)
    return _file(export.bottlenecks_csv(found), CSV, "bottlenecks.csv")


def report_routes(deps: ApiDependencies) -> list[Route]:
    return [
        Route("/reports/usage.csv", _endpoint(deps, _usage), methods=["GET"]),
        Route("/reports/usage.svg", _endpoint(deps, _usage_svg), methods=["GET"]),
        Route("/reports/peak-hours.csv", _endpoint(deps, _peak), methods=["GET"]),
        Route("/reports/peak-hours.svg", _endpoint(deps, _peak), methods=["GET"]),
        Route("/reports/bottlenecks.csv", _endpoint(deps, _bottlenecks), methods=["GET"]),
    ]
