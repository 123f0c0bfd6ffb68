"""Billing documents. Money is integer minor units of ``currency``; times are UTC."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from beanie import Document, PydanticObjectId
from pydantic import BaseModel, Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from domain.common.clock import utcnow
from domain.tariffs.models import Tariff


class Card(BaseModel):
    id: str  # the provider's payment method id
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class BillingCustomer(Document):
    """A driver at the payment provider: their customer id and default payment method."""

    driver_id: PydanticObjectId
    customer_id: str
    default_card: Card | None = None
    # how many times the customer was made again because the provider no longer knew it
    generation: int = 0
    created_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "billing_customers"
        indexes = [IndexModel("driver_id", unique=True)]


class PaymentStatus(StrEnum):
    AUTHORIZING = "AUTHORIZING"  # the hold is being placed; the station is not told yet
    AUTHORIZED = "AUTHORIZED"  # the hold is in place
    PENDING = "PENDING"  # the provider was unreachable: retried later (payment-pending)
    CAPTURED = "CAPTURED"
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED"
    REFUNDED = "REFUNDED"
    RELEASED = "RELEASED"  # the hold was cancelled (nothing to pay, or the start failed)
    DECLINED = "DECLINED"  # the hold was refused: the session never started
    FAILED = "FAILED"  # the final charge was refused
    NOT_REQUIRED = "NOT_REQUIRED"  # nothing to pay
    UNPAID = "UNPAID"  # an amount is due but there is nobody to charge (anonymous id tag)


SETTLED = frozenset(
    {
        PaymentStatus.CAPTURED,
        PaymentStatus.PARTIALLY_REFUNDED,
        PaymentStatus.REFUNDED,
        PaymentStatus.RELEASED,
        PaymentStatus.DECLINED,
        PaymentStatus.FAILED,
        PaymentStatus.NOT_REQUIRED,
        PaymentStatus.UNPAID,
    }
)


class ReceiptLine(BaseModel):
    kind: str  # tariffs.pricing.LineKind
    description: str
    quantity: int  # thousandths of ``unit``
    unit: str
    unit_price: int  # milli-minor units per unit
    amount: int  # minor units, VAT-inclusive


class Receipt(BaseModel):
    number: int  # sequential per organisation, gap-free
    issued_at: datetime
    currency: str
    vat_rate_bp: int
    lines: list[ReceiptLine]
    subtotal: int
    vat: int
    total: int
    energy_wh: int


class RefundRecord(BaseModel):
    key: str  # idempotency key
    amount: int
    reason: str | None = None
    status: str = "PENDING"  # PENDING (provider unreachable) | SUCCEEDED | FAILED
    provider_id: str | None = None
    created_at: datetime = Field(default_factory=utcnow)


class SessionPayment(Document):
    """The money side of one charging session: the tariff it is priced with, the hold, the capture,
    refunds and the receipt. An app start creates it (before the session exists) to place the hold;
    other sessions get one when they end."""

    org_id: PydanticObjectId
    site_id: PydanticObjectId
    station_id: PydanticObjectId
    connector_id: int
    driver_id: PydanticObjectId | None = None
    session_id: PydanticObjectId | None = None
    start_lock: str | None = None  # "station:connector" while an app start is placing its hold
    tariff_id: PydanticObjectId | None = None
    tariff: Tariff | None = None
    site_timezone: str = "UTC"
    currency: str = "EUR"
    customer_id: str | None = None
    payment_method_id: str | None = None
    payment_method_label: str | None = None  # e.g. "visa" (for reports)
    off_session: bool = False  # charged at the end (RFID, or no hold could be placed)
    status: PaymentStatus = PaymentStatus.AUTHORIZING
    intent_id: str | None = None
    amount_authorized: int = 0
    amount_due: int | None = None  # the priced total, once the session ended
    amount_captured: int = 0
    amount_refunded: int = 0
    refunds: list[RefundRecord] = Field(default_factory=list)
    receipt: Receipt | None = None
    membership_id: PydanticObjectId | None = None
    included_wh_used: int = 0  # membership energy this session used (counted once, at the receipt)
    disputed: bool = False
    settling_until: datetime | None = None  # a settlement claim (one worker at a time)
    attempts: int = 0
    last_error: str | None = None
    # when an unsettled payment is tried again (backoff after each failure); None: as soon as due
    next_attempt_at: datetime | None = None
    # a hold or charge was sent and its answer never came: before sending another, the provider
    # is asked whether it made one (a payment intent carrying this payment's metadata)
    provider_attempt_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None

    class Settings:
        name = "session_payments"
        indexes = [
            IndexModel(
                "session_id",
                unique=True,
                partialFilterExpression={"session_id": {"$type": "objectId"}},
                name="session_unique",
            ),
            IndexModel(
                "start_lock",
                unique=True,
                partialFilterExpression={"start_lock": {"$type": "string"}},
                name="start_lock_unique",
            ),
            IndexModel([("org_id", ASCENDING), ("receipt.issued_at", ASCENDING)]),
            IndexModel([("status", ASCENDING), ("updated_at", ASCENDING)]),
            IndexModel([("status", ASCENDING), ("next_attempt_at", ASCENDING)]),
            IndexModel("intent_id"),
        ]

    def idempotency_key(self, action: str) -> str:
        """Derived from this session's payment, so a retry of ``action`` is the same request."""
        return f"laddnet-session-payment-{self.id}-{action}"

    @property
    def refundable(self) -> int:
        return max(0, self.amount_captured - self.amount_refunded)


class MembershipStatus(StrEnum):
    INCOMPLETE = "INCOMPLETE"
    ACTIVE = "ACTIVE"
    CANCELING = "CANCELING"  # cancelled: benefits last until current_period_end
    PAST_DUE = "PAST_DUE"
    CANCELED = "CANCELED"


class Membership(Document):
    driver_id: PydanticObjectId
    org_id: PydanticObjectId
    plan_id: PydanticObjectId
    subscription_id: str | None = None
    status: MembershipStatus = MembershipStatus.INCOMPLETE
    current_period_start: datetime | None = None
    current_period_end: datetime | None = None
    included_wh_used: int = 0  # in the current period
    # when the provider's state applied last was current (its event's time, or our call's):
    # older events are ignored (webhooks come in any order)
    provider_state_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "memberships"
        indexes = [
            IndexModel("driver_id", unique=True),
            IndexModel("subscription_id"),
        ]


class MembershipCharge(Document):
    """A paid membership invoice (membership revenue), once per invoice."""

    invoice_id: str
    org_id: PydanticObjectId
    driver_id: PydanticObjectId
    plan_id: PydanticObjectId
    amount: int
    currency: str
    paid_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "membership_charges"
        indexes = [
            IndexModel("invoice_id", unique=True),
            IndexModel([("org_id", ASCENDING), ("paid_at", DESCENDING)]),
        ]


class WebhookEvent(Document):
    """Every provider event received, stored once by its id."""

    event_id: str
    type: str
    data: dict[str, Any] = Field(default_factory=dict)
    received_at: datetime = Field(default_factory=utcnow)
    handled_at: datetime | None = None
    outcome: str | None = None

    class Settings:
        name = "webhook_events"
        indexes = [IndexModel("event_id", unique=True)]


DOCUMENTS: list[type[Document]] = [
    BillingCustomer,
    SessionPayment,
    Membership,
    MembershipCharge,
    WebhookEvent,
]
