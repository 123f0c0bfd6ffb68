"""What both OCPP versions share: robust message routing and payload translation helpers.

``ocpp``'s ``ChargePoint.route_message`` logs and drops a frame it cannot parse, so the station
never learns why it got no answer. ``RobustRouting`` answers such frames with a CALLERROR (message
id "-1" when it cannot be read, as OCPP-J says) and keeps the connection open. It also answers an
unknown action with NotImplemented and a known-but-unhandled one with NotSupported, which is what
both OCPP-J specifications say (the library has the two the other way round).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, MessageType, unpack

from domain.charging.metering import MeterReading, RawSample
from domain.charging.service import ChargingService
from domain.charging.timestamps import parse
from domain.common.clock import utcnow
from domain.network.models import Station
from domain.network.service import NetworkService

log = logging.getLogger(__name__)


def _message_id(raw: str | bytes) -> str:
    try:
        msg = json.loads(raw)
    except (ValueError, TypeError):
        return "-1"
    if isinstance(msg, list) and len(msg) > 1 and isinstance(msg[1], str):
        return msg[1]
    return "-1"


@dataclass
class HandlerContext:
    """What a connection's handler needs: its station and the domain services it calls."""

    station: Station
    network: NetworkService
    charging: ChargingService
    heartbeat_interval: int


def now_iso() -> str:
    return utcnow().isoformat().replace("+00:00", "Z")


class RobustRouting:
    """Mixed in before ``ocpp.v16.ChargePoint`` / ``ocpp.v201.ChargePoint``: the connection's
    station and services, and message routing that answers malformed frames."""

    # per version: (invalid JSON, not an RPC frame, unknown message type)
    rpc_error_codes: tuple[str, str, str] = (
        "FormatViolation",
        "RpcFrameworkError",
        "MessageTypeNotSupported",
    )
    known_actions: frozenset[str] = frozenset()
    # any message shows the station is alive: record it at most this often (Heartbeat always does)
    seen_every: float = 60.0
    _last_seen: float = 0.0

    id: str
    route_map: dict[str, dict[str, Any]]
    _response_queue: Any

    if TYPE_CHECKING:  # provided by ocpp's ChargePoint, which comes after this in the MRO

        async def _send(self, message: str) -> None: ...

        async def _handle_call(self, msg: Call) -> Any: ...

    def __init__(self, cp_id: str, connection: Any, ctx: HandlerContext, timeout: float) -> None:
        super().__init__(cp_id, connection, response_timeout=timeout)  # type: ignore[call-arg]
        self.ctx = ctx

    @property
    def station(self) -> Station:
        return self.ctx.station

    async def touch(self) -> None:
        """Record that the station was seen."""
        await self.ctx.network.station_seen(self.station)

    async def route_message(self, raw_msg: str | bytes) -> None:
        try:
            msg = unpack(raw_msg)
        except OCPPError as exc:
            msg = None
            error = exc
        now = time.monotonic()
        if now - self._last_seen >= self.seen_every:
            self._last_seen = now
            # a Heartbeat's handler records the visit itself: one write, not two
            if msg is None or getattr(msg, "action", None) != "Heartbeat":
                try:
                    await self.touch()
                except Exception:
                    log.exception("%s: could not record that the station was seen", self.id)
        if msg is None:
            await self._rpc_error(raw_msg, error)
            return
        if msg.message_type_id != MessageType.Call:
            self._response_queue.put_nowait(msg)
            return
        if not isinstance(msg.action, str) or not isinstance(msg.payload, dict):
            await self._send(
                CallError(msg.unique_id, self.rpc_error_codes[1], "malformed CALL", {}).to_json()
            )
            return
        handlers = self.route_map.get(msg.action)
        if handlers is None or "_on_action" not in handlers:
            known = msg.action in self.known_actions
            code = "NotSupported" if known else "NotImplemented"
            why = "is not supported by this CSMS" if known else "is not a known action"
            log.info("%s: %s %s", self.id, msg.action, why)
            await self._send(CallError(msg.unique_id, code, f"{msg.action} {why}", {}).to_json())
            return
        try:
            await self._handle_call(msg)
        except OCPPError as error:
            log.warning("%s: %s refused: %s", self.id, msg.action, error)
            await self._send(msg.create_call_error(error).to_json())
        except Exception:
            log.exception("%s: %s failed", self.id, msg.action)
            await self._send(msg.create_call_error(Exception()).to_json())

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


def sampled(value: dict[str, Any], *, v201: bool) -> RawSample:
    """One sampledValue (snake_case keys as the ``ocpp`` library passes them)."""
    unit = value.get("unit")
    multiplier = 0
    if v201:
        uom = value.get("unit_of_measure") or {}
        unit = uom.get("unit")
        multiplier = int(uom.get("multiplier") or 0)
    return RawSample(
        value=value.get("value", ""),
        measurand=value.get("measurand"),
        phase=value.get("phase"),
        location=value.get("location"),
        unit=unit,
        multiplier=multiplier,
        context=value.get("context"),
        format=value.get("format"),
        signed=bool(value.get("signed_meter_value")) and value.get("value") is None,
    )


def readings(meter_value: list[dict[str, Any]] | None, *, v201: bool) -> list[MeterReading]:
    return [
        MeterReading(
            at=parse(mv.get("timestamp")),
            samples=[sampled(sv, v201=v201) for sv in mv.get("sampled_value") or []],
        )
        for mv in meter_value or []
    ]
