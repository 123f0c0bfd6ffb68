"""The provider's webhooks: verified by the gateway, stored once by event id, handled idempotently.

Handled: payment_intent.succeeded / payment_intent.payment_failed (reconcile a payment whose answer
was lost), charge.dispute.* (flag the session's payment), charge.refunded (log), subscription
created/updated/deleted (membership status and period; an event older than the state stored is
ignored, since the provider does not keep their order), invoice.paid / invoice.payment_succeeded
(membership revenue). Anything else is stored and acknowledged.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from domain.billing import repository as repo
from domain.billing.gateway import PaymentGateway
from domain.billing.memberships import Memberships
from domain.billing.models import PaymentStatus, WebhookEvent
from domain.billing.stripe_translate import subscription_state

log = logging.getLogger(__name__)


class Webhooks:
    def __init__(self, gateway: PaymentGateway, memberships: Memberships) -> None:
        self.gateway = gateway
        self.memberships = memberships

    async def handle_webhook(self, payload: bytes, signature: str | None) -> str:
        """Verify, store once, handle. Returns the outcome ("handled", "duplicate", "ignored").
        A bad signature raises ``InvalidWebhook`` and stores nothing."""
        event = self.gateway.verify_webhook(payload, signature)
        event_id, kind = str(event["id"]), str(event["type"])
        obj = (event.get("data") or {}).get("object") or {}
        stored = await repo.store_event(WebhookEvent(event_id=event_id, type=kind, data=obj))
        if not stored:
            previous = await repo.get_event(event_id)
            if previous is not None and previous.handled_at is not None:
                return "duplicate"
        created = event.get("created")
        at = datetime.fromtimestamp(created, UTC) if isinstance(created, int | float) else None
        outcome = await self._handle(kind, obj, at)
        await repo.mark_event_handled(event_id, outcome)
        return outcome

    async def _handle(self, kind: str, obj: dict[str, Any], at: datetime | None) -> str:
        if kind in ("payment_intent.succeeded", "payment_intent.payment_failed"):
            return await self._intent_event(kind, obj)
        if kind.startswith("charge.dispute."):
            return await self._dispute(obj)
        if kind == "charge.refunded":
            log.info("provider reports refunds on charge %s", obj.get("id"))
            return "handled"
        if kind.startswith("customer.subscription."):
            membership = await self.memberships.apply_subscription(subscription_state(obj), at=at)
            return "handled" if membership is not None else "ignored"
        if kind in ("invoice.paid", "invoice.payment_succeeded"):
            return await self._invoice_paid(obj)
        return "ignored"

    async def _intent_event(self, kind: str, obj: dict[str, Any]) -> str:
        payment = await repo.payment_by_intent(str(obj.get("id")))
        if payment is None:
            return "ignored"
        if kind == "payment_intent.payment_failed":
            if payment.status is PaymentStatus.PENDING:
                payment.status = PaymentStatus.FAILED
                payment.last_error = "the provider reported the payment failed"
                await repo.save_payment(payment)
            return "handled"
        if payment.status in (PaymentStatus.PENDING, PaymentStatus.AUTHORIZED) and (
            payment.amount_due is not None
        ):
            state = await self.gateway.retrieve_intent(str(obj["id"]))
            if state.status == "succeeded":
                payment.amount_captured = state.amount_captured
                payment.status = PaymentStatus.CAPTURED
                payment.last_error = None
                await repo.save_payment(payment)
        return "handled"

    async def _dispute(self, obj: dict[str, Any]) -> str:
        intent = obj.get("payment_intent")
        payment = await repo.payment_by_intent(str(intent)) if intent else None
        if payment is None:
            return "ignored"
        payment.disputed = obj.get("status") not in ("won", "warning_closed")
        await repo.save_payment(payment)
        return "handled"

    async def _invoice_paid(self, obj: dict[str, Any]) -> str:
        sub = obj.get("subscription")
        if not isinstance(sub, str):
            return "ignored"
        membership = await repo.membership_by_subscription(sub)
        amount = int(obj.get("amount_paid") or 0)
        if membership is None or amount <= 0:
            return "ignored"
        await self.memberships.membership_paid(
            membership, str(obj["id"]), amount, str(obj.get("currency"))
        )
        return "handled"
