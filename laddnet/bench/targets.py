"""What the bench runs against: its own MongoDB, a template database of registered stations, and
the server under test as a separate process (laddnet ``serve --ocpp-only`` or the bare CSMS)."""

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

from domain.charging.models import IdToken
from domain.common.events import InProcessEventBus
from domain.identity.models import Organisation
from domain.network.service import ConnectorSpec, NetworkService
from laddnet.database import bind
from laddnet.embedded_mongo import EmbeddedMongo

STATION_KEY = "bench-station-key-0123"  # 22 chars: a valid OCPP AuthorizationKey
ID_TAG = "BENCHTAG"
TEMPLATE_DB = "bench_template"


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
    """Register ``n`` two-connector stations (and an accepted id tag) in the template database
    through the network service; seconds it took."""
    started = time.monotonic()
    database = await bind(uri, template)
    try:
        network = NetworkService(InProcessEventBus())
        org = Organisation(name="Bench Org")
        await org.insert()
        site = await network.create_site(
            org.id,  # type: ignore[arg-type]
            name="Bench Site",
            address="Benchgatan 1, Stockholm",
            latitude=59.33,
            longitude=18.07,
            timezone="Europe/Stockholm",
        )
        await IdToken(id_tag=ID_TAG, org_id=org.id).insert()
        for cp_id in station_ids(n):
            await network.register_station(
                org.id,  # type: ignore[arg-type]
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
    """The server under test in its own process; ``pid`` is the Python process itself."""

    def __init__(
        self,
        kind: str,
        *,
        port: int,
        uri: str = "",
        database: str = "",
        data_dir: Path | None = None,
        profile: Path | None = None,
        log_file: Path | None = None,
    ) -> None:
        self.kind = kind
        self.port = port
        env = dict(os.environ)
        python = [sys.executable]
        if profile is not None:
            python += ["-m", "cProfile", "-o", str(profile)]
        if kind == "laddnet":
            env.update(
                LADDNET_MONGODB_URI=uri,
                LADDNET_MONGODB_DATABASE=database,
                LADDNET_OCPP_HOST="127.0.0.1",
                LADDNET_OCPP_PORT=str(port),
                LADDNET_DATA_DIR=str(data_dir or "."),
                LADDNET_LOG_LEVEL="WARNING",
                LADDNET_DEMO="false",
            )
            args = [*python, "-m", "laddnet.cli", "serve", "--ocpp-only"]
        elif kind == "bare":
            args = [*python, "-m", "laddnet.bench.bare", str(port)]
        else:
            raise ValueError(f"unknown server kind {kind!r}")
        self._log = open(log_file or os.devnull, "wb")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(args, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid

    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited with {self.process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.1)
        raise RuntimeError(f"{self.kind} server did not listen on {self.port} in {timeout}s")

    def stop(self, timeout: float = 30.0) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
