"""Charge points that behave like real ones, on the ``ocpp`` library.

Each station keeps its transaction messages (1.6 StartTransaction, MeterValues, StopTransaction;
2.0.1 TransactionEvent) in an ordered queue that survives reconnects. The head is sent, and it
leaves the queue only when it was answered (then what the answer said is written down) or after
``max_attempts`` CALLERRORs (then it is dropped, as OCPP 1.6's TransactionMessageAttempts lets a
charge point do, and the drop is a failure). Unanswered messages (timeout, connection gone) are sent
again, on the same connection or after a reconnect. Charging goes on while the server is away:
sessions start, sample and stop offline, and their messages wait in the queue.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import random
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

logging.getLogger("ocpp").setLevel(logging.CRITICAL)

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"


def now_utc() -> datetime:
    """The station's clock, to the millisecond (what BSON keeps)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def basic_auth(cp_id: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{cp_id}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@dataclass
class LocalSession:
    """A session as the charge point knows it."""

    cp_id: str
    version: str
    connector: int
    id_tag: str
    phase: str
    meter_start: int
    started_at: datetime
    tx_id: str | None = None  # 1.6: the server's answer; 2.0.1: the station's own id
    seq_no: int = 0  # 2.0.1
    start_answered: bool = False
    start_status: str | None = None
    meter_stop: int | None = None
    stop_enqueued: bool = False
    stop_answered: bool = False
    dropped: bool = False  # some transaction message of it was dropped after CALLERRORs


@dataclass
class AnsweredMeter:
    cp_id: str
    connector: int
    at: datetime
    measurands: tuple[str, ...]
    phase: str


@dataclass
class Failure:
    cp_id: str
    action: str
    phase: str
    kind: str  # "CALLERROR <code>", "timeout", "dropped", "rejected <status>", "HTTP 429" ...
    detail: str = ""


@dataclass
class Pending:
    action: str
    kind: str  # start | meter | stop | status
    session: LocalSession | None
    build: Callable[[], Any | None]  # None: cannot be sent any more (its start was dropped)
    on_answer: Callable[[Any], None]
    phase: str
    transactional: bool = True
    attempts: int = 0


class Ledger:
    """Everything the fleet was answered, and every failure, for the audit."""

    def __init__(self) -> None:
        self.sessions: list[LocalSession] = []
        self.meters: list[AnsweredMeter] = []
        self.failures: list[Failure] = []
        self.latencies: dict[str, list[float]] = {}
        self.timeouts: dict[str, int] = {}


class Fleet:
    """Shared state of the run: the phase, whether sessions are still being started, the
    stop-burst signal, and whether the current phase expects the server to be away."""

    def __init__(self, *, response_timeout: float) -> None:
        self.ledger = Ledger()
        self.phase = "setup"
        self.outage_expected = False
        self.producing = False
        self.closing = False
        self.response_timeout = response_timeout
        self._burst = asyncio.Event()
        self.stations: list[Station] = []

    def burst(self) -> None:
        """Every charging connector stops its session now (a StopTransaction burst)."""
        self._burst.set()
        self._burst = asyncio.Event()

    async def sleep(self, seconds: float) -> bool:
        """Sleep unless a stop burst or the end of production comes first; False then."""
        burst = self._burst
        try:
            await asyncio.wait_for(burst.wait(), seconds)
        except TimeoutError:
            return self.producing
        return False

    def fail(self, cp_id: str, action: str, kind: str, detail: str = "") -> None:
        self.ledger.failures.append(Failure(cp_id, action, self.phase, kind, detail))

    def pending(self) -> int:
        return sum(len(s.queue) for s in self.stations)


