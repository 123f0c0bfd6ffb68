"""Billing: Stripe customers and payment methods, session payments (hold, capture, refund),
memberships, receipts, revenue reports and Stripe webhooks."""
