"""The processes under test: ``laddnet serve`` (killed and restarted), its own embedded mongod
(stalled with SIGSTOP, crashed and restarted) and localstripe."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from laddnet.embedded_mongo import REPLICA_SET, EmbeddedMongo, find_mongod

JWT_SECRET = "chaos-jwt-secret-0123456789abcdef-0123456789"
WEBHOOK_SECRET = "whsec_chaos0123456789abcdef"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mongo:
    """The server's own embedded mongod, in ``data_dir/store``: started by laddnet's
    EmbeddedMongo (replica set and all), restarted by the harness on the same port (laddnet's
    start would move to a fresh port while the old one is in TIME_WAIT, and the server under test
    keeps the address it was given)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir / "store"
        self._embedded = EmbeddedMongo(self.data_dir)
        self._restarted: subprocess.Popen[bytes] | None = None
        self.uri = ""
        self.port = 0

    def start(self) -> str:
        self.uri = self._embedded.start()
        self.port = int(json.loads((self.data_dir / "mongod.json").read_text())["port"])
        return self.uri

    @property
    def pid(self) -> int:
        if self._restarted is not None:
            return self._restarted.pid
        state = json.loads((self.data_dir / "mongod.json").read_text())
        return int(state["pid"])

    def stall(self) -> None:
        os.kill(self.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.pid, signal.SIGCONT)

    def crash_and_restart(self) -> float:
        """``kill -9`` of mongod, then a fresh one on the same data and port. Seconds from the
        kill until it was a writable primary again."""
        killed = time.monotonic()
        pid = self.pid
        os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)
        store = self.data_dir
        command = [str(find_mongod()), "--dbpath", str(store / "mongodb"), "--port", str(self.port),
                   "--bind_ip", "127.0.0.1", "--logpath", str(store / "mongod.log"), "--logappend",
                   "--quiet", "--replSet", REPLICA_SET]  # fmt: skip
        self._restarted = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        client: MongoClient[dict[str, Any]]
        with MongoClient(
            f"mongodb://127.0.0.1:{self.port}/?directConnection=true",
            serverSelectionTimeoutMS=1000,
        ) as client:
            deadline = time.monotonic() + 120
            while True:
                with contextlib.suppress(PyMongoError):
                    if client.admin.command("hello").get("isWritablePrimary"):
                        break
                if time.monotonic() > deadline or self._restarted.poll() is not None:
                    raise RuntimeError("the restarted mongod did not become primary")
                time.sleep(0.1)
        return time.monotonic() - killed

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self.resume()
        if self._restarted is not None:
            proc, self._restarted = self._restarted, None
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            return
        self._embedded.stop()


class ServerUnderTest:
    """``laddnet serve`` in a subprocess on fixed ports (stations reconnect to the same address
    after a restart), its log appended to ``data_dir/serve.log`` across restarts."""

    def __init__(
        self,
        data_dir: Path,
        *,
        mongo_uri: str,
        database: str,
        stripe_api_base: str,
        ocpp_port: int | None = None,
        api_port: int | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.ocpp_port = ocpp_port or free_port()
        self.api_port = api_port or free_port()
        self.log_path = data_dir / "serve.log"
        self.env = dict(os.environ)
        self.env.update(
            LADDNET_MONGODB_URI=mongo_uri,
            LADDNET_MONGODB_DATABASE=database,
            LADDNET_OCPP_HOST="127.0.0.1",
            LADDNET_OCPP_PORT=str(self.ocpp_port),
            LADDNET_API_HOST="127.0.0.1",
            LADDNET_API_PORT=str(self.api_port),
            LADDNET_DATA_DIR=str(data_dir / "serve"),
            LADDNET_LOG_LEVEL="WARNING",
            LADDNET_DEMO="false",
            LADDNET_JWT_SECRET=JWT_SECRET,
            LADDNET_ACCESS_TOKEN_TTL=str(86400),
            LADDNET_STRIPE_API_BASE=stripe_api_base,
            LADDNET_STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
            LADDNET_STRIPE_SECRET_KEY="sk_test_laddnet",
        )
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def api_base(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def cli(self, *args: str) -> str:
        """``laddnet <args>`` against the same store (e.g. ``operator create``)."""
        done = subprocess.run(
            [sys.executable, "-m", "laddnet.cli", *args],
            env=self.env,
            capture_output=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"laddnet {' '.join(args)} failed: {done.stderr.decode()[-2000:]}")
        return done.stdout.decode()

    def spawn(self) -> float:
        """Start the server; the monotonic time it was started at."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            log.write(f"\n==== chaos: start #{self.starts + 1} ====\n".encode())
            log.flush()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "laddnet.cli", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.starts += 1
        return time.monotonic()

    async def wait_listening(self, within: float = 90.0) -> float:
        """Until both ports accept connections; seconds it took."""
        started = time.monotonic()
        deadline = started + within
        for port in (self.ocpp_port, self.api_port):
            while True:
                if self.process is None or self.process.poll() is not None:
                    raise RuntimeError(f"laddnet serve exited; see {self.log_path}")
                try:
                    _, writer = await asyncio.open_connection("127.0.0.1", port)
                    writer.close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            f"laddnet serve did not listen on {port} in {within}s"
                        ) from None
                    await asyncio.sleep(0.1)
        return time.monotonic() - started

    def kill9(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def rss_kib(self) -> int | None:
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except (OSError, AssertionError):
            return None
        return None

    def stop(self, timeout: float = 30.0) -> int | None:
        """SIGTERM and wait; the exit code (None when it had to be killed)."""
        proc = self.process
        if proc is None:
            return None
        if proc.poll() is not None:
            return proc.returncode
        proc.send_signal(signal.SIGTERM)
        try:
            return proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None
