"""``PaymentGateway`` on Stripe, through the official ``stripe`` SDK (async methods, httpx).

``api_base`` points the SDK elsewhere (localstripe in demo mode and tests); None is real Stripe.

What localstripe (1.15) lacks, and how this code behaves there:
- ``/v1/ephemeral_keys`` does not exist (404): ``set_up_payment_method`` still asks, and returns no
  ephemeral key when the provider has none (real Stripe always gives one).
- ``Idempotency-Key`` is sent on every money-moving request but ignored by localstripe; billing
  keeps its own once-only bookkeeping, so nothing depends on the provider deduplicating.
- There is no Prices API: membership prices are created as Plans (``/v1/plans``), which real Stripe
  still accepts and treats as prices, and subscriptions name them as ``items[].plan``.
- A partial capture is recorded by localstripe as a full capture plus a refund of the rest; real
  Stripe reports ``amount_received``. ``_intent`` reads either.
- localstripe keeps everything in memory: after its restart every customer and payment method is
  unknown (404), which ``ProviderForgot`` reports so billing makes them again or asks again.
- There is no Search API: ``find_intent`` looks for an intent by its metadata through the
  customer's recent charges (``/v1/charges?customer=…&created[gt]=…``), which both support.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import stripe

from domain.billing.errors import InvalidWebhook, PaymentDeclined, ProviderForgot
from domain.billing.gateway import (
    CardDetails,
    IntentState,
    InvoiceState,
    RefundState,
    SetupDetails,
    SubscriptionState,
)
from domain.billing.stripe_translate import id_of, stripe_errors, subscription_state

log = logging.getLogger(__name__)

WEBHOOK_TOLERANCE = 300  # seconds a signed webhook stays valid (Stripe's default)


class StripeGateway:
    def __init__(
        self,
        *,
        secret_key: str,
        publishable_key: str,
        api_base: str | None = None,
        webhook_secret: str | None = None,
        timeout: float = 20.0,
        max_network_retries: int = 2,
    ) -> None:
        self.publishable_key = publishable_key
        self._webhook_secret = webhook_secret
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base} if api_base else None,
            http_client=stripe.HTTPXClient(timeout=timeout),
            max_network_retries=max_network_retries,
        )

    # -- customers and payment methods ----------------------------------------------------------

    async def create_customer(
        self, *, email: str, name: str, driver_id: str, idempotency_key: str
    ) -> str:
        with stripe_errors():
            customer = await self.client.v1.customers.create_async(
                {"email": email, "name": name, "metadata": {"driver_id": driver_id}},
                {"idempotency_key": idempotency_key},
            )
        return str(customer.id)

    async def set_up_payment_method(self, customer_id: str) -> SetupDetails:
        with stripe_errors():
            intent = await self.client.v1.setup_intents.create_async(
                {"customer": customer_id, "usage": "off_session"}
            )
        ephemeral: str | None = None
        try:
            key = await self.client.v1.ephemeral_keys.create_async(
                {"customer": customer_id}, {"stripe_version": stripe.api_version}
            )
            ephemeral = str(key.secret) if key.secret else None
        except stripe.StripeError as error:
            # localstripe has no ephemeral keys (404); the app can still use the SetupIntent
            log.warning("no ephemeral key from the payment provider: %s", error)
        return SetupDetails(
            customer_id=customer_id,
            setup_intent_client_secret=str(intent.client_secret),
            ephemeral_key_secret=ephemeral,
        )

    async def attach_payment_method(
        self, customer_id: str, payment_method_id: str, *, make_default: bool = True
    ) -> CardDetails:
        with stripe_errors():
            pm = await self.client.v1.payment_methods.retrieve_async(payment_method_id)
            owner = id_of(pm.customer)
            if owner is None:
                pm = await self.client.v1.payment_methods.attach_async(
                    pm.id, {"customer": customer_id}
                )
            elif owner != customer_id:
                raise PaymentDeclined(
                    "this payment method belongs to someone else", field="paymentMethodId"
                )
            if make_default:
                await self.client.v1.customers.update_async(
                    customer_id, {"invoice_settings": {"default_payment_method": pm.id}}
                )
        card = pm.card
        if pm.type != "card" or card is None:
            raise PaymentDeclined("only cards (and wallets) are accepted", field="paymentMethodId")
        return CardDetails(
            id=str(pm.id),
            brand=str(card.brand),
            last4=str(card.last4),
            exp_month=int(card.exp_month),
            exp_year=int(card.exp_year),
            customer_id=customer_id,
        )

    async def customer_exists(self, customer_id: str) -> bool:
        try:
            with stripe_errors():
                customer = await self.client.v1.customers.retrieve_async(customer_id)
        except ProviderForgot:
            return False
        return not bool(customer.to_dict().get("deleted"))

    # -- payment intents ------------------------------------------------------------------------

    async def find_intent(
        self, *, customer_id: str, since: datetime, metadata: dict[str, str]
    ) -> IntentState | None:
        """The customer's payment intent created after ``since`` whose metadata holds all of
        ``metadata`` and which holds or took money (requires_capture, processing, succeeded)."""
        params: Any = {
            "customer": customer_id,
            "created": {"gt": int(since.timestamp())},
            "limit": 100,
        }
        seen: set[str] = set()
        try:
            with stripe_errors():
                charges = await self.client.v1.charges.list_async(params)
        except ProviderForgot:
            return None  # the customer is gone, and with it anything it paid
        for charge in charges.data:
            intent_id = id_of(charge.to_dict().get("payment_intent"))
            if intent_id is None or intent_id in seen:
                continue
            seen.add(intent_id)
            with stripe_errors():
                intent = await self.client.v1.payment_intents.retrieve_async(intent_id)
            found = intent.to_dict().get("metadata") or {}
            if all(found.get(k) == v for k, v in metadata.items()):
                state = await self._intent(intent)
                if state.status in ("requires_capture", "processing", "succeeded"):
                    return state
        return None

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
        return await self._create_intent(
            customer_id, payment_method_id, amount, currency, metadata, idempotency_key, "manual"
        )

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
        return await self._create_intent(
            customer_id,
            payment_method_id,
            amount,
            currency,
            metadata,
            idempotency_key,
            "automatic",
        )

    async def _create_intent(
        self,
        customer_id: str,
        payment_method_id: str,
        amount: int,
        currency: str,
        metadata: dict[str, str],
        idempotency_key: str,
        capture_method: str,
    ) -> IntentState:
        params: Any = {
            "amount": amount,
            "currency": currency.lower(),
            "customer": customer_id,
            "payment_method": payment_method_id,
            "payment_method_types": ["card"],
            "capture_method": capture_method,
            "confirm": True,
            "off_session": True,
            "metadata": metadata,
        }
        with stripe_errors():
            intent = await self.client.v1.payment_intents.create_async(
                params, {"idempotency_key": idempotency_key}
            )
        state = await self._intent(intent)
        if state.status not in ("requires_capture", "succeeded", "processing"):
            raise PaymentDeclined(f"the payment was not authorised ({state.status})")
        return state

    async def capture(self, intent_id: str, amount: int, *, idempotency_key: str) -> IntentState:
        with stripe_errors():
            intent = await self.client.v1.payment_intents.capture_async(
                intent_id, {"amount_to_capture": amount}, {"idempotency_key": idempotency_key}
            )
        return await self._intent(intent)

    async def cancel(self, intent_id: str, *, idempotency_key: str) -> IntentState:
        with stripe_errors():
            intent = await self.client.v1.payment_intents.cancel_async(
                intent_id, options={"idempotency_key": idempotency_key}
            )
        return await self._intent(intent)

    async def retrieve_intent(self, intent_id: str) -> IntentState:
        with stripe_errors():
            intent = await self.client.v1.payment_intents.retrieve_async(intent_id)
        return await self._intent(intent)

    async def _intent(self, intent: stripe.PaymentIntent) -> IntentState:
        data = intent.to_dict()
        captured = 0
        if data.get("status") == "succeeded":
            received = data.get("amount_received")
            if isinstance(received, int) and received:
                captured = received
            else:  # localstripe: the charge minus what a partial capture released
                charge = await self._charge_of(data.get("latest_charge"))
                if charge is not None:
                    captured = int(charge.get("amount", 0)) - int(charge.get("amount_refunded", 0))
        return IntentState(
            id=str(data["id"]),
            status=str(data.get("status")),
            amount=int(data.get("amount", 0)),
            amount_captured=max(0, captured),
            currency=str(data.get("currency", "")).upper(),
        )

    async def _charge_of(self, latest: Any) -> dict[str, Any] | None:
        if isinstance(latest, dict):
            return latest
        if isinstance(latest, str):
            with stripe_errors():
                charge = await self.client.v1.charges.retrieve_async(latest)
            return charge.to_dict()
        return None

    async def refund(
        self, intent_id: str, amount: int, *, reason: str | None, idempotency_key: str
    ) -> RefundState:
        params: Any = {
            "payment_intent": intent_id,
            "amount": amount,
            "metadata": {"reason": reason or ""},
        }
        with stripe_errors():
            refund = await self.client.v1.refunds.create_async(
                params, {"idempotency_key": idempotency_key}
            )
        return RefundState(id=str(refund.id), amount=int(refund.amount), status=str(refund.status))

    # -- memberships ----------------------------------------------------------------------------

    async def create_price(
        self, *, name: str, amount: int, currency: str, plan_id: str, idempotency_key: str
    ) -> str:
        params: Any = {
            "amount": amount,
            "currency": currency.lower(),
            "interval": "month",
            "product": {"name": name},
            "metadata": {"plan_id": plan_id},
        }
        with stripe_errors():
            price = await self.client.v1.plans.create_async(
                params, {"idempotency_key": idempotency_key}
            )
        return str(price.id)

    async def subscribe(
        self, *, customer_id: str, price_id: str, metadata: dict[str, str], idempotency_key: str
    ) -> SubscriptionState:
        params: Any = {"customer": customer_id, "items": [{"plan": price_id}], "metadata": metadata}
        with stripe_errors():
            sub = await self.client.v1.subscriptions.create_async(
                params, {"idempotency_key": idempotency_key}
            )
        return subscription_state(sub.to_dict())

    async def cancel_subscription(
        self, subscription_id: str, *, idempotency_key: str
    ) -> SubscriptionState:
        with stripe_errors():
            sub = await self.client.v1.subscriptions.update_async(
                subscription_id,
                {"cancel_at_period_end": True},
                {"idempotency_key": idempotency_key},
            )
        return subscription_state(sub.to_dict())

    async def retrieve_subscription(self, subscription_id: str) -> SubscriptionState | None:
        try:
            with stripe_errors():
                sub = await self.client.v1.subscriptions.retrieve_async(subscription_id)
        except ProviderForgot:
            return None
        return subscription_state(sub.to_dict())

    async def retrieve_invoice(self, invoice_id: str) -> InvoiceState:
        with stripe_errors():
            invoice = await self.client.v1.invoices.retrieve_async(invoice_id)
        data = invoice.to_dict()
        return InvoiceState(
            id=str(data["id"]),
            amount_paid=int(data.get("amount_paid") or 0),
            currency=str(data.get("currency", "")).upper(),
            paid=bool(data.get("paid")) or data.get("status") == "paid",
        )

    # -- webhooks -------------------------------------------------------------------------------

    def verify_webhook(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        if not self._webhook_secret:
            raise InvalidWebhook("webhooks are not configured (no signing secret)")
        if not signature:
            raise InvalidWebhook("the Stripe-Signature header is missing")
        try:
            event = stripe.Webhook.construct_event(
                payload, signature, self._webhook_secret, tolerance=WEBHOOK_TOLERANCE
            )
        except stripe.SignatureVerificationError:
            raise InvalidWebhook("the signature does not match or is too old") from None
        except ValueError:
            raise InvalidWebhook("the body is not a Stripe event") from None
        data: dict[str, Any] = event.to_dict()
        if not isinstance(data.get("id"), str) or not isinstance(data.get("type"), str):
            raise InvalidWebhook("the body is not a Stripe event")
        return data
