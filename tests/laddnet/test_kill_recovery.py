"""A restart recovers in seconds: a ``laddnet serve`` killed (-9) in the middle of a transaction of
station writes leaves it open on mongod, holding the documents it wrote; the next run aborts it at
start-up, so every station writes again within seconds, not after mongod's 60 s transaction
lifetime. A SIGTERM then stops the run cleanly (exit 0).

To kill the process inside the transaction, not just near it, mongod's ``failCommand`` fail point
(test commands enabled on this test's own mongod) holds the transaction's interval update for
three seconds; the kill lands meanwhile. The held update then runs, and the transaction stays open
with nobody left to commit or abort it, as after a real crash.
"""

from __future__ import annotations

import asyncio
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

import pytest
from bson import ObjectId
from ocpp.v16 import call
from pymongo import MongoClient

from laddnet.embedded_mongo import EmbeddedMongo
from tests.factories.charging import connect_charge_point

pytestmark = pytest.mark.slow

STATIONS = 10
KEY = "station-key-0123456789"


class TestMongo(EmbeddedMongo):
    """The embedded mongod with test commands enabled (for the fail point)."""

    __test__ = False

    def _command(self, mongod: Path, port: int, *, replica_set: bool) -> list[str]:
        return [*super()._command(mongod, port, replica_set=replica_set),
                "--setParameter", "enableTestCommands=1"]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env_for(data_dir: Path, uri: str, ocpp_port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LADDNET_")}
    env.update(
        LADDNET_DATA_DIR=str(data_dir),
        LADDNET_MONGODB_URI=uri,
        LADDNET_OCPP_PORT=str(ocpp_port),
        LADDNET_API_PORT=str(free_port()),
        LADDNET_HEARTBEAT_INTERVAL="300",
    )
    return env


def cli(env: dict[str, str], *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "laddnet.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


@contextlib.contextmanager
def serve(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "laddnet.cli", "serve"], env=env, stdout=out, stderr=out
        )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def wait_listening(port: int, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> float:
    """Seconds until ``port`` accepts connections."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        assert proc.poll() is None, "serve exited while starting"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"port {port} never opened")


def open_transactions(client: MongoClient[dict[str, Any]]) -> int:
    ops = client.admin.aggregate(
        [
            {"$currentOp": {"allUsers": True, "idleSessions": True}},
            {"$match": {"transaction": {"$exists": True}}},
        ]
    )
    return len(list(ops))


async def status(port: int, cp_id: str, value: str) -> float:
    """Connect, say the connector's status; seconds until it was answered."""
    start = time.monotonic()
    async with connect_charge_point(port, cp_id, "1.6", password=KEY) as cp:
        await cp.call(call.Heartbeat(), suppress=False)  # seen now: the status writes alone
        await cp.call(
            call.StatusNotification(connector_id=1, error_code="NoError", status=value),
            suppress=False,
        )
    return time.monotonic() - start


async def test_a_run_killed_mid_transaction_blocks_nothing_after_the_restart(
    tmp_path: Path,
) -> None:
    mongo = TestMongo(tmp_path / "mongo")
    uri = mongo.start()
    try:
        client: MongoClient[dict[str, Any]] = MongoClient(uri, serverSelectionTimeoutMS=5000)
        ocpp_port = free_port()
        env = env_for(tmp_path / "laddnet", uri, ocpp_port)
        cli(env, "operator", "create", "--org", "Acme", "--email", "ops@acme.test",
            "--password", "a-long-password")  # fmt: skip
        cli(env, "station", "add", "--org", "Acme", "--site", "Depot", "--lat", "59.33",
            "--lon", "18.06", "--id", "CP-0",
            "--password", KEY, "--connector", "1:CCS2:150")  # fmt: skip
        db = client["laddnet"]
        first = db.stations.find_one({"charge_point_id": "CP-0"})
        assert first is not None
        for i in range(1, STATIONS):
            db.stations.insert_one({**first, "_id": ObjectId(), "charge_point_id": f"CP-{i}"})
        ids = [f"CP-{i}" for i in range(STATIONS)]
        log = tmp_path / "serve.log"

        with serve(env, log) as run:
            wait_listening(ocpp_port, run)
            await asyncio.gather(*(status(ocpp_port, cp, "Available") for cp in ids))
            # the next status flush's interval update is held in its transaction for 3 s
            client.admin.command(
                "configureFailPoint",
                "failCommand",
                mode={"times": 1},
                data={"failCommands": ["update"], "blockConnection": True, "blockTimeMS": 3000},
            )
            stuck = asyncio.gather(
                *(status(ocpp_port, cp, "Preparing") for cp in ids), return_exceptions=True
            )
            await asyncio.sleep(1.0)
            run.send_signal(signal.SIGKILL)
            run.wait(timeout=30)
            await stuck
        await asyncio.sleep(2.5)  # the held update has run: the transaction is open, idle
        assert open_transactions(client) >= 1  # what a killed run leaves behind

        with serve(env, log) as run:
            started = wait_listening(ocpp_port, run)
            answered = await asyncio.wait_for(
                asyncio.gather(*(status(ocpp_port, cp, "Charging") for cp in ids)), 30
            )
            print(
                f"restart: OCPP listening after {started:.1f} s; slowest station answered {max(answered):.1f} s later"
            )
            assert max(answered) < 10.0, answered  # every station writes again at once
            for _ in range(50):  # the dead run's is gone; live ones last milliseconds
                if open_transactions(client) == 0:
                    break
                await asyncio.sleep(0.1)
            assert open_transactions(client) == 0
            stored = db.stations.count_documents(
                {"charge_point_id": {"$in": ids}, "connectors.status": "Charging"}
            )
            assert stored == STATIONS
            run.send_signal(signal.SIGTERM)
            assert run.wait(timeout=60) == 0  # a clean stop exits 0
        assert started < 30
        client.close()
    finally:
        mongo.stop()
