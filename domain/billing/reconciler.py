"""Every ended session is settled exactly once, driven from what is stored, not from events.

Events (``SessionUpdated``) are the fast path: most sessions are settled the moment they end. But
the event queue lives in memory (a crash loses it, an overflow drops from it, a replayed stop of an
ENDED session publishes nothing) and the provider may be away, so correctness rests here:

1. **Sessions pass.** Charging's stored sessions that are final (ENDED or FAILED) and were written
   since the watermark (less ``overlap``, for writes that land late) are read a page at a time;
   each without a priced payment is finalized (``Settlement.finalize``: claimed, priced, numbered,
   settled). The watermark then moves to the oldest session still unpriced, or past the last one
   read: a session is never skipped, and each is read about once.
2. **Payments pass.** Payments of ended sessions that are not settled (the provider was away, a
   worker died holding the claim) are settled again when their backoff (``next_attempt_at``) is due.
3. Holds of app starts that never got their session are released; refunds not taken are sent again.

All of it runs at start-up and periodically on one node (the cluster lease holder); settling twice
is harmless by construction (see ``settlement``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from beanie import PydanticObjectId

from domain.billing import repository as repo
from domain.billing.models import SETTLED, SessionPayment
from domain.billing.ports import ChargingPort
from domain.billing.refunds import Refunds
from domain.billing.settlement import Settlement
from domain.charging.models import ChargingSession
from domain.charging.state import FINAL
from domain.common.clock import as_utc, utcnow

log = logging.getLogger(__name__)

PAGE = 500


@dataclass
class Reconciled:
    """What one round did."""

    sessions_scanned: int = 0
    sessions_settled: int = 0  # finalized by the sessions pass (their events were missed)
    payments_retried: int = 0
    starts_released: int = 0
    refunds_retried: int = 0
    still_open: int = 0  # seen but not settled by this round (provider away, claimed elsewhere)

    @property
    def touched(self) -> int:
        return (
            self.sessions_settled
            + self.payments_retried
            + self.starts_released
            + self.refunds_retried
        )


@dataclass(frozen=True)
class Unsettled:
    """An ended session not settled yet, and why (for operators)."""

    session: ChargingSession
    payment: SessionPayment | None
    reason: str


class SettlementReconciler:
    def __init__(
        self,
        settlement: Settlement,
        refunds: Refunds,
        charging: ChargingPort,
        *,
        hold_timeout: timedelta = timedelta(minutes=5),
        lookback: timedelta = timedelta(days=7),
        overlap: timedelta = timedelta(minutes=10),
    ) -> None:
        """``lookback``: how far back the first round looks (no watermark yet); ``overlap``: how
        far behind the watermark each round starts again (writes that became visible late)."""
        self.settlement = settlement
        self.refunds = refunds
        self.charging = charging
        self.hold_timeout = hold_timeout
        self.lookback = lookback
        self.overlap = overlap
        self._lock = asyncio.Lock()

    async def reconcile(self, *, now: datetime | None = None, limit: int = 200) -> Reconciled:
        """One round: both passes, stale starts, refunds. Rounds in one process never overlap."""
        async with self._lock:
            now = now or utcnow()
            done = Reconciled()
            await self._sessions_pass(now, done)
            await self._payments_pass(now, limit, done)
            for payment in await repo.stale_starts(now - self.hold_timeout, limit):
                await self.settlement.abandon(payment, TimeoutError("the start never completed"))
                done.starts_released += 1
            done.refunds_retried = await self.refunds.retry_refunds(limit=limit)
            if done.touched or done.still_open:
                log.info("settlement reconciled: %s", done)
            return done

    async def retry_pending(self, *, now: datetime | None = None, limit: int = 200) -> int:
        """``reconcile``, counting what it touched."""
        return (await self.reconcile(now=now, limit=limit)).touched

    async def _scan_start(self, now: datetime) -> datetime:
        mark = await repo.settlement_watermark()
        return (mark if mark is not None else now - self.lookback) - self.overlap

    async def _sessions_pass(self, now: datetime, done: Reconciled) -> None:
        since = await self._scan_start(now)
        after: ChargingSession | None = None
        oldest_open: datetime | None = None
        newest: datetime | None = None
        while True:
            page = await self.charging.ended_sessions(since, after=after, limit=PAGE)
            if not page:
                break
            ids = [s.id for s in page if s.id is not None]
            payments = await repo.payments_for_sessions(ids)
            for session in page:
                assert session.id is not None
                done.sessions_scanned += 1
                payment = payments.get(session.id)
                if payment is None or payment.amount_due is None:
                    try:
                        payment = await self.settlement.finalize(session, now=now)
                    except Exception:
                        log.exception("could not settle session %s", session.id)
                        payment = None
                    if payment is not None and payment.amount_due is not None:
                        done.sessions_settled += 1
                    else:
                        stamp = as_utc(session.updated_at)
                        oldest_open = stamp if oldest_open is None else min(oldest_open, stamp)
                if payment is not None and payment.status not in SETTLED:
                    done.still_open += 1
            after = page[-1]
            newest = as_utc(after.updated_at)
            if len(page) < PAGE:
                break
        mark = oldest_open if oldest_open is not None else newest
        if mark is not None:
            await repo.set_settlement_watermark(min(mark, now))

    async def _payments_pass(self, now: datetime, limit: int, done: Reconciled) -> None:
        for payment in await repo.due_settlements(now, limit):
            assert payment.session_id is not None
            session = await self.charging.session(payment.session_id)
            if session is None or session.status not in FINAL:
                continue
            settled = await self.settlement.finalize(session, now=now)
            done.payments_retried += 1
            if settled is None or settled.status not in SETTLED:
                done.still_open += 1

    async def run(self, interval: float) -> None:
        """A round now (start-up), then every ``interval`` seconds until cancelled."""
        while True:
            try:
                await self.reconcile()
            except Exception:
                log.exception("settlement reconciliation failed")
            await asyncio.sleep(interval)

    async def unsettled(self, org_id: PydanticObjectId, *, limit: int = 100) -> list[Unsettled]:
        """The organisation's ended sessions not settled yet, and why, oldest first."""
        now = utcnow()
        found: list[Unsettled] = []
        for payment in await repo.open_payments_of_org(org_id, limit):
            assert payment.session_id is not None
            session = await self.charging.session(payment.session_id)
            if session is None or session.status not in FINAL:
                continue
            found.append(Unsettled(session, payment, _reason(payment, now)))
        since = await self._scan_start(now)
        after: ChargingSession | None = None
        while len(found) < limit:
            page = await self.charging.ended_sessions(since, after=after, limit=PAGE, org_id=org_id)
            if not page:
                break
            mine = [s for s in page if s.id is not None]
            payments = await repo.payments_for_sessions([s.id for s in mine if s.id])
            for session in mine:
                assert session.id is not None
                open_payment = payments.get(session.id)
                if open_payment is None or open_payment.amount_due is None:
                    found.append(
                        Unsettled(
                            session,
                            open_payment,
                            "ended, not settled yet: the reconciler settles it within a round",
                        )
                    )
            after = page[-1]
            if len(page) < PAGE:
                break
        return found[:limit]


def _reason(payment: SessionPayment, now: datetime) -> str:
    why = payment.last_error or "being settled"
    if payment.next_attempt_at is not None and as_utc(payment.next_attempt_at) > now:
        return f"{why} (attempt {payment.attempts}; tried again at {payment.next_attempt_at:%H:%M:%S} UTC)"
    return f"{why} (attempt {payment.attempts}; due now)"
