"""GraphiQL served from laddnet itself: strawberry's GraphiQL page with its scripts and styles
taken from ``api/static/graphiql`` (vendored from the npm registry with their licences; see
``scripts/vendor_graphiql.sh``) instead of a CDN, so the IDE works offline and loads nothing from
a third party. The page keeps its ``integrity`` attributes: the browser checks the local files
against the same sha384 values strawberry pins.

``python -m api.graphiql --check`` verifies the vendored files against those values."""

from __future__ import annotations

import base64
import hashlib
import re
import sys
from pathlib import Path

from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from strawberry.http.ides import get_graphql_ide_html

STATIC_DIR = Path(__file__).parent / "static" / "graphiql"
PREFIX = "/graphiql/static"

# The CDN address strawberry's page uses -> the vendored file.
ASSETS = {
    "https://unpkg.com/react@18.2.0/umd/react.production.min.js": "react.production.min.js",
    "https://unpkg.com/react-dom@18.2.0/umd/react-dom.production.min.js": (
        "react-dom.production.min.js"
    ),
    "https://unpkg.com/js-cookie@3.0.5/dist/js.cookie.min.js": "js.cookie.min.js",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.css": "graphiql.min.css",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/style.css": "plugin-explorer.css",
    "https://unpkg.com/graphiql@3.8.3/graphiql.min.js": "graphiql.min.js",
    "https://unpkg.com/@graphiql/plugin-explorer@1.0.2/dist/index.umd.js": (
        "plugin-explorer.umd.js"
    ),
}


class GraphiQLAssetsOutOfDate(RuntimeError):
    """strawberry's GraphiQL page names assets other than the vendored ones (after an upgrade):
    re-run scripts/vendor_graphiql.sh with the page's versions."""


def local_graphiql_html() -> str:
    """strawberry's GraphiQL page pointing at the vendored assets; no external address remains."""
    html = get_graphql_ide_html(graphql_ide="graphiql")
    for url, name in ASSETS.items():
        if url not in html:
            raise GraphiQLAssetsOutOfDate(f"strawberry's GraphiQL page no longer loads {url}")
        html = html.replace(url, f"{PREFIX}/{name}")
    left = re.findall(r"""(?:src|href)="(https?://[^"]+)\"""", html)
    if left:
        raise GraphiQLAssetsOutOfDate(f"strawberry's GraphiQL page loads {', '.join(left)}")
    return html


def asset_routes() -> list[Mount]:
    return [Mount(PREFIX, app=StaticFiles(directory=STATIC_DIR), name="graphiql-static")]


def check() -> list[str]:
    """Problems with the vendored files: missing, or not matching the page's integrity value."""
    html = get_graphql_ide_html(graphql_ide="graphiql")
    problems = []
    for url, name in ASSETS.items():
        found = re.search(re.escape(url) + r'"\s+integrity="sha384-([^"]+)"', html)
        path = STATIC_DIR / name
        if not path.exists():
            problems.append(f"{name}: missing")
        elif found is None:
            problems.append(f"{name}: the page carries no integrity value for {url}")
        else:
            digest = base64.b64encode(hashlib.sha384(path.read_bytes()).digest()).decode()
            if digest != found.group(1):
                problems.append(f"{name}: sha384 {digest} is not the page's {found.group(1)}")
    return problems


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    found = check()
    for problem in found:
        print(problem, file=sys.stderr)
    print("GraphiQL assets:", "NOT OK" if found else "all match strawberry's integrity values")
    raise SystemExit(1 if found else 0)
