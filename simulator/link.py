"""What a version adapter offers the station, and the plumbing both adapters share."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar, cast

from ocpp.exceptions import OCPPError
from ocpp.routing import on as _ocpp_on

from simulator.errors import CsmsError
from simulator.model import ConnectorModel, MeterSample, Session

if TYPE_CHECKING:
    from websockets.asyncio.client import ClientConnection

    from simulator.station import SimStation

FollowUp = Callable[[], Coroutine[Any, Any, Any]]
F = TypeVar("F", bound=Callable[..., Any])


def on(action: str) -> Callable[[F], F]:
    """``ocpp.routing.on`` with a type (the library's decorator is untyped)."""
    return cast(Callable[[F], F], _ocpp_on(action))


def iso(ts: datetime) -> str:
    return ts.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Link:
    """Mixed into ``ocpp.v16.ChargePoint`` / ``ocpp.v201.ChargePoint`` (listed first in the bases).

    ``send`` counts each CALL, maps a CALLERROR or timeout to ``CsmsError``. Follow-up work a
    command needs (a StartTransaction after RemoteStartTransaction …) is registered with
    ``defer`` in the ``@on`` handler and started as a task once the library has put the
    CALLRESULT on the wire (the same moment an ``@after`` hook runs), so nothing ever calls the
    CSMS from inside an ``@on`` handler.
    """

    station: SimStation

    if TYPE_CHECKING:  # provided by the library's ChargePoint, which follows Link in the bases

        async def start(self) -> None: ...

        async def call(self, payload: Any, suppress: bool = ..., **kw: Any) -> Any: ...

    def __init__(self, station: SimStation, ws: ClientConnection) -> None:
        super().__init__(station.id, ws, response_timeout=station.response_timeout)  # type: ignore[call-arg]
        self.station = station
        self._follow_ups: dict[str, tuple[str, FollowUp]] = {}

    async def send(self, payload: Any) -> Any:
        stats = self.station.stats
        stats.messages_sent += 1
        try:
            return await self.call(
                payload, suppress=False, skip_schema_validation=not self.station.validate
            )
        except OCPPError as exc:
            stats.errors += 1
            raise CsmsError(f"{type(payload).__name__}: CALLERROR {exc}") from exc
        except TimeoutError as exc:
            stats.errors += 1
            raise CsmsError(f"{type(payload).__name__}: no answer in time") from exc

    async def _handle_call(self, msg: Any) -> Any:
        """The library's dispatch (validate, ``@on``, send the CALLRESULT), then follow-ups."""
        self.station.stats.messages_received += 1
        try:
            result = await super()._handle_call(msg)  # type: ignore[misc]
        except BaseException:
            self._follow_ups.pop(msg.unique_id, None)
            raise
        self.run_deferred(msg.unique_id)
        return result

    def defer(self, call_unique_id: str, what: str, follow_up: FollowUp | None) -> None:
        if follow_up is not None:
            self._follow_ups[call_unique_id] = (what, follow_up)

    def run_deferred(self, call_unique_id: str) -> None:
        entry = self._follow_ups.pop(call_unique_id, None)
        if entry is not None:
            what, follow_up = entry
            self.station.spawn(follow_up(), what)

    # -- what the station asks of a version adapter -------------------------------------------
    async def boot(self, reason: str) -> tuple[str, float]:
        raise NotImplementedError

    async def heartbeat(self) -> None:
        raise NotImplementedError

    async def status_notification(self, conn: ConnectorModel) -> None:
        raise NotImplementedError

    async def report_all_status(self) -> None:
        raise NotImplementedError

    async def authorize(self, id_tag: str) -> bool:
        raise NotImplementedError

    async def start_transaction(
        self, conn: ConnectorModel, session: Session, sample: MeterSample, remote: bool
    ) -> bool:
        raise NotImplementedError

    async def meter_values(self, conn: ConnectorModel, sample: MeterSample) -> None:
        raise NotImplementedError

    async def stop_transaction(
        self, conn: ConnectorModel, session: Session, sample: MeterSample, reason: str
    ) -> None:
        raise NotImplementedError

    async def upload_status_notification(self, status: str, request_id: int | None) -> None:
        raise NotImplementedError

    async def firmware_status_notification(self, status: str, request_id: int | None) -> None:
        raise NotImplementedError

    async def fault_event(self, conn: ConnectorModel, error_code: str) -> None:
        raise NotImplementedError

    async def temperature_warning(self, conn: ConnectorModel) -> None:
        """The HighTemperature warning was raised or cleared (``conn.error_code``)."""
        raise NotImplementedError
