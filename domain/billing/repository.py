"""Every query the billing context makes lives here; other contexts' data comes through ``ports``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError

from domain.billing.models import (
    SETTLED,
    BillingCustomer,
    Card,
    Membership,
    MembershipCharge,
    PaymentStatus,
    Receipt,
    SessionPayment,
    WebhookEvent,
)
from domain.common.clock import as_utc, utcnow

# -- customers ----------------------------------------------------------------------------------


async def get_customer(driver_id: PydanticObjectId) -> BillingCustomer | None:
    return await BillingCustomer.find_one(BillingCustomer.driver_id == driver_id)


async def insert_customer(customer: BillingCustomer) -> tuple[BillingCustomer, bool]:
    """Insert (True); when another request made the driver's customer first, that one (False)."""
    try:
        await customer.insert()
    except DuplicateKeyError:
        existing = await get_customer(customer.driver_id)
        assert existing is not None
        return existing, False
    return customer, True


async def replace_customer(
    customer: BillingCustomer, customer_id: str, generation: int
) -> BillingCustomer:
    """Point the driver at a new provider customer (the old one is gone), unless another worker
    did first: the stored customer either way. The default card stays (repair re-attaches it)."""
    doc = await BillingCustomer.get_pymongo_collection().find_one_and_update(
        {"driver_id": customer.driver_id, "customer_id": customer.customer_id},
        {"$set": {"customer_id": customer_id, "generation": generation}},
        return_document=ReturnDocument.AFTER,
    )
    if doc is not None:
        replaced: BillingCustomer = BillingCustomer.model_validate(doc)
        return replaced
    current = await get_customer(customer.driver_id)
    assert current is not None
    return current


async def clear_default_card(driver_id: PydanticObjectId, card_id: str) -> None:
    await BillingCustomer.get_pymongo_collection().update_one(
        {"driver_id": driver_id, "default_card.id": card_id}, {"$set": {"default_card": None}}
    )


async def set_default_card(driver_id: PydanticObjectId, card: Card) -> None:
    await BillingCustomer.get_pymongo_collection().update_one(
        {"driver_id": driver_id}, {"$set": {"default_card": card.model_dump()}}
    )


# -- session payments ---------------------------------------------------------------------------


async def insert_payment(payment: SessionPayment) -> bool:
    """False when the start lock or the session is taken already."""
    try:
        await payment.insert()
    except DuplicateKeyError:
        payment.id = None
        return False
    return True


async def save_payment(payment: SessionPayment) -> None:
    payment.updated_at = utcnow()
    await payment.replace()


async def get_payment(payment_id: PydanticObjectId) -> SessionPayment | None:
    return await SessionPayment.get(payment_id)


async def payment_for_session(session_id: PydanticObjectId) -> SessionPayment | None:
    return await SessionPayment.find_one(SessionPayment.session_id == session_id)


async def payments_for_sessions(
    session_ids: list[PydanticObjectId],
) -> dict[PydanticObjectId, SessionPayment]:
    found = await SessionPayment.find({"session_id": {"$in": session_ids}}).to_list()
    return {p.session_id: p for p in found if p.session_id is not None}


async def payment_by_intent(intent_id: str) -> SessionPayment | None:
    return await SessionPayment.find_one(SessionPayment.intent_id == intent_id)


async def claim_settlement(payment_id: PydanticObjectId, until: datetime) -> SessionPayment | None:
    """Take the settlement of a payment for one worker until ``until``; None if someone has it."""
    now = utcnow()
    doc = await SessionPayment.get_pymongo_collection().find_one_and_update(
        {
            "_id": payment_id,
            "$or": [{"settling_until": None}, {"settling_until": {"$lt": now}}],
        },
        {"$set": {"settling_until": until}},
        return_document=ReturnDocument.AFTER,
    )
    return SessionPayment.model_validate(doc) if doc else None


_OPEN = {"$nin": [s.value for s in SETTLED]}


async def due_settlements(now: datetime, limit: int) -> list[SessionPayment]:
    """Payments of ended sessions (priced: ``amount_due`` set) not settled yet whose next attempt
    is due and which no worker holds, the longest waiting first."""
    return (
        await SessionPayment.find(
            {
                "status": _OPEN,
                "session_id": {"$ne": None},
                "amount_due": {"$ne": None},
                "$and": [
                    {"$or": [{"next_attempt_at": None}, {"next_attempt_at": {"$lte": now}}]},
                    {"$or": [{"settling_until": None}, {"settling_until": {"$lt": now}}]},
                ],
            }
        )
        .sort("+next_attempt_at", "+_id")
        .limit(limit)
        .to_list()
    )


async def stale_starts(created_before: datetime, limit: int) -> list[SessionPayment]:
    """Payments of app starts that never got their session (the start died half-way)."""
    return (
        await SessionPayment.find(
            {"status": _OPEN, "session_id": None, "created_at": {"$lt": created_before}}
        )
        .sort("+created_at")
        .limit(limit)
        .to_list()
    )


async def open_payments_of_org(org_id: PydanticObjectId, limit: int) -> list[SessionPayment]:
    """The organisation's payments of ended sessions that are not settled yet."""
    return (
        await SessionPayment.find({"org_id": org_id, "status": _OPEN, "amount_due": {"$ne": None}})
        .sort("+ended_at", "+_id")
        .limit(limit)
        .to_list()
    )


# -- the settlement reconciler's progress -------------------------------------------------------

RECONCILER = "billing_reconciler"


async def settlement_watermark() -> datetime | None:
    """Every ended session stored (``updated_at``) before this was found with its payment
    priced; the reconciler scans from here (less a margin)."""
    coll = SessionPayment.get_pymongo_collection().database[RECONCILER]
    doc = await coll.find_one({"_id": "settlement"})
    return as_utc(doc["watermark"]) if doc and doc.get("watermark") else None


