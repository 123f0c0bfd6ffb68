"""Every query the identity context makes lives here."""

from __future__ import annotations

from datetime import datetime

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from domain.identity.errors import AccountExists
from domain.identity.models import Driver, Operator, Organisation, RefreshToken

# -- organisations -----------------------------------------------------------------------------


async def insert_organisation(org: Organisation) -> Organisation:
    try:
        await org.insert()
    except DuplicateKeyError:
        raise AccountExists(
            f"an organisation named {org.name!r} exists already", field="orgName"
        ) from None
    return org


async def get_organisation(org_id: PydanticObjectId) -> Organisation | None:
    return await Organisation.get(org_id)


async def organisation_by_name(name: str) -> Organisation | None:
    return await Organisation.find_one(Organisation.name == name)


async def delete_organisation(org: Organisation) -> None:
    await org.delete()


# -- accounts ----------------------------------------------------------------------------------


async def insert_driver(driver: Driver) -> Driver:
    try:
        await driver.insert()
    except DuplicateKeyError:
        raise AccountExists("an account with this email exists already", field="email") from None
    return driver


async def insert_operator(operator: Operator) -> Operator:
    try:
        await operator.insert()
    except DuplicateKeyError:
        raise AccountExists("an account with this email exists already", field="email") from None
    return operator


async def get_driver(driver_id: PydanticObjectId) -> Driver | None:
    return await Driver.get(driver_id)


async def set_payment_profile(driver_id: PydanticObjectId, fields: dict[str, str]) -> None:
    """Mirror the driver's ids at the payment provider (billing owns them; set through its port)."""
    if fields:
        await Driver.get_pymongo_collection().update_one({"_id": driver_id}, {"$set": fields})


async def get_operator(operator_id: PydanticObjectId) -> Operator | None:
    return await Operator.get(operator_id)


async def driver_by_email(email: str) -> Driver | None:
    return await Driver.find_one(Driver.email == email)


async def operator_by_email(email: str) -> Operator | None:
    return await Operator.find_one(Operator.email == email)


# -- refresh tokens ------------------------------------------------------------------------------


async def insert_refresh_token(token: RefreshToken) -> None:
    await token.insert()


async def refresh_token_by_hash(token_hash: str) -> RefreshToken | None:
    return await RefreshToken.find_one(RefreshToken.token_hash == token_hash)


async def spend_refresh_token(token_hash: str, now: datetime) -> RefreshToken | None:
    """Atomically mark a live token as rotated; None when it is unknown, spent, revoked or expired.

    Two concurrent refreshes with one token: exactly one wins, the other counts as reuse.
    """
    doc = await RefreshToken.get_pymongo_collection().find_one_and_update(
        {
            "token_hash": token_hash,
            "rotated_at": None,
            "revoked_at": None,
            "expires_at": {"$gt": now},
        },
        {"$set": {"rotated_at": now}},
        return_document=ReturnDocument.AFTER,
    )
    return None if doc is None else RefreshToken.model_validate(doc)


async def revoke_family(family: str, now: datetime) -> int:
    result = await RefreshToken.get_pymongo_collection().update_many(
        {"family": family, "revoked_at": None}, {"$set": {"revoked_at": now}}
    )
    return int(result.modified_count)


async def operator_by_invitation(token_hash: str) -> Operator | None:
    return await Operator.find_one({"invitation_hash": token_hash})


async def accept_invitation(
    operator_id: PydanticObjectId, token_hash: str, password_hash: str, name: str | None
) -> Operator | None:
    """Spend the invitation (once: a second use finds nothing) and set the password."""
    fields: dict[str, object] = {"password_hash": password_hash}
    if name is not None:
        fields["name"] = name
    row = await Operator.get_pymongo_collection().find_one_and_update(
        {"_id": operator_id, "invitation_hash": token_hash},
        {"$set": fields, "$unset": {"invitation_hash": "", "invitation_expires_at": ""}},
        return_document=ReturnDocument.AFTER,
    )
    return Operator.model_validate(row) if row is not None else None
