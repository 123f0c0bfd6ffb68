"""The starlette application: POST /graphql, subscriptions on ws /graphql, GET /healthz, and the
operator console's files at / (api/console)."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from api.bodylimit import BodyLimit
from api.console import console_files
from api.deps import ApiDependencies, ApiLimits
from api.graphiql import asset_routes
from api.reports_http import report_routes
from api.schema import build_schema
from api.uploads import UPLOAD_PATH, upload_routes
from api.view import LaddnetGraphQL
from api.webhooks import stripe_webhook

__all__ = ["ApiDependencies", "ApiLimits", "create_app"]

log = logging.getLogger("api")
UPLOAD_FORM_OVERHEAD = 65_536  # a multipart form around an upload of at most the upload bound


def create_app(
    deps: ApiDependencies, *, share_subscriptions: bool = True, subscription_queue_size: int = 1000
) -> Starlette:
    """The app. Identical subscriptions share one execution (api/shared_subscriptions.py) unless
    ``share_subscriptions`` is off; a subscriber more than ``subscription_queue_size`` results
    behind is dropped with a SLOW_CONSUMER error. The sharing hub is ``app.state.shared_subscriptions``
    (None when off)."""
    limits = deps.limits
    schema = build_schema(limits, introspection=deps.introspection)
    graphql = LaddnetGraphQL(
        schema,
        deps,
        graphql_ide="graphiql" if deps.introspection else None,
        allow_queries_via_get=False,
        subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        connection_init_wait_timeout=timedelta(seconds=limits.connection_init_timeout),
        max_subscriptions_per_connection=limits.max_subscriptions_per_connection,
        share_subscriptions=share_subscriptions,
        subscription_queue_size=subscription_queue_size,
    )

    async def healthz(request: Request) -> JSONResponse:
        try:
            report = dict(await asyncio.wait_for(deps.health_check(), limits.health_timeout))
        except TimeoutError:  # a stalled MongoDB never answers: say so, do not hang
            log.warning("health check: no answer within %.1f s", limits.health_timeout)
            report = {"status": "error", "mongodb": f"no answer within {limits.health_timeout} s"}
        except Exception:
            log.exception("health check failed")
            report = {"status": "error", "mongodb": "unknown"}
        report.setdefault("status", "ok")
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    app = Starlette(
        routes=[
            Route("/healthz", healthz, methods=["GET"]),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            Route("/webhooks/stripe", stripe_webhook(deps), methods=["POST"]),
            WebSocketRoute("/graphql", graphql),
            *report_routes(deps),
            *upload_routes(deps),
            *(asset_routes() if deps.introspection else []),
            Mount("/", app=console_files(), name="console"),  # last: every other route first
        ],
        middleware=[
            Middleware(
                BodyLimit,
                limit=limits.max_body_bytes,
                # stations' diagnostics files have their own bound (and room for a multipart form)
                per_path={UPLOAD_PATH: deps.upload_max_bytes + UPLOAD_FORM_OVERHEAD},
            )
        ],
    )
    if deps.cors_origins:
        # Browser consoles on other origins: bearer tokens, not cookies, so no credentials.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(deps.cors_origins),
            allow_methods=["GET", "POST", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Content-Disposition"],
            max_age=600,
        )
    app.state.shared_subscriptions = graphql.shared
    return app
