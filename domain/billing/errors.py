from __future__ import annotations

from domain.common.errors import Conflict, DomainError, InvalidInput, NotFound, PaymentDeclined

__all__ = [
    "GatewayUnavailable",
    "InvalidWebhook",
    "MembershipNotFound",
    "NoPaymentMethod",
    "PaymentDeclined",
    "PaymentNotFound",
    "RefundRefused",
]


class GatewayUnavailable(DomainError):
    """The payment provider could not be reached or failed on its side: try again later."""

    code = "PAYMENT_UNAVAILABLE"


class NoPaymentMethod(InvalidInput):
    code = "NO_PAYMENT_METHOD"


class PaymentNotFound(NotFound):
    pass


class MembershipNotFound(NotFound):
    pass


class RefundRefused(InvalidInput):
    """A refund the session's payment cannot take (more than captured, nothing captured)."""


class InvalidWebhook(DomainError):
    """A webhook whose signature is missing, wrong or stale, or whose body is not an event."""

    code = "INVALID_WEBHOOK"


class PaymentConflict(Conflict):
    pass


class ProviderForgot(PaymentDeclined):
    """The payment provider no longer knows an object laddnet refers to (a customer, a payment
    method, an intent): made again or asked for again, never a permanent decline."""
