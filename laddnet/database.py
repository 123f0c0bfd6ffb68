"""Connecting to MongoDB (configured, or the embedded one) and binding beanie's documents."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass

from beanie import init_beanie
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from domain.documents import DOCUMENT_MODELS
from laddnet.embedded_mongo import EmbeddedMongo
from laddnet.settings import Settings

log = logging.getLogger(__name__)


@dataclass
class Database:
    client: AsyncMongoClient[dict[str, object]]
    db: AsyncDatabase[dict[str, object]]
    uri: str


async def bind(uri: str, database: str) -> Database:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(uri, tz_aware=True)
    db = client[database]
    await init_beanie(database=db, document_models=DOCUMENT_MODELS)
    return Database(client=client, db=db, uri=uri)


@contextlib.asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[Database]:
    """The configured MongoDB, or the embedded one (joined if running, else started for now)."""
    embedded: EmbeddedMongo | None = None
    if settings.mongodb_uri:
        uri = settings.mongodb_uri
    else:
        embedded = EmbeddedMongo(settings.data_dir, settings.mongod_path)
        uri = embedded.start()
    try:
        database = await bind(uri, settings.mongodb_database)
        try:
            yield database
        finally:
            await database.client.close()
    finally:
        if embedded is not None:
            embedded.stop()
