"""``BillingService``: the hold before a start, the bill at the end, retries, refunds, live cost.

Flow of an app start (``start_paid_session``): a ``SessionPayment`` is stored holding a lock on the
connector (a double-submitted start finds it taken and places no second hold), the hold is placed
(a manual-capture PaymentIntent for the tariff's pre-authorisation amount), and only then is the
station told to start. A declined card raises ``PaymentDeclined`` and nothing is sent to the station.
An unreachable provider does not stop charging: the session starts, its payment is PENDING and the
final amount is charged off-session when it ends (retried until the provider answers).

When a session ends (``SessionUpdated`` events, and ``retry_pending`` as the safety net) it is priced
with ``costing`` (the same function as the live cost), gets its numbered receipt, and is settled:
the priced amount captured from the hold (never more than held), the hold released when nothing is
due, or an off-session charge for RFID sessions of drivers with a default card.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from beanie import PydanticObjectId

from domain.billing import repository as repo
from domain.billing.charging_view import ChargingView
from domain.billing.costing import price_stored_session
from domain.billing.customers import Customers
from domain.billing.errors import GatewayUnavailable, PaymentDeclined
from domain.billing.gateway import PaymentGateway
from domain.billing.memberships import Memberships
from domain.billing.models import SETTLED, PaymentStatus, SessionPayment
from domain.billing.refunds import Refunds
from domain.billing.reports import Reports
from domain.billing.settlement import Settlement
from domain.billing.webhooks import Webhooks
from domain.charging.events import SessionUpdated
from domain.charging.models import ChargingSession
from domain.charging.state import FINAL, RUNNING
from domain.charging.store import ChargingStore
from domain.common.clock import as_utc, utcnow
from domain.common.errors import ConnectorBusy, InvalidInput
from domain.common.events import DomainEvent, EventBus
from domain.common.money import Money
from domain.network import repository as network_repo
from domain.network.models import Station
from domain.tariffs import repository as tariffs_repo
from domain.tariffs.models import Tariff
from domain.tariffs.pricing import Membership as Benefits
from domain.tariffs.pricing import PricedSession

log = logging.getLogger(__name__)

HOLD_LINK_GRACE_SECONDS = 120  # a start's hold is linked to its session well within this
LIVE_CONTEXT_SECONDS = 30.0  # how long a running session's pricing context is reused
YOUNG_RECHECK_SECONDS = 5.0  # a younger session without a hold is asked again after this
NO_HOLD_MEMORY = 100_000  # sessions remembered as holding nothing (cleared when full)
LIVE_CONTEXT_MEMORY = 20_000  # running sessions whose pricing context is kept (cleared when full)

StopSession = Callable[[ChargingSession], Awaitable[object]]


class BillingService(Customers, Memberships, Settlement, Refunds, Webhooks, Reports):
    def __init__(
        self,
        gateway: PaymentGateway,
        *,
        charging: ChargingView | None = None,
        stop_session: StopSession | None = None,
        hold_timeout: timedelta = timedelta(minutes=5),
        retry_after: timedelta = timedelta(seconds=30),
        settle_claim: timedelta = timedelta(seconds=60),
    ) -> None:
        """``stop_session`` (e.g. ``ChargingService.remote_stop``) stops a session whose cost
        reaches its hold, so it cannot exceed what was authorised. ``charging``: how billing reads
        sessions and samples (the charging store the stations write through; by default one of
        its own, for a process where no station writes)."""
        self.gateway = gateway
        self.charging: ChargingView = charging if charging is not None else ChargingStore()
        self.stop_session = stop_session
        self.hold_timeout = hold_timeout
        self.retry_after = retry_after
        self.settle_claim = settle_claim
        self._stopping: set[PydanticObjectId] = set()
        # running sessions known to have no hold -> until when that is trusted (monotonic)
        self._no_hold: dict[PydanticObjectId, float] = {}
        # session -> (trusted until, tariff, timezone, benefits): the live cost's context
        self._live_context: dict[
            PydanticObjectId, tuple[float, Tariff | None, str, Benefits | None]
        ] = {}

    # -- starting -------------------------------------------------------------------------------

    async def start_paid_session(
        self,
        driver_id: PydanticObjectId,
        station: Station,
        connector_id: int,
        payment_method_id: str | None,
        start: Callable[[], Awaitable[ChargingSession]],
    ) -> ChargingSession:
        """Hold the pre-authorisation amount, then ``start()`` (the remote start); see module."""
        assert station.id is not None
        if station.connector(connector_id) is None:
            raise InvalidInput(f"the station has no connector {connector_id}", field="connectorId")
        tariff_doc = await tariffs_repo.get_tariff(station.tariff_id) if station.tariff_id else None
        tariff = tariff_doc.tariff if tariff_doc else None
        site = await network_repo.get_site(station.site_id)
        payment = SessionPayment(
            org_id=station.org_id,
            site_id=station.site_id,
            station_id=station.id,
            connector_id=connector_id,
            driver_id=driver_id,
            start_lock=f"{station.id}:{connector_id}",
            tariff_id=tariff_doc.id if tariff_doc else None,
            tariff=tariff,
            site_timezone=site.timezone if site else "UTC",
            currency=tariff.currency if tariff else "EUR",
        )
        hold = tariff.pre_authorization_amount if tariff else 0
        if hold > 0:
            customer, method, label = await self._payment_method(driver_id, payment_method_id)
            payment.customer_id = customer.customer_id
            payment.payment_method_id = method
            payment.payment_method_label = label
        if not await repo.insert_payment(payment):
            raise ConnectorBusy(f"connector {connector_id} is being started already")
        try:
            holder = await self.charging.session_holding(station.id, connector_id)
            if holder is not None:
                raise ConnectorBusy(f"connector {connector_id} has a session already")
            if hold > 0:
                await self._place_hold(payment, hold)
            else:
                payment.status = PaymentStatus.PENDING  # settled when the session ends
                payment.off_session = payment.customer_id is not None
            session = await start()
        except BaseException as error:
            await self._abandon(payment, error)
            raise
        payment.session_id = session.id
        payment.start_lock = None
        await repo.save_payment(payment)
        return session

    async def _place_hold(self, payment: SessionPayment, amount: int) -> None:
        assert payment.customer_id and payment.payment_method_id
        try:
            intent = await self.gateway.authorize(
                customer_id=payment.customer_id,
                payment_method_id=payment.payment_method_id,
                amount=amount,
                currency=payment.currency,
                metadata={"session_payment": str(payment.id), "station": str(payment.station_id)},
                idempotency_key=payment.idempotency_key("authorize"),
            )
        except GatewayUnavailable as error:
            # never stop charging for an outage: charge off-session once the session ends
            log.warning("payment provider unreachable at start; charging later: %s", error)
            payment.status = PaymentStatus.PENDING
            payment.off_session = True
            payment.last_error = str(error)
            payment.attempts += 1
            await repo.save_payment(payment)
            return
        payment.intent_id = intent.id
        payment.amount_authorized = intent.amount
        payment.status = PaymentStatus.AUTHORIZED
        await repo.save_payment(payment)

    async def _abandon(self, payment: SessionPayment, error: BaseException) -> None:
        """The start did not happen: release the hold and the lock (a declined hold is kept as
        DECLINED for the record)."""
        payment.start_lock = None
        payment.last_error = str(error) or type(error).__name__
        if isinstance(error, PaymentDeclined) and payment.intent_id is None:
            payment.status = PaymentStatus.DECLINED
        else:
            await self._release(payment)
        try:
            await repo.save_payment(payment)
        except Exception:
            log.exception("could not record an abandoned start %s", payment.id)

    # -- events ---------------------------------------------------------------------------------

    async def on_session_updated(self, event: SessionUpdated) -> None:
        session_id = PydanticObjectId(event.session_id)
        if event.status in {s.value for s in FINAL}:
            session = await self.charging.session(session_id)
            if session is not None:
                await self.finalize(session)
            self._no_hold.pop(session_id, None)
            self._live_context.pop(session_id, None)
        elif self.stop_session is not None and event.status in {s.value for s in RUNNING}:
            if event.driver_id is None or self._known_without_hold(session_id):
                return  # only a driver's app start places a hold; this session has none
            await self._stop_at_hold(session_id, event.duration_seconds)

    def _known_without_hold(self, session_id: PydanticObjectId) -> bool:
        until = self._no_hold.get(session_id)
        if until is None:
            return False
        if until < time.monotonic():
            del self._no_hold[session_id]
            return False
        return True

    async def _stop_at_hold(self, session_id: PydanticObjectId, age_seconds: int = 0) -> None:
        payment = await repo.payment_for_session(session_id)
        if payment is None or payment.status is not PaymentStatus.AUTHORIZED:
            # A hold is placed before the station starts and linked once it has: a session this
            # old without one never gets one, so its running updates need no more reads. A young
            # one is asked again after a few seconds (its hold may be being linked right now).
            if len(self._no_hold) >= NO_HOLD_MEMORY:
                self._no_hold.clear()
            young = age_seconds <= HOLD_LINK_GRACE_SECONDS
            self._no_hold[session_id] = time.monotonic() + (
                YOUNG_RECHECK_SECONDS if young else math.inf
            )
            return
        if session_id in self._stopping or self.stop_session is None:
            return
        session = await self.charging.session(session_id)
        if session is None or session.status not in RUNNING:
            return
        priced = await self.cost_of(session)
        if priced is None or priced.total < payment.amount_authorized:
            return
        self._stopping.add(session_id)
        log.info("session %s reached its authorised amount: stopping it", session_id)
        try:
            await self.stop_session(session)
        except Exception:
            log.exception("could not stop session %s at its authorised amount", session_id)
            self._stopping.discard(session_id)

    async def run(self, events: EventBus) -> None:
        """Follow ``SessionUpdated`` events until cancelled (the composition root runs this)."""

        def accept(event: DomainEvent) -> bool:
            return isinstance(event, SessionUpdated)

        async with events.subscribe(accept, maxsize=10_000) as stream:
            async for event in stream:
                assert isinstance(event, SessionUpdated)
                try:
                    await self.on_session_updated(event)
                except Exception:
                    log.exception("billing could not handle session %s", event.session_id)

    async def run_retries(self, interval: float = 30.0) -> None:
        """Retry pending payments and refunds every ``interval`` seconds until cancelled."""
        while True:
            try:
                await self.retry_pending()
            except Exception:
                log.exception("payment retry round failed")
            await asyncio.sleep(interval)

    async def retry_pending(self, *, now: datetime | None = None, limit: int = 200) -> int:
        """One round: settle ended sessions still open, release stale holds of starts that never
        finished, retry refunds the provider did not take. Returns how many payments it touched."""
        now = now or utcnow()
        touched = 0
        for payment in await repo.unsettled(now - self.retry_after, limit):
            touched += 1
            if payment.session_id is None:
                if as_utc(payment.created_at) < now - self.hold_timeout:
                    await self._abandon(payment, TimeoutError("the start never completed"))
                continue
            session = await self.charging.session(payment.session_id)
            if session is not None and session.status in FINAL:
                await self.finalize(session, now=now)
        touched += await self.retry_refunds(limit=limit)
        return touched

    # -- reading --------------------------------------------------------------------------------

    async def payment_for_session(self, session_id: PydanticObjectId) -> SessionPayment | None:
        return await repo.payment_for_session(session_id)

    async def payments_for_sessions(
        self, session_ids: list[PydanticObjectId]
    ) -> dict[PydanticObjectId, SessionPayment]:
        return await repo.payments_for_sessions(session_ids)

    async def cost_of(
        self, session: ChargingSession, *, now: datetime | None = None
    ) -> PricedSession | None:
        """The session's cost so far: the same pricing as its bill. None: no tariff."""
        payment = await repo.payment_for_session(session.id) if session.id else None
        priced, _ = await self._price(session, payment, now=now or utcnow())
        return priced

    async def session_cost(self, session: ChargingSession) -> Money | None:
        """What the driver sees: the receipt's total once there is one, else the live cost."""
        payment = await repo.payment_for_session(session.id) if session.id else None
        if payment is not None and payment.receipt is not None:
            return Money(payment.receipt.total, payment.receipt.currency)
        priced, _ = await self._price(session, payment, now=utcnow())
        return priced.total_money if priced is not None else None

    async def live_cost(
        self,
        session_id: PydanticObjectId,
        load_session: Callable[[], Awaitable[ChargingSession]],
        *,
        now: datetime | None = None,
    ) -> Money | None:
        """``session_cost`` for a running session's progress updates, which come every few
        seconds per session: the pricing context (payment, tariff snapshot or the station's
        tariff, timezone, membership benefits) is looked up once per ``LIVE_CONTEXT_SECONDS`` and
        reused, so an update of a session without tariff reads nothing and one with a tariff reads
        the session and its samples (the pricing itself is the bill's)."""
        now = now or utcnow()
        clock = time.monotonic()
        cached = self._live_context.get(session_id)
        if cached is None or cached[0] < clock:
            session = await load_session()
            payment = await repo.payment_for_session(session_id)
            if payment is not None and payment.receipt is not None:
                self._live_context.pop(session_id, None)
                return Money(payment.receipt.total, payment.receipt.currency)
            tariff, tz = await self._tariff_for(session, payment)
            benefits = None
            if tariff is not None and session.driver_id is not None:
                _, benefits = await self._benefits(session.driver_id, session.org_id, now)
            if len(self._live_context) >= LIVE_CONTEXT_MEMORY:
                self._live_context.clear()
            cached = (clock + LIVE_CONTEXT_SECONDS, tariff, tz, benefits)
            self._live_context[session_id] = cached
            if tariff is None:
                return None
        else:
            if cached[1] is None:
                return None
            session = await load_session()
        _, tariff, tz, benefits = cached
        assert tariff is not None
        priced = await price_stored_session(
            session, tariff, tz, now=now, benefits=benefits, charging=self.charging
        )
        return priced.total_money if priced is not None else None

    def is_settled(self, payment: SessionPayment) -> bool:
        return payment.status in SETTLED
