"""The message router under both OCPP versions' handler classes (see ``ocpp_server/rpc/__init__``).

``ocpp``'s ``ChargePoint.route_message`` logs and drops a frame it cannot parse, so the station
never learns why it got no answer. ``RobustRouting`` answers such frames with a CALLERROR (message
id "-1" when it cannot be read, as OCPP-J says) and keeps the connection open. It also answers an
unknown action with NotImplemented and a known-but-unhandled one with NotSupported, which is what
both OCPP-J specifications say (the library has the two the other way round).

Per connection it keeps only what differs between connections: the station, its websocket and
when it was last recorded as seen. The route table is built once per handler class (dispatch.py),
the services are shared by every connection of a server (``HandlerContext``), and the lock and
queue that CSMS-initiated calls need are made on the first such call. ``ocpp``'s
``ChargePoint.call`` (used by the gateway) works unchanged on top of this.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

from ocpp.exceptions import (
    FormationViolationError,
    FormatViolationError,
    OCPPError,
    PropertyConstraintViolationError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call, CallError, MessageType, _validate_payload, unpack

from domain.network.models import Station
from ocpp_server.rpc.dispatch import Route, encode, routes, to_wire
from ocpp_server.rpc.fastpath import camel_to_snake_case, get_validator
from ocpp_server.rpc.limits import Violation, offending_value

if TYPE_CHECKING:
    from ocpp_server.context import HandlerContext

log = logging.getLogger(__name__)
frames_log = logging.getLogger("ocpp")  # every frame in and out, at DEBUG (the library: INFO)


def _message_id(raw: str | bytes) -> str:
    try:
        msg = json.loads(raw)
    except (ValueError, TypeError):
        return "-1"
    if isinstance(msg, list) and len(msg) > 1 and isinstance(msg[1], str):
        return msg[1]
    return "-1"


class RobustRouting:
    """Mixed in before ``ocpp.v16.ChargePoint`` / ``ocpp.v201.ChargePoint``: the connection's
    station, and message routing that answers malformed frames."""

    # per version: (invalid JSON, not an RPC frame, unknown message type)
    rpc_error_codes: tuple[str, str, str] = (
        "FormatViolation",
        "RpcFrameworkError",
        "MessageTypeNotSupported",
    )
    known_actions: frozenset[str] = frozenset()
    # any message shows the station is alive: record it at most this often (Heartbeat always does)
    seen_every: float = 60.0
    routes: ClassVar[dict[str, Route]] = {}  # per handler class, built when it is defined
    logger = frames_log  # what ``ocpp``'s ``call()`` logs with
    _unique_id_generator = staticmethod(uuid.uuid4)
    _awaiting: str | None = None  # the unique id of the CSMS call waiting for its answer

    if TYPE_CHECKING:  # provided by ocpp's ChargePoint, which comes after this in the MRO
        _ocpp_version: str

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.routes = routes(cls)

    def __init__(self, cp_id: str, connection: Any, station: Station, ctx: HandlerContext) -> None:
        # ocpp's ChargePoint.__init__ is not called: it builds a route map of bound methods, a
        # queue and a lock for every connection; see the class docstring.
        self.id = cp_id
        self._connection = connection
        self.station = station
        self.ctx = ctx
        self._last_seen = 0.0

    @property
    def _response_timeout(self) -> float:
        return self.ctx.response_timeout

    @functools.cached_property
    def _call_lock(self) -> asyncio.Lock:
        return asyncio.Lock()

    @functools.cached_property
    def _response_queue(self) -> asyncio.Queue[Any]:
        return asyncio.Queue()

    async def _get_specific_response(self, unique_id: str, timeout: float) -> Any:  # noqa: ASYNC109
        """What ``ocpp``'s ``call()`` awaits (under its call lock, so one at a time): the answer
        to ``unique_id``. The library's version queues every answer and skips strangers while it
        waits; here the router is told which id is awaited and queues nothing else."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        self._awaiting = unique_id
        try:
            while True:
                response = await asyncio.wait_for(
                    self._response_queue.get(), max(0.0, deadline - loop.time())
                )
                if response.unique_id == unique_id:
                    return response
        finally:
            self._awaiting = None

    async def start(self) -> None:
        """Answer the station's frames until the connection closes (raises ConnectionClosed)."""
        recv = self._connection.recv
        while True:
            await self.route_message(await recv())

    async def _send(self, message: str) -> None:
        frames_log.debug("%s: send %s", self.id, message)
        await self._connection.send(message)

    async def touch(self) -> None:
        """Record that the station was seen."""
        await self.ctx.network.station_seen(self.station)

    def seen_due(self) -> bool:
        """Whether a sign of life now is to be recorded (at most every ``seen_every`` seconds):
        any frame, and a pong to a WebSocket ping, which OCPP-J lets stand in for a Heartbeat."""
        now = time.monotonic()
        if now - self._last_seen < self.seen_every:
            return False
        self._last_seen = now
        return True

    async def route_message(self, raw_msg: str | bytes) -> None:
        frames_log.debug("%s: receive message %s", self.id, raw_msg)
        try:
            msg = unpack(raw_msg)
        except OCPPError as exc:
            msg = None
            error = exc
        # (seen_due first, always: a Heartbeat's handler records the visit itself, one write)
        if self.seen_due() and (msg is None or getattr(msg, "action", None) != "Heartbeat"):
            try:
                await self.touch()
            except Exception:
                log.exception("%s: could not record that the station was seen", self.id)
        if msg is None:
            await self._rpc_error(raw_msg, error)
            return
        if msg.message_type_id != MessageType.Call:
            if msg.unique_id != self._awaiting or self._awaiting is None:
                # no call of ours waits for it (never made, timed out, answered already): kept,
                # it would sit in the queue for ever (30,000 of 1 KB held 32 MB)
                frames_log.debug("%s: dropped an answer to no pending call", self.id)
                return
            self._awaiting = None  # one answer per call: a repeat is dropped too
            self._response_queue.put_nowait(msg)
            return
        if not isinstance(msg.action, str) or not isinstance(msg.payload, dict):
            await self._send(
                CallError(msg.unique_id, self.rpc_error_codes[1], "malformed CALL", {}).to_json()
            )
            return
        route = self.routes.get(msg.action)
        if route is None or route.on is None:
            known = msg.action in self.known_actions
            code = "NotSupported" if known else "NotImplemented"
            why = "is not supported by this CSMS" if known else "is not a known action"
            log.info("%s: %s %s", self.id, msg.action, why)
            await self._send(CallError(msg.unique_id, code, f"{msg.action} {why}", {}).to_json())
            return
        try:
            await self._answer(route, msg)
        except OCPPError as error:
            log.warning("%s: %s refused: %s", self.id, msg.action, error)
            await self._send(msg.create_call_error(error).to_json())
        except Exception:
            log.exception("%s: %s failed", self.id, msg.action)
            await self._send(msg.create_call_error(Exception()).to_json())

    async def _answer(self, route: Route, msg: Call) -> None:
        """What ``ocpp``'s ``_handle_call`` does, with the per-action decisions made in advance:
        validate, call the handler with snake_case keywords, validate and send its answer, then
        run an ``@after`` hook as a task."""
        assert route.on is not None
        if route.validate:
            self.validate_call(msg)
        schema = get_validator(MessageType.Call, msg.action, self._ocpp_version).schema
        offending = offending_value(msg.payload, schema)
        if offending is not None:
            where, what = offending
            text, details = f"{where}: {what.value}", {"field": where}
            if what is Violation.TYPE:
                raise TypeConstraintViolationError(text, details)
            if what is Violation.PROPERTY:
                raise PropertyConstraintViolationError(text, details)
            if self.rpc_error_codes[0] == "FormationViolation":  # 1.6 spells it so
                raise FormationViolationError(text, details)
            raise FormatViolationError(text, details)
        kwargs = camel_to_snake_case(msg.payload)
        try:
            if route.on_wants_unique_id:
                response = route.on(self, **kwargs, call_unique_id=msg.unique_id)
            else:
                response = route.on(self, **kwargs)
            if inspect.isawaitable(response):
                response = await response
        except Exception as exc:  # the handler's own failure: its OCPP error, or InternalError
            log.exception("%s: %s handler failed", self.id, msg.action)
            await self._send(msg.create_call_error(exc).to_json())
            return
        result = msg.create_call_result(to_wire(response))
        if route.validate:
            _validate_payload(result, self._ocpp_version)
        await self._send(encode([3, result.unique_id, result.payload]))
        if route.after is not None:
            self._after(route, msg, kwargs)

    def validate_call(self, msg: Call) -> None:
        """A station's CALL against its schema (the library's validation and error mapping)."""
        _validate_payload(msg, self._ocpp_version)

    def _after(self, route: Route, msg: Call, kwargs: dict[str, Any]) -> None:
        assert route.after is not None
        if route.after_wants_unique_id:
            outcome = route.after(self, **kwargs, call_unique_id=msg.unique_id)
        else:
            outcome = route.after(self, **kwargs)
        if inspect.isawaitable(outcome):
            task = asyncio.ensure_future(outcome)
            _after_tasks.add(task)  # the loop keeps only a weak reference
            task.add_done_callback(functools.partial(_after_done, self.id, msg.action))

    async def _rpc_error(self, raw_msg: str | bytes, exc: OCPPError) -> None:
        invalid_json, not_rpc, unknown_type = self.rpc_error_codes
        cause = str((exc.details or {}).get("cause", exc.description))
        if cause == "Message is not valid JSON":
            code = invalid_json
        elif "MessageTypeId" in cause and "isn't valid" in cause:
            code = unknown_type
        else:
            code = not_rpc
        log.warning("%s: unreadable frame (%s): %.200r", self.id, cause, raw_msg)
        await self._send(CallError(_message_id(raw_msg), code, cause, {}).to_json())


_after_tasks: set[asyncio.Task[Any]] = set()


def _after_done(cp_id: str, action: str, task: asyncio.Task[Any]) -> None:
    _after_tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("%s: @after %s failed", cp_id, action, exc_info=task.exception())
