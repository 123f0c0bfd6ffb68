"""Shared subscription executions: subscribers that asked for the same selection share one.

Without sharing, every graphql-transport-ws subscriber runs its own ``schema.stream``: its own
event-bus subscription, its own graphql-core execution per event and its own JSON encoding. Here
subscribers whose operation would produce exactly the same results attach to one execution, which
encodes each result once (the ``payload`` JSON text) and hands that text to every attached
subscriber's bounded mailbox; each subscriber's own task wraps it into its ``next`` frame.

What may be shared (``ShareKey``):
- only root fields that are pure live streams (``SHARED_FIELDS``): ``stationEvents`` and
  ``alertFeed`` yield nothing but events published after they subscribed, so a late joiner misses
  nothing a fresh execution would have sent it. ``sessionProgress`` is not shared: it starts with a
  snapshot of the session read (and priced) at subscribe time, which the latest shared result does
  not reproduce (its ``at`` and cost are of an earlier moment);
- keyed by the normalised document, the operation name, the canonical JSON of the variables and
  the caller's sharing scope (``principal_scope``): everything the shared resolvers read from the
  caller. The execution runs with the first subscriber's context, which the key makes
  interchangeable with every joiner's.

Lifecycle: the first subscriber starts the execution; it ends when its stream ends (every attached
subscriber gets the same ``complete``/``error`` a fresh execution would send) or when its last
subscriber leaves (``complete`` from the client, connection closed, cut off as too slow).

Slow consumers: a subscriber whose mailbox holds ``queue_size`` undelivered results when the next
one arrives is detached at once (the others never wait for it), counted in ``slow_consumers`` and
logged once; it is sent what it already had, then an ``error`` with code ``SLOW_CONSUMER``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLFormattedError,
    OperationType,
    get_operation_ast,
    parse,
    print_ast,
)
from strawberry.schema import BaseSchema
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.types.execution import ExecutionResult, PreExecutionError
from strawberry.utils.aio import aclosing

from api.parsing import OFF_LOOP_CHARS
from domain.identity.principal import PrincipalKind

log = logging.getLogger("api.subscriptions")

SHARED_FIELDS = frozenset({"stationEvents", "alertFeed"})
SLOW_CONSUMER = "SLOW_CONSUMER"
_DOCUMENT_CACHE = 256  # distinct query texts (each at most OFF_LOOP_CHARS) whose parse we remember

ShareKey = tuple[str, str | None, str, Hashable]


def principal_scope(context: Any) -> Hashable | None:
    """What the shared resolvers read from the caller, or None when the caller must not share.

    stationEvents and alertFeed read the operator's organisation (``reading_org``; refused for
    drivers). The role is part of the scope too, so a role that ever changes what they return can
    never receive another role's results. A driver shares only with themselves."""
    principal = getattr(context, "principal", None)
    if principal is None:
        return None
    if principal.kind is PrincipalKind.OPERATOR and principal.org_id is not None:
        return ("operator", principal.org_id, str(principal.role))
    if principal.kind is PrincipalKind.DRIVER:
        return ("driver", principal.id)
    return None


@dataclass(frozen=True, slots=True)
class Ending:
    """How a subscriber's operation ends: ``complete``; ``error`` with these formatted errors; or
    ``close`` of the websocket (code 4400) for the errors the protocol answers that way."""

    kind: str
    errors: list[GraphQLFormattedError] | None = None
    reason: str = ""


COMPLETE = Ending("complete")
_SLOW = Ending(
    "error",
    [
        {
            "message": "this subscriber fell too far behind and was dropped: subscribe again",
            "extensions": {"code": SLOW_CONSUMER},
        }
    ],
)


class Member:
    """One subscriber's end of a shared execution: a bounded mailbox of payload texts."""

    __slots__ = ("_waiter", "ending", "execution", "frames", "limit")

    def __init__(self, limit: int) -> None:
        self.frames: deque[str] = deque()
        self.limit = limit
        self.ending: Ending | None = None
        self.execution: _Execution | None = None
        self._waiter: asyncio.Future[None] | None = None

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def push(self, payload: str) -> bool:
        if len(self.frames) >= self.limit:
            return False
        self.frames.append(payload)
        self._wake()
        return True

    def end(self, ending: Ending) -> None:
        if self.ending is None:
            self.ending = ending
            self._wake()

    async def receive(self) -> str | Ending:
        """The next payload text, or how the operation ends once nothing is left before it."""
        while True:
            if self.frames:
                return self.frames.popleft()
            if self.ending is not None:
                return self.ending
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None


class _Execution:
    __slots__ = ("hub", "key", "members", "task")

    def __init__(self, hub: SharedSubscriptions, key: ShareKey) -> None:
        self.hub = hub
        self.key = key
        self.members: dict[Member, None] = {}  # an insertion-ordered set
        self.task: asyncio.Task[None] | None = None

    async def run(
        self,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Any,
        root_value: Any,
    ) -> None:
        ending = COMPLETE
        try:
            source = await self.hub.schema.stream(
                query,
                variable_values=variables,
                context_value=context,
                root_value=root_value,
                operation_name=operation_name,
            )
            async with aclosing(source):
                first = True
                async for result in source:
                    if first and isinstance(result, PreExecutionError):
                        ending = _initial_error(result.errors or [])
                        break
                    if not isinstance(result, ExecutionResult):
                        ending = Ending("error", [_INCREMENTAL.formatted])
                        break
                    first = False
                    self._fan_out(self.hub.encode(_payload(result)))
        except Exception:
            # as strawberry's own handler does: log it, then complete every operation
            log.exception("shared subscription execution failed: %s", self.key[1])
        self.hub._finish(self, ending)

    def _fan_out(self, payload: str) -> None:
        behind: list[Member] | None = None
        for member in self.members:
            if not member.push(payload):
                behind = behind or []
                behind.append(member)
        if behind:
            for member in behind:
                self.hub._cut_off(member)


