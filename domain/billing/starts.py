"""A driver's paid start from the app: the payment is held first, only then is the station told.

``start_paid_session``: a ``SessionPayment`` is stored holding a lock on the connector (a
double-submitted start finds it taken and places no second hold), the hold is placed (a
manual-capture PaymentIntent for the tariff's pre-authorisation amount), and only then is the
station asked to start (through charging). A declined card raises ``PaymentDeclined`` and nothing
is sent to the station. An unreachable provider does not stop charging: the session starts, its
payment is PENDING and the final amount is charged off-session when it ends.
"""

from __future__ import annotations

import logging

from beanie import PydanticObjectId

from domain.billing import repository as repo
from domain.billing.costing import SessionPricing
from domain.billing.customers import Customers
from domain.billing.errors import (
    GatewayUnavailable,
    NoPaymentMethod,
    PaymentDeclined,
    ProviderForgot,
)
from domain.billing.gateway import IntentState, PaymentGateway
from domain.billing.models import PaymentStatus, SessionPayment
from domain.billing.ports import ChargingPort, NetworkPort
from domain.billing.settlement import Settlement
from domain.charging.models import ChargingSession
from domain.common.clock import utcnow
from domain.common.errors import ConnectorBusy, InvalidInput

log = logging.getLogger(__name__)


class PaidStarts:
    def __init__(
        self,
        gateway: PaymentGateway,
        customers: Customers,
        pricing: SessionPricing,
        settlement: Settlement,
        charging: ChargingPort,
        network: NetworkPort,
    ) -> None:
        self.gateway = gateway
        self.customers = customers
        self.pricing = pricing
        self.settlement = settlement
        self.charging = charging
        self.network = network

    async def start_paid_session(
        self,
        driver_id: PydanticObjectId,
        station_id: PydanticObjectId,
        connector_id: int,
        payment_method_id: str | None,
    ) -> ChargingSession:
        """Hold the pre-authorisation amount, then ask the station to start; see the module."""
        station = await self.network.station(station_id)
        assert station.id is not None
        if station.connector(connector_id) is None:
            raise InvalidInput(f"the station has no connector {connector_id}", field="connectorId")
        terms = await self.pricing.station_terms(station, station.site_id)
        tariff = terms.tariff
        payment = SessionPayment(
            org_id=station.org_id,
            site_id=station.site_id,
            station_id=station.id,
            connector_id=connector_id,
            driver_id=driver_id,
            start_lock=self.charging.connector_key(station.id, connector_id),
            tariff_id=terms.tariff_id,
            tariff=tariff,
            site_timezone=terms.timezone,
            currency=tariff.currency if tariff else "EUR",
        )
        hold = tariff.pre_authorization_amount if tariff else 0
        if hold > 0:
            customer, method, label = await self.customers.payment_method(
                driver_id, payment_method_id
            )
            payment.customer_id = customer.customer_id
            payment.payment_method_id = method
            payment.payment_method_label = label
        if not await repo.insert_payment(payment):
            raise ConnectorBusy(f"connector {connector_id} is being started already")
        try:
            holder = await self.charging.session_on_connector(station.id, connector_id)
            if holder is not None:
                raise ConnectorBusy(f"connector {connector_id} has a session already")
            if hold > 0:
                await self._place_hold(payment, hold)
            else:
                payment.status = PaymentStatus.PENDING  # settled when the session ends
                payment.off_session = payment.customer_id is not None
            session = await self.charging.start_for_driver(station, connector_id, driver_id)
        except BaseException as error:
            await self.settlement.abandon(payment, error)
            raise
        payment.session_id = session.id
        payment.start_lock = None
        await repo.save_payment(payment)
        return session

    async def _place_hold(self, payment: SessionPayment, amount: int) -> None:
        assert payment.customer_id and payment.payment_method_id and payment.driver_id
        await self.settlement.mark_attempt(payment, utcnow())
        try:
            intent = await self._authorize(payment, amount)
        except ProviderForgot:
            # the provider lost the customer or the card: made again (or asked for again), then
            # the hold once more
            payment.provider_attempt_at = None
            customer = await self.customers.repair(payment.driver_id)
            card = customer.default_card
            if card is None:
                raise NoPaymentMethod(
                    "your payment method is no longer known: add one again",
                    field="paymentMethodId",
                ) from None
            payment.customer_id = customer.customer_id
            payment.payment_method_id = card.id
            payment.payment_method_label = card.brand
            await self.settlement.mark_attempt(payment, utcnow())
            intent = await self._authorize(payment, amount)
        except GatewayUnavailable as error:
            # never stop charging for an outage: charge off-session once the session ends (the
            # hold, if it was made after all, is found and used then: provider_attempt_at)
            log.warning("payment provider unreachable at start; charging later: %s", error)
            payment.status = PaymentStatus.PENDING
            payment.off_session = True
            payment.last_error = str(error)
            payment.attempts += 1
            await repo.save_payment(payment)
            return
        except PaymentDeclined:
            payment.provider_attempt_at = None
            raise
        payment.intent_id = intent.id
        payment.amount_authorized = intent.amount
        payment.status = PaymentStatus.AUTHORIZED
        payment.provider_attempt_at = None
        await repo.save_payment(payment)

    async def _authorize(self, payment: SessionPayment, amount: int) -> IntentState:
        assert payment.customer_id and payment.payment_method_id
        return await self.gateway.authorize(
            customer_id=payment.customer_id,
            payment_method_id=payment.payment_method_id,
            amount=amount,
            currency=payment.currency,
            metadata={"session_payment": str(payment.id), "station": str(payment.station_id)},
            idempotency_key=payment.idempotency_key(
                f"authorize-{payment.customer_id}-{payment.payment_method_id}"
            ),
        )
