"""Many simulated stations in one event loop, with shared counters and optional random charging."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from typing import Any

from simulator.config import SimStationConfig
from simulator.errors import SimulatorError
from simulator.station import VERSIONS, SimStation
from simulator.stats import FleetStats

log = logging.getLogger("simulator")

# Auto-charge: sessions last 20-60 meter intervals; idle spells average twice a session, so about
# a third of the connectors charge at any time (the benchmark's steady-state mix).
SESSION_INTERVALS = (20.0, 60.0)
CHARGING_SHARE = 1 / 3


class UnknownStation(SimulatorError):
    code = "unknown_station"


class Fleet:
    def __init__(
        self,
        url: str,
        stations: list[SimStationConfig],
        ocpp_version: str = "1.6",
        meter_interval: float = 10.0,
        heartbeat_interval: float | None = None,
        auto_charge: bool = False,
        seed: int = 0,
        *,
        validate: bool = True,
        step_delay: float = 0.5,
        ramp_s: float = 0.0,
        response_timeout: float = 15.0,
    ) -> None:
        if ocpp_version not in VERSIONS:
            raise ValueError(f"unsupported OCPP version {ocpp_version!r} (1.6 or 2.0.1)")
        ids = [c.charge_point_id for c in stations]
        if len(set(ids)) != len(ids):
            raise ValueError("charge point ids in a fleet must be unique")
        self.url = url
        self.ocpp_version = ocpp_version
        self.meter_interval = meter_interval
        self.auto_charge = auto_charge
        self.ramp_s = max(0.0, ramp_s)
        self.stats = FleetStats()
        self._rng = random.Random(seed)
        self._stations = {
            cfg.charge_point_id: SimStation(
                cfg,
                url,
                ocpp_version,
                meter_interval=meter_interval,
                heartbeat_interval=heartbeat_interval,
                stats=self.stats,
                seed=seed * 1_000_003 + i,
                validate=validate,
                step_delay=step_delay,
                response_timeout=response_timeout,
            )
            for i, cfg in enumerate(stations)
        }
        self._tasks: list[asyncio.Task[Any]] = []
        self._auto_task: asyncio.Task[None] | None = None
        self._stopped: asyncio.Event | None = None
        self._seen: set[tuple[str, int]] = set()
        self._last_progress = (time.monotonic(), 0)

    # ------------------------------------------------------------------ control
    def station(self, charge_point_id: str) -> SimStation:
        try:
            return self._stations[charge_point_id]
        except KeyError:
            raise UnknownStation(f"no simulated station {charge_point_id!r}") from None

    @property
    def stations(self) -> list[SimStation]:
        return list(self._stations.values())

    async def start(self) -> None:
        """Start every station (spread over ``ramp_s`` seconds) and return at once."""
        if self._tasks:
            return
        self._stopped = asyncio.Event()
        n = len(self._stations)
        for i, st in enumerate(self._stations.values()):
            delay = self.ramp_s * i / n if n else 0.0
            self._tasks.append(asyncio.create_task(self._run_station(st, delay)))
        if self.auto_charge:
            self._auto_task = asyncio.create_task(self._auto_charge())

    async def run(self) -> None:
        """Start and run until ``stop()`` is called (or this task is cancelled)."""
        await self.start()
        assert self._stopped is not None
        try:
            await self._stopped.wait()
        finally:
            await self.stop()

    async def stop(self, end_sessions: bool = True, grace_s: float = 5.0) -> None:
        """Stop auto-charge, let sessions being set up settle, end running sessions (best effort,
        within ``grace_s``), then disconnect everyone."""
        if self._auto_task is not None:
            self._auto_task.cancel()
            await asyncio.gather(self._auto_task, return_exceptions=True)
            self._auto_task = None
        if end_sessions:
            try:
                async with asyncio.timeout(grace_s):
                    await asyncio.gather(*(st.settle() for st in self._stations.values()))
                    await asyncio.gather(
                        *(
                            st.stop_session(c.connector_id, "Local")
                            for st in self._stations.values()
                            if st.booted
                            for c in st.connectors.values()
                            if c.session is not None and c.session.transaction_id is not None
                        ),
                        return_exceptions=True,
                    )
            except TimeoutError:
                log.warning("fleet stop: sessions still open after %ss", grace_s)
        await asyncio.gather(*(st.stop() for st in self._stations.values()))
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self._stopped is not None:
            self._stopped.set()

    async def wait_booted(self) -> None:
        """Until every station is connected and booted (wrap in ``asyncio.timeout``)."""
        await asyncio.gather(*(st.wait_booted() for st in self._stations.values()))

    async def _run_station(self, station: SimStation, delay: float) -> None:
        if delay:
            await asyncio.sleep(delay)
        await station.run()

    # ------------------------------------------------------------------ progress
    @property
    def connected(self) -> int:
        return sum(1 for st in self._stations.values() if st.connected)

    @property
    def booted(self) -> int:
        return sum(1 for st in self._stations.values() if st.booted)

    @property
    def charging(self) -> int:
        return sum(st.charging_count for st in self._stations.values())

    def progress_line(self) -> str:
        now = time.monotonic()
        then, sent_then = self._last_progress
        sent = self.stats.messages_sent
        rate = (sent - sent_then) / (now - then) if now > then else 0.0
        self._last_progress = (now, sent)
        s = self.stats
        return (
            f"OCPP {self.ocpp_version} | stations {len(self._stations)} | connected {self.connected}"
            f" | booted {self.booted} | charging {self.charging} | sent {sent} ({rate:.0f}/s)"
            f" | received {s.messages_received} | errors {s.errors}"
            + (f" | refused {s.refused} (401/429)" if s.refused else "")
        )

    # ------------------------------------------------------------------ auto-charge
    async def _auto_charge(self) -> None:
        loop = asyncio.get_running_loop()
        tick = min(max(self.meter_interval, 0.2), 30.0)
        lo, hi = SESSION_INTERVALS
        mean_session = (lo + hi) / 2 * self.meter_interval
        p_start = tick / (mean_session * (1 / CHARGING_SHARE - 1))
        while True:
            await asyncio.sleep(tick)
            now = loop.time()
            for st in self._stations.values():
                if not st.booted:
                    continue
                for conn in st.connectors.values():
                    key = (st.id, conn.connector_id)
                    first = key not in self._seen
                    self._seen.add(key)
                    session = conn.session
                    if session is not None:
                        if session.planned_end is not None and now >= session.planned_end:
                            session.planned_end = None
                            if session.transaction_id is not None:
                                st.spawn(st.stop_session(conn.connector_id), "auto stop")
                        continue
                    chance = CHARGING_SHARE if first else p_start
                    if conn.is_idle and self._rng.random() < chance:
                        end = now + self._rng.uniform(lo, hi) * self.meter_interval
                        st.spawn(st.start_session(conn.connector_id, planned_end=end), "auto start")
