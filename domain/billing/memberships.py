"""Memberships: a plan's monthly fee through the provider's subscriptions, and the benefits a
member's sessions are priced with.

A plan gets its provider price when created (``sync_plan``) or, if the provider was unreachable
then, on the first subscription. Cancelling keeps the benefits until the paid period ends. The
included energy is used up across the period (``SessionPayment.included_wh_used`` at each
receipt); a new period (the provider's ``customer.subscription.updated``) starts from zero.
"""

from __future__ import annotations

import logging
from datetime import datetime

from beanie import PydanticObjectId

from domain.billing import repository as repo
from domain.billing.customers import Customers
from domain.billing.errors import MembershipNotFound, NoPaymentMethod
from domain.billing.gateway import PaymentGateway, SubscriptionState
from domain.billing.models import Membership, MembershipCharge, MembershipStatus
from domain.billing.ports import TariffsPort
from domain.common.clock import as_utc, utcnow
from domain.common.errors import Conflict
from domain.tariffs.errors import PlanNotFound
from domain.tariffs.models import Plan
from domain.tariffs.pricing import MemberBenefits

log = logging.getLogger(__name__)

_STATUS = {
    "active": MembershipStatus.ACTIVE,
    "trialing": MembershipStatus.ACTIVE,
    "past_due": MembershipStatus.PAST_DUE,
    "unpaid": MembershipStatus.PAST_DUE,
    "incomplete": MembershipStatus.INCOMPLETE,
    "incomplete_expired": MembershipStatus.CANCELED,
    "canceled": MembershipStatus.CANCELED,
}
BENEFITS = frozenset({MembershipStatus.ACTIVE, MembershipStatus.CANCELING})


def membership_status(state: SubscriptionState) -> MembershipStatus:
    status = _STATUS.get(state.status, MembershipStatus.INCOMPLETE)
    if status is MembershipStatus.ACTIVE and state.cancel_at_period_end:
        return MembershipStatus.CANCELING
    return status


