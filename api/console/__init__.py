"""The operator console: a browser app (HTML, plain ES modules, vendored libraries; no build step)
served at ``/`` beside ``/graphql``. It speaks only the public GraphQL API and its subscriptions, so
whatever it does a customer's own client can do. Its files are package data (pyproject.toml)."""

from __future__ import annotations

from pathlib import Path

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

STATIC = Path(__file__).resolve().parent / "static"

# Everything the console loads comes from laddnet itself; the API is on the same origin.
CSP = (
    "default-src 'self'; connect-src 'self'; img-src 'self' data: blob:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)


class ConsoleFiles(StaticFiles):
    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers["Cache-Control"] = "no-cache"  # revalidate: an upgrade shows at once
        return response


def console_files() -> ConsoleFiles:
    return ConsoleFiles(directory=STATIC, html=True)
