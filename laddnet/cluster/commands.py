"""``CommandRelay``: the ``StationGateway`` of a node in a cluster, and the inbox that executes the
commands other nodes address to this one.

Sending: the station record says which node holds its connection (``Station.node_id`` is
``"{node}/{connection token}"``). This node: the local gateway. No node: OFFLINE. Another node that
is not alive (no recent heartbeat in ``nodes``): OFFLINE. Otherwise a document goes into the
``commands`` collection::

    {node, origin, charge_point_id, command: {type, fields}, status: "pending", created_at}

and the sender waits (up to ``timeout``) for its result. The addressed node claims it
(pending -> running), sends it over its local gateway and writes ``status: "done"``, ``result`` and
``reply_to: origin``. A sender that gives up first marks a still-pending command ``timed_out`` so
that a late node never executes it; one already running may still reach the station, as a local
command whose answer comes too late would.

Each node watches the collection with one change stream for both directions: inserts addressed to
it and results replied to it. A station that moved to another node while its command was under
way (OFFLINE from the old node) gets the command once more at its new node.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING, IndexModel, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import PyMongoError

from domain.charging.commands import CommandResult, CommandStatus, StationCommand, StationGateway
from domain.common.clock import utcnow
from laddnet.cluster.codec import (
    DecodeError,
    decode_command,
    decode_result,
    encode_command,
    encode_result,
)
from laddnet.cluster.nodes import NodeDirectory

log = logging.getLogger(__name__)

Locate = Callable[[str], Awaitable[str | None]]  # charge point id -> holder "{node}/{token}" | None


def holder_node(holder: str | None) -> str | None:
    return holder.split("/", 1)[0] if holder else None


class CommandRelay:
    def __init__(
        self,
        collection: AsyncCollection[dict[str, Any]],
        node_id: str,
        *,
        local: StationGateway,
        locate: Locate,
        nodes: NodeDirectory,
        timeout: float = 35.0,
        ttl_seconds: int = 86400,
    ) -> None:
        self.collection = collection
        self.node_id = node_id
        self.local = local
        self.locate = locate
        self.nodes = nodes
        self.timeout = timeout
        self.ttl_seconds = ttl_seconds
        self._waiting: dict[ObjectId, asyncio.Future[CommandResult]] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- StationGateway --------------------------------------------------------------------------

    async def send(self, charge_point_id: str, command: StationCommand) -> CommandResult:
        node = holder_node(await self.locate(charge_point_id))
        result = await self._send_via(node, charge_point_id, command)
        if result.status is CommandStatus.OFFLINE and node not in (None, self.node_id):
            moved = holder_node(await self.locate(charge_point_id))
            if moved is not None and moved != node:
                log.info("%s moved to node %s; sending there", charge_point_id, moved)
                result = await self._send_via(moved, charge_point_id, command)
        return result

    async def _send_via(
        self, node: str | None, charge_point_id: str, command: StationCommand
    ) -> CommandResult:
        if node is None:
            return CommandResult(CommandStatus.OFFLINE, "the station is not connected")
        if node == self.node_id:
            return await self.local.send(charge_point_id, command)
        try:
            if not await self.nodes.alive(node):
                return CommandResult(
                    CommandStatus.OFFLINE, "the node holding the station's connection is gone"
                )
            return await self._remote(node, charge_point_id, command)
        except PyMongoError as exc:
            log.warning("%s: could not relay %s: %s", charge_point_id, type(command).__name__, exc)
            return CommandResult(CommandStatus.FAILED, "the command could not be relayed")

    async def _remote(
        self, node: str, charge_point_id: str, command: StationCommand
    ) -> CommandResult:
        try:
            encoded = encode_command(command)
        except (TypeError, ValueError) as exc:
            return CommandResult(CommandStatus.FAILED, f"cannot relay the command: {exc}")
        command_id = ObjectId()
        future: asyncio.Future[CommandResult] = asyncio.get_running_loop().create_future()
        self._waiting[command_id] = future
        try:
            await self.collection.insert_one(
                {
                    "_id": command_id,
                    "node": node,
                    "origin": self.node_id,
                    "charge_point_id": charge_point_id,
                    "command": encoded,
                    "status": "pending",
                    "created_at": utcnow(),
                }
            )
            try:
                return await asyncio.wait_for(future, self.timeout)
            except TimeoutError:
                return await self._give_up(command_id)
        finally:
            self._waiting.pop(command_id, None)

    async def _give_up(self, command_id: ObjectId) -> CommandResult:
        unclaimed = await self.collection.find_one_and_update(
            {"_id": command_id, "status": "pending"},
            {"$set": {"status": "timed_out", "done_at": utcnow()}},
        )
        if unclaimed is not None:
            return CommandResult(CommandStatus.TIMED_OUT, "no node took the command in time")
        doc = await self.collection.find_one({"_id": command_id})
        if doc is not None and doc.get("status") == "done":  # its result slipped past the stream
            return decode_result(doc["result"])
        return CommandResult(CommandStatus.TIMED_OUT, "the station did not answer in time")

    # -- the inbox -------------------------------------------------------------------------------

    async def _execute(self, doc: dict[str, Any]) -> None:
        command_id = doc["_id"]
        claimed = await self.collection.find_one_and_update(
            {"_id": command_id, "status": "pending"},
            {"$set": {"status": "running", "claimed_at": utcnow()}},
            return_document=ReturnDocument.AFTER,
        )
        if claimed is None:
            return  # its sender gave up already
        charge_point_id = str(doc.get("charge_point_id"))
        try:
            command = decode_command(doc.get("command") or {})
        except DecodeError as exc:
            log.warning("%s: relayed command not understood: %s", charge_point_id, exc)
            result = CommandResult(CommandStatus.FAILED, f"cannot decode the command: {exc}")
        else:
            try:
                result = await self.local.send(charge_point_id, command)
            except Exception:
                log.exception("%s: relayed %s failed", charge_point_id, type(command).__name__)
                result = CommandResult(CommandStatus.FAILED, "the command failed on its node")
        await self.collection.update_one(
            {"_id": command_id},
            {
                "$set": {
                    "status": "done",
                    "result": encode_result(result),
                    "done_at": utcnow(),
                    "reply_to": doc.get("origin"),
                }
            },
        )

    def _spawn(self, doc: dict[str, Any]) -> None:
        async def run() -> None:
            try:
                await self._execute(doc)
            except PyMongoError as exc:
                log.warning("relayed command %s: %s", doc.get("_id"), exc)

        task = asyncio.create_task(run(), name=f"cluster-command-{doc.get('_id')}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _answer(self, change: dict[str, Any]) -> None:
        future = self._waiting.get(change["documentKey"]["_id"])
        if future is None or future.done():
            return
        try:
            future.set_result(decode_result(change["updateDescription"]["updatedFields"]["result"]))
        except (DecodeError, KeyError) as exc:
            future.set_result(CommandResult(CommandStatus.FAILED, f"unreadable result: {exc}"))

    async def _watch(self, ready: asyncio.Event) -> None:
        pipeline = [
            {
                "$match": {
                    "$or": [
                        {"operationType": "insert", "fullDocument.node": self.node_id},
                        {
                            "operationType": "update",
                            "updateDescription.updatedFields.reply_to": self.node_id,
                        },
                    ]
                }
            }
        ]
        token: Any = None
        while True:
            try:
                async with await self.collection.watch(pipeline, resume_after=token) as stream:
                    ready.set()
                    async for change in stream:
                        token = stream.resume_token
                        if change["operationType"] == "insert":
                            self._spawn(change["fullDocument"])
                        else:
                            self._answer(change)
            except PyMongoError as exc:
                log.warning("command stream interrupted (%s); reopening", exc)
                token = None if "history" in str(exc).lower() else token
                await asyncio.sleep(1.0)

    @contextlib.asynccontextmanager
    async def running(self, start_timeout: float = 10.0) -> AsyncIterator[None]:
        await self.collection.create_indexes(
            [IndexModel([("created_at", ASCENDING)], expireAfterSeconds=self.ttl_seconds)]
        )
        ready = asyncio.Event()
        watch = asyncio.create_task(self._watch(ready), name="cluster-commands")
        try:
            try:
                await asyncio.wait_for(ready.wait(), start_timeout)
            except TimeoutError:
                raise RuntimeError(
                    "could not open the command change stream (is it a replica set?)"
                ) from None
            yield
        finally:
            watch.cancel()
            tasks = [watch, *self._tasks]
            for task in self._tasks:
                task.cancel()
            for task in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
