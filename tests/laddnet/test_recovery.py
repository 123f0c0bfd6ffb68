"""A transaction left open holds its documents until it is aborted: the start-up abort and the
cluster's reaper end it (the reaper only once it is older than a live one ever is)."""

from __future__ import annotations

import asyncio

import pytest
from pymongo.errors import PyMongoError

from laddnet.database import Database
from laddnet.recovery import abort_abandoned_transactions


async def test_an_open_transaction_is_aborted_and_its_document_freed(database: Database) -> None:
    coll = database.db["recovery_probe"]
    await coll.insert_one({"_id": 1, "n": 0})
    session = database.client.start_session()
    await session.start_transaction()
    await coll.update_one({"_id": 1}, {"$set": {"n": 1}}, session=session)  # holds the document
    assert await abort_abandoned_transactions(database.client, older_than=60) == 0  # too young
    await asyncio.sleep(0.05)
    aborted = await abort_abandoned_transactions(database.client, older_than=0)
    assert aborted is not None and aborted >= 1
    # the document is free at once: a write outside the transaction does not wait for it
    await asyncio.wait_for(coll.update_one({"_id": 1}, {"$set": {"n": 2}}), 5)
    with pytest.raises(PyMongoError):
        await session.commit_transaction()  # the dead one can no longer commit
    await session.end_session()
    assert (await coll.find_one({"_id": 1})) == {"_id": 1, "n": 2}
