"""Pricing a session for its bill, the numbered receipt, and settling the money: the priced
amount captured from the hold (never more than held), the hold released when nothing is due, or an
off-session charge (RFID sessions of drivers with a default card).

Exactly once, whoever calls and however often (the event fast path, the reconciler after a crash):
- one worker at a time settles a payment (``claim_settlement``, a lease in MongoDB);
- a capture or a cancel names the stored intent, which the provider moves once;
- before a hold or charge is sent, ``provider_attempt_at`` is stored: if its answer never comes
  (timeout, crash), the next attempt first asks the provider for an intent carrying this payment's
  metadata and adopts it, so a second charge is never made even where the provider ignores
  idempotency keys (localstripe); the keys are deterministic besides, for real Stripe;
- an unreachable provider leaves the payment PENDING with ``next_attempt_at`` (backoff);
- a customer or card the provider no longer knows is made again or asked for again.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from domain.billing import repository as repo
from domain.billing.costing import SessionPricing
from domain.billing.customers import Customers
from domain.billing.errors import GatewayUnavailable, PaymentDeclined, ProviderForgot
from domain.billing.gateway import IntentState, PaymentGateway
from domain.billing.models import SETTLED, PaymentStatus, SessionPayment
from domain.billing.receipts import issue_receipt
from domain.charging.models import ChargingSession
from domain.charging.state import SessionStatus
from domain.common.clock import as_utc, utcnow
from domain.common.logctx import log_event

log = logging.getLogger(__name__)

BACKOFF_FIRST = timedelta(seconds=15)  # the first retry of a payment the provider did not take
BACKOFF_MAX = timedelta(minutes=10)
CLOCK_MARGIN = timedelta(minutes=5)  # the provider's clock may differ from ours this much
NO_METHOD = "the driver's payment method is no longer known: waiting for them to add one"


def backoff(attempts: int) -> timedelta:
    """How long after its ``attempts``-th failure a payment is tried again."""
    if attempts <= 0:
        return timedelta(0)
    return min(BACKOFF_FIRST * (1 << min(attempts - 1, 20)), BACKOFF_MAX)


class Settlement:
    def __init__(
        self,
        gateway: PaymentGateway,
        pricing: SessionPricing,
        customers: Customers,
        *,
        settle_claim: timedelta = timedelta(seconds=60),
    ) -> None:
        self.gateway = gateway
        self.pricing = pricing
        self.customers = customers
        self.settle_claim = settle_claim

    async def _payment_at_end(self, session: ChargingSession) -> SessionPayment:
        """The session's payment, or a new one for a session not started from the app."""
        assert session.id is not None
        existing = await repo.payment_for_session(session.id)
        if existing is not None:
            return existing
        terms = await self.pricing.session_terms(session)
        payment = SessionPayment(
            org_id=session.org_id,
            site_id=session.site_id,
            station_id=session.station_id,
            connector_id=session.connector_id,
            driver_id=session.driver_id,
            session_id=session.id,
            tariff_id=terms.tariff_id,
            tariff=terms.tariff,
            site_timezone=terms.timezone,
            currency=terms.tariff.currency if terms.tariff else "EUR",
            status=PaymentStatus.PENDING,
            off_session=True,
        )
        if session.driver_id is not None:
            customer = await repo.get_customer(session.driver_id)
            if customer is not None and customer.default_card is not None:
                payment.customer_id = customer.customer_id
                payment.payment_method_id = customer.default_card.id
                payment.payment_method_label = customer.default_card.brand
        if not await repo.insert_payment(payment):
            found = await repo.payment_for_session(session.id)
            assert found is not None
            return found
        return payment

    async def finalize(
        self, session: ChargingSession, *, now: datetime | None = None
    ) -> SessionPayment | None:
        """Price the ended (or failed) session, number its receipt once, and settle. Safe to call
        again: a settled payment is left alone, a pending one is retried. Returns the payment as
        this call left it (None: another worker is settling it)."""
        now = now or utcnow()
        payment = await self._payment_at_end(session)
        if payment.status in SETTLED or payment.id is None:
            return payment
        claimed = await repo.claim_settlement(payment.id, now + self.settle_claim)
        if claimed is None:
            return None  # another worker settles it
        payment = claimed
        try:
            await self._finalize_claimed(session, payment, now)
        finally:
            payment.settling_until = None
            await repo.save_payment(payment)
        return payment

    async def _finalize_claimed(
        self, session: ChargingSession, payment: SessionPayment, now: datetime
    ) -> None:
        if payment.amount_due is None:
            priced, membership = (None, None)
            if session.status is SessionStatus.ENDED:
                priced, membership = await self.pricing.price(session, payment, now=now)
            issued = False
            if priced is not None and payment.receipt is None:
                # number, receipt and included energy are stored together or not at all; on a
                # failure amount_due stays None, so the retry prices and numbers it again
                issued = await issue_receipt(payment, priced, membership, now)
            payment.amount_due = priced.total if priced else 0
            payment.ended_at = as_utc(session.ended_at) if session.ended_at else now
            if issued:
                await repo.save_payment(payment)  # what is due, before any money moves
        await self._settle_money(payment, now)

    async def _settle_money(self, payment: SessionPayment, now: datetime) -> None:
        due = payment.amount_due or 0
        try:
            if payment.intent_id is None:
                await self._adopt_unanswered(payment)
            if due <= 0:
                if payment.intent_id is not None:
                    await self.release(payment)
                else:
                    payment.status = PaymentStatus.NOT_REQUIRED
            elif payment.intent_id is not None:
                await self._capture(payment, min(due, payment.amount_authorized))
            else:
                await self._charge(payment, due, repaired=False)
        except GatewayUnavailable as error:
            self._pending(payment, str(error), now)
            log.warning("payment %s pending: %s", payment.id, error)
        except PaymentDeclined as error:
            payment.status = PaymentStatus.FAILED
            payment.last_error = error.message
            payment.next_attempt_at = None
            log.warning("payment %s failed: %s", payment.id, error.message)
        if payment.status in SETTLED:
            payment.next_attempt_at = None

    @staticmethod
    def _pending(payment: SessionPayment, reason: str, now: datetime) -> None:
        payment.status = PaymentStatus.PENDING
        payment.attempts += 1
        payment.last_error = reason
        payment.next_attempt_at = now + backoff(payment.attempts)

    async def _adopt_unanswered(self, payment: SessionPayment) -> None:
        """A hold or charge whose answer never came may have been made: if the provider has an
        intent for this payment, it is this payment's intent from now on."""
        if payment.provider_attempt_at is None or payment.customer_id is None:
            return
        found = await self.gateway.find_intent(
            customer_id=payment.customer_id,
            since=as_utc(payment.provider_attempt_at) - CLOCK_MARGIN,
            metadata={"session_payment": str(payment.id)},
        )
        payment.provider_attempt_at = None
        if found is None:
            return
        log.info(
            "payment %s: adopting intent %s made before an answer was lost", payment.id, found.id
        )
        payment.intent_id = found.id
        if found.status == "succeeded":
            self._captured(payment, found)
        else:
            payment.amount_authorized = found.amount

    async def mark_attempt(self, payment: SessionPayment, now: datetime) -> None:
        """Before a hold or a charge is sent: stored, so a lost answer is looked for."""
        payment.provider_attempt_at = now
        await repo.save_payment(payment)

    async def _charge(self, payment: SessionPayment, due: int, *, repaired: bool) -> None:
        if payment.status is PaymentStatus.CAPTURED:
            return  # adopted: charged before its answer was lost
        if payment.driver_id is not None and (
            payment.payment_method_id is None or payment.last_error == NO_METHOD
        ):
            await self._use_current_card(payment)
        if not (payment.customer_id and payment.payment_method_id):
            payment.status = PaymentStatus.UNPAID
            return
        await self.mark_attempt(payment, utcnow())
        try:
            intent = await self.gateway.charge(
                customer_id=payment.customer_id,
                payment_method_id=payment.payment_method_id,
                amount=due,
                currency=payment.currency,
                metadata={"session": str(payment.session_id), "session_payment": str(payment.id)},
                idempotency_key=payment.idempotency_key(
                    f"charge-{payment.customer_id}-{payment.payment_method_id}"
                ),
            )
        except ProviderForgot:
            payment.provider_attempt_at = None  # refused outright: nothing was made
            if repaired or payment.driver_id is None:
                raise
            customer = await self.customers.repair(payment.driver_id)
            if customer.default_card is None:
                self._pending(payment, NO_METHOD, utcnow())
                return
            payment.customer_id = customer.customer_id
            payment.payment_method_id = customer.default_card.id
            payment.payment_method_label = customer.default_card.brand
            await self._charge(payment, due, repaired=True)
            return
        except PaymentDeclined:
            payment.provider_attempt_at = None
            raise
        payment.intent_id = intent.id
        payment.provider_attempt_at = None
        self._captured(payment, intent)

    async def _use_current_card(self, payment: SessionPayment) -> None:
        """An off-session charge uses the driver's card as it is now (they may have replaced one
        the provider lost)."""
        assert payment.driver_id is not None
        customer = await repo.get_customer(payment.driver_id)
        if customer is not None and customer.default_card is not None:
            payment.customer_id = customer.customer_id
            payment.payment_method_id = customer.default_card.id
            payment.payment_method_label = customer.default_card.brand

    async def _capture(self, payment: SessionPayment, amount: int) -> None:
        assert payment.intent_id is not None
        if payment.status is PaymentStatus.CAPTURED:
            return  # adopted: captured before its answer was lost
        try:
            intent = await self.gateway.capture(
                payment.intent_id, amount, idempotency_key=payment.idempotency_key("capture")
            )
        except ProviderForgot:
            # the provider lost the hold itself (localstripe restarted): nothing is held, so the
            # amount is charged off-session instead
            log.warning("payment %s: the provider lost hold %s", payment.id, payment.intent_id)
            payment.intent_id = None
            payment.amount_authorized = 0
            payment.off_session = True
            await self._charge(payment, payment.amount_due or 0, repaired=False)
            return
        except PaymentDeclined:
            # perhaps captured already (a retry after a lost answer): the provider's record decides
            intent = await self.gateway.retrieve_intent(payment.intent_id)
            if intent.status != "succeeded":
                raise
        self._captured(payment, intent)

    @staticmethod
    def _captured(payment: SessionPayment, intent: IntentState) -> None:
        payment.amount_captured = intent.amount_captured
        payment.status = PaymentStatus.CAPTURED
        payment.last_error = None
        log_event(
            log,
            "payment.captured",
            payment_id=str(payment.id),
            session_id=str(payment.session_id),
            amount=payment.amount_captured,
            currency=payment.currency,
            intent=intent.id,
        )
        if payment.amount_due is not None and payment.amount_captured < payment.amount_due:
            log.warning(
                "session payment %s: captured %d of %d due (the hold)",
                payment.id,
                payment.amount_captured,
                payment.amount_due,
            )

    async def release(self, payment: SessionPayment) -> None:
        """Cancel the hold; an unreachable provider leaves it PENDING for the retry loop."""
        if payment.intent_id is None:
            try:
                await self._adopt_unanswered(payment)  # a hold whose answer never came
            except GatewayUnavailable as error:
                self._pending(payment, str(error), utcnow())
                return
        if payment.intent_id is None:
            payment.status = (
                PaymentStatus.RELEASED
                if payment.amount_authorized
                else (PaymentStatus.NOT_REQUIRED)
            )
            return
        if payment.status is PaymentStatus.CAPTURED:
            return
        try:
            await self.gateway.cancel(
                payment.intent_id, idempotency_key=payment.idempotency_key("cancel")
            )
            payment.status = PaymentStatus.RELEASED
        except GatewayUnavailable as error:
            self._pending(payment, str(error), utcnow())
        except ProviderForgot:
            payment.status = PaymentStatus.RELEASED  # the provider holds nothing any more
        except PaymentDeclined:
            intent = await self.gateway.retrieve_intent(payment.intent_id)
            payment.status = (
                PaymentStatus.RELEASED if intent.status == "canceled" else PaymentStatus.FAILED
            )

    async def abandon(self, payment: SessionPayment, error: BaseException) -> None:
        """The start did not happen: release the hold and the lock (a declined hold is kept as
        DECLINED for the record)."""
        payment.start_lock = None
        payment.last_error = str(error) or type(error).__name__
        if isinstance(error, PaymentDeclined) and payment.intent_id is None:
            payment.status = PaymentStatus.DECLINED
            payment.provider_attempt_at = None
        else:
            await self.release(payment)
        try:
            await repo.save_payment(payment)
        except Exception:
            log.exception("could not record an abandoned start %s", payment.id)
