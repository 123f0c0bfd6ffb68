"""Issue 11: a console on another origin can call the API when LADDNET_CORS_ORIGINS names it, and
only then; GraphiQL is on in demo mode and serves its assets itself (tests/api/test_auth.py)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from laddnet.container import build_container
from laddnet.database import Database
from laddnet.serve import running_api
from laddnet.settings import Settings

CONSOLE = "https://console.example.com"
QUERY = {"query": "{ __typename }"}


@pytest.mark.parametrize("origins", ["https://console.example.com, http://localhost:5173", ""])
async def test_cors_follows_the_setting(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, origins: str
) -> None:
    monkeypatch.setenv("LADDNET_CORS_ORIGINS", origins)
    settings = Settings(data_dir=tmp_path)
    container = build_container(settings, database)
    async with (
        running_api(container, "127.0.0.1", 0) as port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        preflight = await http.options(
            "/graphql",
            headers={
                "Origin": CONSOLE,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )
        call = await http.post("/graphql", json=QUERY, headers={"Origin": CONSOLE})
        stranger = await http.post("/graphql", json=QUERY, headers={"Origin": "https://evil.test"})
    assert call.status_code == 200 and call.json() == {"data": {"__typename": "Query"}}
    assert "access-control-allow-origin" not in stranger.headers
    if origins:
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == CONSOLE
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert "authorization" in allowed and "content-type" in allowed
        assert call.headers["access-control-allow-origin"] == CONSOLE
    else:
        assert "access-control-allow-origin" not in preflight.headers
        assert "access-control-allow-origin" not in call.headers


def test_graphiql_is_on_in_demo_mode_unless_turned_off() -> None:
    assert Settings().introspection_enabled is False
    assert Settings(demo=True).introspection_enabled is True
    assert Settings(demo=True, graphql_introspection=False).introspection_enabled is False
    assert Settings(graphql_introspection=True).introspection_enabled is True
