"""Alert webhooks: the payload, its signature and the retry schedule are pure; the HTTP POST is a
``WebhookTransport`` the composition root provides.

Signature (like Stripe's): header ``Laddnet-Signature: t=<unix seconds>,v1=<hex>`` where ``v1`` is
HMAC-SHA256 with the organisation's secret over ``"<t>." + body``. A receiver recomputes it and
rejects a timestamp older than a few minutes (replay).

Retries: a delivery is retried on a network error, 408, 429 and any 5xx, after 1, 2, 4, 8, 16 and
32 seconds (capped), then given up and logged. Any other answer (2xx: delivered; 4xx: the receiver
refuses) ends the delivery.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from domain.common.errors import InvalidInput
from domain.common.events import AlertChanged

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "Laddnet-Signature"
SECRET_MIN = 16
SECRET_MAX = 256
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class WebhookTarget:
    url: str
    secret: str


def validate_target(url: str, secret: str) -> WebhookTarget:
    """https (http only to this machine), and a secret of 16-256 characters. Raises InvalidInput."""
    url = url.strip()
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("https", "http"):
        raise InvalidInput("the webhook URL must be an absolute https URL", field="url")
    if parts.scheme == "http" and parts.hostname not in LOCAL_HOSTS:
        raise InvalidInput("the webhook URL must use https", field="url")
    if not SECRET_MIN <= len(secret) <= SECRET_MAX:
        raise InvalidInput(
            f"the webhook secret must be {SECRET_MIN}-{SECRET_MAX} characters", field="secret"
        )
    return WebhookTarget(url, secret)


def alert_payload(event: AlertChanged) -> bytes:
    def iso(value: object) -> object:
        return value.isoformat() if hasattr(value, "isoformat") else value

    body = {
        "type": "alert." + event.state.lower(),
        "alert": {
            "id": event.alert_id,
            "kind": event.kind,
            "severity": event.severity,
            "state": event.state,
            "message": event.message,
            "organisationId": event.org_id,
            "siteId": event.site_id,
            "stationId": event.station_id,
            "connectorId": event.connector_id,
            "raisedAt": iso(event.raised_at),
            "acknowledgedAt": iso(event.acknowledged_at),
            "resolvedAt": iso(event.resolved_at),
        },
        "at": iso(event.at),
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, body: bytes, header: str, *, now: int, tolerance_seconds: int = 300
) -> bool:
    try:
        fields = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance_seconds:
        return False
    expected = sign(secret, body, timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, given)


def backoff_delays(
    retries: int = 6, *, base: float = 1.0, factor: float = 2.0, cap: float = 300.0
) -> list[float]:
    """Seconds to wait before each retry: base, base·factor, … capped."""
    return [min(cap, base * factor**n) for n in range(retries)]


def is_retryable(status: int | None) -> bool:
    """``None`` is a network error (no answer)."""
    return status is None or status in (408, 429) or status >= 500


class WebhookTransport(Protocol):
    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """POST and return the HTTP status. Raise ``OSError`` (or a subclass) when no answer came."""
        ...


class AlertNotifier(Protocol):
    async def deliver(self, target: WebhookTarget, event: AlertChanged) -> bool: ...


class WebhookNotifier:
    """Signs and posts an alert change, retrying with backoff. True once delivered (2xx)."""

    def __init__(
        self,
        transport: WebhookTransport,
        *,
        delays: Sequence[float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.transport = transport
        self.delays = list(backoff_delays() if delays is None else delays)
        self.sleep = sleep
        self.clock = clock

    async def deliver(self, target: WebhookTarget, event: AlertChanged) -> bool:
        body = alert_payload(event)
        for attempt in range(len(self.delays) + 1):
            if attempt:
                await self.sleep(self.delays[attempt - 1])
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(target.secret, body, int(self.clock())),
            }
            status: int | None
            try:
                status = await self.transport.post(target.url, body, headers)
            except OSError as exc:
                log.info("webhook to %s failed: %s", target.url, exc)
                status = None
            if status is not None and 200 <= status < 300:
                return True
            if not is_retryable(status):
                log.warning("webhook to %s refused with HTTP %s", target.url, status)
                return False
        log.warning("webhook to %s given up after %d attempts", target.url, len(self.delays) + 1)
        return False
