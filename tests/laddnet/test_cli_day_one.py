"""Issue 11, the shell as a newcomer meets it: every command a subprocess, against the real store.
A password is read from stdin when there is no terminal (and its absence is a clear error); the
commands print and use the running server's real addresses; a busy port, a bad setting or an
unknown organisation is `error: CODE (field): message`, exit 2, never a traceback;
`simulate` explains a 401 and can register its stations."""

from __future__ import annotations

import os
import queue
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from pymongo import MongoClient

from laddnet.cli import build_parser

KEY = "sim-station-key-0123"


def env_for(data_dir: Path, uri: str, db: str, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LADDNET_")}
    env |= {
        "LADDNET_DATA_DIR": str(data_dir),
        "LADDNET_MONGODB_URI": uri,
        "LADDNET_MONGODB_DATABASE": db,
    }
    return env | extra


def laddnet(
    env: dict[str, str], *args: str, stdin: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "laddnet.cli", *args],
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`laddnet serve` as a subprocess; its printed banner read line by line."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "laddnet.cli", "serve"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)

    def banner(self, within: float = 90) -> str:
        seen = []
        while True:
            try:
                line = self.lines.get(timeout=within)
            except queue.Empty:
                raise AssertionError("no banner:\n" + "".join(seen)) from None
            seen.append(line)
            if "Press Ctrl-C" in line:
                return "".join(seen)

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        return self.proc.wait(timeout=60)


@pytest.fixture
def env(tmp_path: Path, mongodb_uri: str) -> Iterator[dict[str, str]]:
    """A database of its own for each test, made and dropped synchronously (these tests drive only
    subprocesses, so they hold no event loop for an async client to run in)."""
    name = f"t_cli_day_one_{uuid.uuid4().hex[:12]}"
    yield env_for(tmp_path, mongodb_uri, name)
    with MongoClient(mongodb_uri, serverSelectionTimeoutMS=30_000) as client:
        client.drop_database(name)


def test_operator_create_reads_the_password_from_stdin_or_says_it_is_missing(
    env: dict[str, str],
) -> None:
    missing = laddnet(env, "operator", "create", "--org", "Stdin AB", "--email", "a@stdin.test")
    assert missing.returncode == 2, missing.stderr
    assert missing.stderr.startswith("error: INVALID_INPUT (password): no password given")
    assert "Traceback" not in missing.stderr
    piped = laddnet(
        env, "operator", "create", "--org", "Stdin AB", "--email", "a@stdin.test",
        stdin="a-long-password-from-stdin\n",
    )  # fmt: skip
    assert piped.returncode == 0, piped.stderr
    assert "created organisation 'Stdin AB'" in piped.stdout


def test_settings_are_checked_before_anything_starts(env: dict[str, str]) -> None:
    short = laddnet(env | {"LADDNET_JWT_SECRET": "short"}, "export-schema")
    assert short.returncode == 2 and short.stdout == ""
    assert short.stderr.startswith(
        "error: INVALID_SETTING (LADDNET_JWT_SECRET): must be at least 32 characters"
    )
    # compose passes unset variables as empty strings: in production that is refused, by name.
    production = env | {
        "LADDNET_PRODUCTION": "true",
        "LADDNET_STRIPE_SECRET_KEY": "",
        "LADDNET_STRIPE_PUBLISHABLE_KEY": "pk_live_abc",
    }
    refused = laddnet(production, "serve")
    assert refused.returncode == 2 and "laddnet is running" not in refused.stdout
    lines = refused.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in lines] == [
        "INVALID_SETTING (LADDNET_STRIPE_SECRET_KEY)",
        "INVALID_SETTING (LADDNET_STRIPE_WEBHOOK_SECRET)",
    ]
    assert "production mode needs your Stripe value here" in lines[0]
    assert "unset or empty" in lines[0]
    real = production | {
        "LADDNET_STRIPE_SECRET_KEY": "sk_live_abc",
        "LADDNET_STRIPE_WEBHOOK_SECRET": "whsec_abc",
        "LADDNET_JWT_SECRET": "",  # empty: unset, so one is made and kept in the data dir
    }
    assert laddnet(real, "export-schema").returncode == 0


