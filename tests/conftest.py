"""One MongoDB per test run (the embedded one, or LADDNET_MONGODB_URI), a fresh database per module."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from laddnet.database import Database, bind
from laddnet.embedded_mongo import EmbeddedMongo
from laddnet.settings import Settings


@pytest.fixture(scope="session")
def mongodb_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = Settings().mongodb_uri
    if configured:
        yield configured
        return
    mongo = EmbeddedMongo(tmp_path_factory.mktemp("mongo"))
    try:
        yield mongo.start()
    finally:
        mongo.stop()


@pytest.fixture(scope="module")
async def database(request: pytest.FixtureRequest, mongodb_uri: str) -> AsyncIterator[Database]:
    """A fresh database for this test module, with every document bound to it."""
    module = re.sub(r"[^a-z0-9]", "_", request.module.__name__.lower())[-40:]
    name = f"t_{module}_{uuid.uuid4().hex[:8]}"
    db = await bind(mongodb_uri, name)
    try:
        yield db
    finally:
        await db.client.drop_database(name)
        await db.client.close()


# ``make test-fast`` (``pytest -m unit``): the pure rules and the domain's unit tests, no MongoDB.
DOMAIN_TESTS = Path(__file__).parent / "domain"
STORE_FIXTURES = frozenset({"database", "mongodb_uri"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A domain test that needs no store is a unit test; elsewhere a module opts in with
    ``pytestmark = pytest.mark.unit``. A unit test that asks for the store is a mistake."""
    for item in items:
        uses_store = bool(STORE_FIXTURES & set(getattr(item, "fixturenames", ())))
        if item.get_closest_marker("unit") is not None:
            if uses_store:
                raise pytest.UsageError(f"{item.nodeid} is marked unit but uses MongoDB")
        elif not uses_store and DOMAIN_TESTS in item.path.parents:
            item.add_marker(pytest.mark.unit)