async def set_settlement_watermark(at: datetime) -> None:
    coll = SessionPayment.get_pymongo_collection().database[RECONCILER]
    await coll.update_one(
        {"_id": "settlement"}, {"$set": {"watermark": at, "updated_at": utcnow()}}, upsert=True
    )


async def pending_refunds(limit: int) -> list[SessionPayment]:
    return await SessionPayment.find({"refunds.status": "PENDING"}).limit(limit).to_list()


async def payments_in_period(
    org_id: PydanticObjectId, start: datetime, end: datetime
) -> list[SessionPayment]:
    return (
        await SessionPayment.find(
            {"org_id": org_id, "receipt.issued_at": {"$gte": start, "$lt": end}}
        )
        .sort("+receipt.number")
        .to_list()
    )


async def aggregate_payments(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cursor = await SessionPayment.get_pymongo_collection().aggregate(pipeline)
    return [doc async for doc in cursor]


async def aggregate_membership_charges(pipeline: list[dict[str, Any]]) -> list[dict[str, Any]]:
    cursor = await MembershipCharge.get_pymongo_collection().aggregate(pipeline)
    return [doc async for doc in cursor]


# -- receipts -----------------------------------------------------------------------------------


RECEIPT_COUNTERS = "receipt_counters"


class ReceiptTaken(Exception):
    """The payment has its receipt already (another worker numbered it): nothing to do."""


async def receipt_counter(org_id: PydanticObjectId) -> int:
    """The last receipt number the organisation has issued (0 before the first)."""
    coll = SessionPayment.get_pymongo_collection().database[RECEIPT_COUNTERS]
    doc = await coll.find_one({"_id": str(org_id)})
    return int(doc["value"]) if doc else 0


async def _write_receipt(
    payment_id: PydanticObjectId, fields: dict[str, Any], session: AsyncClientSession
) -> None:
    """Set the receipt (and its companions) on a payment that has none yet."""
    result = await SessionPayment.get_pymongo_collection().update_one(
        {"_id": payment_id, "receipt": None}, {"$set": fields}, session=session
    )
    if not result.matched_count:
        raise ReceiptTaken(str(payment_id))


async def save_numbered_receipt(
    payment: SessionPayment,
    build: Callable[[int], Receipt],
    *,
    included_wh: tuple[PydanticObjectId, int] | None = None,
) -> Receipt | None:
    """Take the organisation's next receipt number and store the receipt on the payment in one
    transaction, so a number is spent only with its receipt: numbers stay gap-free whatever fails
    in between. Concurrent issuers conflict on the counter and are retried by the driver
    (TransientTransactionError). ``included_wh`` (membership, Wh) is used up in the same
    transaction. None when the payment had a receipt already (the counter is left alone)."""
    assert payment.id is not None
    payment_id = payment.id
    counters = SessionPayment.get_pymongo_collection().database[RECEIPT_COUNTERS]

    async def issue(session: AsyncClientSession) -> Receipt:
        doc = await counters.find_one_and_update(
            {"_id": str(payment.org_id)},
            {"$inc": {"value": 1}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
            session=session,
        )
        assert doc is not None
        receipt = build(int(doc["value"]))
        fields: dict[str, Any] = {
            "receipt": receipt.model_dump(mode="python"),
            "included_wh_used": included_wh[1] if included_wh else 0,
            "membership_id": included_wh[0] if included_wh else None,
            "updated_at": utcnow(),
        }
        await _write_receipt(payment_id, fields, session)
        if included_wh is not None and included_wh[1]:
            await Membership.get_pymongo_collection().update_one(
                {"_id": included_wh[0]},
                {"$inc": {"included_wh_used": included_wh[1]}},
                session=session,
            )
        return receipt

    client = counters.database.client
    for _ in range(3):
        try:
            async with client.start_session() as session:
                return await session.with_transaction(issue)
        except ReceiptTaken:
            return None
        except DuplicateKeyError:
            continue  # two first receipts of an organisation upserted its counter at once
    raise RuntimeError(f"could not number the receipt of payment {payment_id}")


# -- memberships --------------------------------------------------------------------------------


async def get_membership(driver_id: PydanticObjectId) -> Membership | None:
    return await Membership.find_one(Membership.driver_id == driver_id)


async def membership_by_subscription(subscription_id: str) -> Membership | None:
    return await Membership.find_one(Membership.subscription_id == subscription_id)


async def save_membership(membership: Membership) -> None:
    membership.updated_at = utcnow()
    await membership.save()


async def record_membership_charge(charge: MembershipCharge) -> bool:
    try:
        await charge.insert()
    except DuplicateKeyError:
        return False
    return True


# -- webhooks -----------------------------------------------------------------------------------


async def store_event(event: WebhookEvent) -> bool:
    """False when this event id was stored before (a replay)."""
    try:
        await event.insert()
    except DuplicateKeyError:
        return False
    return True


async def get_event(event_id: str) -> WebhookEvent | None:
    return await WebhookEvent.find_one(WebhookEvent.event_id == event_id)


async def mark_event_handled(event_id: str, outcome: str) -> None:
    await WebhookEvent.get_pymongo_collection().update_one(
        {"event_id": event_id}, {"$set": {"handled_at": utcnow(), "outcome": outcome}}
    )


__all__ = ["PaymentStatus"]


async def forget_customers() -> int:
    """Drop every stored customer: for demo mode, whose freshly started localstripe knows none of
    them (each is made again, at the new one, when next needed)."""
    result = await BillingCustomer.get_pymongo_collection().delete_many({})
    return int(result.deleted_count)