class Station:
    def __init__(
        self,
        fleet: Fleet,
        cp_id: str,
        version: str,
        *,
        port: int,
        password: str,
        id_tag: str,
        connectors: int = 2,
        meter_interval: float = 2.0,
        session_seconds: tuple[float, float] = (8.0, 20.0),
        max_attempts: int = 5,
        seed: int = 0,
    ) -> None:
        self.fleet = fleet
        self.cp_id = cp_id
        self.version = version
        self.port = port
        self.password = password
        self.id_tag = id_tag
        self.connectors = connectors
        self.meter_interval = meter_interval
        self.session_seconds = session_seconds
        self.max_attempts = max_attempts
        self.rng = random.Random(seed)
        self.queue: deque[Pending] = deque()
        self._wake = asyncio.Event()
        self.registers = {c: 1_000_000 * c + self.rng.randrange(1000) for c in range(1, 5)}
        self.boots: list[float] = []  # monotonic times of accepted BootNotifications
        self.answers: list[float] = []  # monotonic times transaction messages were answered
        self.connected = False
        self.ws: Any = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks.append(asyncio.create_task(self._connection_loop(), name=self.cp_id))

    def start_charging(self) -> list[asyncio.Task[None]]:
        tasks = [
            asyncio.create_task(self._charge(c), name=f"{self.cp_id}-{c}")
            for c in range(1, self.connectors + 1)
        ]
        self._tasks.extend(tasks)
        return tasks

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()

    async def drop_connection(self) -> None:
        """Close the websocket (the station reconnects, as after a network blip)."""
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()

    def first_answer_after(self, t0: float) -> float | None:
        for t in self.answers:  # appended in order
            if t >= t0:
                return t
        return None

    # -- the connection --------------------------------------------------------------------------

    async def _connection_loop(self) -> None:
        url = f"ws://127.0.0.1:{self.port}/ocpp/{self.cp_id}"
        while not self.fleet.closing:
            try:
                async with connect(
                    url,
                    subprotocols=[f"ocpp{self.version}"],  # type: ignore[list-item]
                    additional_headers=basic_auth(self.cp_id, self.password),
                    open_timeout=self.fleet.response_timeout,
                    close_timeout=1,
                    max_size=None,
                ) as ws:
                    cls = ChargePoint16 if self.version == "1.6" else ChargePoint201
                    cp = cls(self.cp_id, ws, response_timeout=self.fleet.response_timeout + 30)
                    self.ws = ws
                    receiver = asyncio.create_task(cp.start())
                    try:
                        await self._online(cp, receiver)
                    finally:
                        self.connected = False
                        self.ws = None
                        receiver.cancel()
                        with contextlib.suppress(asyncio.CancelledError, Exception):
                            await receiver
            except InvalidStatus as exc:  # refused: 401, 429, 503 ...
                if not self.fleet.outage_expected and not self.fleet.closing:
                    code = exc.response.status_code
                    self.fleet.fail(self.cp_id, "reconnect", f"HTTP {code}", repr(exc)[:200])
            except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as exc:
                if not self.fleet.outage_expected and not self.fleet.closing:
                    self.fleet.fail(self.cp_id, "reconnect", type(exc).__name__, repr(exc)[:200])
            # stale status messages are not sent again; transaction messages are
            self.queue = deque(p for p in self.queue if p.transactional)
            await asyncio.sleep(0.3 + self.rng.random() * 0.7)

    async def _call(self, cp: Any, receiver: asyncio.Task[None], payload: Any) -> Any:
        """The answer; raises ConnectionClosed when the connection went, TimeoutError when the
        server did not answer in time, OCPPError for a CALLERROR."""
        call = asyncio.create_task(cp.call(payload, suppress=False))
        done, _ = await asyncio.wait(
            {call, receiver}, timeout=self.fleet.response_timeout, return_when="FIRST_COMPLETED"
        )
        if call in done:
            return call.result()
        call.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await call
        if receiver in done:
            raise ConnectionClosed(None, None)
        raise TimeoutError

    async def _online(self, cp: Any, receiver: asyncio.Task[None]) -> None:
        while True:  # BootNotification until Accepted
            boot = (
                call16.BootNotification(charge_point_vendor="Chaos", charge_point_model="Replay")
                if self.version == "1.6"
                else call201.BootNotification(
                    charging_station={"model": "Replay", "vendor_name": "Chaos"},
                    reason="PowerUp",
                )
            )
            try:
                answer = await self._call(cp, receiver, boot)
            except TimeoutError:
                continue
            except OCPPError as exc:
                self.fleet.fail(self.cp_id, "BootNotification", f"CALLERROR {exc.code}")
                await asyncio.sleep(1)
                continue
            if answer.status == "Accepted":
                break
            await asyncio.sleep(min(float(answer.interval or 1), 2.0))
        self.boots.append(time.monotonic())
        self.connected = True
        while not self.fleet.closing:
            if receiver.done():
                return
            if not self.queue:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), 0.5)
                continue
            await self._send_head(cp, receiver)

    async def _send_head(self, cp: Any, receiver: asyncio.Task[None]) -> None:
        msg = self.queue[0]
        payload = msg.build()
        if payload is None:  # a 1.6 message of a session whose start was dropped
            self.queue.popleft()
            self.fleet.fail(self.cp_id, msg.action, "dropped", "its StartTransaction was dropped")
            return
        sent = time.monotonic()
        try:
            answer = await self._call(cp, receiver, payload)
        except TimeoutError:
            ledger = self.fleet.ledger
            ledger.timeouts[self.fleet.phase] = ledger.timeouts.get(self.fleet.phase, 0) + 1
            if not self.fleet.outage_expected:
                self.fleet.fail(self.cp_id, msg.action, "timeout")
            return  # sent again
        except OCPPError as exc:
            msg.attempts += 1
            self.fleet.fail(self.cp_id, msg.action, f"CALLERROR {exc.code}", str(exc)[:200])
            if not msg.transactional or msg.attempts >= self.max_attempts:
                self.queue.popleft()
                if msg.transactional:
                    self.fleet.fail(self.cp_id, msg.action, "dropped", f"after {msg.attempts}")
                    if msg.session is not None:
                        msg.session.dropped = True
            else:
                await asyncio.sleep(min(1.0 * msg.attempts, 5.0))
            return
        now = time.monotonic()
        self.fleet.ledger.latencies.setdefault(self.fleet.phase, []).append(now - sent)
        if self.queue and self.queue[0] is msg:
            self.queue.popleft()
        if msg.transactional:
            self.answers.append(now)
        msg.on_answer(answer)

    def _enqueue(self, msg: Pending) -> None:
        self.queue.append(msg)
        self._wake.set()

    # -- charging ----------------------------------------------------------------------------------

    async def _charge(self, connector: int) -> None:
        await asyncio.sleep(self.rng.random() * 2)
        while self.fleet.producing and not self.fleet.closing:
            session = LocalSession(
                cp_id=self.cp_id,
                version=self.version,
                connector=connector,
                id_tag=self.id_tag,
                phase=self.fleet.phase,
                meter_start=self.registers[connector],
                started_at=now_utc(),
            )
            self.fleet.ledger.sessions.append(session)
            self._status(connector, "Charging" if self.version == "1.6" else "Occupied")
            self._start(session)
            length = self.rng.uniform(*self.session_seconds)
            ends = time.monotonic() + length
            while time.monotonic() < ends:
                if not await self.fleet.sleep(min(self.meter_interval, ends - time.monotonic())):
                    break
                self.registers[connector] += self.rng.randrange(200, 900)
                self._meter(session, final=False)
            self.registers[connector] += self.rng.randrange(10, 100)
            self._stop(session)
            self._status(connector, "Available")
            if not self.fleet.producing:
                return
            await asyncio.sleep(0.5 + self.rng.random() * 1.5)

    def _status(self, connector: int, status: str) -> None:
        at = iso(now_utc())

        def build() -> Any:
            if self.version == "1.6":
                return call16.StatusNotification(
                    connector_id=connector, error_code="NoError", status=status, timestamp=at
                )
            return call201.StatusNotification(
                timestamp=at, connector_status=status, evse_id=connector, connector_id=1
            )

        self._enqueue(
            Pending(
                "StatusNotification",
                "status",
                None,
                build,
                lambda _a: None,
                self.fleet.phase,
                transactional=False,
            )
        )

    def _sampled(self, energy: int, power: int, context: str) -> list[dict[str, Any]]:
        if self.version == "1.6":
            return [
                {"value": str(energy), "measurand": ENERGY, "unit": "Wh", "context": context},
                {"value": str(power), "measurand": POWER, "unit": "W", "context": context},
            ]
        return [
            {
                "value": energy,
                "measurand": ENERGY,
                "unit_of_measure": {"unit": "Wh"},
                "context": context,
            },
            {
                "value": power,
                "measurand": POWER,
                "unit_of_measure": {"unit": "W"},
                "context": context,
            },
        ]

    def _record_meter(self, session: LocalSession, at: datetime, phase: str) -> None:
        self.fleet.ledger.meters.append(
            AnsweredMeter(self.cp_id, session.connector, at, (ENERGY, POWER), phase)
        )

    def _start(self, s: LocalSession) -> None:
        at = s.started_at
        phase = self.fleet.phase
        if self.version == "1.6":

            def build() -> Any:
                return call16.StartTransaction(
                    connector_id=s.connector,
                    id_tag=s.id_tag,
                    meter_start=s.meter_start,
                    timestamp=iso(at),
                )

            def answered(answer: Any) -> None:
                s.tx_id = str(answer.transaction_id)
                s.start_answered = True
                s.start_status = answer.id_tag_info.get("status")
                if s.start_status != "Accepted":
                    self.fleet.fail(self.cp_id, "StartTransaction", f"rejected {s.start_status}")

            self._enqueue(Pending("StartTransaction", "start", s, build, answered, phase))
            return
        s.tx_id = uuid.uuid4().hex
        seq = s.seq_no
        s.seq_no += 1

        def build201() -> Any:
            return call201.TransactionEvent(
                event_type="Started",
                timestamp=iso(at),
                trigger_reason="Authorized",
                seq_no=seq,
                transaction_info={"transaction_id": s.tx_id, "charging_state": "Charging"},
                id_token={"id_token": s.id_tag, "type": "ISO14443"},
                evse={"id": s.connector, "connector_id": 1},
                meter_value=[
                    {
                        "timestamp": iso(at),
                        "sampled_value": self._sampled(s.meter_start, 0, "Transaction.Begin"),
                    }
                ],
            )

        def answered201(answer: Any) -> None:
            s.start_answered = True
            info = answer.id_token_info or {}
            s.start_status = info.get("status", "Accepted")
            if s.start_status != "Accepted":
                self.fleet.fail(self.cp_id, "TransactionEvent", f"rejected {s.start_status}")
            self._record_meter(s, at, phase)

        self._enqueue(Pending("TransactionEvent", "start", s, build201, answered201, phase))

    def _meter(self, s: LocalSession, *, final: bool) -> None:
        at = now_utc()
        energy = self.registers[s.connector]
        power = self.rng.randrange(7_000, 150_000)
        phase = self.fleet.phase
        if self.version == "1.6":

            def build() -> Any:
                if s.tx_id is None:
                    return None
                return call16.MeterValues(
                    connector_id=s.connector,
                    transaction_id=int(s.tx_id),
                    meter_value=[
                        {
                            "timestamp": iso(at),
                            "sampled_value": self._sampled(energy, power, "Sample.Periodic"),
                        }
                    ],
                )

            self._enqueue(
                Pending(
                    "MeterValues",
                    "meter",
                    s,
                    build,
                    lambda _a: self._record_meter(s, at, phase),
                    phase,
                )
            )
            return
        seq = s.seq_no
        s.seq_no += 1

        def build201() -> Any:
            return call201.TransactionEvent(
                event_type="Updated",
                timestamp=iso(at),
                trigger_reason="MeterValuePeriodic",
                seq_no=seq,
                transaction_info={"transaction_id": s.tx_id, "charging_state": "Charging"},
                evse={"id": s.connector, "connector_id": 1},
                meter_value=[
                    {
                        "timestamp": iso(at),
                        "sampled_value": self._sampled(energy, power, "Sample.Periodic"),
                    }
                ],
            )

        self._enqueue(
            Pending(
                "TransactionEvent",
                "meter",
                s,
                build201,
                lambda _a: self._record_meter(s, at, phase),
                phase,
            )
        )

    def _stop(self, s: LocalSession) -> None:
        at = now_utc()
        s.meter_stop = self.registers[s.connector]
        s.stop_enqueued = True
        phase = self.fleet.phase

        def answered(_answer: Any) -> None:
            s.stop_answered = True

        if self.version == "1.6":

            def build() -> Any:
                if s.tx_id is None:
                    return None
                return call16.StopTransaction(
                    meter_stop=s.meter_stop,
                    timestamp=iso(at),
                    transaction_id=int(s.tx_id),
                    reason="Local",
                    id_tag=s.id_tag,
                )

            self._enqueue(Pending("StopTransaction", "stop", s, build, answered, phase))
            return
        seq = s.seq_no
        s.seq_no += 1
        meter_stop = s.meter_stop

        def build201() -> Any:
            return call201.TransactionEvent(
                event_type="Ended",
                timestamp=iso(at),
                trigger_reason="StopAuthorized",
                seq_no=seq,
                transaction_info={
                    "transaction_id": s.tx_id,
                    "charging_state": "Idle",
                    "stopped_reason": "Local",
                },
                id_token={"id_token": s.id_tag, "type": "ISO14443"},
                evse={"id": s.connector, "connector_id": 1},
                meter_value=[
                    {
                        "timestamp": iso(at),
                        "sampled_value": self._sampled(meter_stop, 0, "Transaction.End"),
                    }
                ],
            )

        def answered201(answer: Any) -> None:
            answered(answer)
            self._record_meter(s, at, phase)

        self._enqueue(Pending("TransactionEvent", "stop", s, build201, answered201, phase))
