"""Billing test helpers: a StripeGateway on localstripe, signed webhooks, meter readings."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime
from typing import Any

from domain.billing.gateway import PaymentGateway
from domain.billing.ports import BillingPorts, ChargingPort
from domain.billing.service import BillingService, compose_billing
from domain.billing.stripe_gateway import StripeGateway
from domain.charging.metering import MeterReading, RawSample
from domain.charging.service import ChargingService
from domain.network.service import NetworkService
from laddnet.adapters import billing_ports

WEBHOOK_SECRET = "whsec_laddnet_test"
DEAD_API_BASE = "http://127.0.0.1:9"  # nothing listens there: a payment provider outage


def make_gateway(api_base: str, **overrides: Any) -> StripeGateway:
    args: dict[str, Any] = {
        "secret_key": "sk_test_laddnet",
        "publishable_key": "pk_test_laddnet",
        "api_base": api_base,
        "webhook_secret": WEBHOOK_SECRET,
        "timeout": 5.0,
        "max_network_retries": 0,
    }
    args.update(overrides)
    return StripeGateway(**args)


def make_billing(
    gateway: PaymentGateway,
    charging: ChargingService,
    network: NetworkService,
    *,
    charging_port: ChargingPort | None = None,
    stop_at_hold: bool = False,
    **options: Any,
) -> BillingService:
    """Billing as production wires it (``laddnet.adapters``); ``charging_port`` replaces billing's
    view of charging (e.g. to watch a start or a stop)."""
    ports = billing_ports(charging, network)
    if charging_port is not None:
        ports = BillingPorts(charging_port, ports.network, ports.tariffs, ports.drivers)
    return compose_billing(gateway, ports, stop_at_hold=stop_at_hold, **options)


def sign(payload: bytes, *, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    """A Stripe-Signature header as Stripe makes it: t=<unix>,v1=HMAC-SHA256(secret, "t.payload")."""
    ts = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={ts},v1={mac}"


def event_body(
    event_id: str, kind: str, obj: dict[str, Any], *, created: int | None = None
) -> bytes:
    """A Stripe event; ``created``: when the provider made it (unix seconds), as Stripe sends."""
    event: dict[str, Any] = {
        "id": event_id,
        "object": "event",
        "type": kind,
        "data": {"object": obj},
    }
    if created is not None:
        event["created"] = created
    return json.dumps(event).encode()


def energy(at: datetime, wh: int, power_w: int | None = None) -> MeterReading:
    samples = [RawSample(value=str(wh), measurand="Energy.Active.Import.Register", unit="Wh")]
    if power_w is not None:
        samples.append(RawSample(value=str(power_w), measurand="Power.Active.Import", unit="W"))
    return MeterReading(at=at, samples=samples)
