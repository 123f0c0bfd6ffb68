"""Operators refund all or part of a session's captured payment.

A refund is reserved on the payment first (atomically: never more than captured minus refunded),
then sent with an idempotency key derived from the session's payment and the refund's position, so
a retry is the same refund. The same request repeated within ``REPEAT_WINDOW`` (a double submit)
returns the refund already made instead of a second one. An unreachable provider leaves the refund
PENDING; ``retry_refunds`` sends it later with the same key.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from decimal import Decimal

from beanie import PydanticObjectId

from domain.billing import repository as repo
from domain.billing.errors import GatewayUnavailable, PaymentDeclined, RefundRefused
from domain.billing.gateway import PaymentGateway
from domain.billing.models import PaymentStatus, RefundRecord, SessionPayment
from domain.common.clock import as_utc, utcnow
from domain.common.errors import NotFound
from domain.tariffs.units import amount_from_decimal

log = logging.getLogger(__name__)

REPEAT_WINDOW = timedelta(minutes=10)
MAX_REASON = 500


class Refunds:
    def __init__(self, gateway: PaymentGateway) -> None:
        self.gateway = gateway

    async def refund_session_decimal(
        self,
        org_id: PydanticObjectId,
        session_id: PydanticObjectId,
        amount: Decimal | str | None,
        reason: str | None = None,
    ) -> tuple[SessionPayment, RefundRecord]:
        """``refund_session`` with an amount in currency units ("12.50"), as the edge gets it."""
        minor: int | None = None
        if amount is not None:
            payment = await repo.payment_for_session(session_id)
            if payment is None or payment.org_id != org_id:
                raise NotFound("no payment for this session", field="sessionId")
            minor = amount_from_decimal(amount, payment.currency, field="amount")
        return await self.refund_session(org_id, session_id, minor, reason)

    async def refund_session(
        self,
        org_id: PydanticObjectId,
        session_id: PydanticObjectId,
        amount: int | None,
        reason: str | None = None,
    ) -> tuple[SessionPayment, RefundRecord]:
        """Refund ``amount`` (minor units; None: everything still refundable)."""
        payment = await repo.payment_for_session(session_id)
        if payment is None or payment.org_id != org_id:
            raise NotFound("no payment for this session", field="sessionId")
        reason = (reason or "").strip()[:MAX_REASON] or None
        if amount is not None and amount <= 0:
            raise RefundRefused("a refund must be positive", field="amount")
        now = utcnow()
        for previous in reversed(payment.refunds):
            same = previous.amount == (amount if amount is not None else previous.amount)
            if (
                same
                and previous.reason == reason
                and previous.status != "FAILED"
                and as_utc(previous.created_at) > now - REPEAT_WINDOW
                and (amount is not None or payment.refundable == 0)
            ):
                return payment, previous  # a repeated request: the same refund
        refundable = payment.refundable
        wanted = refundable if amount is None else amount
        if refundable <= 0:
            raise RefundRefused("nothing captured is left to refund", field="amount")
        if wanted > refundable:
            raise RefundRefused(
                f"at most {refundable} (minor units) can be refunded", field="amount"
            )
        record = RefundRecord(
            key=payment.idempotency_key(f"refund-{len(payment.refunds) + 1}"),
            amount=wanted,
            reason=reason,
        )
        if not await self._reserve_refund(payment, record):
            raise RefundRefused("the payment changed meanwhile: try again", field="amount")
        await self._send_refund(payment, record)
        fresh = await repo.payment_for_session(session_id)
        assert fresh is not None
        return fresh, next(r for r in fresh.refunds if r.key == record.key)

    async def _reserve_refund(self, payment: SessionPayment, record: RefundRecord) -> bool:
        coll = SessionPayment.get_pymongo_collection()
        result = await coll.update_one(
            {
                "_id": payment.id,
                "refunds": {"$size": len(payment.refunds)},
                "$expr": {
                    "$gte": [
                        {"$subtract": ["$amount_captured", "$amount_refunded"]},
                        record.amount,
                    ]
                },
            },
            {
                "$push": {"refunds": record.model_dump()},
                "$inc": {"amount_refunded": record.amount},
            },
        )
        return result.modified_count == 1

    async def _send_refund(self, payment: SessionPayment, record: RefundRecord) -> None:
        assert payment.intent_id is not None
        status, provider_id, undo = "PENDING", None, False
        try:
            done = await self.gateway.refund(
                payment.intent_id, record.amount, reason=record.reason, idempotency_key=record.key
            )
            status, provider_id = "SUCCEEDED", done.id
        except GatewayUnavailable as error:
            log.warning("refund %s pending: %s", record.key, error)
        except PaymentDeclined as error:
            log.warning("refund %s refused by the provider: %s", record.key, error.message)
            status, undo = "FAILED", True
        coll = SessionPayment.get_pymongo_collection()
        update: dict[str, object] = {
            "$set": {"refunds.$.status": status, "refunds.$.provider_id": provider_id}
        }
        if undo:
            update["$inc"] = {"amount_refunded": -record.amount}
        await coll.update_one({"_id": payment.id, "refunds.key": record.key}, update)
        fresh = await repo.get_payment(payment.id)  # type: ignore[arg-type]
        if fresh is not None and fresh.amount_captured > 0:
            if fresh.amount_refunded >= fresh.amount_captured:
                fresh.status = PaymentStatus.REFUNDED
            elif fresh.amount_refunded > 0:
                fresh.status = PaymentStatus.PARTIALLY_REFUNDED
            else:
                fresh.status = PaymentStatus.CAPTURED
            await coll.update_one({"_id": fresh.id}, {"$set": {"status": fresh.status.value}})

    async def retry_refunds(self, *, limit: int = 200) -> int:
        count = 0
        for payment in await repo.pending_refunds(limit):
            for record in payment.refunds:
                if record.status == "PENDING":
                    await self._send_refund(payment, record)
                    count += 1
        return count