class Memberships:
    def __init__(self, gateway: PaymentGateway, customers: Customers, tariffs: TariffsPort) -> None:
        self.gateway = gateway
        self.customers = customers
        self.tariffs = tariffs

    async def sync_plan(self, plan: Plan) -> Plan:
        """Give the plan its monthly price at the provider (once)."""
        if plan.stripe_price_id or plan.id is None:
            return plan
        price_id = await self.gateway.create_price(
            name=plan.name,
            amount=plan.monthly_fee,
            currency=plan.currency,
            plan_id=str(plan.id),
            idempotency_key=f"laddnet-plan-{plan.id}-price",
        )
        await self.tariffs.set_plan_price(plan.id, price_id)
        fresh = await self.tariffs.plan(plan.id)
        return fresh or plan

    async def subscribe(self, driver_id: PydanticObjectId, plan_id: PydanticObjectId) -> Membership:
        plan = await self.tariffs.plan(plan_id)
        if plan is None:
            raise PlanNotFound("no such plan", field="planId")
        existing = await repo.get_membership(driver_id)
        if existing is not None and existing.status in BENEFITS | {MembershipStatus.PAST_DUE}:
            if existing.plan_id == plan_id and existing.status is not MembershipStatus.CANCELING:
                return existing  # subscribing twice is the same membership
            raise Conflict("cancel the current membership first", field="planId")
        customer = await self.customers.customer(driver_id)
        if customer.default_card is None:
            raise NoPaymentMethod("add a payment method before subscribing", field="planId")
        plan = await self.sync_plan(plan)
        assert plan.stripe_price_id is not None
        membership = existing or Membership(
            driver_id=driver_id, org_id=plan.org_id, plan_id=plan_id
        )
        membership.org_id, membership.plan_id = plan.org_id, plan_id
        membership.status = MembershipStatus.INCOMPLETE
        membership.subscription_id = None
        await repo.save_membership(membership)
        state = await self.gateway.subscribe(
            customer_id=customer.customer_id,
            price_id=plan.stripe_price_id,
            metadata={"driver_id": str(driver_id), "plan_id": str(plan_id)},
            idempotency_key=f"laddnet-membership-{membership.id}-{membership.updated_at.timestamp()}",
        )
        membership.subscription_id = state.id
        self._apply(membership, state, utcnow())
        await repo.save_membership(membership)
        if state.latest_invoice_id:
            await self._record_invoice(membership, state.latest_invoice_id)
        return membership

    async def cancel_membership(self, driver_id: PydanticObjectId) -> Membership:
        membership = await repo.get_membership(driver_id)
        if membership is None or membership.status is MembershipStatus.CANCELED:
            raise MembershipNotFound("there is no membership to cancel")
        if membership.status is MembershipStatus.CANCELING:
            return membership
        if membership.subscription_id is None:
            membership.status = MembershipStatus.CANCELED
        else:
            state = await self.gateway.cancel_subscription(
                membership.subscription_id,
                idempotency_key=f"laddnet-membership-{membership.id}-cancel-{membership.subscription_id}",
            )
            self._apply(membership, state, utcnow())
        await repo.save_membership(membership)
        return membership

    async def membership(self, driver_id: PydanticObjectId) -> Membership | None:
        return await repo.get_membership(driver_id)

    async def plans_by_id(self, plan_ids: list[PydanticObjectId]) -> dict[PydanticObjectId, Plan]:
        found = [await self.tariffs.plan(i) for i in set(plan_ids)]
        return {p.id: p for p in found if p is not None and p.id is not None}

    async def benefits(
        self, driver_id: PydanticObjectId, org_id: PydanticObjectId, at: datetime
    ) -> tuple[Membership | None, MemberBenefits | None]:
        """The driver's membership in ``org_id`` and what it gives a session at ``at``."""
        membership = await repo.get_membership(driver_id)
        if membership is None or membership.org_id != org_id or membership.status not in BENEFITS:
            return None, None
        end = membership.current_period_end
        if end is not None and as_utc(end) <= as_utc(at):
            return None, None
        plan = await self.tariffs.plan(membership.plan_id)
        if plan is None:
            return None, None
        remaining = max(0, plan.included_wh - membership.included_wh_used)
        return membership, MemberBenefits(plan.energy_discount_percent, remaining)

    @staticmethod
    def _apply(membership: Membership, state: SubscriptionState, at: datetime) -> None:
        """``state`` as the provider had it at ``at`` (an answer we got, an event it sent)."""
        membership.provider_state_at = at
        start = state.current_period_start
        previous = membership.current_period_start
        if start is not None and (previous is None or as_utc(previous) != start):
            if previous is not None:
                membership.included_wh_used = 0  # a new period
            membership.current_period_start = start
        membership.current_period_end = state.current_period_end
        membership.status = membership_status(state)

    async def apply_subscription(
        self, state: SubscriptionState, *, at: datetime | None = None
    ) -> Membership | None:
        """A subscription state the provider sent (a webhook), as of ``at`` (the event's time).
        The provider does not promise the order of its events: one older than the state stored
        is ignored, so a late ``customer.subscription.created`` cannot resurrect a cancelled
        membership. None: not ours, or older than what we know."""
        membership = await repo.membership_by_subscription(state.id)
        if membership is None:
            return None
        at = as_utc(at) if at is not None else utcnow()
        known = membership.provider_state_at
        # the provider's event times are whole seconds: only an earlier second is older
        if known is not None and at < as_utc(known).replace(microsecond=0):
            log.info(
                "subscription %s: ignoring a %s state from %s, older than the one stored (%s)",
                state.id,
                state.status,
                at.isoformat(),
                as_utc(known).isoformat(),
            )
            return None
        self._apply(membership, state, at)
        await repo.save_membership(membership)
        return membership

    async def _record_invoice(self, membership: Membership, invoice_id: str) -> None:
        try:
            invoice = await self.gateway.retrieve_invoice(invoice_id)
        except Exception:
            log.warning("could not read invoice %s; its webhook will record it", invoice_id)
            return
        if invoice.paid and invoice.amount_paid > 0:
            await self.membership_paid(
                membership, invoice.id, invoice.amount_paid, invoice.currency
            )

    async def membership_paid(
        self, membership: Membership, invoice_id: str, amount: int, currency: str
    ) -> None:
        await repo.record_membership_charge(
            MembershipCharge(
                invoice_id=invoice_id,
                org_id=membership.org_id,
                driver_id=membership.driver_id,
                plan_id=membership.plan_id,
                amount=amount,
                currency=currency.upper(),
                paid_at=utcnow(),
            )
        )
