"""Translating Stripe's objects and exceptions into billing's terms (for ``StripeGateway``)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import stripe

from domain.billing.errors import GatewayUnavailable, PaymentDeclined, ProviderForgot
from domain.billing.gateway import SubscriptionState


def subscription_state(data: dict[str, Any]) -> SubscriptionState:
    item_period: dict[str, Any] = {}
    items = (data.get("items") or {}).get("data") or []
    if items and isinstance(items[0], dict):
        item_period = items[0]  # newer API versions keep the period on the item
    start = data.get("current_period_start") or item_period.get("current_period_start")
    end = data.get("current_period_end") or item_period.get("current_period_end")
    return SubscriptionState(
        id=str(data["id"]),
        status=str(data.get("status")),
        current_period_start=_time(start),
        current_period_end=_time(end),
        cancel_at_period_end=bool(data.get("cancel_at_period_end")),
        latest_invoice_id=id_of(data.get("latest_invoice")),
    )


def _time(value: Any) -> datetime | None:
    if isinstance(value, int | float) and value > 0:
        return datetime.fromtimestamp(value, UTC)
    return None


def id_of(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    found = getattr(value, "id", None)
    if found is None and isinstance(value, dict):
        found = value.get("id")
    return str(found) if found else None


class stripe_errors:
    """Stripe's exceptions → ``PaymentDeclined`` (the provider said no) or ``GatewayUnavailable``."""

    def __enter__(self) -> None:
        return None

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: Any
    ) -> None:
        if error is None or not isinstance(error, stripe.StripeError):
            return
        if isinstance(error, stripe.CardError):
            raise PaymentDeclined(error.user_message or "the card was declined") from error
        if isinstance(error, stripe.APIConnectionError | stripe.RateLimitError):
            raise GatewayUnavailable("the payment provider is unreachable") from error
        if isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
            raise GatewayUnavailable("the payment provider refused our credentials") from error
        status = error.http_status or 0
        if isinstance(error, stripe.InvalidRequestError) and (
            status == 404 or error.code == "resource_missing"
        ):
            raise ProviderForgot(
                error.user_message or f"the payment provider does not know it ({error.param})"
            ) from error
        if isinstance(error, stripe.InvalidRequestError) and 400 <= status < 500:
            raise PaymentDeclined(error.user_message or "the payment provider refused") from error
        raise GatewayUnavailable(f"the payment provider failed ({status})") from error