_INCREMENTAL = GraphQLError("Incremental delivery is not supported over graphql-transport-ws")


def _initial_error(errors: list[GraphQLError]) -> Ending:
    if errors:
        reason = BaseGraphQLTransportWSHandler._get_pre_execution_close_reason(errors[0])
        if reason is not None:
            return Ending("close", reason=reason)
    return Ending("error", [error.formatted for error in errors])


def _payload(result: ExecutionResult) -> dict[str, Any]:
    """The ``next`` payload exactly as strawberry's ``Operation.send_next`` builds it."""
    payload: dict[str, Any] = {"data": result.data}
    if result.errors:
        payload["errors"] = [error.formatted for error in result.errors]
    if result.extensions:
        payload["extensions"] = result.extensions
    return payload


class SharedSubscriptions:
    """The process's shared executions (one per app), keyed by ``ShareKey``."""

    def __init__(
        self,
        schema: BaseSchema,
        *,
        encode: Callable[[object], str | bytes],
        queue_size: int = 1000,
        max_tokens: int | None = None,
        scope: Callable[[Any], Hashable | None] = principal_scope,
        shared_fields: frozenset[str] = SHARED_FIELDS,
    ) -> None:
        if queue_size < 1:
            raise ValueError("queue_size must be at least 1")
        self.schema = schema
        self._encode = encode
        self.queue_size = queue_size
        self._max_tokens = max_tokens
        self._scope = scope
        self._shared_fields = shared_fields
        self._executions: dict[ShareKey, _Execution] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._documents: OrderedDict[str, tuple[DocumentNode, str] | None] = OrderedDict()
        self.executions_started = 0
        self.slow_consumers = 0

    @property
    def execution_count(self) -> int:
        return len(self._executions)

    @property
    def member_count(self) -> int:
        return sum(len(e.members) for e in self._executions.values())

    def encode(self, payload: object) -> str:
        text = self._encode(payload)
        return text.decode() if isinstance(text, bytes) else text

    def key_for(
        self,
        query: str,
        operation_name: str | None,
        variables: dict[str, Any] | None,
        context: Any,
    ) -> ShareKey | None:
        """The key this operation shares under, or None when it must run on its own."""
        if not isinstance(query, str) or not isinstance(operation_name, str | None):
            return None
        if len(query) > OFF_LOOP_CHARS:  # parsed off the loop by strawberry's path, and not cached
            return None
        scope = self._scope(context)
        if scope is None:
            return None
        parsed = self._document(query)
        if parsed is None:
            return None
        document, normalised = parsed
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.SUBSCRIPTION:
            return None
        selections = operation.selection_set.selections
        if len(selections) != 1 or not isinstance(selections[0], FieldNode):
            return None
        if selections[0].name.value not in self._shared_fields:
            return None
        try:
            canonical = json.dumps(variables or {}, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            return None
        return (normalised, operation_name, canonical, scope)

    def _document(self, query: str) -> tuple[DocumentNode, str] | None:
        if query in self._documents:
            self._documents.move_to_end(query)
            return self._documents[query]
        try:
            document = parse(query, max_tokens=self._max_tokens)
            parsed: tuple[DocumentNode, str] | None = (document, print_ast(document))
        except GraphQLError:
            parsed = None  # strawberry's own path answers it exactly as before
        self._documents[query] = parsed
        if len(self._documents) > _DOCUMENT_CACHE:
            self._documents.popitem(last=False)
        return parsed

    def join(
        self,
        key: ShareKey,
        *,
        query: str,
        variables: dict[str, Any] | None,
        operation_name: str | None,
        context: Any,
        root_value: Any = None,
    ) -> Member:
        """Attach a subscriber to the execution for ``key``, starting it with this subscriber's
        context if none is running."""
        execution = self._executions.get(key)
        if execution is None:
            execution = _Execution(self, key)
            self._executions[key] = execution
            task = asyncio.create_task(
                execution.run(query, variables, operation_name, context, root_value)
            )
            execution.task = task
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            self.executions_started += 1
        member = Member(self.queue_size)
        member.execution = execution
        execution.members[member] = None
        return member

    def leave(self, member: Member) -> None:
        """Detach a subscriber; the execution stops when its last subscriber has left."""
        execution = member.execution
        if execution is None:
            return
        member.execution = None
        execution.members.pop(member, None)
        if not execution.members:
            if self._executions.get(execution.key) is execution:
                del self._executions[execution.key]
            if execution.task is not None:
                execution.task.cancel()

    def _cut_off(self, member: Member) -> None:
        self.slow_consumers += 1
        log.warning(
            "subscriber dropped: %d results undelivered (%d dropped so far)",
            len(member.frames),
            self.slow_consumers,
        )
        self.leave(member)
        member.end(_SLOW)

    def _finish(self, execution: _Execution, ending: Ending) -> None:
        if self._executions.get(execution.key) is execution:
            del self._executions[execution.key]
        members, execution.members = execution.members, {}
        for member in members:
            member.execution = None
            member.end(ending)
