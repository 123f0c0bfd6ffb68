"""Every query of the security context, including the security fields it owns on stations."""

from __future__ import annotations

from datetime import datetime

from beanie import PydanticObjectId

from domain.network.models import Station
from domain.security.models import SecurityChange, StationCertificate


async def insert_certificate(cert: StationCertificate) -> StationCertificate:
    await cert.insert()
    return cert


async def certificates_of(station_id: PydanticObjectId) -> list[StationCertificate]:
    return await StationCertificate.find({"station_id": station_id}).sort("created_at").to_list()


async def record_change(change: SecurityChange) -> None:
    await change.insert()


async def confirm_changes(station_id: PydanticObjectId, kind: str, at: datetime) -> None:
    await SecurityChange.get_pymongo_collection().update_many(
        {"station_id": station_id, "kind": kind, "status": "accepted", "confirmed_at": None},
        {"$set": {"confirmed_at": at}},
    )


async def set_pending(
    station_id: PydanticObjectId,
    *,
    profile: int | None = None,
    password_hash: str | None = None,
) -> None:
    update: dict[str, object] = {}
    if profile is not None:
        update["pending_security_profile"] = profile
    if password_hash is not None:
        update["pending_password_hash"] = password_hash
    await Station.get_pymongo_collection().update_one({"_id": station_id}, {"$set": update})


async def promote_profile(station_id: PydanticObjectId, level: int) -> None:
    """The station connected at ``level``: that is its profile from now on (never lower)."""
    await Station.get_pymongo_collection().update_one(
        {"_id": station_id, "security_profile": {"$lt": level}},
        {"$set": {"security_profile": level, "pending_security_profile": None}},
    )
    await Station.get_pymongo_collection().update_one(
        {"_id": station_id, "pending_security_profile": {"$lte": level}},
        {"$set": {"pending_security_profile": None}},
    )


async def promote_password(station_id: PydanticObjectId, pending_hash: str) -> None:
    """The station logged in with its new key: the old one is refused from now on."""
    await Station.get_pymongo_collection().update_one(
        {"_id": station_id, "pending_password_hash": pending_hash},
        {"$set": {"password_hash": pending_hash, "pending_password_hash": None}},
    )
