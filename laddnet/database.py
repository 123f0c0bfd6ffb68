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


async def mongo_health(db: AsyncDatabase[dict[str, object]]) -> dict[str, str]:
    """What ``/healthz`` reports of MongoDB. A stalled server never answers: the endpoint bounds
    the wait (api/app.py)."""
    try:
        await db.command("ping")
        mongo = "ok"
    except Exception as exc:  # reported, not raised: /healthz says what is wrong
        mongo = f"error: {type(exc).__name__}"
    return {"status": "ok" if mongo == "ok" else "degraded", "mongodb": mongo}


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
