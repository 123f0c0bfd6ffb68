"""Drivers at the payment provider: customer, setting up and choosing a payment method."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from beanie import PydanticObjectId

from domain.billing import repository as repo
from domain.billing.errors import NoPaymentMethod, PaymentDeclined, ProviderForgot
from domain.billing.gateway import PaymentGateway
from domain.billing.models import BillingCustomer, Card
from domain.billing.ports import DriversPort
from domain.common.errors import InvalidInput, NotFound

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True)
class PaymentSetup:
    """What the provider's mobile SDK needs to collect a card, Apple Pay or Google Pay."""

    customer_id: str
    setup_intent_client_secret: str
    publishable_key: str
    ephemeral_key_secret: str | None


class Customers:
    """The driver's customer and payment methods at the provider; identity learns the ids."""

    def __init__(self, gateway: PaymentGateway, drivers: DriversPort) -> None:
        self.gateway = gateway
        self.drivers = drivers

    async def customer(self, driver_id: PydanticObjectId) -> BillingCustomer:
        """The driver's customer at the provider, created the first time (once, even if raced)."""
        existing = await repo.get_customer(driver_id)
        if existing is not None:
            return existing
        driver = await self.drivers.contact(driver_id)
        if driver is None:
            raise NotFound("no such driver")
        customer_id = await self.gateway.create_customer(
            email=driver.email,
            name=driver.name,
            driver_id=str(driver_id),
            idempotency_key=f"laddnet-driver-{driver_id}-customer",
        )
        customer, inserted = await repo.insert_customer(
            BillingCustomer(driver_id=driver_id, customer_id=customer_id)
        )
        if inserted:
            await self.drivers.record_payment_profile(driver_id, customer_id=customer_id)
        return customer

    async def repair(self, driver_id: PydanticObjectId) -> BillingCustomer:
        """The provider no longer knows the driver's customer or card (a lost customer; localstripe
        after a restart): the customer is made again when it is gone, and the default card is
        attached to it again if the provider still has it, else forgotten, so the driver is asked
        for a card instead of being declined for ever."""
        customer = await repo.get_customer(driver_id)
        if customer is None:
            return await self.customer(driver_id)
        if not await self.gateway.customer_exists(customer.customer_id):
            driver = await self.drivers.contact(driver_id)
            if driver is None:
                raise NotFound("no such driver")
            generation = customer.generation + 1
            new_id = await self.gateway.create_customer(
                email=driver.email,
                name=driver.name,
                driver_id=str(driver_id),
                idempotency_key=f"laddnet-driver-{driver_id}-customer-{generation}",
            )
            log.warning(
                "the payment provider no longer knows customer %s of driver %s: made %s",
                customer.customer_id,
                driver_id,
                new_id,
            )
            customer = await repo.replace_customer(customer, new_id, generation)
            await self.drivers.record_payment_profile(driver_id, customer_id=customer.customer_id)
        card = customer.default_card
        if card is not None:
            try:
                await self.gateway.attach_payment_method(customer.customer_id, card.id)
            except PaymentDeclined:
                log.warning(
                    "driver %s's card %s is gone at the provider: asking again", driver_id, card.id
                )
                await repo.clear_default_card(driver_id, card.id)
                customer.default_card = None
        return customer

    async def with_repair(
        self,
        driver_id: PydanticObjectId,
        call: Callable[[BillingCustomer], Awaitable[T]],
    ) -> T:
        """``call`` with the driver's customer; if the provider says it does not know something
        ``call`` named, once more after ``repair``."""
        customer = await self.customer(driver_id)
        try:
            return await call(customer)
        except ProviderForgot:
            customer = await self.repair(driver_id)
            return await call(customer)

    async def set_up_payment_method(self, driver_id: PydanticObjectId) -> PaymentSetup:
        setup = await self.with_repair(
            driver_id, lambda c: self.gateway.set_up_payment_method(c.customer_id)
        )
        return PaymentSetup(
            customer_id=setup.customer_id,
            setup_intent_client_secret=setup.setup_intent_client_secret,
            publishable_key=self.gateway.publishable_key,
            ephemeral_key_secret=setup.ephemeral_key_secret,
        )

    async def set_default_payment_method(
        self, driver_id: PydanticObjectId, payment_method_id: str
    ) -> Card:
        """Attach the method to the driver's customer (a declined card raises PaymentDeclined) and
        record it (brand, last4, expiry) as the driver's default."""
        pm = payment_method_id.strip()
        if not pm or len(pm) > 255:
            raise InvalidInput("a payment method id is required", field="paymentMethodId")
        details = await self.with_repair(
            driver_id, lambda c: self.gateway.attach_payment_method(c.customer_id, pm)
        )
        card = Card(
            id=details.id,
            brand=details.brand,
            last4=details.last4,
            exp_month=details.exp_month,
            exp_year=details.exp_year,
        )
        await repo.set_default_card(driver_id, card)
        await self.drivers.record_payment_profile(driver_id, default_payment_method=card.id)
        return card

    async def default_payment_method(self, driver_id: PydanticObjectId) -> Card | None:
        customer = await repo.get_customer(driver_id)
        return customer.default_card if customer else None

    async def payment_method(
        self, driver_id: PydanticObjectId, payment_method_id: str | None
    ) -> tuple[BillingCustomer, str, str | None]:
        """(customer, method id, label) for a charge: the one given (attached to this driver) or
        the default."""
        customer = await self.customer(driver_id)
        if payment_method_id:
            default = customer.default_card
            if default is not None and default.id == payment_method_id:
                return customer, default.id, default.brand
            details = await self.with_repair(
                driver_id,
                lambda c: self.gateway.attach_payment_method(
                    c.customer_id, payment_method_id, make_default=False
                ),
            )
            customer = await repo.get_customer(driver_id) or customer
            return customer, details.id, details.brand
        if customer.default_card is None:
            raise NoPaymentMethod(
                "add a payment method first (setUpPaymentMethod, setDefaultPaymentMethod)",
                field="paymentMethodId",
            )
        return customer, customer.default_card.id, customer.default_card.brand
