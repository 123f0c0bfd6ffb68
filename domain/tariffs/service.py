"""Use cases of tariffs and membership plans: operators create them, everyone reads them.

Assigning a tariff to a station is ``NetworkService.assign_tariff``; pricing a session is the pure
``pricing.price_session``.
"""

from __future__ import annotations

from collections.abc import Sequence

from beanie import PydanticObjectId

from domain.tariffs import repository as repo
from domain.tariffs.errors import PlanNotFound, TariffNotFound
from domain.tariffs.models import Plan, TariffDocument
from domain.tariffs.validation import PlanInput, TariffInput, build_tariff, check_plan


class TariffService:
    # -- tariffs --------------------------------------------------------------------------------

    async def create_tariff(self, org_id: PydanticObjectId, data: TariffInput) -> TariffDocument:
        """Validate, then store. Bad input raises ``InvalidInput`` (with the field) and stores
        nothing; a name the organisation already uses raises ``AlreadyExists``."""
        name, tariff = build_tariff(data)
        return await repo.insert_tariff(TariffDocument(org_id=org_id, name=name, tariff=tariff))

    async def list_tariffs(self, org_id: PydanticObjectId) -> list[TariffDocument]:
        return await repo.list_tariffs(org_id)

    async def get_tariff(self, tariff_id: PydanticObjectId) -> TariffDocument:
        """Any organisation's tariff, e.g. the one on a station a driver looks at."""
        tariff = await repo.get_tariff(tariff_id)
        if tariff is None:
            raise TariffNotFound("no such tariff", field="tariffId")
        return tariff

    async def tariff_for_org(
        self, org_id: PydanticObjectId, tariff_id: PydanticObjectId
    ) -> TariffDocument:
        """The organisation's own tariff; another organisation's is reported as not found."""
        tariff = await repo.get_tariff(tariff_id)
        if tariff is None or tariff.org_id != org_id:
            raise TariffNotFound("no such tariff", field="tariffId")
        return tariff

    async def tariffs_by_id(
        self, tariff_ids: Sequence[PydanticObjectId]
    ) -> dict[PydanticObjectId, TariffDocument]:
        """For DataLoaders: the tariffs that exist among ``tariff_ids``, by id."""
        found = await repo.get_tariffs(tariff_ids)
        return {t.id: t for t in found if t.id is not None}

    # -- plans ----------------------------------------------------------------------------------

    async def create_plan(self, org_id: PydanticObjectId, data: PlanInput) -> Plan:
        checked = check_plan(data)
        plan = Plan(
            org_id=org_id,
            name=checked.name,
            description=checked.description,
            currency=checked.currency,
            monthly_fee=checked.monthly_fee,
            energy_discount_percent=checked.energy_discount_percent,
            included_wh=checked.included_wh,
            stripe_price_id=checked.stripe_price_id,
        )
        return await repo.insert_plan(plan)

    async def list_plans(self, org_id: PydanticObjectId | None = None) -> list[Plan]:
        """One organisation's plans, or every plan (what drivers can subscribe to)."""
        return await repo.list_plans(org_id)

    async def get_plan(self, plan_id: PydanticObjectId) -> Plan:
        plan = await repo.get_plan(plan_id)
        if plan is None:
            raise PlanNotFound("no such plan", field="planId")
        return plan

    async def plan_for_org(self, org_id: PydanticObjectId, plan_id: PydanticObjectId) -> Plan:
        plan = await repo.get_plan(plan_id)
        if plan is None or plan.org_id != org_id:
            raise PlanNotFound("no such plan", field="planId")
        return plan
