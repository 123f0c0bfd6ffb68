"""Alert webhooks: the signature a receiver can check, the retry schedule, delivery with retries."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping

import pytest

from domain.common.errors import InvalidInput
from domain.common.events import AlertChanged
from domain.diagnostics.webhook import (
    SIGNATURE_HEADER,
    WebhookNotifier,
    WebhookTarget,
    alert_payload,
    backoff_delays,
    is_retryable,
    sign,
    validate_target,
    verify,
)
from tests.factories.diagnostics import T0

SECRET = "whsec-0123456789abcdef"
EVENT = AlertChanged(
    org_id="org-1",
    site_id="site-1",
    station_id="st-1",
    at=T0,
    alert_id="a-1",
    connector_id=1,
    kind="OVERHEATING",
    severity="CRITICAL",
    state="RAISED",
    message="connector 1 is at 82.0 °C",
    raised_at=T0,
)


def test_signature_is_hmac_sha256_over_timestamp_and_body() -> None:
    body = alert_payload(EVENT)
    header = sign(SECRET, body, 1_700_000_000)
    expected = hmac.new(SECRET.encode(), b"1700000000." + body, hashlib.sha256).hexdigest()
    assert header == f"t=1700000000,v1={expected}"
    assert verify(SECRET, body, header, now=1_700_000_100)
    assert not verify("another-secret-value", body, header, now=1_700_000_100)
    assert not verify(SECRET, body + b" ", header, now=1_700_000_100)
    assert not verify(SECRET, body, header, now=1_700_000_000 + 301)  # replayed later
    assert not verify(SECRET, body, "garbage", now=1_700_000_000)


def test_payload_carries_the_alert() -> None:
    payload = json.loads(alert_payload(EVENT))
    assert payload["type"] == "alert.raised"
    assert payload["alert"]["kind"] == "OVERHEATING"
    assert payload["alert"]["stationId"] == "st-1"
    assert payload["alert"]["raisedAt"] == T0.isoformat()


def test_backoff_doubles_up_to_a_cap_and_what_is_retried() -> None:
    assert backoff_delays(6) == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]
    assert backoff_delays(4, base=10.0, cap=25.0) == [10.0, 20.0, 25.0, 25.0]
    assert is_retryable(None) and is_retryable(500) and is_retryable(503) and is_retryable(429)
    assert not is_retryable(200) and not is_retryable(400) and not is_retryable(410)


def test_targets_must_be_https_with_a_real_secret() -> None:
    assert (
        validate_target(" https://ops.example.com/hook ", SECRET).url
        == "https://ops.example.com/hook"
    )
    assert validate_target("http://localhost:9000/hook", SECRET).url.startswith("http://")
    for url in ("http://ops.example.com/hook", "ftp://x/y", "not a url"):
        with pytest.raises(InvalidInput) as caught:
            validate_target(url, SECRET)
        assert caught.value.field == "url"
    with pytest.raises(InvalidInput) as caught:
        validate_target("https://ops.example.com/hook", "short")
    assert caught.value.field == "secret"


class FakeTransport:
    """The outermost edge: answers from a script (an int status, or an OSError to raise)."""

    def __init__(self, answers: list[int | OSError]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, bytes, dict[str, str]]] = []

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        self.calls.append((url, body, dict(headers)))
        answer = self.answers.pop(0)
        if isinstance(answer, OSError):
            raise answer
        return answer


async def test_delivery_retries_with_backoff_until_delivered() -> None:
    transport = FakeTransport([ConnectionRefusedError("down"), 503, 200])
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    notifier = WebhookNotifier(transport, sleep=sleep, clock=lambda: 1_700_000_000.0)
    target = WebhookTarget("https://ops.example.com/hook", SECRET)
    assert await notifier.deliver(target, EVENT)
    assert slept == [1.0, 2.0]
    assert len(transport.calls) == 3
    url, body, headers = transport.calls[-1]
    assert url == target.url
    assert verify(SECRET, body, headers[SIGNATURE_HEADER], now=1_700_000_000)


async def test_delivery_stops_on_refusal_and_gives_up_after_the_last_retry() -> None:
    async def sleep(seconds: float) -> None:
        return None

    refused = FakeTransport([404])
    target = WebhookTarget("https://ops.example.com/hook", SECRET)
    assert not await WebhookNotifier(refused, sleep=sleep).deliver(target, EVENT)
    assert len(refused.calls) == 1
    failing = FakeTransport([500, 500, 500])
    assert not await WebhookNotifier(failing, delays=[1, 1], sleep=sleep).deliver(target, EVENT)
    assert len(failing.calls) == 3
