"""The shell commands work on the same data whether or not a server holds the embedded store."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pymongo import MongoClient

from laddnet.embedded_mongo import EmbeddedMongo


def laddnet(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LADDNET_")}
    env["LADDNET_DATA_DIR"] = str(data_dir)
    return subprocess.run(
        [sys.executable, "-m", "laddnet.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_operator_and_station_commands_with_and_without_a_running_store(tmp_path: Path) -> None:
    # Nothing running: the command starts the embedded store for the moment it needs it.
    made = laddnet(
        tmp_path, "operator", "create", "--org", "Acme Charging", "--email", "ops@acme.test",
        "--password", "a-long-password",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "created organisation 'Acme Charging'" in made.stdout

    # The same organisation twice is a clear error, exit code 2, nothing changed.
    again = laddnet(
        tmp_path, "operator", "create", "--org", "Acme Charging", "--email", "x@acme.test",
        "--password", "a-long-password",
    )  # fmt: skip
    assert again.returncode == 2
    assert "ALREADY_EXISTS" in again.stderr

    # Now a server holds the store: the command joins it and leaves it running.
    owner = EmbeddedMongo(tmp_path)
    uri = owner.start()
    try:
        added = laddnet(
            tmp_path, "station", "add", "--org", "Acme Charging", "--site", "Depot",
            "--lat", "59.33", "--lon", "18.06", "--id", "CP-CLI-1",
            "--password", "station-key-0123456789", "--connector", "1:CCS2:150",
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert "registered station CP-CLI-1" in added.stdout

        short = laddnet(
            tmp_path, "station", "add", "--org", "Acme Charging", "--site", "Depot",
            "--id", "CP-CLI-2", "--password", "short",
        )  # fmt: skip
        assert short.returncode == 2
        assert "INVALID_INPUT (password)" in short.stderr

        with MongoClient(uri, serverSelectionTimeoutMS=5000) as client:
            db = client["laddnet"]
            assert db.organisations.count_documents({}) == 1
            assert db.operators.count_documents({}) == 1
            stations = list(db.stations.find({}, {"charge_point_id": 1, "connectors": 1}))
            assert [s["charge_point_id"] for s in stations] == ["CP-CLI-1"]
            assert stations[0]["connectors"][0]["max_power_w"] == 150_000
            assert client.admin.command("ping")["ok"] == 1  # still up: the CLI only joined
    finally:
        owner.stop()


def test_unknown_organisation_is_a_clear_error(tmp_path: Path) -> None:
    result = laddnet(
        tmp_path, "station", "add", "--org", "Nobody", "--site", "S", "--id", "CP-X",
        "--password", "station-key-0123456789",
    )  # fmt: skip
    assert result.returncode == 2
    assert "NOT_FOUND (org)" in result.stderr
