"""Every query the tariffs context makes lives here."""

from __future__ import annotations

from collections.abc import Sequence

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from domain.common.errors import AlreadyExists
from domain.tariffs.models import Plan, TariffDocument


async def insert_tariff(tariff: TariffDocument) -> TariffDocument:
    try:
        await tariff.insert()
    except DuplicateKeyError:
        raise AlreadyExists(
            f"a tariff named {tariff.name!r} exists already", field="name"
        ) from None
    return tariff


async def get_tariff(tariff_id: PydanticObjectId) -> TariffDocument | None:
    return await TariffDocument.get(tariff_id)


async def get_tariffs(tariff_ids: Sequence[PydanticObjectId]) -> list[TariffDocument]:
    return await TariffDocument.find({"_id": {"$in": list(tariff_ids)}}).to_list()


async def list_tariffs(org_id: PydanticObjectId) -> list[TariffDocument]:
    return await TariffDocument.find(TariffDocument.org_id == org_id).sort("+name").to_list()


async def insert_plan(plan: Plan) -> Plan:
    try:
        await plan.insert()
    except DuplicateKeyError:
        raise AlreadyExists(f"a plan named {plan.name!r} exists already", field="name") from None
    return plan


async def get_plan(plan_id: PydanticObjectId) -> Plan | None:
    return await Plan.get(plan_id)


async def list_plans(org_id: PydanticObjectId | None) -> list[Plan]:
    query = {} if org_id is None else {"org_id": org_id}
    return await Plan.find(query).sort("+name", "+_id").to_list()


async def set_plan_price(plan_id: PydanticObjectId, price_id: str) -> None:
    """The plan's price at the payment provider, set once (a price set stays)."""
    await Plan.get_pymongo_collection().update_one(
        {"_id": plan_id, "stripe_price_id": None}, {"$set": {"stripe_price_id": price_id}}
    )
