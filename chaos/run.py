"""The run: set the network up, then one phase per fault. In each phase the fleet charges, the fault
is injected, the fleet charges on, then drains (every session stopped, every queue answered), the
server gets ``settle_timeout`` seconds to settle what ended, and the phase is audited."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chaos import attacks
from chaos.audit import Auditor, Figures
from chaos.processes import WEBHOOK_SECRET, Mongo, ServerUnderTest
from chaos.provision import STATION_KEY, StationSpec, provision
from chaos.proxy import StallingProxy
from chaos.station import Fleet, Station
from laddnet.localstripe import LocalStripe

SCENARIOS = ("kill", "kill-burst", "stripe", "mongo", "poison", "flood")


@dataclass
class Config:
    stations_16: int = 40
    stations_201: int = 10
    kills: int = 2  # plain kills under load, besides the one during a stop burst
    load_seconds: float = 20.0  # charging before each fault
    after_seconds: float = 15.0  # charging after it
    stripe_stall: float = 90.0
    mongo_stall: float = 20.0
    poison_seconds: float = 30.0
    body_megabytes: int = 40
    bodies: int = 3
    handshakes: int = 5000
    handshake_concurrency: int = 200
    settle_timeout: float = 120.0
    recover_target: float = 10.0
    response_timeout: float = 10.0
    meter_interval: float = 2.0
    session_seconds: tuple[float, float] = (8.0, 25.0)
    scenarios: tuple[str, ...] = SCENARIOS
    data_dir: Path | None = None
    keep: bool = False


FULL = Config()
SHORT = Config(
    stations_16=4,
    stations_201=2,
    kills=0,
    load_seconds=3.0,
    after_seconds=3.0,
    stripe_stall=25.0,  # past the Stripe client's 20 s timeout: its retry meets the stall
    mongo_stall=4.0,
    poison_seconds=6.0,
    body_megabytes=40,
    bodies=1,
    handshakes=400,
    handshake_concurrency=50,
    settle_timeout=30.0,
    meter_interval=1.0,
    session_seconds=(2.0, 6.0),
)


@dataclass
class PhaseResult:
    name: str
    figures: Figures
    recoveries: list[float | None] = field(default_factory=list)  # None: not all came back
    notes: list[str] = field(default_factory=list)
    settle_seconds: float | None = None

    def violations(self, target: float) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.figures.violations())
        slow = [r for r in self.recoveries if r is None or r > target]
        if slow:
            out["recovery_s"] = ["never" if r is None else round(r, 1) for r in self.recoveries]
        return out


@dataclass
class Report:
    config: Config
    phases: list[PhaseResult] = field(default_factory=list)
    total: Figures | None = None

    def violations(self) -> dict[str, dict[str, Any]]:
        out = {p.name: p.violations(self.config.recover_target) for p in self.phases}
        if self.total is not None:
            out["all phases, at the end"] = self.total.violations()
        return {k: v for k, v in out.items() if v}


class Chaos:
    def __init__(self, config: Config, data_dir: Path, log: Any = print) -> None:
        self.cfg = config
        self.dir = data_dir
        self.log = log
        self.fleet = Fleet(response_timeout=config.response_timeout)
        self.report = Report(config)
        self.stations: list[Station] = []
        self.mongo = Mongo(data_dir)
        self.localstripe = LocalStripe()
        self.proxy: StallingProxy | None = None
        self.server: ServerUnderTest | None = None
        self.auditor: Auditor | None = None
        self.poison_specs: list[StationSpec] = []

    # -- set-up and tear-down ------------------------------------------------------------------

    async def __aenter__(self) -> Chaos:
        started = time.monotonic()
        uri = await asyncio.to_thread(self.mongo.start)
        await asyncio.to_thread(self.localstripe.start)
        self.proxy = StallingProxy(self.localstripe.port)
        await self.proxy.start()
        self.server = ServerUnderTest(
            self.dir,
            mongo_uri=uri,
            database="chaos",
            stripe_api_base=f"http://127.0.0.1:{self.proxy.port}",
        )
        self.server.spawn()
        await self.server.wait_listening()
        self.localstripe.register_webhook(f"{self.server.api_base}/webhooks/stripe", WEBHOOK_SECRET)
        cfg = self.cfg
        specs = [
            StationSpec(f"CHAOS-{i:03d}", "1.6", f"CHAOS{i:03d}") for i in range(cfg.stations_16)
        ] + [
            StationSpec(f"CHAOS2-{i:03d}", "2.0.1", f"CHAOS2X{i:03d}")
            for i in range(cfg.stations_201)
        ]
        self.poison_specs = [
            StationSpec("POISON-16", "1.6", "POISON16"),
            StationSpec("POISON-201", "2.0.1", "POISON201"),
        ]
        await provision(self.server, specs + self.poison_specs)
        self.auditor = Auditor(
            uri, "chaos", self.localstripe.api_base, good={s.cp_id for s in specs}
        )
        for n, spec in enumerate(specs):
            station = Station(
                self.fleet,
                spec.cp_id,
                spec.version,
                port=self.server.ocpp_port,
                password=STATION_KEY,
                id_tag=spec.id_tag,
                connectors=spec.connectors,
                meter_interval=cfg.meter_interval,
                session_seconds=cfg.session_seconds,
                seed=n,
            )
            self.stations.append(station)
            self.fleet.stations.append(station)
            station.start()
        await self._wait_all_booted(since=0.0, within=60)
        self.log(
            f"set up in {time.monotonic() - started:.1f}s: {len(specs)} stations "
            f"({cfg.stations_16} OCPP 1.6, {cfg.stations_201} OCPP 2.0.1, 2 connectors each), "
            f"data in {self.dir}, server log {self.server.log_path}"
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.fleet.closing = True
        self.fleet.producing = False
        for station in self.stations:
            await station.stop()
        if self.server is not None:
            self.server.stop()
        if self.proxy is not None:
            await self.proxy.stop()
        self.localstripe.stop()
        await asyncio.to_thread(self.mongo.stop)

    # -- measurements -----------------------------------------------------------------------------

    async def _wait_all_booted(self, since: float, within: float) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if all(s.boots and s.boots[-1] >= since for s in self.stations):
                return
            await asyncio.sleep(0.1)
        raise RuntimeError("not every station could boot")

    async def recovery(self, t0: float, within: float = 90.0) -> float | None:
        """Seconds from ``t0`` until every station is connected and has had a transaction
        message answered after ``t0`` (None when some never were within ``within`` seconds)."""
        deadline = t0 + within
        while time.monotonic() < deadline:
            firsts = [s.first_answer_after(t0) for s in self.stations]
            if all(t is not None for t in firsts):
                return max(t for t in firsts if t is not None) - t0
            await asyncio.sleep(0.1)
        back = sum(1 for s in self.stations if s.first_answer_after(t0) is not None)
        self.log(f"    only {back} of {len(self.stations)} stations back within {within:.0f}s")
        return None

    async def drain(self, within: float = 120.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline and self.fleet.pending():  # noqa: ASYNC110 - a count
            await asyncio.sleep(0.2)
        if self.fleet.pending():
            self.log(f"    {self.fleet.pending()} messages still unanswered after {within:.0f}s")

    async def audit(self, phases: set[str]) -> Figures:
        assert self.auditor is not None
        ledger = self.fleet.ledger
        return await asyncio.to_thread(
            self.auditor.audit,
            list(ledger.sessions),
            list(ledger.meters),
            list(ledger.failures),
            phases,
        )

    async def settle_and_audit(self, phases: set[str]) -> tuple[Figures, float | None]:
        """Audit until every ended session is settled, at most ``settle_timeout`` seconds."""
        started = time.monotonic()
        while True:
            figures = await self.audit(phases)
            if figures.ended_unsettled == 0:
                return figures, time.monotonic() - started
            if time.monotonic() - started > self.cfg.settle_timeout:
                return figures, None
            await asyncio.sleep(3)

    # -- phases -----------------------------------------------------------------------------------

    async def phase(self, name: str, fault: Any, *, outage: bool) -> PhaseResult:
        self.log(f"[{name}]")
        fleet = self.fleet
        fleet.phase = name
        fleet.producing = True
        chargers = [t for s in self.stations for t in s.start_charging()]
        result = PhaseResult(name, Figures())
        await asyncio.sleep(self.cfg.load_seconds)
        fleet.outage_expected = outage
        try:
            await fault(result)
        finally:
            await asyncio.sleep(self.cfg.after_seconds)
            fleet.producing = False
            await asyncio.wait(chargers, timeout=60)
            await self.drain()
            fleet.outage_expected = False
        result.figures, result.settle_seconds = await self.settle_and_audit({name})
        self.log(_phase_line(result))
        self.report.phases.append(result)
        return result

    async def kill(self, result: PhaseResult, *, burst: bool) -> None:
        server = self.server
        assert server is not None
        if burst:
            self.fleet.burst()
            await asyncio.sleep(0.15)  # the stops are on their way and being answered
        pending = self.fleet.pending()
        server.kill9()
        await asyncio.sleep(1.0)
        t0 = server.spawn()
        listening = await server.wait_listening()
        recovered = await self.recovery(t0)
        self.fleet.outage_expected = False  # from here on the server is expected to answer
        result.recoveries.append(recovered)
        result.notes.append(
            f"kill -9 with {pending} messages queued; restart: listening in {listening:.1f}s, "
            f"all stations back and writing in "
            + ("never" if recovered is None else f"{recovered:.1f}s")
        )

    async def stripe_stall(self, result: PhaseResult) -> None:
        assert self.proxy is not None
        before = (self.proxy.requests, self.proxy.held, self.proxy.replayed)
        self.proxy.stall()
        try:
            await asyncio.sleep(self.cfg.stripe_stall)
            self.fleet.burst()  # sessions end while the provider is still away
            await asyncio.sleep(2)
        finally:
            self.proxy.resume()
        result.notes.append(
            f"payment provider stalled {self.cfg.stripe_stall:.0f}s: "
            f"{self.proxy.held - before[1]} provider requests held by it, "
            f"{self.proxy.replayed - before[2]} answered again for a repeated idempotency key"
        )

    async def mongo_stall(self, result: PhaseResult) -> None:
        self.mongo.stall()
        try:
            await asyncio.sleep(self.cfg.mongo_stall)
        finally:
            self.mongo.resume()
        t0 = time.monotonic()
        recovered = await self.recovery(t0)
        result.recoveries.append(recovered)
        await asyncio.sleep(self.cfg.load_seconds / 2)
        restart = await asyncio.to_thread(self.mongo.crash_and_restart)
        t1 = time.monotonic()
        recovered_restart = await self.recovery(t1)
        self.fleet.outage_expected = False
        result.recoveries.append(recovered_restart)
        result.notes.append(
            f"mongod SIGSTOP {self.cfg.mongo_stall:.0f}s: all back and writing "
            + ("never" if recovered is None else f"{recovered:.1f}s")
            + f" after SIGCONT; kill -9 of mongod + restart ({restart:.1f}s): "
            + ("never" if recovered_restart is None else f"{recovered_restart:.1f}s")
        )

    async def poison(self, result: PhaseResult) -> None:
        server = self.server
        assert server is not None
        outcomes = await asyncio.gather(
            *(
                attacks.run_poison_station(
                    server.ocpp_port,
                    spec.cp_id,
                    spec.version,
                    STATION_KEY,
                    spec.id_tag,
                    self.cfg.poison_seconds,
                )
                for spec in self.poison_specs
            )
        )
        total: collections.Counter[str] = collections.Counter()
        for o in outcomes:
            total.update(o)
        result.notes.append(
            "poison answers: " + ", ".join(f"{k} x{v}" for k, v in sorted(total.items()))
        )
        await asyncio.sleep(2)
        self.fleet.outage_expected = True
        exit_code = await asyncio.to_thread(server.stop)
        result.notes.append(f"SIGTERM after the poison: exit code {exit_code}")
        t0 = server.spawn()
        await server.wait_listening()
        recovered = await self.recovery(t0)
        self.fleet.outage_expected = False
        result.recoveries.append(recovered)

    async def flood(self, result: PhaseResult) -> None:
        server = self.server
        assert server is not None
        rss_before = server.rss_kib()
        bodies, handshakes = await asyncio.gather(
            attacks.huge_bodies(server.api_base, self.cfg.body_megabytes, self.cfg.bodies),
            attacks.handshake_flood(
                server.ocpp_port,
                self.cfg.handshakes,
                self.cfg.handshake_concurrency,
                [s.cp_id for s in self.stations],
            ),
        )
        await asyncio.sleep(2)
        rss_after = server.rss_kib()
        # the real stations reconnect with their right key after the wrong-password flood
        t0 = time.monotonic()
        for station in self.stations:
            await station.drop_connection()
        recovered = await self.recovery(t0)
        result.recoveries.append(recovered)
        result.notes.append(
            f"{self.cfg.bodies} x {self.cfg.body_megabytes} MB POST /graphql: {bodies}; "
            f"{self.cfg.handshakes} handshakes: {dict(handshakes)}; server RSS "
            f"{(rss_before or 0) // 1024} -> {(rss_after or 0) // 1024} MiB; stations reconnected "
            + ("never" if recovered is None else f"in {recovered:.1f}s")
        )

    async def run(self) -> Report:
        cfg = self.cfg
        if "kill" in cfg.scenarios:
            for n in range(cfg.kills):

                async def plain(r: PhaseResult) -> None:
                    await self.kill(r, burst=False)

                await self.phase(f"kill-{n + 1}", plain, outage=True)
        if "kill-burst" in cfg.scenarios:

            async def burst(r: PhaseResult) -> None:
                await self.kill(r, burst=True)

            await self.phase("kill-during-stop-burst", burst, outage=True)
        if "stripe" in cfg.scenarios:
            await self.phase("stripe-stall", self.stripe_stall, outage=False)
        if "mongo" in cfg.scenarios:
            await self.phase("mongo-stall-restart", self.mongo_stall, outage=True)
        if "poison" in cfg.scenarios:
            await self.phase("poison-station", self.poison, outage=False)
        if "flood" in cfg.scenarios:
            await self.phase("bodies-and-handshakes", self.flood, outage=False)
        if len(self.report.phases) > 1:
            self.report.total, _ = await self.settle_and_audit({p.name for p in self.report.phases})
        return self.report


def _phase_line(r: PhaseResult) -> str:
    f = r.figures
    rec = ", ".join("never" if x is None else f"{x:.1f}s" for x in r.recoveries) or "-"
    lines = [
        f"  sessions {f.sessions_started} started / {f.sessions_ended} ended; "
        f"lost {f.sessions_lost}, stops lost {f.stops_lost}, duplicated {f.sessions_duplicated}, "
        f"ended-unsettled {f.ended_unsettled} {f.unsettled_by_status or ''}"
        + ("" if r.settle_seconds is None else f" (settled {r.settle_seconds:.0f}s after drain)"),
        f"  meter values answered {f.meters_answered}, missing {f.meters_missing}; "
        f"others' messages failed {f.others_failed} {f.failures_by_kind or ''}; "
        f"double charges {f.double_charges}; Stripe money without a CAPTURED payment "
        f"{f.stripe_without_payment}; recovery {rec}",
    ]
    lines += [f"  - {n}" for n in r.notes]
    lines += [f"  e.g. {e}" for e in f.examples[:4]]
    return "\n".join(lines)


COLUMNS = (
    ("sessions_lost", "lost"),
    ("stops_lost", "stops lost"),
    ("sessions_duplicated", "duplicated"),
    ("ended_unsettled", "unsettled"),
    ("meters_missing", "meters missing"),
    ("others_failed", "others failed"),
    ("double_charges", "double charged"),
)


def render(report: Report) -> str:
    """One row per scenario: the asserted figures (all must be 0) and the recovery seconds."""
    head = f"{'scenario':<24}" + "".join(f"{title:>16}" for _, title in COLUMNS)
    head += f"{'recovery s':>18}"
    rows = [head, "-" * len(head)]
    for p in report.phases:
        rec = ",".join("never" if x is None else f"{x:.1f}" for x in p.recoveries) or "-"
        rows.append(
            f"{p.name:<24}"
            + "".join(f"{getattr(p.figures, name):>16}" for name, _ in COLUMNS)
            + f"{rec:>18}"
        )
    if report.total is not None:
        t = report.total
        rows.append(
            f"{'all, at the end':<24}" + "".join(f"{getattr(t, name):>16}" for name, _ in COLUMNS)
        )
    return "\n".join(rows)


async def run_chaos(config: Config, log: Any = print) -> Report:
    with contextlib.ExitStack() as stack:
        if config.data_dir is not None:
            data_dir = config.data_dir
            data_dir.mkdir(parents=True, exist_ok=True)
        else:
            tmp = tempfile.mkdtemp(prefix="laddnet-chaos-")
            data_dir = Path(tmp)
            if not config.keep:
                import shutil

                stack.callback(shutil.rmtree, tmp, True)
        async with Chaos(config, data_dir, log) as chaos:
            return await chaos.run()
    raise AssertionError("unreachable")


def replace(config: Config, **changes: Any) -> Config:
    return dataclasses.replace(config, **changes)