def test_commands_use_the_running_servers_addresses_and_busy_ports_are_clear(
    env: dict[str, str],
) -> None:
    server = Server(env | {"LADDNET_OCPP_PORT": "0", "LADDNET_API_PORT": "0"})
    try:
        banner = server.banner()
        ocpp = re.search(r"OCPP\s+ws://127\.0\.0\.1:(\d+)/ocpp", banner)
        api = re.search(r"GraphQL\s+http://127\.0\.0\.1:(\d+)/graphql", banner)
        assert ocpp and api, banner
        ocpp_port, api_port = ocpp.group(1), api.group(1)

        made = laddnet(env, "operator", "create", "--org", "Ports AB", "--email", "p@ports.test",
                       "--password", "a-long-password")  # fmt: skip
        assert made.returncode == 0, made.stderr
        added = laddnet(env, "station", "add", "--org", "Ports AB", "--site", "Kaj", "--lat", "59.3",
                        "--lon", "18.1", "--id", "CP-PORT-1", "--password", KEY)  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert f"ws://127.0.0.1:{ocpp_port}/ocpp/CP-PORT-1" in added.stdout

        # The container's health check: the API on the configured port.
        assert laddnet(env | {"LADDNET_API_PORT": api_port}, "healthcheck").returncode == 0
        unused = str(free_port())
        assert laddnet(env | {"LADDNET_API_PORT": unused}, "healthcheck").returncode == 1

        # A second server on the same API port: a clear error, not a traceback.
        busy = laddnet(env | {"LADDNET_API_PORT": api_port, "LADDNET_OCPP_PORT": "0"}, "serve")
        assert busy.returncode == 2, busy.stderr
        assert f"error: PORT_IN_USE (LADDNET_API_PORT): cannot listen on 127.0.0.1:{api_port}" in (
            busy.stderr
        )
        assert "Traceback" not in busy.stderr

        # simulate, as the README first shows it: the stations are not registered, and it says so.
        sim = ["simulate", "--stations", "2", "--password", KEY, "--duration", "4"]
        refused = laddnet(env, *sim, timeout=60)
        assert "refused" in refused.stdout and "add --register" in refused.stdout, refused.stdout
        assert refused.returncode == 1  # not one station got through
        # --register makes SIM-0001 and SIM-0002 with that password; then they boot.
        registered = laddnet(env, *sim, "--register", "--org", "Ports AB", timeout=60)
        assert registered.returncode == 0, registered.stdout + registered.stderr
        assert "registered 2 stations (SIM-0001…SIM-0002) at site 'Simulated stations'" in (
            registered.stdout
        )
        assert re.search(r"booted 2\b", registered.stdout), registered.stdout
        again = laddnet(env, *sim, "--register", "--org", "Ports AB", timeout=60)
        assert "2 were already registered with this password" in again.stdout
        wrong = laddnet(env, "simulate", "--stations", "1", "--password", "another-key-0123456",
                        "--register", "--org", "Ports AB")  # fmt: skip
        assert wrong.returncode == 2
        assert wrong.stderr.startswith("error: INVALID_INPUT (password): SIM-0001 is registered")
    finally:
        assert server.stop() == 0
    assert not (Path(env["LADDNET_DATA_DIR"]) / "serve.json").exists()
    # No server now: the configured port is what station add prints.
    other = laddnet(env | {"LADDNET_OCPP_PORT": "9123"}, "station", "add", "--org", "Ports AB",
                    "--site", "Kaj", "--id", "CP-PORT-2", "--password", KEY)  # fmt: skip
    assert "ws://127.0.0.1:9123/ocpp/CP-PORT-2" in other.stdout, other.stderr


def test_every_laddnet_command_the_readme_shows_is_one_the_cli_takes() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    blocks = re.findall(r"```sh\n(.*?)```", readme, re.DOTALL)
    commands = [
        shlex.split(line.split("  #")[0])
        for block in blocks
        for line in block.splitlines()
        if line.startswith("laddnet ")
    ]
    assert len(commands) >= 5
    for argv in commands:
        build_parser().parse_args(argv[1:])  # exits (fails the test) on anything it does not take
    # and the README says where the command lives before it first shows one
    first = readme.index("\nladdnet report usage")
    assert ". .venv/bin/activate" in readme[:first]
