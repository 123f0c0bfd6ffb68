"""Memberships through localstripe subscriptions, a member's discounted session, webhooks once."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from domain.billing.errors import InvalidWebhook
from domain.billing.models import MembershipStatus, PaymentStatus, WebhookEvent
from domain.billing.reports import RevenueGroupBy
from tests.domain.billing.conftest import World
from tests.domain.billing.test_payments import _charge, _setup, _start
from tests.factories.billing import event_body, sign
from tests.factories.network import create_org
from tests.factories.tariffs import create_plan, create_tariff


async def test_a_member_pays_less_and_uses_up_included_energy(world: World) -> None:
    driver_id, station = await _setup(world)
    plan = await create_plan(
        world.tariffs,
        station.org_id,
        monthly_fee=9900,
        energy_discount_percent=20,
        included_wh=2000,
    )
    assert plan.id is not None
    membership = await world.billing.subscribe(driver_id, plan.id)
    assert membership.status is MembershipStatus.ACTIVE and membership.subscription_id
    assert membership.current_period_end is not None
    assert membership.current_period_end > datetime.now(UTC)

    session = await _start(world, world.billing, driver_id, station)
    await _charge(world, station, 10)
    assert session.id is not None
    await world.billing.finalize(await world.charging.get_session(session.id))
    payment = await world.billing.payment_for_session(session.id)
    assert payment is not None and payment.receipt is not None
    # 10 kWh, 2 included: 8 kWh x 3.50 = 28.00, less 20 % = 22.40
    assert payment.receipt.total == 2240 and payment.amount_captured == 2240
    kinds = [line.kind for line in payment.receipt.lines]
    assert kinds == ["ENERGY", "INCLUDED_ENERGY", "DISCOUNT"]
    after = await world.billing.membership(driver_id)
    assert after is not None and after.included_wh_used == 2000

    report = await world.billing.revenue_report(
        station.org_id,
        datetime.now(UTC) - timedelta(days=1),
        datetime.now(UTC) + timedelta(days=1),
        RevenueGroupBy.PAYMENT_METHOD,
    )
    rows = {r.key: r for r in report.rows}
    assert rows["visa"].gross == 2240 and rows["visa"].captured == 2240
    assert rows["visa"].energy == 2240 and rows["visa"].vat == 448
    assert rows["memberships"].membership == 9900
    assert report.gross == 2240 + 9900

    cancelled = await world.billing.cancel_membership(driver_id)
    assert cancelled.status is MembershipStatus.CANCELING  # benefits last the paid period


async def test_webhooks_are_verified_stored_once_and_handled_once(world: World) -> None:
    driver_id, station = await _setup(world)
    plan = await create_plan(world.tariffs, station.org_id)
    assert plan.id is not None
    membership = await world.billing.subscribe(driver_id, plan.id)
    period_end = int(time.time()) + 86400 * 20
    body = event_body(
        "evt_sub_1",
        "customer.subscription.updated",
        {
            "id": membership.subscription_id,
            "object": "subscription",
            "status": "past_due",
            "cancel_at_period_end": False,
            "current_period_start": int(time.time()),
            "current_period_end": period_end,
        },
    )
    with pytest.raises(InvalidWebhook):
        await world.billing.handle_webhook(body, None)
    with pytest.raises(InvalidWebhook):
        await world.billing.handle_webhook(body, sign(body, secret="whsec_wrong"))
    with pytest.raises(InvalidWebhook):
        await world.billing.handle_webhook(body, sign(body, at=int(time.time()) - 3600))
    assert await WebhookEvent.find({"event_id": "evt_sub_1"}).count() == 0

    assert await world.billing.handle_webhook(body, sign(body)) == "handled"
    updated = await world.billing.membership(driver_id)
    assert updated is not None and updated.status is MembershipStatus.PAST_DUE
    updated.status = MembershipStatus.ACTIVE  # something else changes it meanwhile
    await updated.save()
    assert await world.billing.handle_webhook(body, sign(body)) == "duplicate"
    unchanged = await world.billing.membership(driver_id)
    assert unchanged is not None and unchanged.status is MembershipStatus.ACTIVE
    assert await WebhookEvent.find({"event_id": "evt_sub_1"}).count() == 1


async def test_a_dispute_webhook_flags_the_payment(world: World) -> None:
    driver_id, station = await _setup(world)
    session = await _start(world, world.billing, driver_id, station)
    await _charge(world, station, 2)
    assert session.id is not None
    await world.billing.finalize(await world.charging.get_session(session.id))
    payment = await world.billing.payment_for_session(session.id)
    assert payment is not None and payment.status is PaymentStatus.CAPTURED
    body = event_body(
        "evt_dispute_1",
        "charge.dispute.created",
        {"id": "dp_1", "payment_intent": payment.intent_id, "status": "needs_response"},
    )
    assert await world.billing.handle_webhook(body, sign(body)) == "handled"
    flagged = await world.billing.payment_for_session(session.id)
    assert flagged is not None and flagged.disputed


async def test_an_empty_revenue_report_is_in_the_currency_the_organisation_prices_in(
    world: World,
) -> None:
    """Issue 11: an organisation pricing in SEK saw its (empty) revenue totals in EUR."""
    span = (datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=1))
    pricing = await create_org()
    assert pricing.id is not None
    await create_tariff(world.tariffs, pricing.id, currency="SEK")
    report = await world.billing.revenue_report(pricing.id, *span, RevenueGroupBy.DAY)
    assert (report.rows, report.gross, report.currency) == ([], 0, "SEK")
    untariffed = await create_org()
    assert untariffed.id is not None
    empty = await world.billing.revenue_report(untariffed.id, *span, RevenueGroupBy.DAY)
    assert (empty.rows, empty.currency) == ([], "EUR")  # nothing to go by: the default
