"""Where a running ``laddnet serve`` listens, kept in the data dir while it runs, so the other
commands (``station add``, ``simulate``) print and use the real addresses rather than the defaults
(ports can be chosen at start, or be 0 for any free one)."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

FILE = "serve.json"


@dataclass(frozen=True)
class Endpoints:
    pid: int
    ocpp_url: str | None  # ws://HOST:PORT/ocpp
    api_url: str | None  # http://HOST:PORT


def reachable_host(host: str) -> str:
    """A host a local client can connect to: a wildcard bind address means this machine."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::", "[::]") else host


@contextlib.contextmanager
def published(data_dir: Path, endpoints: Endpoints) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / FILE
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(endpoints)))
    tmp.replace(path)
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            if running(data_dir) == endpoints:
                path.unlink()


def running(data_dir: Path) -> Endpoints | None:
    """The endpoints of the ``laddnet serve`` running on this data dir, if one is."""
    try:
        found = Endpoints(**json.loads((data_dir / FILE).read_text()))
    except (OSError, ValueError, TypeError):
        return None
    try:
        os.kill(found.pid, 0)
    except ProcessLookupError:
        return None  # left behind by a server that was killed
    except PermissionError:
        pass  # alive, another user's
    return found
