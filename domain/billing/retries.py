"""The safety net behind the event-driven path: ended sessions whose payment is still open are
settled again, holds of starts that never finished are released, refunds the provider did not
take are sent again (all with the same idempotency keys)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta

from domain.billing import repository as repo
from domain.billing.ports import ChargingPort
from domain.billing.refunds import Refunds
from domain.billing.settlement import Settlement
from domain.charging.state import FINAL
from domain.common.clock import as_utc, utcnow

log = logging.getLogger(__name__)


class PaymentRetries:
    def __init__(
        self,
        settlement: Settlement,
        refunds: Refunds,
        charging: ChargingPort,
        *,
        hold_timeout: timedelta = timedelta(minutes=5),
        retry_after: timedelta = timedelta(seconds=30),
    ) -> None:
        self.settlement = settlement
        self.refunds = refunds
        self.charging = charging
        self.hold_timeout = hold_timeout
        self.retry_after = retry_after

    async def retry_pending(self, *, now: datetime | None = None, limit: int = 200) -> int:
        """One round: settle ended sessions still open, release stale holds of starts that never
        finished, retry refunds the provider did not take. Returns how many payments it touched."""
        now = now or utcnow()
        touched = 0
        for payment in await repo.unsettled(now - self.retry_after, limit):
            touched += 1
            if payment.session_id is None:
                if as_utc(payment.created_at) < now - self.hold_timeout:
                    await self.settlement.abandon(
                        payment, TimeoutError("the start never completed")
                    )
                continue
            session = await self.charging.session(payment.session_id)
            if session is not None and session.status in FINAL:
                await self.settlement.finalize(session, now=now)
        touched += await self.refunds.retry_refunds(limit=limit)
        return touched

    async def run(self, interval: float = 30.0) -> None:
        """Retry every ``interval`` seconds until cancelled."""
        while True:
            try:
                await self.retry_pending()
            except Exception:
                log.exception("payment retry round failed")
            await asyncio.sleep(interval)
