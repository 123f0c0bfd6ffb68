"""What a dead process leaves in MongoDB that would block the next one: open transactions.

laddnet's multi-document transactions (a flush of station writes with their status and
connectivity intervals; a receipt's number) last milliseconds. A process killed in the middle of
one leaves it open on the server, holding its documents' locks: every later write of those
documents (a station's connect, status, heartbeat) waits or conflicts until mongod aborts it after
``transactionLifetimeLimitSeconds`` (60 s by default). So:

- at start-up, the only OCPP node (no cluster) aborts every transaction left open: it has started
  none itself, and no other laddnet process writes stations;
- in a cluster, every node aborts transactions that have been open longer than ``STALE_AFTER``
  seconds, every ``REAP_EVERY`` seconds: far longer than a live one lasts, so only a dead node's.

A transaction is aborted by killing its server session (``killSessions``), found with
``$currentOp`` (idle sessions holding a transaction). Both need the privileges an unauthenticated
embedded mongod gives; a managed MongoDB without them logs a warning and falls back on its own
transaction lifetime limit.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.errors import OperationFailure

log = logging.getLogger(__name__)

STALE_AFTER = 10.0  # seconds a transaction may stay open before a cluster node aborts it
REAP_EVERY = 5.0


async def abort_abandoned_transactions(
    client: AsyncMongoClient[dict[str, Any]], *, older_than: float = 0.0
) -> int | None:
    """Abort the transactions open (and idle) on the server for at least ``older_than`` seconds;
    returns how many, or None when the server does not allow it (logged)."""
    pipeline: list[dict[str, Any]] = [
        {"$currentOp": {"allUsers": True, "idleSessions": True}},
        {"$match": {"transaction": {"$exists": True}, "lsid": {"$exists": True}}},
    ]
    try:
        cursor = await client.admin.aggregate(pipeline)
        stale = [
            op["lsid"]
            async for op in cursor
            if op["transaction"].get("timeOpenMicros", 0) >= older_than * 1_000_000
        ]
        if stale:
            await client.admin.command("killSessions", [{"id": lsid["id"]} for lsid in stale])
    except OperationFailure as exc:
        log.warning(
            "cannot abort transactions a stopped process left open (%s): MongoDB's own "
            "transaction lifetime limit applies",
            exc,
        )
        return None
    if stale:
        log.warning("aborted %d MongoDB transactions a stopped process left open", len(stale))
    return len(stale)


async def reap_abandoned_transactions(client: AsyncMongoClient[dict[str, Any]]) -> None:
    """Every ``REAP_EVERY`` seconds, abort transactions open longer than ``STALE_AFTER``; stops
    (after one warning) where the server does not allow it."""
    while True:
        await asyncio.sleep(REAP_EVERY)
        try:
            if await abort_abandoned_transactions(client, older_than=STALE_AFTER) is None:
                return
        except Exception:
            log.exception("the abandoned-transaction check failed")
