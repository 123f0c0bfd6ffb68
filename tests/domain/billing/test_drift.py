"""Stripe drift: the provider forgets a customer and its cards (localstripe after a restart; a real
account can lose a customer), and its webhooks arrive out of order. Neither becomes a permanent
decline or a resurrected membership."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.billing.errors import NoPaymentMethod
from domain.billing.models import BillingCustomer, MembershipStatus, PaymentStatus, SessionPayment
from domain.billing.settlement import NO_METHOD
from laddnet.localstripe import LocalStripe
from tests.domain.billing.conftest import World
from tests.domain.billing.test_reconciler import _payment, _priced_station, _session
from tests.factories.billing import event_body, make_gateway, sign
from tests.factories.identity import create_driver
from tests.factories.tariffs import create_plan


@pytest.fixture
def forgetful() -> Iterator[LocalStripe]:
    """A localstripe of its own, restarted by the test (it then knows nothing)."""
    running = LocalStripe()
    running.start()
    try:
        yield running
    finally:
        running.stop()


def restart(stripe: LocalStripe) -> None:
    stripe.stop()
    stripe.start()


async def test_a_customer_the_provider_forgot_is_made_again_and_the_card_asked_again(
    world: World, forgetful: LocalStripe
) -> None:
    billing = world.make_billing(make_gateway(forgetful.api_base))
    driver, _ = await create_driver(world.identity)
    assert driver.id is not None
    await billing.set_default_payment_method(driver.id, "pm_card_visa")
    before = await BillingCustomer.find_one({"driver_id": driver.id})
    assert before is not None
    station = await _priced_station(world, hold=30_000)
    assert station.id is not None

    restart(forgetful)  # every customer and card is gone at the provider

    with pytest.raises(NoPaymentMethod):  # asked for a card again, not declined "Not Found"
        await billing.start_paid_session(driver.id, station.id, 1, None)
    after = await BillingCustomer.find_one({"driver_id": driver.id})
    assert after is not None and after.customer_id != before.customer_id
    assert after.generation == 1 and after.default_card is None
    assert await billing.default_payment_method(driver.id) is None
    assert world.stations.sent == []

    await billing.set_default_payment_method(driver.id, "pm_card_visa")  # the driver adds one
    session = await billing.start_paid_session(driver.id, station.id, 1, None)
    payment = await _payment(session)
    assert payment.status is PaymentStatus.AUTHORIZED and payment.customer_id == after.customer_id


async def test_an_rfid_session_of_a_forgotten_customer_waits_for_a_card_then_is_charged(
    world: World, forgetful: LocalStripe
) -> None:
    billing = world.make_billing(make_gateway(forgetful.api_base))
    driver, _ = await create_driver(world.identity)
    assert driver.id is not None
    await billing.set_default_payment_method(driver.id, "pm_card_visa")
    await world.charging.link_id_token(driver.id, "RFID-DRIFT")
    session = await _session(world, await _priced_station(world), "RFID-DRIFT", 4)

    restart(forgetful)
    await billing.reconcile()
    waiting = await _payment(session)
    assert waiting.status is PaymentStatus.PENDING and waiting.last_error == NO_METHOD
    [unsettled] = [
        u for u in await billing.unsettled_sessions(world.site.org_id) if u.session.id == session.id
    ]
    assert unsettled.reason.startswith(NO_METHOD)

    await billing.set_default_payment_method(driver.id, "pm_card_visa")
    await billing.reconcile(now=datetime.now(UTC) + timedelta(minutes=5))
    paid = await _payment(session)
    assert paid.status is PaymentStatus.CAPTURED and paid.amount_captured == 1400
    assert await SessionPayment.find({"session_id": session.id}).count() == 1


async def test_a_late_subscription_created_event_cannot_resurrect_a_cancelled_membership(
    world: World,
) -> None:
    driver, _ = await create_driver(world.identity)
    assert driver.id is not None
    await world.billing.set_default_payment_method(driver.id, "pm_card_visa")
    plan = await create_plan(world.tariffs, world.site.org_id)
    assert plan.id is not None
    subscribed_at = int(time.time()) - 5
    membership = await world.billing.subscribe(driver.id, plan.id)
    sub = membership.subscription_id
    assert membership.status is MembershipStatus.ACTIVE and sub
    period = {
        "current_period_start": subscribed_at,
        "current_period_end": subscribed_at + 30 * 86400,
    }
    deleted = event_body(
        "evt_drift_deleted",
        "customer.subscription.deleted",
        {"id": sub, "object": "subscription", "status": "canceled", **period},
        created=int(time.time()),
    )
    assert await world.billing.handle_webhook(deleted, sign(deleted)) == "handled"
    cancelled = await world.billing.membership(driver.id)
    assert cancelled is not None and cancelled.status is MembershipStatus.CANCELED

    late = event_body(  # made when the subscription began, delivered now
        "evt_drift_created",
        "customer.subscription.created",
        {"id": sub, "object": "subscription", "status": "active", **period},
        created=subscribed_at,
    )
    assert await world.billing.handle_webhook(late, sign(late)) == "ignored"
    still = await world.billing.membership(driver.id)
    assert still is not None and still.status is MembershipStatus.CANCELED
