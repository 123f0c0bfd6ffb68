"""``BillingService``: the billing context's one face to the edges, composed of its collaborators.

Who does what (each takes its collaborators in its constructor; ``compose_billing`` wires them):
- ``Customers`` (customers.py): the driver's customer and payment methods at the provider.
- ``Memberships`` (memberships.py): subscriptions to plans and the benefits they give.
- ``SessionPricing`` (costing.py): a session priced from its samples with its tariff and benefits.
- ``PaidStarts`` (starts.py): the hold before an app start, then the remote start.
- ``Settlement`` (settlement.py): the receipt and the money when a session ends.
- ``HoldWatch`` (holds.py): a running session is stopped when its cost reaches its hold.
- ``SessionCosts`` (costs.py): the cost a driver sees, live or from the receipt.
- ``SettlementReconciler`` (reconciler.py): every ended session settled once, from stored state.
- ``Refunds``, ``Webhooks``, ``RevenueReports``.
Other contexts are reached through ``ports`` only.

Sessions are followed through charging's ``SessionUpdated`` events (``run``): an ended one is
settled at once, a running one checked against its hold. Events are only the fast path: the
``SettlementReconciler`` (``run_settlement``) settles from what is stored whatever they missed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from decimal import Decimal

from beanie import PydanticObjectId

from domain.billing import repository as repo
from domain.billing.costing import SessionPricing
from domain.billing.costs import SessionCosts
from domain.billing.customers import Customers, PaymentSetup
from domain.billing.gateway import PaymentGateway
from domain.billing.holds import HoldWatch
from domain.billing.memberships import Memberships
from domain.billing.models import (
    SETTLED,
    Card,
    Membership,
    RefundRecord,
    SessionPayment,
)
from domain.billing.ports import BillingPorts, ChargingPort
from domain.billing.reconciler import Reconciled, SettlementReconciler, Unsettled
from domain.billing.refunds import Refunds
from domain.billing.reports import RevenueGroupBy, RevenueReport, RevenueReports
from domain.billing.settlement import Settlement
from domain.billing.starts import PaidStarts
from domain.billing.webhooks import Webhooks
from domain.charging.events import SessionUpdated
from domain.charging.models import ChargingSession
from domain.charging.state import FINAL, RUNNING
from domain.common.events import DomainEvent, EventBus
from domain.common.money import Money
from domain.tariffs.models import Plan
from domain.tariffs.pricing import PricedSession

log = logging.getLogger(__name__)

_FINAL = frozenset(s.value for s in FINAL)
_RUNNING = frozenset(s.value for s in RUNNING)


class BillingService:
    def __init__(
        self,
        gateway: PaymentGateway,
        charging: ChargingPort,
        *,
        customers: Customers,
        memberships: Memberships,
        starts: PaidStarts,
        settlement: Settlement,
        costs: SessionCosts,
        holds: HoldWatch | None,
        reconciler: SettlementReconciler,
        refunds: Refunds,
        webhooks: Webhooks,
        reports: RevenueReports,
    ) -> None:
        """``holds`` None: running sessions are not stopped at their hold."""
        self.gateway = gateway
        self.charging = charging
        self.customers = customers
        self.memberships = memberships
        self.starts = starts
        self.settlement = settlement
        self.costs = costs
        self.holds = holds
        self.reconciler = reconciler
        self.refunds = refunds
        self.webhooks = webhooks
        self.reports = reports

    # -- following sessions ---------------------------------------------------------------------

    async def on_session_updated(self, event: SessionUpdated) -> None:
        session_id = PydanticObjectId(event.session_id)
        if event.status in _FINAL:
            session = await self.charging.session(session_id)
            if session is not None:
                await self.settlement.finalize(session)
            self.costs.forget(session_id)
            if self.holds is not None:
                self.holds.forget(session_id)
        elif self.holds is not None and event.status in _RUNNING:
            await self.holds.on_running(session_id, event.driver_id, event.duration_seconds)

    async def run(self, events: EventBus) -> None:
        """Follow ``SessionUpdated`` events until cancelled (the composition root runs this)."""

        def accept(event: DomainEvent) -> bool:
            return isinstance(event, SessionUpdated)

        async with events.subscribe(accept, maxsize=10_000) as stream:
            async for event in stream:
                assert isinstance(event, SessionUpdated)
                try:
                    await self.on_session_updated(event)
                except Exception:
                    log.exception("billing could not handle session %s", event.session_id)

    async def run_settlement(self, interval: float = 15.0) -> None:
        """Reconcile at once (start-up), then every ``interval`` seconds until cancelled."""
        await self.reconciler.run(interval)

    async def reconcile(self, *, now: datetime | None = None) -> Reconciled:
        return await self.reconciler.reconcile(now=now)

    async def retry_pending(self, *, now: datetime | None = None, limit: int = 200) -> int:
        return await self.reconciler.retry_pending(now=now, limit=limit)

    async def unsettled_sessions(
        self, org_id: PydanticObjectId, *, limit: int = 100
    ) -> list[Unsettled]:
        return await self.reconciler.unsettled(org_id, limit=limit)

    # -- use cases the edges call ---------------------------------------------------------------

    async def start_paid_session(
        self,
        driver_id: PydanticObjectId,
        station_id: PydanticObjectId,
        connector_id: int,
        payment_method_id: str | None,
    ) -> ChargingSession:
        return await self.starts.start_paid_session(
            driver_id, station_id, connector_id, payment_method_id
        )

    async def finalize(
        self, session: ChargingSession, *, now: datetime | None = None
    ) -> SessionPayment | None:
        return await self.settlement.finalize(session, now=now)

    async def set_up_payment_method(self, driver_id: PydanticObjectId) -> PaymentSetup:
        return await self.customers.set_up_payment_method(driver_id)

    async def set_default_payment_method(
        self, driver_id: PydanticObjectId, payment_method_id: str
    ) -> Card:
        return await self.customers.set_default_payment_method(driver_id, payment_method_id)

    async def default_payment_method(self, driver_id: PydanticObjectId) -> Card | None:
        return await self.customers.default_payment_method(driver_id)

    async def sync_plan(self, plan: Plan) -> Plan:
        return await self.memberships.sync_plan(plan)

    async def subscribe(self, driver_id: PydanticObjectId, plan_id: PydanticObjectId) -> Membership:
        return await self.memberships.subscribe(driver_id, plan_id)

    async def cancel_membership(self, driver_id: PydanticObjectId) -> Membership:
        return await self.memberships.cancel_membership(driver_id)

    async def membership(self, driver_id: PydanticObjectId) -> Membership | None:
        return await self.memberships.membership(driver_id)

    async def plans_by_id(self, plan_ids: list[PydanticObjectId]) -> dict[PydanticObjectId, Plan]:
        return await self.memberships.plans_by_id(plan_ids)

    async def refund_session(
        self,
        org_id: PydanticObjectId,
        session_id: PydanticObjectId,
        amount: int | None,
        reason: str | None = None,
    ) -> tuple[SessionPayment, RefundRecord]:
        return await self.refunds.refund_session(org_id, session_id, amount, reason)

    async def refund_session_decimal(
        self,
        org_id: PydanticObjectId,
        session_id: PydanticObjectId,
        amount: Decimal | str | None,
        reason: str | None = None,
    ) -> tuple[SessionPayment, RefundRecord]:
        return await self.refunds.refund_session_decimal(org_id, session_id, amount, reason)

    async def handle_webhook(self, payload: bytes, signature: str | None) -> str:
        return await self.webhooks.handle_webhook(payload, signature)

    async def revenue_report(
        self,
        org_id: PydanticObjectId,
        start: datetime,
        end: datetime,
        group: RevenueGroupBy,
        *,
        timezone: str = "UTC",
    ) -> RevenueReport:
        return await self.reports.revenue_report(org_id, start, end, group, timezone=timezone)

    async def payments_in_period(
        self, org_id: PydanticObjectId, start: datetime, end: datetime
    ) -> list[SessionPayment]:
        return await self.reports.payments_in_period(org_id, start, end)

    async def payments_csv(self, org_id: PydanticObjectId, start: datetime, end: datetime) -> str:
        return await self.reports.payments_csv(org_id, start, end)

    # -- reading --------------------------------------------------------------------------------

    async def payment_for_session(self, session_id: PydanticObjectId) -> SessionPayment | None:
        return await repo.payment_for_session(session_id)

    async def payments_for_sessions(
        self, session_ids: list[PydanticObjectId]
    ) -> dict[PydanticObjectId, SessionPayment]:
        return await repo.payments_for_sessions(session_ids)

    async def cost_of(
        self, session: ChargingSession, *, now: datetime | None = None
    ) -> PricedSession | None:
        return await self.costs.cost_of(session, now=now)

    async def session_cost(self, session: ChargingSession) -> Money | None:
        return await self.costs.session_cost(session)

    async def live_cost(
        self,
        session_id: PydanticObjectId,
        load_session: Callable[[], Awaitable[ChargingSession]],
        *,
        now: datetime | None = None,
    ) -> Money | None:
        return await self.costs.live_cost(session_id, load_session, now=now)

    def is_settled(self, payment: SessionPayment) -> bool:
        return payment.status in SETTLED


def compose_billing(
    gateway: PaymentGateway,
    ports: BillingPorts,
    *,
    stop_at_hold: bool = True,
    hold_timeout: timedelta = timedelta(minutes=5),
    settle_claim: timedelta = timedelta(seconds=60),
    lookback: timedelta = timedelta(days=7),
) -> BillingService:
    """Billing's collaborators wired together over ``ports`` (the composition root's adapters).
    ``stop_at_hold``: stop a session whose cost reaches its hold (through ``ports.charging``);
    ``lookback``: how far back the first reconciliation looks for ended sessions."""
    customers = Customers(gateway, ports.drivers)
    memberships = Memberships(gateway, customers, ports.tariffs)
    pricing = SessionPricing(ports.charging, ports.network, ports.tariffs, memberships)
    settlement = Settlement(gateway, pricing, customers, settle_claim=settle_claim)
    refunds = Refunds(gateway)
    return BillingService(
        gateway,
        ports.charging,
        customers=customers,
        memberships=memberships,
        starts=PaidStarts(gateway, customers, pricing, settlement, ports.charging, ports.network),
        settlement=settlement,
        costs=SessionCosts(pricing),
        holds=HoldWatch(ports.charging, pricing) if stop_at_hold else None,
        reconciler=SettlementReconciler(
            settlement, refunds, ports.charging, hold_timeout=hold_timeout, lookback=lookback
        ),
        refunds=refunds,
        webhooks=Webhooks(gateway, memberships),
        reports=RevenueReports(ports.network, ports.tariffs),
    )
