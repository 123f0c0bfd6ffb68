"""The operator console's files: served at / by the API app with a strict content security policy,
its vendored libraries present with their licences, and its GraphQL documents the contract's own
(verbatim) where the contract names the operation, every one valid against schema.graphql."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from graphql import OperationDefinitionNode, build_schema, parse, print_ast, validate
from graphql.language import DocumentNode

from api.console import STATIC
from tests.api.conftest import Api
from tests.contract import REPO, client_files

OPS_JS = STATIC / "js" / "ops.js"


def console_documents() -> dict[str, str]:
    """Every GraphQL document in ops.js by operation name (template literals, ${…} filled in)."""
    text = OPS_JS.read_text()
    constants = dict(re.findall(r'^const (\w+) = "([^"]*)";', text, flags=re.M))
    found: dict[str, str] = {}
    for name, body in re.findall(r"^  (\w+): `(.*?)`,$", text, flags=re.M | re.S):
        found[name] = re.sub(r"\$\{(\w+)\}", lambda m: constants[m.group(1)], body)
    return found


def contract() -> dict[str, str]:
    found: dict[str, str] = {}
    for path in client_files():
        for d in parse(path.read_text()).definitions:
            assert isinstance(d, OperationDefinitionNode) and d.name
            found[d.name.value] = print_ast(DocumentNode(definitions=(d,)))
    return found


def test_the_console_sends_the_contracts_operations_verbatim_and_only_valid_documents() -> None:
    docs = console_documents()
    ours = contract()
    assert {"SignIn", "Stations", "StationEvents", "AlertFeed", "RemoteStop"} <= set(docs)
    schema = build_schema((REPO / "schema.graphql").read_text())
    for name, text in docs.items():
        document = parse(text)
        [operation] = document.definitions
        assert isinstance(operation, OperationDefinitionNode) and operation.name
        assert operation.name.value == name, f"{name} holds the operation {operation.name.value}"
        assert validate(schema, document) == [], name
        if name in ours:
            assert print_ast(document) == ours[name], f"{name} differs from the contract's"
    console_only = {n for n in docs if n not in ours}
    assert console_only and all(
        n.startswith("Console") or n in {"ResolveAlert", "AlertRules", "PaymentsCsv"}
        for n in console_only
    )


def test_vendored_libraries_ship_with_their_licences() -> None:
    vendor = STATIC / "vendor"
    for lib, files in {
        "graphql-ws": ["client.js", "LICENSE.md"],
        "chart.js": ["chart.umd.min.js", "LICENSE.md"],
    }.items():
        for name in files:
            assert (vendor / lib / name).stat().st_size > 500, f"{lib}/{name}"
    imported = re.findall(
        r"from '\./([\w-]+\.js)'", (vendor / "graphql-ws" / "client.js").read_text()
    )
    assert imported and all((vendor / "graphql-ws" / f).exists() for f in imported)


def test_every_script_and_style_the_page_loads_is_served_by_laddnet() -> None:
    index = (STATIC / "index.html").read_text()
    refs = re.findall(r'(?:src|href)="([^"#]+)"', index)
    assert refs and not [r for r in refs if "//" in r], "no CDN: everything from laddnet"
    for ref in refs:
        assert (STATIC / ref).is_file(), ref
    for module in Path(STATIC / "js").rglob("*.js"):
        for target in re.findall(r'^import .* from "([^"]+)";', module.read_text(), flags=re.M):
            assert (module.parent / target).resolve().is_file(), f"{module.name} imports {target}"


async def test_the_api_app_serves_the_console_at_its_root(api: Api) -> None:
    async with httpx.AsyncClient(base_url=api.base) as http:
        page = await http.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<title>laddnet console</title>" in page.text
        policy = page.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "connect-src 'self'" in policy
        script = await http.get("/js/app.js")
        assert script.status_code == 200 and "javascript" in script.headers["content-type"]
        chart = await http.get("/vendor/chart.js/chart.umd.min.js")
        assert chart.status_code == 200 and "Chart.js v4" in chart.text[:200]
        assert (await http.get("/healthz")).status_code in (200, 503)  # still the API's
        graphql = await http.post("/graphql", json={"query": "{ __typename }"})
        assert graphql.json() == {"data": {"__typename": "Query"}}
        assert (await http.get("/no-such-file.js")).status_code == 404
        assert (await http.get("/../pyproject.toml")).status_code == 404
