"""What a session costs as the driver sees it: the receipt's total once there is one, else the live
cost with the same pricing as the bill. Running sessions' progress updates come every few seconds
each, so their pricing context is kept a short while in a bounded cache."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from beanie import PydanticObjectId

from domain.billing import repository as repo
from domain.billing.costing import SessionPricing
from domain.charging.models import ChargingSession
from domain.common.cache import ExpiringCache
from domain.common.clock import utcnow
from domain.common.money import Money
from domain.tariffs.models import Tariff
from domain.tariffs.pricing import MemberBenefits, PricedSession

LIVE_CONTEXT_SECONDS = 30.0  # how long a running session's pricing context is reused
LIVE_CONTEXT_MEMORY = 20_000  # running sessions whose pricing context is kept


@dataclass(frozen=True)
class PricingContext:
    tariff: Tariff | None
    timezone: str
    benefits: MemberBenefits | None


class SessionCosts:
    def __init__(self, pricing: SessionPricing) -> None:
        self.pricing = pricing
        self.live_contexts: ExpiringCache[PydanticObjectId, PricingContext] = ExpiringCache(
            "live pricing contexts", LIVE_CONTEXT_MEMORY
        )

    def forget(self, session_id: PydanticObjectId) -> None:
        self.live_contexts.pop(session_id)

    async def cost_of(
        self, session: ChargingSession, *, now: datetime | None = None
    ) -> PricedSession | None:
        """The session's cost so far: the same pricing as its bill. None: no tariff."""
        payment = await repo.payment_for_session(session.id) if session.id else None
        priced, _ = await self.pricing.price(session, payment, now=now or utcnow())
        return priced

    async def session_cost(self, session: ChargingSession) -> Money | None:
        """What the driver sees: the receipt's total once there is one, else the live cost."""
        payment = await repo.payment_for_session(session.id) if session.id else None
        if payment is not None and payment.receipt is not None:
            return Money(payment.receipt.total, payment.receipt.currency)
        priced, _ = await self.pricing.price(session, payment, now=utcnow())
        return priced.total_money if priced is not None else None

    async def live_cost(
        self,
        session_id: PydanticObjectId,
        load_session: Callable[[], Awaitable[ChargingSession]],
        *,
        now: datetime | None = None,
    ) -> Money | None:
        """``session_cost`` for a running session's progress updates: the pricing context
        (payment, tariff snapshot or the station's tariff, timezone, membership benefits) is
        looked up once per ``LIVE_CONTEXT_SECONDS`` and reused, so an update of a session without
        tariff reads nothing and one with a tariff reads the session and its samples (the pricing
        itself is the bill's)."""
        now = now or utcnow()
        context = self.live_contexts.get(session_id)
        if context is None:
            session = await load_session()
            payment = await repo.payment_for_session(session_id)
            if payment is not None and payment.receipt is not None:
                self.live_contexts.pop(session_id)
                return Money(payment.receipt.total, payment.receipt.currency)
            tariff, tz = await self.pricing.tariff_for(session, payment)
            benefits = None
            if tariff is not None:
                _, benefits = await self.pricing.benefits(session, now)
            context = PricingContext(tariff, tz, benefits)
            self.live_contexts.put(session_id, context, LIVE_CONTEXT_SECONDS)
            if tariff is None:
                return None
        else:
            if context.tariff is None:
                return None
            session = await load_session()
        assert context.tariff is not None
        priced = await self.pricing.price_with(
            session, context.tariff, context.timezone, now=now, benefits=context.benefits
        )
        return priced.total_money
