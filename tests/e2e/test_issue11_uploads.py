"""Issue 11: RequestDiagnostics works out of the box. With no upload location configured laddnet
hands stations its own upload endpoint; a simulated station (OCPP 1.6 and 2.0.1) really uploads
its file there by HTTP PUT; the file is kept in the data dir, bounded in size, listed in the API
(diagnosticsFiles) and downloadable by its organisation only. A location for one station is
refused for another; a multipart POST works too."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from domain.network.service import ConnectorSpec
from laddnet.container import build_container
from laddnet.database import Database
from laddnet.serve import running_api, running_ocpp
from laddnet.settings import Settings
from simulator.config import build_station_configs
from simulator.fleet import Fleet
from tests.e2e.ops import OPS
from tests.factories.identity import PASSWORD, unique_email
from tests.factories.network import STATION_KEY

FILES = """query($s: ID!) { diagnosticsFiles(stationId: $s) {
  id stationId fileName sizeBytes requestId downloadPath } }"""
MAX = 4_000
BODY_LIMIT = 3_000


@contextlib.asynccontextmanager
async def laddnet_without_upload_setting(
    database: Database, data_dir: Path
) -> AsyncIterator[tuple[Any, httpx.AsyncClient, int]]:
    settings = Settings(
        jwt_secret=SecretStr("uploads-e2e-secret-long-enough-for-hs256!"),
        data_dir=data_dir,
        ocpp_response_timeout=5.0,
        diagnostics_upload_max_bytes=MAX,
        max_body_bytes=BODY_LIMIT,  # below MAX: an upload has its own bound, not the API's
    )
    assert settings.diagnostics_upload_url is None
    container = build_container(settings, database)
    async with (
        container.background(),
        running_ocpp(container, "127.0.0.1", 0) as ocpp_port,
        running_api(container, "127.0.0.1", 0) as api_port,
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{api_port}", timeout=10) as http,
    ):
        yield container, http, ocpp_port


async def gql(http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str) -> Any:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"Authorization": f"Bearer {token}"},
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


@pytest.mark.parametrize("version", ["1.6", "2.0.1"])
async def test_a_station_uploads_its_diagnostics_to_laddnet(
    database: Database, tmp_path: Path, version: str
) -> None:
    async with laddnet_without_upload_setting(database, tmp_path) as (container, http, ocpp_port):
        email = unique_email("uploads")
        org, _ = await container.identity.create_organisation_with_admin(
            f"Uploads {uuid.uuid4().hex[:6]}", email, PASSWORD
        )
        signed = await http.post("/graphql", json={"query": OPS["SignIn"], "variables": {
            "input": {"email": email, "password": PASSWORD}}})  # fmt: skip
        token = signed.json()["data"]["signIn"]["tokens"]["accessToken"]
        site = await container.network.create_site(
            org.id, name="Depå", address="", latitude=59.3, longitude=18.0,
            timezone="Europe/Stockholm",
        )  # fmt: skip
        prefix = f"UP{uuid.uuid4().hex[:4].upper()}-"
        configs = build_station_configs(2, prefix, STATION_KEY)
        stations = []
        for cfg in configs:
            stations.append(
                await container.network.register_station(
                    org.id,
                    site_id=site.id,
                    charge_point_id=cfg.charge_point_id,
                    name=cfg.charge_point_id,
                    password=STATION_KEY,
                    connectors=[ConnectorSpec(1), ConnectorSpec(2)],
                )
            )
        station_id = str(stations[0].id)
        fleet = Fleet(f"ws://127.0.0.1:{ocpp_port}/ocpp", configs[:1], ocpp_version=version,
                      step_delay=0.05)  # fmt: skip
        await fleet.start()
        try:
            await asyncio.wait_for(fleet.wait_booted(), 20)
            # The contract's operation, verbatim, with no location and none configured.
            asked = await gql(http, OPS["RequestDiagnostics"], {"stationId": station_id}, token)
            request = asked["requestDiagnostics"]
            assert request["errors"] == [], request
            for _ in range(200):
                files = (await gql(http, FILES, {"s": station_id}, token))["diagnosticsFiles"]
                if files:
                    break
                await asyncio.sleep(0.05)
        finally:
            await fleet.stop()
        assert len(files) == 1, files
        found = files[0]
        assert found["fileName"] == request["request"]["fileName"]
        assert found["requestId"] == request["request"]["id"] and found["sizeBytes"] > 0
        body = await http.get(found["downloadPath"], headers={"Authorization": f"Bearer {token}"})
        assert body.status_code == 200 and configs[0].charge_point_id in body.text
        assert len(body.content) == found["sizeBytes"]
        kept = list((tmp_path / "uploads" / station_id).iterdir())
        assert [p.read_bytes() for p in kept] == [body.content]
        # The request is tracked to its end from the station's notifications.
        for _ in range(100):
            transfers = await container.diagnostics.transfers(
                org.id, stations[0].id, kind="DIAGNOSTICS"
            )
            if transfers[0].status.value == "Uploaded":
                break
            await asyncio.sleep(0.05)
        assert transfers[0].status.value == "Uploaded"

        # Another organisation sees neither the list nor the file.
        other_email = unique_email("uploads-other")
        await container.identity.create_organisation_with_admin(
            f"Other {uuid.uuid4().hex[:6]}", other_email, PASSWORD
        )
        signed = await http.post("/graphql", json={"query": OPS["SignIn"], "variables": {
            "input": {"email": other_email, "password": PASSWORD}}})  # fmt: skip
        stranger = signed.json()["data"]["signIn"]["tokens"]["accessToken"]
        denied = await http.get(
            found["downloadPath"], headers={"Authorization": f"Bearer {stranger}"}
        )
        assert denied.status_code == 404
        assert (await http.get(found["downloadPath"])).status_code == 401

        # The location handed to station 1 is refused for station 2; too large is refused whole.
        location = transfers[0].location
        assert location.startswith(str(http.base_url).rstrip("/") + "/uploads/diagnostics/")
        second = str(stations[1].id)
        forged = location.replace(station_id, second) + "x.log"
        assert (await http.put(forged, content=b"x")).status_code == 403
        big = await http.put(location + "big.log", content=b"x" * (MAX + 1))
        assert big.status_code == 413 and big.json()["code"] == "UPLOAD_TOO_LARGE"
        # A multipart POST to the location itself, with a hostile file name, is kept safely.
        posted = await http.post(
            location, files={"file": ("../../etc/passwd", b"diag", "text/plain")}
        )
        assert posted.status_code == 201 and posted.json() == {"fileName": "passwd", "sizeBytes": 4}
        names = sorted(p.name for p in (tmp_path / "uploads" / station_id).iterdir())
        assert (len(names) == 2 and names[1].endswith("-passwd")) or names[0].endswith("-passwd")
        # A file larger than any other request laddnet takes (LADDNET_MAX_BODY_BYTES) but within
        # the upload bound is taken: uploads have their own limit.
        larger = await http.put(location + "mid.log", content=b"y" * (MAX - 1))
        assert larger.status_code == 201 and larger.json()["sizeBytes"] == MAX - 1, larger.text
