"""A session paid with a hold is stopped when its cost reaches the hold, so it never costs more
than was authorised. Running updates of sessions that hold nothing stop costing a payment read
once they are past the start (remembered in a bounded cache)."""

from __future__ import annotations

import logging
import math

from beanie import PydanticObjectId

from domain.billing import repository as repo
from domain.billing.costing import SessionPricing
from domain.billing.models import PaymentStatus
from domain.billing.ports import ChargingPort
from domain.charging.state import RUNNING
from domain.common.cache import ExpiringCache
from domain.common.clock import utcnow

log = logging.getLogger(__name__)

HOLD_LINK_GRACE_SECONDS = 120  # a start's hold is linked to its session well within this
YOUNG_RECHECK_SECONDS = 5.0  # a younger session without a hold is asked again after this
NO_HOLD_MEMORY = 100_000  # running sessions remembered as holding nothing


class HoldWatch:
    def __init__(self, charging: ChargingPort, pricing: SessionPricing) -> None:
        self.charging = charging
        self.pricing = pricing
        self._stopping: set[PydanticObjectId] = set()
        # running sessions known to hold nothing: trusted a few seconds while young, then for good
        self.without_hold: ExpiringCache[PydanticObjectId, bool] = ExpiringCache(
            "sessions without a hold", NO_HOLD_MEMORY
        )

    def forget(self, session_id: PydanticObjectId) -> None:
        """The session ended: nothing about it needs remembering."""
        self.without_hold.pop(session_id)
        self._stopping.discard(session_id)

    async def on_running(
        self, session_id: PydanticObjectId, driver_id: str | None, age_seconds: int = 0
    ) -> None:
        """A running update: stop the session if its cost has reached its hold."""
        if driver_id is None or session_id in self.without_hold:
            return  # only a driver's app start places a hold; this session has none
        payment = await repo.payment_for_session(session_id)
        if payment is None or payment.status is not PaymentStatus.AUTHORIZED:
            # A hold is placed before the station starts and linked once it has: a session this
            # old without one never gets one, so its running updates need no more reads. A young
            # one is asked again after a few seconds (its hold may be being linked right now).
            young = age_seconds <= HOLD_LINK_GRACE_SECONDS
            self.without_hold.put(session_id, True, YOUNG_RECHECK_SECONDS if young else math.inf)
            return
        if session_id in self._stopping:
            return
        session = await self.charging.session(session_id)
        if session is None or session.status not in RUNNING:
            return
        priced, _ = await self.pricing.price(session, payment, now=utcnow())
        if priced is None or priced.total < payment.amount_authorized:
            return
        self._stopping.add(session_id)
        log.info("session %s reached its authorised amount: stopping it", session_id)
        try:
            await self.charging.stop(session)
        except Exception:
            log.exception("could not stop session %s at its authorised amount", session_id)
            self._stopping.discard(session_id)
