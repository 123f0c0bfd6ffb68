"""Counting the MongoDB commands the charging path sends (pymongo command monitoring)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from beanie import init_beanie
from pymongo import AsyncMongoClient, monitoring

from domain.documents import DOCUMENT_MODELS

IGNORED = {"hello", "ismaster", "isMaster", "endSessions", "ping", "killCursors"}


class Commands(monitoring.CommandListener):
    """The commands this client sends, by name."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in IGNORED:
            self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture(scope="module")
async def commands(mongodb_uri: str) -> AsyncIterator[Commands]:
    """This module's own database, on a client whose commands are counted (a module uses this
    or ``database``, not both: each binds the documents to its database)."""
    listener = Commands()
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(
        mongodb_uri, tz_aware=True, event_listeners=[listener]
    )
    name = f"t_counted_{uuid.uuid4().hex[:8]}"
    await init_beanie(database=client[name], document_models=DOCUMENT_MODELS)
    try:
        yield listener
    finally:
        await client.drop_database(name)
        await client.close()
