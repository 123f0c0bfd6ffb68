"""Pricing a session for its bill, the numbered receipt, and settling the money: the priced
amount captured from the hold (never more than held), the hold released when nothing is due, or an
off-session charge (RFID sessions of drivers with a default card)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from domain.billing import repository as repo
from domain.billing.costing import SessionPricing
from domain.billing.errors import GatewayUnavailable, PaymentDeclined
from domain.billing.gateway import IntentState, PaymentGateway
from domain.billing.models import SETTLED, PaymentStatus, SessionPayment
from domain.billing.receipts import issue_receipt
from domain.charging.models import ChargingSession
from domain.charging.state import SessionStatus
from domain.common.clock import as_utc, utcnow

log = logging.getLogger(__name__)


class Settlement:
    def __init__(
        self,
        gateway: PaymentGateway,
        pricing: SessionPricing,
        *,
        settle_claim: timedelta = timedelta(seconds=60),
    ) -> None:
        self.gateway = gateway
        self.pricing = pricing
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

    async def finalize(self, session: ChargingSession, *, now: datetime | None = None) -> None:
        """Price the ended (or failed) session, number its receipt once, and settle. Safe to call
        again: a settled payment is left alone, a pending one is retried."""
        now = now or utcnow()
        payment = await self._payment_at_end(session)
        if payment.status in SETTLED or payment.id is None:
            return
        claimed = await repo.claim_settlement(payment.id, now + self.settle_claim)
        if claimed is None:
            return  # another worker settles it
        payment = claimed
        try:
            await self._finalize_claimed(session, payment, now)
        finally:
            payment.settling_until = None
            await repo.save_payment(payment)

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
        await self._settle_money(payment)

    async def _settle_money(self, payment: SessionPayment) -> None:
        due = payment.amount_due or 0
        try:
            if due <= 0:
                if payment.intent_id is not None:
                    await self.release(payment)
                else:
                    payment.status = PaymentStatus.NOT_REQUIRED
            elif payment.intent_id is not None:
                await self._capture(payment, min(due, payment.amount_authorized))
            elif payment.customer_id and payment.payment_method_id:
                intent = await self.gateway.charge(
                    customer_id=payment.customer_id,
                    payment_method_id=payment.payment_method_id,
                    amount=due,
                    currency=payment.currency,
                    metadata={"session": str(payment.session_id)},
                    idempotency_key=payment.idempotency_key("charge"),
                )
                payment.intent_id = intent.id
                self._captured(payment, intent)
            else:
                payment.status = PaymentStatus.UNPAID
        except GatewayUnavailable as error:
            payment.status = PaymentStatus.PENDING
            payment.attempts += 1
            payment.last_error = str(error)
            log.warning("payment %s pending: %s", payment.id, error)
        except PaymentDeclined as error:
            payment.status = PaymentStatus.FAILED
            payment.last_error = error.message
            log.warning("payment %s failed: %s", payment.id, error.message)

    async def _capture(self, payment: SessionPayment, amount: int) -> None:
        assert payment.intent_id is not None
        try:
            intent = await self.gateway.capture(
                payment.intent_id, amount, idempotency_key=payment.idempotency_key("capture")
            )
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
            payment.status = (
                PaymentStatus.RELEASED
                if payment.amount_authorized
                else (PaymentStatus.NOT_REQUIRED)
            )
            return
        try:
            await self.gateway.cancel(
                payment.intent_id, idempotency_key=payment.idempotency_key("cancel")
            )
            payment.status = PaymentStatus.RELEASED
        except GatewayUnavailable as error:
            payment.status = PaymentStatus.PENDING
            payment.attempts += 1
            payment.last_error = str(error)
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
        else:
            await self.release(payment)
        try:
            await repo.save_payment(payment)
        except Exception:
            log.exception("could not record an abandoned start %s", payment.id)
