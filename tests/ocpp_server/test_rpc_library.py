"""The router's note (ocpp_server/rpc/__init__.py) was checked against one ``ocpp`` release."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from ocpp_server import rpc

ROOT = Path(__file__).resolve().parents[2]


def test_the_installed_library_is_the_one_the_router_was_checked_against() -> None:
    assert version("ocpp") == rpc.LIBRARY_VERSION


def test_libraries_whose_private_names_laddnet_uses_are_pinned_exactly() -> None:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    pins = {d.split("==")[0]: d.split("==")[1] for d in deps if "==" in d}
    assert pins["ocpp"] == rpc.LIBRARY_VERSION
    assert pins["strawberry-graphql"] == version("strawberry-graphql")
