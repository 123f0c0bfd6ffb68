"""What billing needs from a payment provider, in the domain's terms. ``StripeGateway`` is the real one.

Every call that moves or reserves money takes an ``idempotency_key``: the provider must treat a repeat
with the same key as the same request (Stripe does), so a retry never charges twice.

Failures come back as these domain errors only:
- ``PaymentDeclined``: the provider answered and said no (card declined, authentication needed,
  invalid request about the payment itself). Not worth retrying with the same card.
- ``ProviderForgot`` (a ``PaymentDeclined``): the provider does not know an object we name (a
  customer or payment method it lost): make it again or ask for it again.
- ``GatewayUnavailable``: the provider could not be reached or failed on its side. Retry later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class CardDetails:
    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int
    customer_id: str | None = None


@dataclass(frozen=True)
class SetupDetails:
    customer_id: str
    setup_intent_client_secret: str
    ephemeral_key_secret: str | None  # None where the provider gives none (see StripeGateway)


@dataclass(frozen=True)
class IntentState:
    """A payment intent as the provider sees it. Amounts in minor units."""

    id: str
    status: str  # requires_capture | succeeded | canceled | requires_payment_method | ...
    amount: int
    amount_captured: int
    currency: str


@dataclass(frozen=True)
class RefundState:
    id: str
    amount: int
    status: str


@dataclass(frozen=True)
class SubscriptionState:
    id: str
    status: str  # active | past_due | canceled | incomplete | ...
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    latest_invoice_id: str | None = None


@dataclass(frozen=True)
class InvoiceState:
    id: str
    amount_paid: int
    currency: str
    paid: bool


class PaymentGateway(Protocol):
    publishable_key: str

    async def create_customer(
        self, *, email: str, name: str, driver_id: str, idempotency_key: str
    ) -> str: ...

    async def customer_exists(self, customer_id: str) -> bool:
        """False when the provider no longer knows the customer (or it was deleted)."""
        ...

    async def set_up_payment_method(self, customer_id: str) -> SetupDetails: ...

    async def attach_payment_method(
        self, customer_id: str, payment_method_id: str, *, make_default: bool = True
    ) -> CardDetails:
        """Attach (when not attached yet); ``make_default``: the customer's default for invoices."""
        ...

    async def authorize(
        self,
        *,
        customer_id: str,
        payment_method_id: str,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> IntentState:
        """A manual-capture PaymentIntent, confirmed now: the hold."""
        ...

    async def charge(
        self,
        *,
        customer_id: str,
        payment_method_id: str,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
    ) -> IntentState:
        """An off-session PaymentIntent captured at once."""
        ...

    async def capture(
        self, intent_id: str, amount: int, *, idempotency_key: str
    ) -> IntentState: ...

    async def cancel(self, intent_id: str, *, idempotency_key: str) -> IntentState: ...

    async def retrieve_intent(self, intent_id: str) -> IntentState: ...

    async def find_intent(
        self, *, customer_id: str, since: datetime, metadata: dict[str, str]
    ) -> IntentState | None:
        """An intent made for ``customer_id`` after ``since`` carrying ``metadata`` that holds or
        took money: how an answer that never came is recovered without paying twice."""
        ...

    async def refund(
        self, intent_id: str, amount: int, *, reason: str | None, idempotency_key: str
    ) -> RefundState: ...

    async def create_price(
        self, *, name: str, amount: int, currency: str, plan_id: str, idempotency_key: str
    ) -> str:
        """A monthly recurring price for a membership plan; returns its id."""
        ...

    async def subscribe(
        self, *, customer_id: str, price_id: str, metadata: dict[str, str], idempotency_key: str
    ) -> SubscriptionState: ...

    async def cancel_subscription(
        self, subscription_id: str, *, idempotency_key: str
    ) -> SubscriptionState:
        """Cancel at the end of the paid period."""
        ...

    async def retrieve_subscription(self, subscription_id: str) -> SubscriptionState | None:
        """The subscription as the provider has it now (None: it does not know it)."""
        ...

    async def retrieve_invoice(self, invoice_id: str) -> InvoiceState: ...

    def verify_webhook(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """The event in a webhook body whose signature holds; ``InvalidWebhook`` otherwise."""
        ...
