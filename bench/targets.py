"""What the bench runs against: its own MongoDB, a template database of registered stations and
accounts, and the server under test as a separate process: one laddnet ``serve`` (API and OCPP in
one process, no cluster relay) or the bare CSMS."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from domain.charging.commands import StationCommandService
from domain.charging.service import ChargingService
from domain.common.events import InProcessEventBus
from domain.identity.models import OperatorRole
from domain.identity.service import IdentityService
from domain.identity.tokens import TokenService
from domain.network.service import ConnectorSpec, NetworkService
from laddnet.container import SwitchableGateway
from laddnet.database import bind
from laddnet.embedded_mongo import EmbeddedMongo

STATION_KEY = "bench-station-key-0123"  # 22 chars: a valid OCPP AuthorizationKey
ID_TAG = "BENCHTAG"
TEMPLATE_DB = "bench_template"
ORG_NAME = "Bench Org"
ADMIN_EMAIL = "admin@bench.laddnet.local"
OPERATOR_EMAIL = "operator@bench.laddnet.local"  # the operator subscribers sign in as this
DRIVER_EMAIL = "driver@bench.laddnet.local"  # holds ID_TAG: every bench session is this driver's
ACCOUNT_PASSWORD = "bench-account-password"
JWT_SECRET = "bench-jwt-secret-0123456789abcdef-0123456789"  # the server's and the template's


def station_ids(n: int) -> list[str]:
    return [f"BENCH-{i:05d}" for i in range(1, n + 1)]


@contextlib.contextmanager
def embedded_store(data_dir: Path) -> Iterator[str]:
    mongo = EmbeddedMongo(data_dir)
    uri = mongo.start()
    try:
        yield uri
    finally:
        mongo.stop()


async def register_stations(uri: str, n: int, template: str = TEMPLATE_DB) -> float:
    """Register ``n`` two-connector stations in the template database through the network
    service, plus the accounts the fan-out signs in with: the organisation's admin, an operator
    and a driver whose RFID token is ``ID_TAG``. Seconds it took."""
    started = time.monotonic()
    database = await bind(uri, template)
    try:
        events = InProcessEventBus()
        network = NetworkService(events)
        tokens = TokenService(JWT_SECRET, "laddnet-bench", "laddnet-bench", 60, 60)
        identity = IdentityService(tokens)
        charging = ChargingService(events, network, StationCommandService(SwitchableGateway()))
        org, _ = await identity.create_organisation_with_admin(
            ORG_NAME, ADMIN_EMAIL, ACCOUNT_PASSWORD
        )
        assert org.id is not None
        await identity.create_operator(
            org.id, OPERATOR_EMAIL, ACCOUNT_PASSWORD, OperatorRole.OPERATOR, name="Bench Operator"
        )
        driver, _ = await identity.sign_up_driver(
            DRIVER_EMAIL, ACCOUNT_PASSWORD, "Bench Driver", client_key="bench"
        )
        assert driver.id is not None
        await charging.link_id_token(driver.id, ID_TAG, org_id=org.id)
        site = await network.create_site(
            org.id,
            name="Bench Site",
            address="Benchgatan 1, Stockholm",
            latitude=59.33,
            longitude=18.07,
            timezone="Europe/Stockholm",
        )
        for cp_id in station_ids(n):
            await network.register_station(
                org.id,
                site_id=site.id,  # type: ignore[arg-type]
                charge_point_id=cp_id,
                name=cp_id,
                password=STATION_KEY,
                connectors=[ConnectorSpec(1, "CCS2", 150_000), ConnectorSpec(2, "TYPE2", 22_000)],
            )
    finally:
        await database.client.close()
    return time.monotonic() - started


def copy_template(uri: str, target_db: str, template: str = TEMPLATE_DB) -> None:
    """A fresh run database holding the template's documents (indexes come from the server's
    own beanie initialisation)."""
    client: MongoClient[dict[str, Any]]
    with MongoClient(uri) as client:
        client.drop_database(target_db)
        source: Any = client[template]
        for info in source.list_collections():
            name = info["name"]
            if info.get("type") != "collection" or name.startswith("system."):
                continue
            source[name].aggregate([{"$out": {"db": target_db, "coll": name}}])


def write_ops(uri: str) -> int:
    """Inserts + updates + deletes served by the mongod so far (serverStatus opcounters)."""
    client: MongoClient[dict[str, Any]]
    with MongoClient(uri) as client:
        ops = client.admin.command("serverStatus")["opcounters"]
    return int(ops["insert"] + ops["update"] + ops["delete"])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServerProcess:
    """The server under test in its own process; ``pid`` is the Python process itself. laddnet
    runs the whole service (``laddnet serve``: OCPP on ``port``, the GraphQL API on ``api_port``)
    in one process, which is the configuration the issue's targets are about."""

    def __init__(
        self,
        kind: str,
        *,
        port: int,
        api_port: int | None = None,
        uri: str = "",
        database: str = "",
        data_dir: Path | None = None,
        profile: Path | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.kind = kind
        self.port = port
        self.api_port = api_port
        env = dict(os.environ)
        python = [sys.executable]
        if profile is not None:
            python += ["-m", "cProfile", "-o", str(profile)]
        if kind == "laddnet":
            if api_port is None:
                api_port = self.api_port = free_port()
            env.update(
                LADDNET_MONGODB_URI=uri,
                LADDNET_MONGODB_DATABASE=database,
                LADDNET_OCPP_HOST="127.0.0.1",
                LADDNET_OCPP_PORT=str(port),
                LADDNET_API_HOST="127.0.0.1",
                LADDNET_API_PORT=str(api_port),
                LADDNET_DATA_DIR=str(data_dir or "."),
                LADDNET_LOG_LEVEL="WARNING",
                LADDNET_DEMO="false",
                LADDNET_JWT_SECRET=JWT_SECRET,
                LADDNET_ACCESS_TOKEN_TTL=str(7 * 86400),  # subscribers outlive a soak
            )
            args = [*python, "-m", "laddnet.cli", "serve"]
        elif kind == "bare":
            args = [*python, "-m", "bench.bare", str(port)]
        else:
            raise ValueError(f"unknown server kind {kind!r}")
        self._log = open(log_file or os.devnull, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until every port the server serves accepts connections."""
        deadline = time.monotonic() + timeout
        waiting = [p for p in (self.port, self.api_port) if p is not None]
        while waiting and time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited with {self.process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", waiting[0])):
                waiting.pop(0)
                continue
            time.sleep(0.1)
        if waiting:
            raise RuntimeError(f"{self.kind} server did not listen on {waiting} in {timeout}s")

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
